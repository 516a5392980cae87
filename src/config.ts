import { z } from 'zod';
import { DEFAULT_STORAGE_RETRY } from './adapters/storage';
import { DEFAULT_MAX_EVENT_AGE_HOURS, LOGIN_SERVER } from './core/events';
import { PriceOverrideSchema, RegistryProfileSchema, SkuSchema } from './core/estimates/pricing';
import { PullModelOverrideSchema } from './core/estimates/pullModel';
import { hasCredentials, normalizeRoutePrefix, routePrefixProblem, teamsHostAllowed } from './core/teamsRoute';
import { redactUrl } from './core/redact';
import { issuesOf, numberText } from './core/validation';
import { BaselineModeSchema } from './core/baseline';

/**
 * Every setting the app reads is declared and validated here, once, at start-up.
 * A bad value fails fast with a message that names the setting, instead of
 * surfacing later as a confusing error deep inside a request.
 */

export class ConfigError extends Error {
  constructor(readonly problems: { setting: string; message: string }[]) {
    super('Invalid configuration:\n' + problems.map((p) => `  - ${p.setting}: ${p.message}`).join('\n'));
    this.name = 'ConfigError';
  }
}

/** How the app reaches Azure Storage, as the Functions host resolves a `connection` name. */
export type StorageConnection =
  | { kind: 'connectionString'; connectionString: string }
  | {
      kind: 'identity';
      queueServiceUri: string;
      tableServiceUri: string;
      /** Where layer file indexes are kept (content analysis); the host itself needs it too. */
      blobServiceUri?: string;
      /** `managedidentity` forces ManagedIdentityCredential, otherwise DefaultAzureCredential. */
      credential?: string;
      clientId?: string;
    };

const intSetting = (def: number, min: number, max: number) => numberText(def, { min, max });

const boolSetting = (def: boolean) =>
  z
    .string()
    .trim()
    .optional()
    .transform((v, ctx) => {
      if (v === undefined || v === '') return def;
      if (/^(true|1|yes)$/i.test(v)) return true;
      if (/^(false|0|no)$/i.test(v)) return false;
      ctx.addIssue({ code: 'custom', message: `must be true or false, got "${v}"` });
      return z.NEVER;
    });

/** A setting holding JSON, validated by `schema`; problems name the path inside the JSON. */
function jsonSetting<S extends z.ZodType>(schema: S) {
  return z
    .string()
    .trim()
    .optional()
    .transform((v, ctx): z.output<S> | undefined => {
      if (v === undefined || v === '') return undefined;
      let json: unknown;
      try {
        json = JSON.parse(v);
      } catch (e) {
        ctx.addIssue({ code: 'custom', message: `is not valid JSON: ${(e as Error).message}` });
        return z.NEVER;
      }
      const parsed = schema.safeParse(json);
      if (parsed.success) return parsed.data;
      for (const issue of issuesOf(parsed.error)) ctx.addIssue({ code: 'custom', message: `${issue.path ? `${issue.path}: ` : ''}${issue.message}` });
      return z.NEVER;
    });
}

/**
 * App Service puts the reference text itself into a setting whose Key Vault reference it
 * could not resolve; accepting that as the secret would refuse every webhook with 401.
 */
function secretSetting(required?: string) {
  return z
    .string(required ? { error: required } : undefined)
    .min(16, 'must be at least 16 characters')
    .refine(
      (v) => !v.startsWith('@Microsoft.KeyVault('),
      'is an unresolved Key Vault reference: check the identity has Key Vault Secrets User and the secret exists',
    );
}

/** An empty value (a blank line in local.settings.json) means unset. */
const blankIsUnset = <S extends z.ZodType>(schema: S) => z.preprocess((v) => (typeof v === 'string' && v.trim() === '' ? undefined : v), schema);

const optionalUrl = blankIsUnset(z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }).optional());

const optionalGuid = (error: string) => blankIsUnset(z.string().trim().pipe(z.guid({ error })).optional());

/** A scope or app role value as app registrations allow them. */
const entraName = (what: string) =>
  z
    .string()
    .trim()
    .regex(/^[A-Za-z0-9._-]{1,120}$/, `must be ${what} (letters, digits, ".", "_", "-")`);

const settingsSchema = z.object({
  WEBHOOK_SECRET: secretSetting('is required: the shared secret registries send as "Authorization: Bearer <secret>"'),
  /** During a rotation, the secret being replaced: both are accepted until this is removed. */
  WEBHOOK_SECRET_PREVIOUS: secretSetting().optional(),
  ALLOWED_REGISTRIES: z.string({ error: 'is required: a comma-separated list of registry login servers, e.g. "myregistry.azurecr.io"' }).transform((v, ctx) => {
    const list = v
      .split(',')
      .map((s) => s.trim().toLowerCase())
      .filter((s) => s.length > 0);
    if (list.length === 0) {
      ctx.addIssue({ code: 'custom', message: 'must name at least one registry login server' });
      return z.NEVER;
    }
    for (const server of list) {
      if (!LOGIN_SERVER.test(server)) {
        ctx.addIssue({ code: 'custom', message: `"${server}" is not a login server (host or host:port)` });
        return z.NEVER;
      }
    }
    return [...new Set(list)];
  }),
  REGISTRY_TIMEOUT_MS: intSetting(15_000, 1_000, 120_000),
  /** Each try of a storage call (tables, queue) is cut after this; see StorageRetry in adapters/storage.ts. */
  STORAGE_TRY_TIMEOUT_MS: intSetting(DEFAULT_STORAGE_RETRY.tryTimeoutMs, 100, 60_000),
  /** Tries per storage call, the first included. */
  STORAGE_MAX_TRIES: intSetting(DEFAULT_STORAGE_RETRY.maxTries, 1, 10),
  /** Events reported as older than this on arrival are recorded at their receive time (boundEventTime). */
  EVENT_MAX_AGE_HOURS: intSetting(DEFAULT_MAX_EVENT_AGE_HOURS, 1, 24 * 366),
  REGISTRY_MAX_RETRIES: intSetting(2, 0, 10),
  /** Which earlier point a new point is compared with: the latest of the platform, or the latest of the same tag. */
  BASELINE_MODE: BaselineModeSchema.default('previous'),
  /** The SKU and geo-replica count of registries without an entry in REGISTRY_PROFILES. */
  ACR_SKU: SkuSchema.default('Standard'),
  ACR_GEO_REPLICAS: intSetting(1, 1, 50),
  /** Per registry: `{"<login server>": {"sku": "Premium", "replicas": 2}}`. */
  REGISTRY_PROFILES: jsonSetting(z.record(z.string(), RegistryProfileSchema)),
  /** Overrides of the public list prices (docs/estimates.md). */
  ACR_PRICES: jsonSetting(PriceOverrideSchema),
  /** Overrides of the pull-time model's parameters (docs/estimates.md). */
  PULL_MODEL: jsonSetting(PullModelOverrideSchema),
  /** Default alert thresholds; per-repository policies (PUT /api/policy) override them. */
  ALERT_GROWTH_PERCENT: numberText(10, { min: 0, integer: false }),
  ALERT_GROWTH_BYTES: intSetting(10 * 1024 * 1024, 0, Number.MAX_SAFE_INTEGER),
  ALERT_LAYER_BYTES: intSetting(100 * 1024 * 1024, 0, Number.MAX_SAFE_INTEGER),
  ALERT_COLD_START_SECONDS: intSetting(5, 0, 3600),
  /** No budget unless set. */
  ALERT_SIZE_BUDGET_BYTES: intSetting(0, 0, Number.MAX_SAFE_INTEGER).transform((n) => (n === 0 ? null : n)),
  ALERT_IMPROVEMENTS: boolSetting(true),
  /**
   * A first push has no baseline, but a toolchain in it is worth an alert on day one: a
   * finding of at least this many compressed bytes (estimated per layer) alerts. 0: off.
   */
  ALERT_FINDING_BYTES: intSetting(20 * 1024 * 1024, 0, Number.MAX_SAFE_INTEGER).transform((n) => (n === 0 ? null : n)),
  /**
   * How long an alert waits for its image's layers to be read, so its card can say what is
   * inside; after this it is sent without (saying so). A slow analysis never holds an alert longer.
   */
  ALERT_CONTENT_WAIT_SECONDS: intSetting(120, 0, 3600),
  /**
   * Seconds between a point being stored and its rules running: concurrent and
   * out-of-order deliveries of the same repository land first, so the alert is decided
   * on the settled trend (the corrected baseline), not on the first description.
   */
  ALERT_SETTLE_SECONDS: intSetting(30, 0, 3600),
  /**
   * How long an instance trusts what it cached of slowly changing state: a registry's
   * alert policies and its total live bytes (the input of storage-cost estimates). A
   * policy written on another instance applies there within this time; 0 reads both on
   * every event.
   */
  CACHE_SECONDS: intSetting(30, 0, 3600),
  /** Delivery attempts before an alert is marked failed (it stays visible in /api/alerts). */
  ALERT_MAX_ATTEMPTS: intSetting(8, 1, 100),
  /** Wait before the second delivery attempt; doubles per attempt, at most an hour. Retry-After, when longer, wins. */
  ALERT_RETRY_BASE_SECONDS: intSetting(30, 1, 3600),
  /** NCRONTAB schedule of the timer that re-queues pending alerts whose delivery message was lost. */
  ALERT_RESEND_SCHEDULE: z.string().trim().min(1).default('0 */1 * * * *'),
  /**
   * Registry requests per second a backfill or reconcile may make, across every instance
   * (listing, and the manifests and configs of the events it queues). ACR Basic allows
   * 1,000 reads a minute (about 16.7/s); 5/s leaves two thirds of that to pulls.
   */
  BACKFILL_REQUESTS_PER_SECOND: intSetting(5, 1, 500),
  /** Light reconcile (tag listings; ACR: tags updated since the last run). */
  RECONCILE_SCHEDULE: z.string().trim().min(1).default('0 0 * * * *'),
  /** Full reconcile (every tag's digest, deletes), off the hour so it does not meet the light run. */
  RECONCILE_FULL_SCHEDULE: z.string().trim().min(1).default('0 30 3 * * *'),
  /**
   * How long one POST to Teams may take. Workflows (Logic Apps) hold the request while
   * the flow starts, and a request cut off may still have posted the card: a timeout is
   * an unknown outcome, retried later, so a short timeout means duplicate cards.
   * At most 240 s, inside host.json's 5-minute functionTimeout.
   */
  TEAMS_TIMEOUT_SECONDS: intSetting(60, 1, 240),
  /** Teams Workflows webhook ("When a Teams webhook request is received") for alerts. */
  TEAMS_WEBHOOK_URL: optionalUrl.refine(
    (v) => v === undefined || !hasCredentials(v),
    'must not contain credentials (user:password@): the Workflows URL carries its own signature',
  ),
  /**
   * Hosts a policy's `teamsRoute` may point at (wildcards allowed), so the policy API
   * cannot be used to make the service post to arbitrary hosts. TEAMS_WEBHOOK_URL's own host is always allowed.
   */
  TEAMS_ALLOWED_HOSTS: z
    .string()
    .optional()
    .transform((v) =>
      (v ?? '*.logic.azure.com,*.powerautomate.com,*.powerplatform.com')
        .split(',')
        .map((h) => h.trim().toLowerCase())
        .filter(Boolean),
    ),
  /**
   * Optional, stricter than hosts: URL prefixes (`https://host/workflows/<id>`) a policy's
   * `teamsRoute` must start with. The shared Workflows hosts serve every tenant's flows,
   * so a host allow-list alone lets a policy writer route alerts to any flow there.
   */
  TEAMS_ALLOWED_ROUTE_PREFIXES: z
    .string()
    .optional()
    .transform((v, ctx) => {
      const prefixes: string[] = [];
      for (const item of (v ?? '')
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean)) {
        const problem = routePrefixProblem(item);
        if (problem) {
          ctx.addIssue({ code: 'custom', message: `"${redactUrl(item)}" ${problem}` });
          return z.NEVER;
        }
        prefixes.push(normalizeRoutePrefix(item));
      }
      return prefixes;
    }),
  /** Where the API is reachable from people's browsers, for links in alerts. */
  PUBLIC_BASE_URL: optionalUrl.transform((v) => v?.replace(/\/+$/, '')),
  /**
   * Reads every new layer blob (once per registry and layer digest) to learn what is inside:
   * on-disk size, wasted bytes, build tools and caches left in the image. Off: no blob is read.
   */
  LAYER_ANALYSIS: boolSetting(true),
  /** Compressed layers bigger than this are recorded as not analyzed (the manifest's size decides, before any download). */
  LAYER_ANALYSIS_MAX_BYTES: intSetting(8 * 1024 ** 3, 1, Number.MAX_SAFE_INTEGER),
  /** Entries a layer may hold before it is recorded as not analyzed: the file index is what analysis keeps in memory. */
  LAYER_ANALYSIS_MAX_FILES: intSetting(1_000_000, 1, 10_000_000),
  /** Layers one instance reads at once; each holds one file index in memory and one download. */
  LAYER_ANALYSIS_CONCURRENCY: intSetting(2, 1, 64),
  /** `function` requires a function key on the read APIs in Azure; the local host never checks keys. */
  API_AUTH_LEVEL: z.enum(['function', 'anonymous'], { error: 'must be "function" or "anonymous"' }).default('function'),
  /**
   * Auth level of the writes (PUT/DELETE /api/policy, POST /api/failures/replay): a policy can mute a repository
   * or re-route its alerts: never anonymous, whatever the read APIs use.
   */
  API_WRITE_AUTH_LEVEL: z
    .enum(['function', 'admin'], { error: 'must be "function" or "admin" (policy writes are never anonymous: they can mute or re-route alerts)' })
    .default('function'),
  /**
   * Microsoft Entra ID sign-in: with both set, the dashboard signs people in (authorization code flow with PKCE)
   * and every read and write API wants an access token of this tenant for this app registration.
   */
  ENTRA_TENANT_ID: optionalGuid('must be the directory (tenant) id, a GUID'),
  ENTRA_CLIENT_ID: optionalGuid("must be the app registration's application (client) id, a GUID"),
  /** Where the tenant signs people in: the public cloud's, or a sovereign cloud's (e.g. https://login.microsoftonline.us). */
  ENTRA_AUTHORITY_HOST: blankIsUnset(
    z
      .url({ protocol: /^https$/, error: 'must be an https URL, e.g. https://login.microsoftonline.com' })
      .default('https://login.microsoftonline.com')
      .transform((v) => v.replace(/\/+$/, '')),
  ),
  /** The delegated permission the app registration exposes (`api://<client id>/<scope>`) that people's tokens must carry. */
  ENTRA_SCOPE: entraName('a scope name such as access_as_user').default('access_as_user'),
  /** The app role an app-only token (client credentials) must carry; unset, only people are let in. */
  ENTRA_APP_ROLE: blankIsUnset(entraName('an app role value').optional()),
});

export type Settings = z.output<typeof settingsSchema>;

/**
 * Every app setting the code reads besides the storage connection, and whether it must be
 * set (no default). The infrastructure check test holds main.bicep to this list.
 */
export const SETTINGS: readonly { name: string; required: boolean }[] = Object.entries(settingsSchema.shape).map(([name, schema]) => ({
  name,
  required: !schema.safeParse(undefined).success,
}));

export interface Config extends Settings {
  storage: StorageConnection;
}

function trimmed(env: NodeJS.ProcessEnv, name: string): string | undefined {
  const v = env[name]?.trim();
  return v ? v : undefined;
}

/**
 * Resolves a Functions-style connection name (e.g. `AzureWebJobsStorage`) the way the
 * host does: a connection string in `<name>`, or identity-based settings in
 * `<name>__accountName`, `<name>__queueServiceUri` / `<name>__tableServiceUri`,
 * with optional `<name>__credential` and `<name>__clientId`.
 */
export function resolveStorageConnection(env: NodeJS.ProcessEnv, name = 'AzureWebJobsStorage'): StorageConnection {
  const connectionString = trimmed(env, name);
  if (connectionString) {
    if (connectionString !== 'UseDevelopmentStorage=true' && !/AccountName=|QueueEndpoint=|TableEndpoint=/i.test(connectionString)) {
      throw new ConfigError([
        {
          setting: name,
          message: 'is not a storage connection string (expected "UseDevelopmentStorage=true" or "DefaultEndpointsProtocol=...;AccountName=...")',
        },
      ]);
    }
    return { kind: 'connectionString', connectionString };
  }
  const accountName = trimmed(env, `${name}__accountName`);
  let queueServiceUri = trimmed(env, `${name}__queueServiceUri`);
  let tableServiceUri = trimmed(env, `${name}__tableServiceUri`);
  let blobServiceUri = trimmed(env, `${name}__blobServiceUri`);
  if (accountName) {
    if (!/^[a-z0-9]{3,24}$/.test(accountName)) {
      throw new ConfigError([{ setting: `${name}__accountName`, message: `"${accountName}" is not a storage account name` }]);
    }
    queueServiceUri ??= `https://${accountName}.queue.core.windows.net`;
    tableServiceUri ??= `https://${accountName}.table.core.windows.net`;
    blobServiceUri ??= `https://${accountName}.blob.core.windows.net`;
  }
  if (!queueServiceUri && !tableServiceUri) {
    throw new ConfigError([
      {
        setting: name,
        message: `is required: a connection string, or identity-based settings ${name}__accountName (or ${name}__queueServiceUri and ${name}__tableServiceUri)`,
      },
    ]);
  }
  // The host only needs the queue URI for triggers; this app also writes tables, so both are required.
  const missing = !queueServiceUri ? `${name}__queueServiceUri` : !tableServiceUri ? `${name}__tableServiceUri` : undefined;
  if (missing) {
    throw new ConfigError([{ setting: missing, message: 'is required with identity-based storage (the app uses both queues and tables)' }]);
  }
  for (const [setting, uri] of [
    [`${name}__queueServiceUri`, queueServiceUri],
    [`${name}__tableServiceUri`, tableServiceUri],
    [`${name}__blobServiceUri`, blobServiceUri],
  ] as const) {
    if (uri !== undefined && !URL.canParse(uri)) throw new ConfigError([{ setting, message: `"${uri}" is not a URL` }]);
  }
  return {
    kind: 'identity',
    queueServiceUri: queueServiceUri!,
    tableServiceUri: tableServiceUri!,
    ...(blobServiceUri ? { blobServiceUri } : {}),
    credential: trimmed(env, `${name}__credential`),
    clientId: trimmed(env, `${name}__clientId`),
  };
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const problems: { setting: string; message: string }[] = [];
  let storage: StorageConnection | undefined;
  try {
    storage = resolveStorageConnection(env);
  } catch (e) {
    if (e instanceof ConfigError) problems.push(...e.problems);
    else throw e;
  }
  const parsed = settingsSchema.safeParse(env);
  if (!parsed.success) {
    for (const issue of issuesOf(parsed.error)) problems.push({ setting: issue.path.split('.')[0] || '(settings)', message: issue.message });
  }
  if (parsed.success && parsed.data.ACR_GEO_REPLICAS > 1 && parsed.data.ACR_SKU !== 'Premium') {
    problems.push({ setting: 'ACR_GEO_REPLICAS', message: `geo-replication needs ACR_SKU=Premium, not ${parsed.data.ACR_SKU}` });
  }
  if (parsed.success && parsed.data.LAYER_ANALYSIS && storage?.kind === 'identity' && !storage.blobServiceUri) {
    problems.push({
      setting: 'AzureWebJobsStorage__blobServiceUri',
      message: 'is required with identity-based storage while LAYER_ANALYSIS is on (layer file indexes are kept in Blob Storage)',
    });
  }
  if (parsed.success) {
    const d = parsed.data;
    const hosts = [...d.TEAMS_ALLOWED_HOSTS, ...(d.TEAMS_WEBHOOK_URL ? [new URL(d.TEAMS_WEBHOOK_URL).host.toLowerCase()] : [])];
    for (const prefix of d.TEAMS_ALLOWED_ROUTE_PREFIXES) {
      const host = new URL(prefix).host;
      if (!teamsHostAllowed(host, hosts)) {
        problems.push({ setting: 'TEAMS_ALLOWED_ROUTE_PREFIXES', message: `host ${host} of "${prefix}" is not in TEAMS_ALLOWED_HOSTS (${hosts.join(', ')})` });
      }
    }
  }
  if (parsed.success && (parsed.data.ENTRA_TENANT_ID === undefined) !== (parsed.data.ENTRA_CLIENT_ID === undefined)) {
    const [setting, other] = parsed.data.ENTRA_TENANT_ID === undefined ? ['ENTRA_TENANT_ID', 'ENTRA_CLIENT_ID'] : ['ENTRA_CLIENT_ID', 'ENTRA_TENANT_ID'];
    problems.push({ setting, message: `is required with ${other}: Entra sign-in needs the tenant and the app registration` });
  }
  if (problems.length > 0 || !parsed.success || !storage) throw new ConfigError(problems);
  const profiles = Object.fromEntries(Object.entries(parsed.data.REGISTRY_PROFILES ?? {}).map(([k, v]) => [k.trim().toLowerCase(), v]));
  return { ...parsed.data, REGISTRY_PROFILES: profiles, storage };
}

/** Entra ID sign-in as the settings configure it, or undefined when it is off (neither ENTRA_TENANT_ID nor ENTRA_CLIENT_ID). */
export interface SignInSettings {
  authorityHost: string;
  tenantId: string;
  clientId: string;
  scope: string;
  appRole?: string;
}

export function signInSettings(config: Settings): SignInSettings | undefined {
  if (!config.ENTRA_TENANT_ID || !config.ENTRA_CLIENT_ID) return undefined;
  return {
    authorityHost: config.ENTRA_AUTHORITY_HOST,
    tenantId: config.ENTRA_TENANT_ID,
    clientId: config.ENTRA_CLIENT_ID,
    scope: config.ENTRA_SCOPE,
    ...(config.ENTRA_APP_ROLE ? { appRole: config.ENTRA_APP_ROLE } : {}),
  };
}

let cached: Config | undefined;

/** The validated configuration of this process, read once. */
export function getConfig(): Config {
  cached ??= loadConfig();
  return cached;
}
