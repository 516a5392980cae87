/**
 * Backfill throughput and reconcile cost on the local registry, with host.json's own
 * queue settings:
 *   - tags/s for a backfill of REPOSITORIES × TAGS tags, and the registry requests per tag
 *     against the least a listing can make (listing pages + 1 manifest per tag, on a
 *     registry whose tag listing has no digests, + 1 config per new image);
 *   - registry requests of a light and of a full reconcile run of an unchanged registry.
 *
 *   npm run bench -- backfill [repositories=100] [tagsPerRepository=10] [rate=500]
 */
import { SECRET, startApp } from '../test/integration/support/app';
import { pushHistory } from '../test/integration/support/history';
// Read at the first getRuntime(), after the app's settings are in the environment.
import { getRuntime } from '../src/runtime';
import { startRun } from '../src/services/listing';

const repositories = Number(process.argv[2] ?? 100);
const tagsPerRepository = Number(process.argv[3] ?? 10);
const rate = Number(process.argv[4] ?? 500);

async function waitFor<T>(probe: () => Promise<T | undefined>, timeoutMs: number, what: string): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function main() {
  const app = await startApp({
    hostJsonQueueSettings: true,
    env: {
      LAYER_ANALYSIS: 'false',
      BACKFILL_REQUESTS_PER_SECOND: String(rate),
      REGISTRY_MAX_RETRIES: '2',
      // Runs are started by hand below, one at a time: the schedules never fire during the bench.
      RECONCILE_SCHEDULE: '0 0 0 1 1 *',
      RECONCILE_FULL_SCHEDULE: '0 0 0 1 1 *',
    },
  });
  try {
    const registry = app.proxy.loginServer;
    const tags = repositories * tagsPerRepository;
    const t0 = performance.now();
    await pushHistory(app.registry.url, { repositories, tagsPerRepository, start: Date.now() - 400 * 86_400_000, stepMs: 3_600_000 });
    console.log(`pushed ${tags} tags in ${repositories} repositories in ${((performance.now() - t0) / 1000).toFixed(1)} s`);

    app.proxy.reset();
    const started = performance.now();
    const res = await app.post(`/api/backfill?registry=${registry}`, '', {});
    if (res.status !== 202) throw new Error(`POST /api/backfill answered ${res.status}: ${JSON.stringify(res.json)}`);
    let listedAt: number | undefined;
    const done = await waitFor(
      async () => {
        const p = (await app.get('/api/backfill', { registry })).json.backfill;
        if (!listedAt && p.repositories.listed && p.repositories.done === p.repositories.total) listedAt = performance.now();
        return p.state !== 'running' ? p : undefined;
      },
      30 * 60_000,
      'the backfill',
    );
    const seconds = (performance.now() - started) / 1000;
    const requests = app.proxy.count();
    const minimum = Math.ceil(repositories / 100) + repositories + tags + tags;
    console.log(
      `backfill of ${tags} tags (${done.state}): ${seconds.toFixed(1)} s, ${(tags / seconds).toFixed(1)} tags/s end to end ` +
        `(listing done after ${(((listedAt ?? performance.now()) - started) / 1000).toFixed(1)} s); rate limit ${rate}/s`,
    );
    console.log(
      `registry requests: ${requests} (${(requests / tags).toFixed(3)} per tag) against a minimum of ${minimum} (${(requests / minimum).toFixed(3)}×); listing ${done.requests}`,
    );

    // Reconcile of the unchanged registry: once watched, a light run and a full run, each alone.
    for (const mode of ['light', 'full'] as const) {
      app.proxy.reset();
      const t = performance.now();
      const run = await startReconcile(app, registry, mode);
      const seconds = (performance.now() - t) / 1000;
      console.log(
        `reconcile (${mode}) of ${repositories} unchanged repositories, ${tags} tags: ${app.proxy.count()} registry requests (run says ${run.requests}), ` +
          `found ${JSON.stringify(run.found)}, ${seconds.toFixed(1)} s`,
      );
    }
  } finally {
    await app.stop();
  }
}

/**
 * Starts one reconcile run from this process, in the app's storage, as its timer would
 * (the local host has no admin endpoint to fire a timer); the host runs its units.
 */
async function startReconcile(app: Awaited<ReturnType<typeof startApp>>, registry: string, mode: 'light' | 'full') {
  Object.assign(process.env, { AzureWebJobsStorage: app.connectionString, WEBHOOK_SECRET: SECRET, ALLOWED_REGISTRIES: registry, LAYER_ANALYSIS: 'false' });
  const started = await startRun(getRuntime().listingDeps, registry, 'reconcile', { mode });
  if (!('started' in started)) throw new Error(`a reconcile of ${registry} is still running`);
  return waitFor(
    async () => {
      const run = (await app.get('/api/backfill', { registry })).json.reconcile?.lastRun;
      return run && run.id === started.started.id && run.state === 'done' ? run : undefined;
    },
    10 * 60_000,
    `the ${mode} reconcile`,
  );
}

void main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
