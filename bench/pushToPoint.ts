/**
 * Push-to-point latency (webhook sent → point visible in the trend API) and registry
 * requests per push against the minimum the design allows, with host.json's own queue
 * polling settings (no test overrides).
 *
 *   npm run bench -- pushToPoint [pushes=20]
 */
import { startApp } from '../test/integration/support/app';
import { MediaType, makeImage, makeMultiPlatformImage, pushImage, pushManifest, pushMultiPlatformImage } from '../test/integration/support/images';
import { summarize } from './stats';

const pushes = Number(process.argv[2] ?? 20);

async function main() {
  // host.json's own queue settings: the bench measures what a deployment gets.
  const app = await startApp({ hostJsonQueueSettings: true, env: { REGISTRY_MAX_RETRIES: '2' } });
  const rows: ReturnType<typeof summarize>[] = [];
  try {
    const timePush = async (repository: string, digest: string, tag: string, mediaType: string, expectPoints: number) => {
      app.proxy.reset();
      const sent = performance.now();
      const res = await app.acrPush({ repository, digest, tag, mediaType });
      if (res.status !== 202) throw new Error(`webhook answered ${res.status}`);
      const trendQuery = { registry: app.proxy.loginServer, repository, tag };
      for (;;) {
        const t = await app.get('/api/trend', trendQuery);
        if (t.status === 200 && t.json.points.length >= expectPoints) break;
        await new Promise((r) => setTimeout(r, 10));
      }
      return { ms: performance.now() - sent, requests: app.proxy.count() };
    };

    const single: { ms: number; requests: number }[] = [];
    const retag: { ms: number; requests: number }[] = [];
    for (let i = 0; i < pushes; i++) {
      const image = makeImage({ layers: [20_000, 50_000] });
      const pushed = await pushImage(app.registry.url, 'bench/single', image, { tag: `v${i}` });
      single.push(await timePush('bench/single', pushed.digest, `v${i}`, pushed.mediaType, 1));
      await pushManifest(app.registry.url, 'bench/single', image.manifest, `r${i}`);
      retag.push(await timePush('bench/single', pushed.digest, `r${i}`, pushed.mediaType, 1));
      // Let the queue go idle between pushes, as real pushes are spread out.
      await new Promise((r) => setTimeout(r, 300));
    }
    const multi: { ms: number; requests: number }[] = [];
    for (let i = 0; i < Math.max(3, Math.floor(pushes / 4)); i++) {
      const m = makeMultiPlatformImage({
        platforms: [
          { platform: { os: 'linux', architecture: 'amd64' }, layers: [10_000] },
          { platform: { os: 'linux', architecture: 'arm64' }, layers: [10_000] },
        ],
      });
      const pushed = await pushMultiPlatformImage(app.registry.url, 'bench/multi', m, { tag: `m${i}` });
      multi.push(await timePush('bench/multi', pushed.indexDigest, `m${i}`, MediaType.ociIndex, 2));
    }
    const reqs = (xs: { requests: number }[]) => `${Math.min(...xs.map((x) => x.requests))}–${Math.max(...xs.map((x) => x.requests))}`;
    rows.push(
      summarize(
        'new single-platform image',
        single.map((x) => x.ms),
        { registry_requests: reqs(single), minimum: 2 },
      ),
    );
    rows.push(
      summarize(
        'known digest, new tag',
        retag.map((x) => x.ms),
        { registry_requests: reqs(retag), minimum: 0 },
      ),
    );
    rows.push(
      summarize(
        'new index, 2 platforms (+2 attestations)',
        multi.map((x) => x.ms),
        { registry_requests: reqs(multi), minimum: 1 + 2 * 2 },
      ),
    );
    console.log(`\nPush-to-point latency (webhook sent → point in /api/trend), host.json polling (maxPollingInterval 2 s):`);
    console.table(rows);
  } finally {
    await app.stop();
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
