/**
 * A slow Teams must not slow ingestion, nor the alerts of other routes. Regressing pushes
 * of several repositories, half routed to a Teams that answers 429 with Retry-After: 30
 * and half to one that never answers, all become points (and the ingest invocations end)
 * before any alert is retried; the alerts stay pending; the hanging route holds two
 * delivery slots, not all of them, so every alert of the other route gets its attempt;
 * and pushes that arrive while deliveries hang are processed as usual.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startApp, type AppUnderTest } from './support/app';
import { makeImage, pushImage } from './support/images';
import { startReceiver, type Receiver } from './support/receiver';
import { waitFor } from './support/wait';

const REPOS_PER_ROUTE = 12;
/** RouteSlots in the composition root. */
const IN_FLIGHT_PER_ROUTE = 2;
let app: AppUnderTest;
let throttled: Receiver;
let hanging: Receiver;

beforeAll(async () => {
  throttled = await startReceiver();
  hanging = await startReceiver();
  throttled.setDefault({ status: 429, headers: { 'retry-after': '30' } });
  // Holds every request for 10 minutes.
  hanging.setDefault({ status: 200, delayMs: 600_000 });
  app = await startApp({
    env: {
      TEAMS_ALLOWED_HOSTS: `127.0.0.1:${throttled.port},127.0.0.1:${hanging.port}`,
      ALERT_SETTLE_SECONDS: '1',
      ALERT_RETRY_BASE_SECONDS: '1',
      // Longer than the test: a hanging request stays in flight until the receiver stops.
      TEAMS_TIMEOUT_SECONDS: '120',
    },
  });
}, 120_000);
afterAll(async () => {
  // Receivers first: the hanging deliveries end at once instead of holding the host's stop.
  await throttled?.stop();
  await hanging?.stop();
  await app?.stop();
});

const re = (s: string) => s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
const ingested = (repository: string, tag: string) => new RegExp(`push \\S+/${re(repository)}:${re(tag)}@\\S+ \\(event [^)]+\\): ok`);
const logged = (pattern: RegExp) =>
  app.host
    .logs()
    .split('\n')
    .some((l) => pattern.test(l));

async function putPolicy(pattern: string, body: unknown) {
  const res = await fetch(`${app.host.url}/api/policy?registry=${encodeURIComponent(app.proxy.loginServer)}&repository=${encodeURIComponent(pattern)}`, {
    method: 'PUT',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  expect(res.status).toBe(201);
}

it('ingests regressing pushes promptly while Teams throttles (429, Retry-After: 30) or hangs, and a hanging route does not starve the others', async () => {
  // Small images, so the growth thresholds are the policy's: +1 KiB and +5%.
  const thresholds = { growthBytes: 1024, growthPercent: 5 };
  await putPolicy('slow/**', { ...thresholds, teamsRoute: `${throttled.url}/slow` });
  await putPolicy('hang/**', { ...thresholds, teamsRoute: `${hanging.url}/hang` });
  const repos = [...Array.from({ length: REPOS_PER_ROUTE }, (_, i) => `slow/r${i}`), ...Array.from({ length: REPOS_PER_ROUTE }, (_, i) => `hang/r${i}`)];

  // Within the webhook's window of accepted event times (EVENT_MAX_AGE_HOURS).
  let clock = Date.now() - 24 * 3_600_000;
  const pushEvent = async (repository: string, layers: number[], tag: string) => {
    const pushed = await pushImage(app.registry.url, repository, makeImage({ layers }), { tag });
    clock += 1000;
    return { repository, digest: pushed.digest, tag, timestamp: new Date(clock).toISOString() };
  };
  // A first point for each repository (nothing to regress from: no alert).
  const firsts = await Promise.all(repos.map((r) => pushEvent(r, [64 * 1024], 'v1')));
  for (const e of firsts) expect((await app.acrPush(e)).status).toBe(202);
  for (const e of firsts) await app.host.waitForLog(ingested(e.repository, 'v1'), 30_000);

  const alerts = async (prefix: string) =>
    (
      await Promise.all(
        repos
          .filter((r) => r.startsWith(prefix))
          .map(async (repository) => (await app.get('/api/alerts', { registry: app.proxy.loginServer, repository })).json.alerts[0]),
      )
    ).filter(Boolean);
  /** One regressing push per repository of `prefix`, all at once; resolves once every one is ingested. */
  const regress = async (prefix: string) => {
    const events = await Promise.all(repos.filter((r) => r.startsWith(prefix)).map((r) => pushEvent(r, [64 * 1024, 64 * 1024], 'v2')));
    const started = Date.now();
    await Promise.all(events.map(async (e) => expect((await app.acrPush(e)).status).toBe(202)));
    await waitFor(() => events.every((e) => logged(ingested(e.repository, 'v2'))), {
      timeoutMs: 180_000,
      intervalMs: 50,
      message: `every regressing push of ${prefix} ingested`,
    });
    const ms = Date.now() - started;
    const requests = { throttled: throttled.requests().length, hanging: hanging.requests().length };
    console.log(
      `${events.length} regressing pushes of ${prefix} ingested in ${ms} ms; Teams requests by then: 429 route ${requests.throttled}, hanging route ${requests.hanging}`,
    );
    for (const e of events) {
      const trend = await app.get('/api/trend', { registry: app.proxy.loginServer, repository: e.repository });
      expect(trend.json.points.map((p: { tag: string }) => p.tag)).toEqual(['v1', 'v2']);
    }
    return requests;
  };

  // Ingestion did not wait for Teams: when every push was ingested, no hanging request had
  // ended (each alert would have been retried) and no 429 had been retried (after 30 s).
  const afterHanging = await regress('hang/');
  expect(afterHanging.hanging).toBeLessThanOrEqual(REPOS_PER_ROUTE);
  // Every hanging alert is evaluated and its delivery under way: two POSTs in flight, the rest deferred.
  await hanging.waitForRequests(IN_FLIGHT_PER_ROUTE, { timeoutMs: 30_000 });
  await waitFor(async () => (await alerts('hang/')).length === REPOS_PER_ROUTE, { timeoutMs: 30_000, message: 'every hanging alert recorded' });
  await app.host.waitForLog(/alert delivery \S+ for hang\/r\d+:v2 \S+: deferred to /, 30_000);

  const afterThrottled = await regress('slow/');
  expect(afterThrottled.throttled).toBeLessThanOrEqual(REPOS_PER_ROUTE);
  expect(afterThrottled.hanging).toBeLessThanOrEqual(REPOS_PER_ROUTE);

  // The hanging route holds two delivery slots, so the throttled route's alerts each get
  // their attempt meanwhile (twelve hanging deliveries would leave the instance no slot:
  // a batch is fetched only while at most 8 are in flight).
  await throttled.waitForRequests(REPOS_PER_ROUTE, { timeoutMs: 60_000 });
  const throttledAlerts = await waitFor(
    async () => {
      const a = await alerts('slow/');
      return a.length === REPOS_PER_ROUTE && a.every((x) => x.attempts === 1) && a;
    },
    { timeoutMs: 30_000 },
  );
  for (const a of throttledAlerts) {
    expect(a).toMatchObject({ state: 'pending', attempts: 1, lastError: 'HTTP 429' });
    expect(Date.parse(a.nextAttemptAt) - Date.parse(a.createdAt)).toBeGreaterThanOrEqual(30_000);
  }
  for (const a of await alerts('hang/')) expect(a).toMatchObject({ state: 'pending', attempts: 0 });

  // Unrelated work while the deliveries hang: a new repository's push is ingested, and
  // its (muted) evaluation runs (the layer limit makes its first push one a rule fires on).
  await putPolicy('other/**', { muted: true, layerBytes: 1024 });
  const other = await pushEvent('other/app', [32 * 1024], 'v1');
  expect((await app.acrPush(other)).status).toBe(202);
  await app.host.waitForLog(ingested('other/app', 'v1'), 30_000);
  await app.host.waitForLog(/alert evaluation \S+\/other\/app:v1@\S+ .*: muted/, 30_000);
  expect(hanging.requests()).toHaveLength(IN_FLIGHT_PER_ROUTE);
  expect(throttled.requests()).toHaveLength(REPOS_PER_ROUTE);
  for (const a of await alerts('hang/')) expect(a).toMatchObject({ state: 'pending', attempts: 0 });
}, 240_000);
