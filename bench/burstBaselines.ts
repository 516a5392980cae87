/**
 * A burst of webhooks for many pushes of a few repositories, all at once: how the
 * webhook answers (statuses, p50/p99), how fast the events become points, and whether
 * every point compares with the right baseline (each push here is a new image, so a
 * point's baseline must be the push just before it in its repository).
 *
 *   npm run bench -- burstBaselines [events=1000] [repositories=10] [concurrency=64]
 */
import { randomUUID } from 'node:crypto';
import { startApp } from '../test/integration/support/app';
import { makeConfig, makeLayer, makeManifest, pushBlob, pushManifest, type Image } from '../test/integration/support/images';
import { request } from '../test/integration/support/http';
import { percentile } from './stats';

const events = Number(process.argv[2] ?? 1000);
const repositories = Number(process.argv[3] ?? 10);
const concurrency = Number(process.argv[4] ?? 64);

async function pool<T>(items: T[], n: number, fn: (item: T) => Promise<void>) {
  let next = 0;
  await Promise.all(
    Array.from({ length: n }, async () => {
      while (next < items.length) await fn(items[next++]!);
    }),
  );
}

async function main() {
  const app = await startApp({ hostJsonQueueSettings: true, env: { REGISTRY_MAX_RETRIES: '2' } });
  try {
    const base = makeLayer(2000);
    const perRepo = Math.ceil(events / repositories);
    const pushes: { repository: string; image: Image; tag: string; timestamp: string; index: number }[] = [];
    for (let r = 0; r < repositories; r++) {
      for (let i = 0; i < perRepo && pushes.length < events; i++) {
        const layers = [base, makeLayer(500 + i)];
        const config = makeConfig({ architecture: 'amd64', os: 'linux', diffIds: layers.map((l) => l.diffId) });
        const image = { config, layers, manifest: makeManifest({ format: 'oci', config, layers }), totalSize: 0 };
        pushes.push({
          repository: `burst/r${r}`,
          image,
          tag: `v${i}`,
          timestamp: new Date(Math.floor(Date.now() / 60_000) * 60_000 - 3 * 86_400_000 + i * 60_000).toISOString(),
          index: i,
        });
      }
    }
    await pool(pushes, 8, async (p) => {
      for (const b of [p.image.config, ...p.image.layers]) await pushBlob(app.registry.url, p.repository, b);
      await pushManifest(app.registry.url, p.repository, p.image.manifest);
    });

    const statuses = new Map<number, number>();
    const latencies: number[] = [];
    const started = performance.now();
    // Sent in push order; the burst's concurrency interleaves them as a busy registry would.
    await pool(pushes, concurrency, async (p) => {
      const t = performance.now();
      const res = await app.acrPush({ repository: p.repository, digest: p.image.manifest.digest, tag: p.tag, timestamp: p.timestamp, id: randomUUID() });
      latencies.push(performance.now() - t);
      statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
    });
    const sent = performance.now();

    const points = new Map<string, { tag: string; baselineTag?: string }[]>();
    for (;;) {
      let total = 0;
      for (let r = 0; r < repositories; r++) {
        const repository = `burst/r${r}`;
        const res = await request(`${app.host.url}/api/trend?registry=${app.proxy.loginServer}&repository=${repository}`);
        const list = res.status === 200 ? (JSON.parse(res.body.toString()).points as { tag: string; baselineTag?: string }[]) : [];
        points.set(repository, list);
        total += list.length;
      }
      if (total >= events) break;
      if (performance.now() - sent > 600_000) throw new Error(`only ${total} of ${events} points after 10 minutes`);
      await new Promise((r) => setTimeout(r, 500));
    }
    const done = performance.now();
    // Baselines settle within the invocations that write them: wait until every event's invocation has finished.
    while ((app.host.logs().match(/\(event [^)]+\): ok,/g) ?? []).length < events) await new Promise((r) => setTimeout(r, 200));
    let wrong = 0;
    let total = 0;
    for (let r = 0; r < repositories; r++) {
      const repository = `burst/r${r}`;
      const res = await request(`${app.host.url}/api/trend?registry=${app.proxy.loginServer}&repository=${repository}`);
      for (const p of JSON.parse(res.body.toString()).points as { tag: string; baselineTag?: string }[]) {
        const i = Number(p.tag.slice(1));
        const expected = i === 0 ? undefined : `v${i - 1}`;
        total++;
        if (p.baselineTag !== expected) wrong++;
      }
    }
    console.table([
      {
        events,
        repositories,
        concurrency,
        webhook_statuses: [...statuses].map(([s, n]) => `${s}×${n}`).join(' '),
        webhook_p50_ms: Number(percentile(latencies, 50).toFixed(1)),
        webhook_p99_ms: Number(percentile(latencies, 99).toFixed(1)),
        events_per_s: Number((events / ((done - started) / 1000)).toFixed(1)),
        wrong_baselines: `${wrong} of ${total} (${((100 * wrong) / total).toFixed(1)}%)`,
      },
    ]);
    console.log(`wrong baselines: ${wrong} of ${total}`);
  } finally {
    await app.stop();
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
