import { EventQueue } from './adapters/eventQueue';
import { DEFAULT_STORAGE_RETRY } from './adapters/storage';
import { RegistryClient } from './adapters/registry';
import { AlertTable } from './adapters/tables/alertTable';
import { BlobTable } from './adapters/tables/blobTable';
import { ContentTable } from './adapters/tables/contentTable';
import { ImageTable } from './adapters/tables/imageTable';
import { PointTable } from './adapters/tables/pointTable';
import { PolicyTable } from './adapters/tables/policyTable';
import { RepositoryTable } from './adapters/tables/repositoryTable';
import { Tables } from './adapters/tables/tables';
import { postToTeams } from './adapters/teams';
import { getConfig, type Config } from './config';
import { effectivePolicy, type EffectivePolicy, type PolicyDefaults } from './core/policy';
import type { PointEstimates } from './core/trend';
import { deliver, raiseAlert, type AlertDeps, type PointContext } from './services/alerts';
import { estimateContext, pointEstimator, type EstimateContext } from './services/estimates';
import type { EstimateInput } from './services/ingest';

/** The composition root: every adapter, built once per process from the validated config. */
export interface Runtime {
  config: Config;
  queue: EventQueue;
  registry: RegistryClient;
  content: ContentTable;
  images: ImageTable;
  points: PointTable;
  repositories: RepositoryTable;
  blobs: BlobTable;
  policies: PolicyTable;
  alerts: AlertTable;
  estimates: EstimateContext;
  estimate: (input: EstimateInput) => PointEstimates;
  policyDefaults: PolicyDefaults;
  policyFor: (registry: string, repository: string) => Promise<EffectivePolicy>;
  alertDeps: AlertDeps;
  onPoint: (ctx: PointContext) => Promise<void>;
}

export function policyDefaults(config: Config): PolicyDefaults {
  return {
    growthPercent: config.ALERT_GROWTH_PERCENT,
    growthBytes: config.ALERT_GROWTH_BYTES,
    layerBytes: config.ALERT_LAYER_BYTES,
    coldStartSeconds: config.ALERT_COLD_START_SECONDS,
    budgetBytes: config.ALERT_SIZE_BUDGET_BYTES,
    baselineMode: config.BASELINE_MODE,
    muted: false,
    improvements: config.ALERT_IMPROVEMENTS,
  };
}

let current: Runtime | undefined;

export function getRuntime(): Runtime {
  if (current) return current;
  const config = getConfig();
  const storageRetry = { ...DEFAULT_STORAGE_RETRY, tryTimeoutMs: config.STORAGE_TRY_TIMEOUT_MS, maxTries: config.STORAGE_MAX_TRIES };
  const tables = new Tables(config.storage, storageRetry);
  const estimates = estimateContext(config);
  const policies = new PolicyTable(tables);
  const alerts = new AlertTable(tables);
  const defaults = policyDefaults(config);
  const alertDeps: AlertDeps = {
    alerts,
    estimates,
    ...(config.TEAMS_WEBHOOK_URL ? { teamsWebhookUrl: config.TEAMS_WEBHOOK_URL } : {}),
    ...(config.PUBLIC_BASE_URL ? { publicBaseUrl: config.PUBLIC_BASE_URL } : {}),
    maxAttempts: config.ALERT_MAX_ATTEMPTS,
    inlineRetries: config.ALERT_INLINE_RETRIES,
    retryBaseMs: config.ALERT_RETRY_BASE_SECONDS * 1000,
    post: (url, message) => postToTeams(url, message),
    // The worker forwards console output to the function logs.
    log: (level, message) => (level === 'warn' ? console.warn(message) : console.info(message)),
  };
  current = {
    config,
    queue: new EventQueue(config.storage, undefined, storageRetry),
    registry: new RegistryClient({ timeoutMs: config.REGISTRY_TIMEOUT_MS, maxRetries: config.REGISTRY_MAX_RETRIES }),
    content: new ContentTable(tables),
    images: new ImageTable(tables),
    points: new PointTable(tables),
    repositories: new RepositoryTable(tables),
    blobs: new BlobTable(tables),
    policies,
    alerts,
    estimates,
    estimate: pointEstimator(estimates),
    policyDefaults: defaults,
    policyFor: async (registry, repository) => effectivePolicy(defaults, repository, await policies.list(registry)),
    alertDeps,
    onPoint: async (ctx) => {
      const ref = await raiseAlert(alertDeps, ctx);
      if (ref) await deliver(alertDeps, ref);
    },
  };
  return current;
}
