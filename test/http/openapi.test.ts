/**
 * The OpenAPI document (src/http/openapi.ts): it lists exactly the HTTP functions the app
 * registers, with their auth levels, and what the real code answers validates against it.
 * The samples are checked with Ajv against the generated JSON Schema, as a client reading
 * the document would, not against the zod schemas it came from. That the document is valid
 * OpenAPI 3.1 is the linter's job (`npm run lint:openapi`).
 */
import fs from 'node:fs';
import { HttpRequest, InvocationContext } from '@azure/functions';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { StorageUnavailableError } from '../../src/adapters/storage';
import type { EnqueueOutcome } from '../../src/adapters/eventQueue';
import { ALERT_STATES, newAlert } from '../../src/core/alert';
import { StoredRecordError } from '../../src/core/errors';
import { normalizeAcrWebhook, normalizeDistributionEnvelope, type RegistryEvent } from '../../src/core/events';
import { MAX_RUN_ERRORS, progressOf, RUN_KINDS, type Run, type RunRepository } from '../../src/core/listing';
import { briefOf } from '../../src/core/repository';
import type { StoredPolicy } from '../../src/core/policy';
import type { TrendPoint } from '../../src/core/trend';
import type { ImageContentRecord } from '../../src/core/contentAnalysis';
import { OPERATIONS, TAGS } from '../../src/http/contract/operations';
import { handle } from '../../src/http/handler';
import { API_VERSION, documentPath, openApiDocument } from '../../src/http/openapi';
import { parseQuery } from '../../src/http/query';
import { HttpProblem } from '../../src/http/responses';
import { acceptWebhook } from '../../src/http/webhook';
import { estimateContext } from '../../src/services/estimates';
import { withContent } from '../../src/services/contentView';
import { describePolicy, listPolicies, savePolicy, type PolicyStore } from '../../src/services/policies';
import { getStorage } from '../../src/services/storageQuery';
import { POLICY } from '../services/world';
import { contentAlert, firstPushBudgetAlert, improvementAlert, pathologicalAlert, regressionAlert } from '../support/sampleAlerts';
import { samplePoint } from '../support/samplePoint';
import { answerSchema, openApiValidator, pointer } from '../support/openapiValidator';
import { registeredFunctions } from '../support/functionRegistry';

const document = openApiDocument({ readAuthLevel: 'function', writeAuthLevel: 'function' }) as {
  paths: Record<string, Record<string, { operationId: string; tags: string[]; security: object[]; responses: Record<string, { content?: object }> }>>;
  components: { schemas: Record<string, object> };
};
const validate = openApiValidator(document);
/** Values as they cross the wire: what JSON keeps of them. */
const wire = (value: unknown): unknown => JSON.parse(JSON.stringify(value));
const expectValid = (at: string, value: unknown) => expect(validate(at, wire(value)), `${at}: ${JSON.stringify(value).slice(0, 500)}`).toBeUndefined();
const component = (id: string) => pointer('components', 'schemas', id);

describe('the registered HTTP functions and the contract', () => {
  // Reads opened, writes under the master key: each access kind must follow its own setting.
  const functions = registeredFunctions(() => import('../../src/index.js'), { API_AUTH_LEVEL: 'anonymous', API_WRITE_AUTH_LEVEL: 'admin' });
  const http = () => functions.filter((f) => f.trigger.type === 'httpTrigger');

  it('has an operation for every method of every HTTP function, and no other', () => {
    const registered = http()
      .flatMap((f) => (f.trigger.methods as string[]).map((method) => `${f.name} ${method} ${String(f.trigger.route)}`))
      .sort();
    const documented = OPERATIONS.map((op) => `${op.functionName} ${op.method} ${op.route}`).sort();
    expect(documented).toEqual(registered);
  });

  it('documents each function under the auth level it is registered with', () => {
    const level = { read: 'anonymous', write: 'admin', webhook: 'anonymous', public: 'anonymous' };
    for (const op of OPERATIONS) expect(http().find((f) => f.name === op.functionName)?.trigger.authLevel, op.operationId).toBe(level[op.access]);
  });
});

describe('the document', () => {
  it('lists every operation at its route, with a unique operationId and a defined tag', () => {
    const ids = new Set<string>();
    for (const op of OPERATIONS) {
      const listed = document.paths[documentPath(op.route)]?.[op.method.toLowerCase()];
      expect(listed?.operationId, `${op.method} ${op.route}`).toBe(op.operationId);
      expect(ids.has(op.operationId), `operationId ${op.operationId} twice`).toBe(false);
      ids.add(op.operationId);
      expect(TAGS.map((t) => t.name)).toContain(op.tag);
    }
  });

  it("carries the app's version", () => {
    expect(API_VERSION).toBe((JSON.parse(fs.readFileSync('package.json', 'utf8')) as { version: string }).version);
  });

  it('resolves every $ref, and compiles every answer schema', () => {
    const refs = JSON.stringify(document).match(/"\$ref":"[^"]*"/g) ?? [];
    for (const ref of new Set(refs)) {
      const id = /^"\$ref":"#\/components\/schemas\/(.+)"$/.exec(ref)?.[1];
      expect(id && document.components.schemas[id], ref).toBeTruthy();
    }
    for (const [path, item] of Object.entries(document.paths))
      for (const [method, op] of Object.entries(item))
        for (const [status, answer] of Object.entries(op.responses))
          if (answer.content && 'application/json' in answer.content) expect(validate(answerSchema(path, method, status), null)).not.toMatch(/no schema/);
  });

  it('puts reads behind a key only when API_AUTH_LEVEL asks for one; writes always; webhooks behind their Bearer secret', () => {
    const open = openApiDocument({ readAuthLevel: 'anonymous', writeAuthLevel: 'admin' }) as typeof document;
    const keyed = [{ functionKey: [] }, { functionKeyQuery: [] }];
    for (const op of OPERATIONS) {
      const listed = (d: typeof document) => d.paths[documentPath(op.route)]![op.method.toLowerCase()]!;
      const expected = { read: [keyed, []], write: [keyed, keyed], webhook: [[{ webhookSecret: [] }], [{ webhookSecret: [] }]], public: [[], []] }[op.access];
      expect([listed(document).security, listed(open).security], op.operationId).toEqual(expected);
      // Only a key-protected operation can meet the host's 401 for a missing key.
      expect('401' in listed(open).responses, op.operationId).toBe(op.access === 'write' || op.access === 'webhook');
    }
  });
});

describe('the document with Entra ID sign-in on', () => {
  const signIn = { authorityHost: 'https://login.microsoftonline.com', tenantId: 't-1', clientId: 'c-1', scope: 'access_as_user' };
  const entra = openApiDocument({ readAuthLevel: 'anonymous', writeAuthLevel: 'function', signIn }) as typeof document & {
    components: { securitySchemes: Record<string, { type: string; flows?: unknown }> };
  };
  const listed = (op: (typeof OPERATIONS)[number]) => entra.paths[documentPath(op.route)]![op.method.toLowerCase()]!;

  it('describes the OAuth 2.0 authorization code flow of the tenant, with the scope people are asked for', () => {
    expect(entra.components.securitySchemes.entra).toMatchObject({
      type: 'oauth2',
      flows: {
        authorizationCode: {
          authorizationUrl: 'https://login.microsoftonline.com/t-1/oauth2/v2.0/authorize',
          tokenUrl: 'https://login.microsoftonline.com/t-1/oauth2/v2.0/token',
          scopes: { 'api://c-1/access_as_user': expect.any(String) },
        },
      },
    });
  });

  it('puts every read and write behind the token (writes with their key too), never the webhooks or the page', () => {
    const scope = ['api://c-1/access_as_user'];
    for (const op of OPERATIONS) {
      const expected = {
        read: [{ entra: scope }],
        write: [
          { functionKey: [], entra: scope },
          { functionKeyQuery: [], entra: scope },
        ],
        webhook: [{ webhookSecret: [] }],
        public: [],
      }[op.access];
      expect(listed(op).security, op.operationId).toEqual(expected);
      const signedIn = op.access === 'read' || op.access === 'write';
      const content = listed(op).responses['401']?.content as Record<string, { schema?: object }> | undefined;
      expect(content?.['application/json']?.schema, op.operationId).toEqual(
        signedIn ? { $ref: '#/components/schemas/SignInRefused' } : op.access === 'webhook' ? expect.anything() : undefined,
      );
    }
  });

  it("validates the app's refusals and its 503 for unreachable keys, and not a refusal without its reason", () => {
    const validate = openApiValidator(entra);
    const at = answerSchema('/trend', 'get', '401');
    expect(validate(at, { error: 'sign-in required: the token has expired: sign in again', signIn: 'entra', reason: 'expired' })).toBeUndefined();
    expect(validate(at, { error: 'sign-in required', signIn: 'entra' })).toMatch(/reason/);
    const unavailable = answerSchema('/trend', 'get', '503');
    expect(validate(unavailable, { error: 'the signing keys of tenant t-1 could not be fetched; retry later', reason: 'signIn' })).toBeUndefined();
    expect(validate(unavailable, { error: 'storage timed out', reason: 'timeout' })).toBeUndefined();
  });
});

describe('answers built by the real code validate against the document', () => {
  const iso = fc.integer({ min: Date.parse('2020-01-01'), max: Date.parse('2030-01-01') }).map((t) => new Date(t).toISOString());
  const count = fc.nat({ max: 10_000 });
  const text = fc.string({ minLength: 1, maxLength: 20 });
  const optional = <T>(arb: fc.Arbitrary<T>) => fc.option(arb, { nil: undefined });
  const defined = <T extends object>(o: T): T => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;

  it('progressOf: every run a backfill or reconcile can be in', () => {
    const runError = fc.record({ at: iso, repository: optional(text), tag: optional(text), reason: text }).map(defined);
    const found = fc.record({ pushes: count, moved: count, deletes: count });
    const run: fc.Arbitrary<Run> = fc
      .record({
        id: text,
        kind: fc.constantFrom(...RUN_KINDS),
        registry: fc.constant('r.azurecr.io'),
        scope: optional(fc.constant('team-a/*')),
        mode: optional(fc.constantFrom('light' as const, 'full' as const)),
        startedAt: iso,
        listedAt: optional(iso),
        finishedAt: optional(iso),
        failed: optional(text),
        catalog: fc.record({ cursor: optional(text), done: fc.boolean(), requests: count }).map(defined),
        errors: fc.array(runError, { maxLength: MAX_RUN_ERRORS + 5 }),
      })
      .map(defined);
    const repository: fc.Arbitrary<RunRepository> = fc
      .record({
        repository: text,
        done: fc.boolean(),
        tagsFound: count,
        eventsQueued: count,
        requests: count,
        found: optional(found),
        error: optional(text),
      })
      .map(defined);
    const processed = fc.record({ count, missed: optional(count), errors: fc.array(runError, { maxLength: 5 }) }).map(defined);
    fc.assert(
      fc.property(run, fc.array(repository, { maxLength: 8 }), processed, fc.boolean(), (r, repositories, p, withReconcile) => {
        const progress = progressOf(r, repositories, p);
        expectValid(component('RunProgress'), progress);
        const reconcile = withReconcile ? { since: r.startedAt, missed: { pushes: 1, moved: 0, deletes: 2, total: 3 }, lastRun: progress } : null;
        expectValid(answerSchema('/backfill', 'get', 200), { registry: r.registry, backfill: progress, reconcile });
        expectValid(answerSchema('/backfill', 'post', 202), { registry: r.registry, backfill: progress });
        expectValid(answerSchema('/backfill', 'post', 409), { error: 'a backfill is running', backfill: progress });
      }),
    );
  });

  const OPTIONAL_POINT_FIELDS = ['indexDigest', 'baselineDigest', 'baselineTag', 'baseChanged', 'estimates'] as const;
  const point: fc.Arbitrary<TrendPoint> = fc
    .record({
      drop: fc.subarray([...OPTIONAL_POINT_FIELDS]),
      pushedAtSource: optional(fc.constantFrom('webhook' as const, 'registry' as const, 'config' as const, 'discovered' as const)),
      origin: optional(fc.constantFrom('backfill' as const, 'reconcile' as const)),
      baselineMode: optional(fc.constantFrom('previous' as const, 'sameTag' as const)),
      deletedAt: optional(fc.constant('2026-11-03T00:00:00.000Z')),
      first: fc.boolean(),
    })
    .map(({ drop, first, ...extra }) => {
      const p: Record<string, unknown> = { ...samplePoint, ...defined(extra), ...(first ? { sizeDeltaBytes: null, layerCountDelta: null } : {}) };
      for (const k of drop) delete p[k];
      return p as unknown as TrendPoint;
    });

  it('trend points as stored, with their content figures, and in brief', () => {
    const summary = {
      complete: true,
      onDiskBytes: 10,
      shippedBytes: 12,
      wastedBytes: 2,
      efficiency: 0.9,
      diveWastedBytes: 4,
      fileCount: 3,
      layers: [],
      findings: [],
      topWasted: [],
      diffIdMismatches: [],
    };
    const records: (ImageContentRecord | undefined)[] = [
      undefined,
      { digest: samplePoint.digest, repository: 'team/app', layers: [], status: 'pending', requestedAt: samplePoint.pushedAt },
      { digest: samplePoint.digest, repository: 'team/app', layers: [], status: 'done', requestedAt: samplePoint.pushedAt, summary },
    ];
    fc.assert(
      fc.property(fc.array(point, { maxLength: 4 }), fc.constantFrom(...records), fc.option(fc.constant('token')), (points, record, token) => {
        for (const p of points) {
          expectValid(component('PointBrief'), briefOf(p));
          expectValid(component('TrendPointView'), withContent(p, record));
        }
        expectValid(answerSchema('/trend', 'get', 200), { registry: 'r.azurecr.io', repository: 'team/app', points, continuationToken: token });
        const latestByPlatform = Object.fromEntries(points.map((p) => [p.platform, briefOf(p)]));
        expectValid(answerSchema('/repositories', 'get', 200), {
          registry: 'r.azurecr.io',
          repositories: [{ repository: 'team/app', firstSeenAt: samplePoint.pushedAt, latest: points[0] ? briefOf(points[0]) : null, latestByPlatform }],
          continuationToken: token,
          reconcile: null,
        });
      }),
    );
  });

  it('alert records, in every state, of the sample alerts', () => {
    for (const view of [regressionAlert(), improvementAlert(), firstPushBudgetAlert(), contentAlert(), pathologicalAlert()]) {
      const { registry, repository, tag, platform, digest, indexDigest, pushedAt } = view;
      const subject = { registry, repository, tag, platform, digest, ...(indexDigest ? { indexDigest } : {}), pushedAt, createdAt: pushedAt };
      const alerts = [false, true].flatMap((backfilled) =>
        [
          { kind: 'default' as const, url: 'https://prod.westeurope.logic.azure.com/workflows/x' },
          { kind: 'policy' as const, url: null },
        ].map((route) => newAlert(subject, view.findings, route, `${digest}|${route.kind}`, backfilled)),
      );
      for (const a of alerts) expectValid(component('AlertRecord'), a);
      // What delivery makes of them: sent, retried, failed.
      const delivered = alerts.map((a, i) => ({ ...a, state: ALERT_STATES[i % ALERT_STATES.length]!, attempts: i, sentAt: pushedAt, lastError: 'HTTP 429' }));
      expectValid(answerSchema('/alerts', 'get', 200), { registry, alerts: [...alerts, ...delivered] });
    }
  });

  it("the registry's storage report", async () => {
    const blob = fc.record({
      digest: fc.hexaString({ minLength: 4, maxLength: 8 }).map((h) => `sha256:${h}`),
      sizeBytes: fc.nat({ max: 2 ** 40 }),
      kind: fc.constantFrom('layer' as const, 'config' as const),
      firstSeenAt: iso,
      introducedBy: fc.constant('sha256:m'),
      introducedIn: fc.constantFrom('a', 'b'),
      reclaimable: fc.boolean(),
    });
    const estimates = estimateContext({ ACR_SKU: 'Standard', ACR_GEO_REPLICAS: 1, ACR_PRICES: undefined, PULL_MODEL: undefined, REGISTRY_PROFILES: undefined });
    await fc.assert(
      fc.asyncProperty(fc.array(blob, { minLength: 1, maxLength: 10 }), fc.integer({ min: 1, max: 365 }), async (blobs, days) => {
        const snapshot = {
          blobs: blobs.map(({ reclaimable, ...b }) => ({ ...b, ...(reclaimable ? { reclaimableSince: '2030-01-01T00:00:00.000Z' } : {}) })),
          references: blobs.map((b) => ({
            blobDigest: b.digest,
            repository: b.introducedIn,
            manifestDigest: 'sha256:m',
            live: !b.reclaimable,
            since: b.firstSeenAt,
          })),
          liveBytes: blobs.reduce((s, b) => s + (b.reclaimable ? 0 : b.sizeBytes), 0),
        };
        const storage = await getStorage({ blobs: { snapshot: async () => snapshot }, estimates }, 'r.azurecr.io', days, new Date('2030-06-01T00:00:00Z'));
        expectValid(answerSchema('/storage', 'get', 200), { registry: 'r.azurecr.io', ...storage });
      }),
      { numRuns: 50 },
    );
  });

  it('policies: described, listed, saved and refused, routes redacted', async () => {
    const stored = new Map<string, StoredPolicy>();
    const policies: PolicyStore = {
      list: async () => [...stored.values()],
      get: async (_r, pattern) => stored.get(pattern),
      put: async (_r, pattern, policy, at) => {
        const created = !stored.has(pattern);
        stored.set(pattern, { pattern, policy, updatedAt: at });
        return { created, stored: stored.get(pattern)! };
      },
      delete: async (_r, pattern) => stored.delete(pattern),
    };
    const { matchedPattern: _m, teamsRoute: _t, ...policyDefaults } = POLICY;
    const deps = { policies, policyDefaults, routeProblem: (url: string) => (url.includes('evil') ? 'host not allowed' : undefined) };
    const route = 'https://prod.westeurope.logic.azure.com/workflows/x/triggers/manual/paths/invoke?sig=secret';
    for (const [pattern, body] of [
      ['team/app', { growthPercent: 5, teamsRoute: route, budgetBytes: null, baselineMode: 'sameTag' }],
      ['team/*', { muted: true, minEfficiency: 0.5 }],
    ] as const) {
      const saved = await savePolicy(deps, 'r.azurecr.io', pattern, body);
      if (!saved.ok) throw new Error(saved.error);
      expectValid(answerSchema('/policy', 'put', saved.created ? 201 : 200), { registry: 'r.azurecr.io', ...saved.stored });
    }
    for (const refused of [{ growthPercent: -1 }, { teamsRoute: 'https://evil.example/x' }, { unknown: 1 }, 'not a policy']) {
      const saved = await savePolicy(deps, 'r.azurecr.io', 'team/app', refused);
      if (saved.ok) throw new Error(`${JSON.stringify(refused)} was stored`);
      expectValid(answerSchema('/policy', 'put', 400), { error: saved.error, problems: saved.problems });
    }
    for (const pattern of ['team/app', 'team/other', 'team/*'])
      expectValid(answerSchema('/policy', 'get', 200), await describePolicy(deps, 'r.azurecr.io', pattern));
    expectValid(answerSchema('/policy', 'get', 200), await listPolicies(deps, 'r.azurecr.io'));
  });
});

describe('error answers built by the real code validate against the document', () => {
  const request = (url: string, init: { method?: string; headers?: Record<string, string>; body?: string } = {}) =>
    new HttpRequest({ method: init.method ?? 'GET', url, headers: init.headers ?? {}, ...(init.body !== undefined ? { body: { string: init.body } } : {}) });

  it('every query refused by parsing, on every operation that parses one', () => {
    const names = [...new Set(OPERATIONS.flatMap((op) => Object.keys(op.query?.shape ?? {})))];
    const value = fc.oneof(
      fc.string({ maxLength: 30 }),
      fc.constantFrom('', 'x'.repeat(300), 'sha256:', '-1', '1e9', 'linux', '2026-13-45T00:00:00Z', 'a/../b'),
    );
    for (const op of OPERATIONS.filter((o) => o.query && !o.queryUnchecked)) {
      fc.assert(
        fc.property(fc.dictionary(fc.constantFrom(...names), value, { maxKeys: 5 }), (query) => {
          const url = new URL(`http://localhost/api/${op.route}`);
          for (const [k, v] of Object.entries(query)) url.searchParams.set(k, v);
          try {
            parseQuery(request(url.href), op.query!);
          } catch (e) {
            if (!(e instanceof HttpProblem)) throw e;
            expect(e.response.status).toBe(400);
            expectValid(answerSchema(documentPath(op.route), op.method, 400), e.response.jsonBody);
          }
        }),
        { numRuns: 40 },
      );
    }
  });

  it("the handler's 500s and 503s", async () => {
    const context = new InvocationContext({ invocationId: 'inv-1', logHandler: () => {} });
    for (const error of [
      new StoredRecordError('acrsizeImages', 'r|team%2Fapp', 'sha256:a', 'status: Invalid option'),
      new Error('boom'),
      new StorageUnavailableError('table', 'timeout', 'table storage did not answer'),
      new StorageUnavailableError('queue', 'unreachable', 'no connection'),
    ]) {
      const res = (await handle(async () => {
        throw error;
      })(request('http://localhost/api/trend'), context)) as { status: number; jsonBody: unknown };
      for (const op of OPERATIONS) expectValid(answerSchema(documentPath(op.route), op.method, res.status), res.jsonBody);
    }
  });

  describe('webhook answers, whatever the queue makes of the events', () => {
    const SECRET = 'a-secret-of-enough-length';
    const context = new InvocationContext({ invocationId: 'inv-1', logHandler: () => {} });
    const digest = (i: number) => `sha256:${i.toString(16).padStart(64, '0')}`;
    const envelope = (pushes: number, pulls: number, host: string) => ({
      events: [
        ...Array.from({ length: pushes }, (_, i) => ({
          id: `p${i}`,
          timestamp: new Date().toISOString(),
          action: 'push',
          target: { mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: digest(i), repository: 'team/app', tag: `v${i}` },
          request: { host },
        })),
        ...Array.from({ length: pulls }, (_, i) => ({ id: `l${i}`, timestamp: new Date().toISOString(), action: 'pull', target: {}, request: { host } })),
      ],
    });
    const outcome = fc.oneof(
      fc.constant<'queued'>('queued'),
      fc.record({
        outcome: fc.constantFrom('not_queued' as const, 'unknown' as const),
        kind: fc.option(fc.constantFrom('timeout' as const, 'unreachable' as const, 'unavailable' as const)),
      }),
    );
    const runtime = (outcomes: (typeof outcome extends fc.Arbitrary<infer O> ? O : never)[]) => ({
      config: { WEBHOOK_SECRET: SECRET, WEBHOOK_SECRET_PREVIOUS: undefined, EVENT_MAX_AGE_HOURS: 168, ALLOWED_REGISTRIES: ['r.azurecr.io'] },
      queue: {
        enqueue: async (events: RegistryEvent[]): Promise<EnqueueOutcome[]> =>
          events.map((event, i) => {
            const o = outcomes[i % outcomes.length]!;
            if (o === 'queued') return { event, outcome: 'queued' };
            return {
              event,
              outcome: o.outcome,
              reason: 'the queue said no',
              ...(o.kind ? { error: new StorageUnavailableError('queue', o.kind, 'queue down') } : {}),
            };
          }),
      },
    });
    const post = (body: string, headers: Record<string, string> = { authorization: `Bearer ${SECRET}` }) =>
      request('http://localhost/api/webhooks/distribution', { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });

    it('accepted, ignored, refused and not queued', async () => {
      await fc.assert(
        fc.asyncProperty(
          fc.nat({ max: 5 }),
          fc.nat({ max: 3 }),
          fc.constantFrom('r.azurecr.io', 'other.azurecr.io'),
          fc.array(outcome, { minLength: 1, maxLength: 5 }),
          async (pushes, pulls, host, outcomes) => {
            const rt = runtime(outcomes) as unknown as Parameters<typeof acceptWebhook>[2];
            const res = await handle((req, ctx) => acceptWebhook(req, ctx, rt, normalizeDistributionEnvelope))(
              post(JSON.stringify(envelope(pushes, pulls, host))),
              context,
            );
            const { status, jsonBody } = res as { status: number; jsonBody: unknown };
            expectValid(answerSchema('/webhooks/distribution', 'post', status), jsonBody);
          },
        ),
        { numRuns: 60 },
      );
    });

    it('unauthenticated, malformed and oversized', async () => {
      const rt = runtime(['queued']) as unknown as Parameters<typeof acceptWebhook>[2];
      for (const [body, headers] of [
        ['{}', {}],
        ['{}', { authorization: 'Bearer wrong' }],
        ['{"events":', undefined],
        ['', undefined],
        ['{"events":[{"id":"x"}]}', undefined],
        ['{"id":"a","timestamp":"now","action":"push"}', undefined],
        [' '.repeat(1024 * 1024 + 1), undefined],
      ] as const) {
        for (const normalize of [normalizeDistributionEnvelope, normalizeAcrWebhook]) {
          const res = (await handle((req, ctx) => acceptWebhook(req, ctx, rt, normalize))(post(body, headers), context)) as {
            status: number;
            jsonBody: unknown;
          };
          expect(res.status).toBeGreaterThanOrEqual(400);
          expectValid(answerSchema('/webhooks/acr', 'post', res.status), res.jsonBody);
        }
      }
    });
  });
});
