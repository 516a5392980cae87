/**
 * Generators of hostile and malformed HTTP requests for every endpoint the app serves:
 * values that are too long, of the wrong type, control characters, OData and path
 * tricks, bodies that are not JSON, JSON of the wrong shape, near-valid payloads with one
 * field broken. Deterministic for a seed (fast-check's sample), so a failure reproduces.
 */
import fc from 'fast-check';

// Node refuses a header value with control or non-Latin-1 characters before sending; the
// cases are about what the server does with odd values, not about the client refusing.
// eslint-disable-next-line no-control-regex -- control characters are exactly what is removed
const headerSafe = (s: string) => s.replace(/[\r\n\u0000-\u001f\u007f-\uffff]/g, '');

export interface BadRequest {
  endpoint: string;
  method: string;
  path: string;
  query: [string, string][];
  headers: Record<string, string>;
  body?: string;
}

const DIGEST = 'sha256:' + 'a'.repeat(64);

/** Strings a parser or a table key may choke on. */
export const hostileString = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.string({ unit: 'grapheme', maxLength: 20 }),
  fc.string({ unit: 'binary', maxLength: 20 }),
  fc.constantFrom(
    '',
    ' ',
    '\u0000',
    '\n\r\t',
    "' or 1 eq 1 or '",
    "PartitionKey eq 'x'",
    '../../etc/passwd',
    '%',
    '%00',
    '%ZZ',
    '|',
    '#',
    '?',
    '\\',
    '/',
    '//',
    'a/../b',
    '*',
    '**',
    '*a*a*a*a*a*a*a*a*a*a*a*a*a*b',
    'sha256:',
    'md5:' + 'a'.repeat(32),
    'sha256:' + 'A'.repeat(64),
    'sha512:' + 'a'.repeat(64),
    DIGEST,
    'localhost:5443',
    'UPPER.AZURECR.IO',
    'x'.repeat(254),
    'team/' + 'a'.repeat(300),
    '-1',
    '0',
    '1e309',
    'NaN',
    'Infinity',
    '9999-12-31T23:59:59Z',
    '2026-13-45T99:99:99Z',
    'null',
    'true',
    '[]',
    '{}',
    '\uD800',
    '🐳'.repeat(50),
  ),
  fc.integer({ min: 1, max: 20_000 }).map((n) => 'r'.repeat(n)),
);

const anyJson = fc.oneof(
  { depthSize: 'small' },
  fc.json(),
  fc.jsonValue().map((v) => JSON.stringify(v)),
  fc.constantFrom(
    '{',
    '[',
    '{"a":',
    'nul',
    '\u0000',
    '{"__proto__":{"x":1}}',
    '{"constructor":{"prototype":{"x":1}}}',
    '['.repeat(5000),
    '"' + 'x'.repeat(100_000) + '"',
  ),
  fc.array(fc.constant('{"a":'), { maxLength: 3 }).map((a) => a.join('')),
);

/** A field of a valid payload replaced by something hostile: the nearest misses. */
function mutate(base: Record<string, unknown>): fc.Arbitrary<string> {
  const paths: string[][] = [];
  const walk = (o: unknown, at: string[]) => {
    if (o && typeof o === 'object' && !Array.isArray(o))
      for (const [k, v] of Object.entries(o)) {
        walk(v, [...at, k]);
        paths.push([...at, k]);
      }
  };
  walk(base, []);
  const replacement = fc.oneof(hostileString, fc.jsonValue(), fc.constant(undefined), fc.integer(), fc.array(fc.string(), { maxLength: 3 }));
  return fc.tuple(fc.constantFrom(...paths), replacement).map(([path, value]) => {
    const copy = structuredClone(base);
    let o: Record<string, unknown> = copy;
    for (const k of path.slice(0, -1)) o = o[k] as Record<string, unknown>;
    if (value === undefined) delete o[path.at(-1)!];
    else o[path.at(-1)!] = value;
    return JSON.stringify(copy);
  });
}

function acrPush(registry: string) {
  return {
    id: 'fuzz',
    timestamp: new Date().toISOString(),
    action: 'push',
    target: { mediaType: 'application/vnd.oci.image.manifest.v1+json', size: 1, digest: DIGEST, length: 1, repository: 'fuzz/app', tag: 'v1' },
    request: { id: 'r', host: registry, method: 'PUT', useragent: 'fuzz' },
  };
}

const params = (names: string[], known: Record<string, string>) =>
  fc
    .array(fc.tuple(fc.oneof(fc.constantFrom(...names), hostileString), fc.oneof(hostileString, ...Object.values(known).map((v) => fc.constant(v)))), {
      maxLength: 6,
    })
    .chain((pairs) =>
      // Often start from a valid query and break part of it.
      fc.boolean().map((keepValid) => (keepValid ? [...Object.entries(known).filter((_, i) => i % 2 === 0), ...pairs] : pairs)),
    );

export interface EndpointSpec {
  /** The function name the host registers. */
  name: string;
  methods: string[];
  path: string;
  arbitrary: fc.Arbitrary<BadRequest>;
}

export function endpointSpecs(opts: { registry: string; secret: string }): EndpointSpec[] {
  const auth = fc.oneof(
    fc.constant<Record<string, string>>({ authorization: `Bearer ${opts.secret}` }),
    fc.constant<Record<string, string>>({}),
    hostileString.map((s) => ({ authorization: `Bearer ${headerSafe(s)}` })),
  );
  const contentType = fc.constantFrom(
    'application/json',
    'text/plain',
    'application/cloudevents+json',
    'application/cloudevents-batch+json',
    'application/octet-stream',
    '',
  );
  const known = {
    registry: opts.registry,
    repository: 'fuzz/app',
    digest: DIGEST,
    from: DIGEST,
    to: DIGEST,
    tag: 'v1',
    platform: 'linux/amd64',
    limit: '10',
    path: '/usr/lib',
    layer: DIGEST,
    top: '5',
    content: 'true',
  };
  const read = (name: string, names: string[]): EndpointSpec => ({
    name,
    methods: ['GET'],
    path: `/api/${name}`,
    arbitrary: params(names, Object.fromEntries(Object.entries(known).filter(([k]) => names.includes(k)))).map((query) => ({
      endpoint: name,
      method: 'GET',
      path: `/api/${name}`,
      query,
      headers: {},
    })),
  });
  const webhook = (name: string, path: string, valid: Record<string, unknown> | unknown[]): EndpointSpec => ({
    name,
    methods: ['POST'],
    path,
    arbitrary: fc
      .tuple(
        auth,
        contentType,
        fc.oneof(
          anyJson,
          Array.isArray(valid) ? mutate({ events: valid }).map((s) => JSON.stringify((JSON.parse(s) as { events: unknown }).events)) : mutate(valid),
        ),
      )
      .map(([headers, type, body]) => ({
        endpoint: name,
        method: 'POST',
        path,
        query: [],
        headers: { ...headers, ...(type ? { 'content-type': type } : {}) },
        body,
      })),
  });
  const acr = acrPush(opts.registry);
  const distribution = {
    events: [
      {
        id: 'd',
        timestamp: new Date().toISOString(),
        action: 'push',
        target: {
          mediaType: 'application/vnd.oci.image.manifest.v1+json',
          digest: DIGEST,
          repository: 'fuzz/app',
          url: `https://${opts.registry}/v2/fuzz/app/manifests/${DIGEST}`,
          tag: 'v1',
        },
        request: { host: opts.registry },
      },
    ],
  };
  const eventGrid = [{ id: 'eg', eventType: 'Microsoft.ContainerRegistry.ImagePushed', eventTime: new Date().toISOString(), data: acr }];
  return [
    webhook('acrWebhook', '/api/webhooks/acr', acr),
    webhook('distributionWebhook', '/api/webhooks/distribution', distribution),
    {
      ...webhook('eventGridWebhook', '/api/webhooks/eventgrid', eventGrid),
      methods: ['POST', 'OPTIONS'],
      arbitrary: fc.oneof(
        webhook('eventGridWebhook', '/api/webhooks/eventgrid', eventGrid).arbitrary,
        fc.tuple(fc.option(hostileString.map(headerSafe)), fc.boolean()).map(([origin, validation]) => ({
          endpoint: 'eventGridWebhook',
          method: validation ? 'POST' : 'OPTIONS',
          path: '/api/webhooks/eventgrid',
          query: [],
          headers: {
            ...(origin !== null ? { 'webhook-request-origin': origin } : {}),
            ...(validation ? { 'aeg-event-type': 'SubscriptionValidation', 'content-type': 'application/json' } : {}),
          },
          ...(validation ? { body: origin ?? '[{"eventType":"Microsoft.EventGrid.SubscriptionValidationEvent","data":{}}]' } : {}),
        })),
      ),
    },
    read('trend', ['registry', 'repository', 'tag', 'platform', 'since', 'until', 'limit', 'continuationToken', 'content']),
    read('image', ['registry', 'repository', 'digest']),
    read('files', ['registry', 'repository', 'digest', 'platform', 'path', 'layer', 'limit']),
    read('repositories', ['registry']),
    read('compare', ['registry', 'repository', 'from', 'to', 'platform', 'top']),
    read('storage', ['registry', 'days']),
    read('estimate', [
      'registry',
      'repository',
      'digest',
      'platform',
      'baseline',
      'sku',
      'replicas',
      'throughputMBps',
      'aci.throughputMBps',
      'parallelDownloads',
      'compressionRatio',
    ]),
    read('alerts', ['registry', 'repository', 'since', 'state', 'limit']),
    read('failures', ['registry', 'limit']),
    read('backfill', ['registry']),
    // The dashboard page: `view` picks the page, anything else is the dashboard.
    read('ui', ['view']),
    {
      name: 'backfillStart',
      methods: ['POST'],
      path: '/api/backfill',
      arbitrary: params(['registry', 'repository'], { registry: opts.registry, repository: 'fuzz/**' }).map((query) => ({
        endpoint: 'backfillStart',
        method: 'POST',
        path: '/api/backfill',
        query,
        headers: {},
      })),
    },
    {
      name: 'policy',
      methods: ['GET'],
      path: '/api/policy',
      arbitrary: params(['registry', 'repository'], { registry: opts.registry, repository: 'fuzz/*' }).map((query) => ({
        endpoint: 'policy',
        method: 'GET',
        path: '/api/policy',
        query,
        headers: {},
      })),
    },
    {
      name: 'policyWrite',
      methods: ['PUT', 'DELETE'],
      path: '/api/policy',
      arbitrary: fc
        .tuple(
          fc.constantFrom('PUT', 'DELETE'),
          params(['registry', 'repository'], { registry: opts.registry, repository: 'fuzz/**' }),
          fc.oneof(
            anyJson,
            mutate({
              growthPercent: 10,
              growthBytes: 1,
              layerBytes: 1,
              coldStartSeconds: 1,
              budgetBytes: null,
              baselineMode: 'sameTag',
              muted: false,
              improvements: true,
              teamsRoute: 'https://prod.westeurope.logic.azure.com/workflows/x/triggers/manual/paths/invoke?sig=abc',
            }),
          ),
        )
        .map(([method, query, body]) => ({
          endpoint: 'policyWrite',
          method,
          path: '/api/policy',
          query,
          headers: { 'content-type': 'application/json' },
          ...(method === 'PUT' ? { body } : {}),
        })),
    },
    {
      // Takes no parameters: hostile ones (a function key as `code` among them) change nothing.
      name: 'openapi',
      methods: ['GET'],
      path: '/api/openapi.json',
      arbitrary: params(['code'], {}).map((query) => ({ endpoint: 'openapi', method: 'GET', path: '/api/openapi.json', query, headers: {} })),
    },
    {
      name: 'replayFailures',
      methods: ['POST'],
      path: '/api/failures/replay',
      arbitrary: params(['registry', 'id'], { registry: opts.registry, id: '0'.repeat(32) }).map((query) => ({
        endpoint: 'replayFailures',
        method: 'POST',
        path: '/api/failures/replay',
        query,
        headers: {},
      })),
    },
  ];
}
