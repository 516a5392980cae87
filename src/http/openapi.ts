import { z } from 'zod';
import { commonAnswers, type Answer, type Operation } from './contract/operation';
import { OPERATIONS, TAGS } from './contract/operations';
import { contractRegistry } from './contract/registry';
import { apiScope, authorityOf, authorizeEndpoint, tokenEndpoint } from '../core/signIn';
import { SignInRefusedSchema, SignInUnavailableSchema, StorageUnavailableSchema } from './contract/errors';

/**
 * The OpenAPI 3.1 document of every HTTP endpoint, generated from the contract
 * (src/http/contract/): the zod schemas the functions parse their queries and bodies with
 * and type their answers by. Queries and bodies are converted as zod reads them (`input`),
 * answers as the code writes them (`output`); the named schemas become components.
 */

type JsonSchema = z.core.JSONSchema.BaseSchema;

export interface DocumentOptions {
  /** API_AUTH_LEVEL: `function` puts the read APIs behind a function key. */
  readAuthLevel: 'function' | 'anonymous';
  /** API_WRITE_AUTH_LEVEL: `admin` takes the host's master key. */
  writeAuthLevel: 'function' | 'admin';
  /** Entra ID sign-in, when it is on: the reads and writes then want an access token too. */
  signIn?: { authorityHost: string; tenantId: string; clientId: string; scope: string };
}

/** The version of the app the document describes (package.json's; a test keeps them equal). */
export const API_VERSION = '0.1.0';

/** The Functions host serves every route under this prefix (host.json `routePrefix`, its default). */
export const ROUTE_PREFIX = '/api';

const componentRef = (id: string) => `#/components/schemas/${id}`;
const conversion = { target: 'draft-2020-12', unrepresentable: 'any', metadata: contractRegistry } as const;

/**
 * Each component as a plain schema of the document: zod gives each its own `$schema` and a
 * fragment-only `$id`, but in OpenAPI 3.1 the dialect is the document's, and a fragment
 * is not an identifier (JSON Schema 2020-12 §8.2.1).
 */
function components(): Record<string, JsonSchema> {
  const { schemas } = z.toJSONSchema(contractRegistry, { ...conversion, io: 'output', uri: componentRef });
  if ('__shared' in schemas) throw new Error('the contract schemas share definitions that are not components: give them an id');
  return Object.fromEntries(Object.entries(schemas).map(([id, { $schema: _s, $id: _i, ...schema }]) => [id, schema]));
}

/** Every `$ref` to a component inside `value`. */
function refsIn(value: unknown, found: Set<string>): Set<string> {
  if (Array.isArray(value)) value.forEach((v) => refsIn(v, found));
  else if (value !== null && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) {
      if (k === '$ref' && typeof v === 'string' && v.startsWith(componentRef(''))) found.add(v.slice(componentRef('').length));
      else refsIn(v, found);
    }
  }
  return found;
}

/**
 * The components the operations use, directly or through other components: the contract
 * registers some answers for settings that may be off (sign-in's refusals), and a document
 * should not describe what its service never answers.
 */
function referenced(schemas: Record<string, JsonSchema>, paths: object): Record<string, JsonSchema> {
  const used = refsIn(paths, new Set());
  for (const pending = [...used]; pending.length > 0;) {
    for (const id of refsIn(schemas[pending.pop()!], new Set())) {
      if (used.has(id)) continue;
      used.add(id);
      pending.push(id);
    }
  }
  return Object.fromEntries(Object.entries(schemas).filter(([id]) => used.has(id)));
}

/** `$ref`s to definitions zod extracted for one schema point at the components instead (they are the same schemas). */
function relinked(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(relinked);
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(
    Object.entries(value).map(([k, v]) => [
      k,
      k === '$ref' && typeof v === 'string' && v.startsWith('#/$defs/') ? componentRef(v.slice('#/$defs/'.length)) : relinked(v),
    ]),
  );
}

/**
 * A body or parameter schema: an answer that is a component is its `$ref`, anything
 * else inline. A query or body is read as its input, which a component (an output) is
 * not, so an input must not use one.
 */
function schemaOf(schema: z.ZodType, io: 'input' | 'output'): JsonSchema {
  const id = contractRegistry.get(schema)?.id;
  if (id && io === 'output') return { $ref: componentRef(id) };
  const { $schema: _s, $defs, ...json } = z.toJSONSchema(schema, { ...conversion, io });
  if ($defs && io === 'input') throw new Error(`an input schema uses the components ${Object.keys($defs).join(', ')}, which describe answers`);
  return relinked(json) as JsonSchema;
}

/** Query parameters from the shape of the object the function parses the query with. */
function queryParameters(query: z.ZodObject): object[] {
  const { properties = {}, required = [] } = schemaOf(query, 'input');
  return Object.entries(properties).map(([name, property]) => {
    const { description, ...schema } = property as JsonSchema;
    return { name, in: 'query', required: required.includes(name), ...(description ? { description } : {}), schema };
  });
}

function keyRequired(op: Operation, opts: DocumentOptions): boolean {
  return op.access === 'write' || (op.access === 'read' && opts.readAuthLevel === 'function');
}

const signedIn = (op: Operation, opts: DocumentOptions): boolean => opts.signIn !== undefined && (op.access === 'read' || op.access === 'write');

/** The scope a person's token is asked for: `api://<client id>/<scope>`. */
const scopeOf = (signIn: NonNullable<DocumentOptions['signIn']>) => apiScope(signIn.clientId, signIn.scope);

/** Each object is one way in (OpenAPI: its schemes all at once); the key and the token are both needed when both are on. */
function security(op: Operation, opts: DocumentOptions): Record<string, string[]>[] {
  if (op.access === 'webhook') return [{ webhookSecret: [] }];
  const entra: Record<string, string[]> = signedIn(op, opts) ? { entra: [scopeOf(opts.signIn!)] } : {};
  if (keyRequired(op, opts))
    return [
      { functionKey: [], ...entra },
      { functionKeyQuery: [], ...entra },
    ];
  return signedIn(op, opts) ? [entra] : [];
}

function refusals(op: Operation, opts: DocumentOptions): Partial<Record<number, Answer>> {
  if (signedIn(op, opts)) {
    return {
      401: {
        description:
          'Entra ID sign-in refused the call (no access token, or one not accepted: the body says why). Without the function key its level asks for, the Functions host answers 401 itself, without a body.',
        body: SignInRefusedSchema,
        headers: { 'WWW-Authenticate': '`Bearer`, with `authorization_uri` (where to sign in) and, for a token that was refused, `error="invalid_token"`.' },
      },
      503: {
        description: "Storage, or the tenant's sign-in keys, could not be reached or did not answer in time.",
        body: z.union([StorageUnavailableSchema, SignInUnavailableSchema]),
        headers: { 'Retry-After': 'Seconds to wait before trying again.' },
      },
    };
  }
  return keyRequired(op, opts) ? { 401: { description: 'The function key is missing or wrong (answered by the Functions host, without a body).' } } : {};
}

function response(answer: Answer): object {
  const headers = Object.entries(answer.headers ?? {}).map(([name, description]): [string, object] => [name, { description, schema: { type: 'string' } }]);
  const content = answer.mediaType
    ? { [answer.mediaType]: { schema: { type: 'string' } } }
    : answer.body
      ? { 'application/json': { schema: schemaOf(answer.body, 'output') } }
      : undefined;
  return { description: answer.description, ...(headers.length ? { headers: Object.fromEntries(headers) } : {}), ...(content ? { content } : {}) };
}

function operation(op: Operation, opts: DocumentOptions): object {
  const answers: Partial<Record<number, Answer>> = {
    ...commonAnswers(op),
    ...refusals(op, opts),
    ...op.answers,
  };
  const parameters = [
    ...(op.query ? queryParameters(op.query) : []),
    ...(op.headers ?? []).map((h) => ({ name: h.name, in: 'header', required: h.required, description: h.description, schema: { type: 'string' } })),
  ];
  return {
    operationId: op.operationId,
    tags: [op.tag],
    summary: op.summary,
    ...(op.description ? { description: op.description } : {}),
    security: security(op, opts),
    ...(parameters.length ? { parameters } : {}),
    ...(op.body
      ? {
          requestBody: {
            description: op.body.description,
            required: op.body.required,
            content: Object.fromEntries(Object.entries(op.body.content).map(([type, schema]) => [type, { schema: schemaOf(schema, 'input') }])),
          },
        }
      : {}),
    responses: Object.fromEntries(
      Object.entries(answers)
        .sort(([a], [b]) => Number(a) - Number(b))
        .map(([status, answer]) => [status, response(answer!)]),
    ),
  };
}

/** The path of an operation as the document lists it: relative to the `/api` server. */
export const documentPath = (route: string): string => `/${route}`;

export function openApiDocument(opts: DocumentOptions): Record<string, unknown> {
  const paths: Record<string, Record<string, object>> = {};
  for (const op of OPERATIONS) (paths[documentPath(op.route)] ??= {})[op.method.toLowerCase()] = operation(op, opts);
  const writeKey = opts.writeAuthLevel === 'admin' ? 'the host master key for the writes (API_WRITE_AUTH_LEVEL=admin)' : 'a function key for the writes too';
  return {
    openapi: '3.1.1',
    info: {
      title: 'acr-size-tracker',
      version: API_VERSION,
      summary: 'What container images pushed to Azure Container Registry cost, in numbers.',
      description:
        'Every push to the registry arrives as a webhook and is queued; the service records each image\'s size and layers and serves the trend, comparisons, estimates, storage and alerts. All answers are JSON; errors are `{"error": "…", …}`.',
      license: { name: 'MIT', identifier: 'MIT' },
    },
    servers: [{ url: ROUTE_PREFIX, description: 'This function app (the Functions host serves every route under `/api`).' }],
    tags: TAGS,
    paths,
    components: {
      schemas: referenced(components(), paths),
      securitySchemes: {
        functionKey: {
          type: 'apiKey',
          in: 'header',
          name: 'x-functions-key',
          description: `A function key, checked by the Functions host in Azure (API_AUTH_LEVEL=${opts.readAuthLevel} for the reads; ${writeKey}). The local host checks no key.`,
        },
        functionKeyQuery: { type: 'apiKey', in: 'query', name: 'code', description: 'The same key as the `code` query parameter.' },
        ...(opts.signIn
          ? {
              entra: {
                type: 'oauth2',
                description: `Microsoft Entra ID (ENTRA_TENANT_ID, ENTRA_CLIENT_ID): a v2.0 access token of tenant ${opts.signIn.tenantId} for this app, as \`Authorization: Bearer <token>\`. People sign in with the authorization code flow and PKCE (the dashboard does); an app-only token needs the app role ENTRA_APP_ROLE names.`,
                flows: {
                  authorizationCode: {
                    authorizationUrl: authorizeEndpoint(authorityOf(opts.signIn.authorityHost, opts.signIn.tenantId)),
                    tokenUrl: tokenEndpoint(authorityOf(opts.signIn.authorityHost, opts.signIn.tenantId)),
                    scopes: { [scopeOf(opts.signIn)]: 'Read and change what the service knows, as the person signed in.' },
                  },
                },
              },
            }
          : {}),
        webhookSecret: {
          type: 'http',
          scheme: 'bearer',
          description: 'WEBHOOK_SECRET (or WEBHOOK_SECRET_PREVIOUS while it is rotated), which the registry sends as `Authorization: Bearer <secret>`.',
        },
      },
    },
  };
}
