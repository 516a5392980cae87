/**
 * A backfill is gentle with the registry and survives its host: the request rate seen by
 * a proxy in front of the real registry never exceeds BACKFILL_REQUESTS_PER_SECOND over
 * any second, a 429 with Retry-After pauses everything, and a host killed (SIGKILL) in the
 * middle is replaced by a new one that finishes the run where it stopped.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestAzurite } from './support/azurite';
import { startLocalHost, type LocalHost } from './support/host';
import { pushHistory, type HistoryPush } from './support/history';
import { request } from './support/http';
import { startRegistryProxy, type RegistryProxy } from './support/proxy';
import { startRegistry, type TestRegistry } from './support/registry';
import { waitFor } from './support/wait';

const RATE = 20;
let azurite: Awaited<ReturnType<typeof startTestAzurite>>;
let registry: TestRegistry;
let proxy: RegistryProxy;
let host: LocalHost;
let rateHistory: HistoryPush[];
let resumeHistory: HistoryPush[];
let env: Record<string, string>;

beforeAll(async () => {
  azurite = await startTestAzurite();
  registry = await startRegistry();
  proxy = await startRegistryProxy(registry.url);
  env = {
    AzureWebJobsStorage: azurite.connectionString,
    WEBHOOK_SECRET: 'integration-test-secret-0123456789',
    ALLOWED_REGISTRIES: proxy.loginServer,
    LAYER_ANALYSIS: 'false',
    BACKFILL_REQUESTS_PER_SECOND: String(RATE),
    REGISTRY_MAX_RETRIES: '2',
    RECONCILE_SCHEDULE: '0 0 0 1 1 *',
    RECONCILE_FULL_SCHEDULE: '0 0 0 1 1 *',
    AzureFunctionsJobHost__extensions__queues__maxPollingInterval: '00:00:00.200',
    AzureFunctionsJobHost__extensions__queues__visibilityTimeout: '00:00:01',
    // A killed host's messages come back after this instead of the ten minutes of a real lease.
    LOCAL_HOST_QUEUE_LEASE_SECONDS: '3',
  };
  host = await startLocalHost(env);
  const start = Date.now() - 30 * 86_400_000;
  rateHistory = await pushHistory(registry.url, { repositories: 4, tagsPerRepository: 5, start, repositoryName: (i) => `rate/app-${i}` });
  resumeHistory = await pushHistory(registry.url, { repositories: 20, tagsPerRepository: 5, start, repositoryName: (i) => `resume/app-${i}` });
}, 120_000);

afterAll(async () => {
  await host?.stop();
  await proxy?.stop();
  await registry?.stop();
  await azurite?.stop();
});

const post = (path: string) => request(`${host.url}${path}`, { method: 'POST' });
async function progress() {
  const res = await request(`${host.url}/api/backfill?registry=${proxy.loginServer}`);
  return JSON.parse(res.body.toString()).backfill as Record<string, any>;
}
const until = (ok: (p: Record<string, any>) => boolean, message: string, timeoutMs = 90_000) =>
  waitFor(
    async () => {
      const p = await progress().catch(() => undefined);
      return p && ok(p) ? p : undefined;
    },
    { timeoutMs, intervalMs: 200, message },
  );

/** The most requests any window of `ms` holds, over the request arrival times. */
function busiestWindow(times: number[], ms: number): number {
  const t = [...times].sort((a, b) => a - b);
  let best = 0;
  for (let i = 0, j = 0; i < t.length; i++) {
    while (t[i]! - t[j]! >= ms) j++;
    best = Math.max(best, i - j + 1);
  }
  return best;
}

async function pointsOf(pushes: HistoryPush[]) {
  const out: Record<string, unknown>[] = [];
  for (const repo of new Set(pushes.map((p) => p.repository))) {
    const res = await request(`${host.url}/api/trend?registry=${proxy.loginServer}&repository=${encodeURIComponent(repo)}`);
    out.push(...(JSON.parse(res.body.toString()).points as Record<string, unknown>[]));
  }
  return out;
}

describe('backfill rate and resumption', () => {
  it('never sends more than BACKFILL_REQUESTS_PER_SECOND in any second, and pauses on a 429 for its Retry-After', async () => {
    proxy.reset();
    proxy.failNext(1, 429, { path: /\/tags\/list/, headers: { 'Retry-After': '2' } });
    expect((await post(`/api/backfill?registry=${proxy.loginServer}&repository=rate/*`)).status).toBe(202);
    const done = await until((p) => p.state !== 'running', 'the rate backfill to end');
    expect(done).toMatchObject({ state: 'done', tagsFound: rateHistory.length, eventsProcessed: rateHistory.length, errors: [] });

    const requests = proxy.requests();
    const times = requests.map((r) => r.time);
    console.log(`rate backfill: ${requests.length} requests, busiest second ${busiestWindow(times, 1000)} (limit ${RATE})`);
    expect(busiestWindow(times, 1000)).toBeLessThanOrEqual(RATE);
    const throttled = requests.find((r) => r.injected && r.status === 429)!;
    expect(throttled).toBeDefined();
    // Requests the gate let through before the 429 came back may still land just after it; nothing
    // sent later reached the registry while paused, from any of the backfill's work (listing or ingest).
    const after = (r: { time: number }) => r.time - throttled.time;
    console.log(
      `after the 429: ${requests
        .filter((r) => after(r) > 0 && after(r) < 2_500)
        .map((r) => after(r))
        .join(', ')} ms`,
    );
    const during = requests.filter((r) => after(r) > 150 && after(r) < 1_900);
    expect(during.map((r) => `${r.method} ${r.path} +${after(r)} ms`)).toEqual([]);
    expect(requests.some((r) => r.time >= throttled.time + 1_900)).toBe(true);
  }, 60_000);

  it('finishes after its host is killed mid-run: each point once, under 1.2× the requests of an uninterrupted run', async () => {
    proxy.reset();
    expect((await post(`/api/backfill?registry=${proxy.loginServer}&repository=resume/*`)).status).toBe(202);
    const total = resumeHistory.length;
    const killedAt = await until((p) => p.tagsFound >= total * 0.3, 'the resume backfill to be under way');
    process.kill(host.pid, 'SIGKILL');
    await waitFor(() => host.stop().then(() => true), { timeoutMs: 10_000, message: 'the killed host to be gone' });
    host = await startLocalHost(env);
    const done = await until((p) => p.state !== 'running', 'the resumed backfill to end', 120_000);
    expect(done).toMatchObject({
      state: 'done',
      repositories: { done: 20, total: 20 },
      tagsFound: total,
      eventsQueued: total,
      eventsProcessed: total,
      errors: [],
    });

    const points = await pointsOf(resumeHistory);
    expect(points).toHaveLength(total);
    expect(new Set(points.map((p) => `${p.tag as string}@${p.digest as string}`)).size).toBe(total);
    // An uninterrupted run makes the minimum (backfill.test.ts checks it is exact): the catalog page,
    // one tags page per repository, each tag's manifest and each image's config.
    const uninterrupted = 1 + 20 + total + total;
    const requests = proxy.count();
    console.log(
      `resumed backfill: killed at ${killedAt.tagsFound as number} tags; ${requests} registry requests against ${uninterrupted} uninterrupted (${(requests / uninterrupted).toFixed(3)}×)`,
    );
    expect(requests).toBeLessThan(1.2 * uninterrupted);
    expect(
      busiestWindow(
        proxy.requests().map((r) => r.time),
        1000,
      ),
    ).toBeLessThanOrEqual(RATE);
  }, 180_000);
});
