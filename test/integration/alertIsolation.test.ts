/**
 * A slow Teams must not slow ingestion. Regressing pushes of several repositories,
 * half routed to a Teams that answers 429 with Retry-After: 30 and half to one that
 * never answers, all become points (and the ingest invocations end) before any alert
 * is retried; the alerts stay pending, and pushes that arrive while deliveries hang are
 * processed as usual.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startApp, type AppUnderTest } from './support/app';
import { makeImage, pushImage } from './support/images';
import { startReceiver, type Receiver } from './support/receiver';
import { waitFor } from './support/wait';

const REPOS_PER_ROUTE = 12;
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
const logged = (pattern: RegExp) => app.host.logs().split('\n').some((l) => pattern.test(l));

async function putPolicy(pattern: string, body: unknown) {
  const res = await fetch(`${app.host.url}/api/policy?registry=${encodeURIComponent(app.proxy.loginServer)}&repository=${encodeURIComponent(pattern)}`, {
    method: 'PUT',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  expect(res.status).toBe(201);
}

it('ingests regressing pushes promptly while Teams throttles (429, Retry-After: 30) or hangs', async () => {
  // Small images, so the growth thresholds are the policy's: +1 KiB and +5%.
  const thresholds = { growthBytes: 1024, growthPercent: 5 };
  await putPolicy('slow/**', { ...thresholds, teamsRoute: `${throttled.url}/slow` });
  await putPolicy('hang/**', { ...thresholds, teamsRoute: `${hanging.url}/hang` });
  const repos = [...Array.from({ length: REPOS_PER_ROUTE }, (_, i) => `slow/r${i}`), ...Array.from({ length: REPOS_PER_ROUTE }, (_, i) => `hang/r${i}`)];

  let clock = Date.parse('2026-11-12T00:00:00.000Z');
  const pushEvent = async (repository: string, layers: number[], tag: string) => {
    const pushed = await pushImage(app.registry.url, repository, makeImage({ layers }), { tag });
    clock += 1000;
    return { repository, digest: pushed.digest, tag, timestamp: new Date(clock).toISOString() };
  };
  // A first point for each repository (nothing to regress from: no alert).
  const firsts = await Promise.all(repos.map((r) => pushEvent(r, [64 * 1024], 'v1')));
  for (const e of firsts) expect((await app.acrPush(e)).status).toBe(202);
  for (const e of firsts) await app.host.waitForLog(ingested(e.repository, 'v1'), 30_000);

  // One regressing push per repository, all at once.
  const regressions = await Promise.all(repos.map((r) => pushEvent(r, [64 * 1024, 64 * 1024], 'v2')));
  const started = Date.now();
  await Promise.all(regressions.map(async (e) => expect((await app.acrPush(e)).status).toBe(202)));
  await waitFor(() => regressions.every((e) => logged(ingested(e.repository, 'v2'))), { timeoutMs: 180_000, intervalMs: 50, message: 'every regressing push ingested' });
  const ingestMs = Date.now() - started;
  const atIngest = { throttled: throttled.requests().length, hanging: hanging.requests().length };
  console.log(`${regressions.length} regressing pushes ingested in ${ingestMs} ms; Teams requests by then: 429 route ${atIngest.throttled}, hanging route ${atIngest.hanging}`);

  // Ingestion did not wait for Teams: by the time every push was ingested, no alert had
  // been retried (a retry of a 429 comes 30 s after the first attempt) and no hanging
  // request had ended.
  expect(atIngest.throttled).toBeLessThanOrEqual(REPOS_PER_ROUTE);
  expect(atIngest.hanging).toBeLessThanOrEqual(REPOS_PER_ROUTE);
  for (const e of regressions) {
    const trend = await app.get('/api/trend', { registry: app.proxy.loginServer, repository: e.repository });
    expect(trend.json.points.map((p: { tag: string }) => p.tag)).toEqual(['v1', 'v2']);
  }

  // Every alert reaches its Teams once, after the settle delay, and stays pending.
  await throttled.waitForRequests(REPOS_PER_ROUTE, { timeoutMs: 30_000 });
  await hanging.waitForRequests(REPOS_PER_ROUTE, { timeoutMs: 30_000 });
  const alerts = async (prefix: string) =>
    (
      await Promise.all(
        repos.filter((r) => r.startsWith(prefix)).map(async (repository) => (await app.get('/api/alerts', { registry: app.proxy.loginServer, repository })).json.alerts[0]),
      )
    ).filter(Boolean);
  const throttledAlerts = await waitFor(async () => {
    const a = await alerts('slow/');
    return a.length === REPOS_PER_ROUTE && a.every((x) => x.attempts === 1) && a;
  });
  for (const a of throttledAlerts) {
    expect(a).toMatchObject({ state: 'pending', attempts: 1, lastError: 'HTTP 429' });
    expect(Date.parse(a.nextAttemptAt) - Date.parse(a.createdAt)).toBeGreaterThanOrEqual(30_000);
  }
  for (const a of await alerts('hang/')) expect(a).toMatchObject({ state: 'pending', attempts: 0 });

  // Unrelated work while the deliveries hang: a new repository's push is ingested, and
  // its (muted) evaluation runs.
  await putPolicy('other/**', { muted: true });
  const other = await pushEvent('other/app', [32 * 1024], 'v1');
  expect((await app.acrPush(other)).status).toBe(202);
  await app.host.waitForLog(ingested('other/app', 'v1'), 30_000);
  await app.host.waitForLog(/alert evaluation \S+\/other\/app:v1@\S+ .*: muted/, 30_000);
  expect(hanging.requests()).toHaveLength(REPOS_PER_ROUTE);
  expect(throttled.requests()).toHaveLength(REPOS_PER_ROUTE);
  for (const a of await alerts('hang/')) expect(a).toMatchObject({ state: 'pending', attempts: 0 });
}, 240_000);
