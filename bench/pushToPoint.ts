/**
 * Push-to-point latency (webhook sent → point visible in the trend API) and registry
 * requests per push against the minimum the design allows, with host.json's own queue
 * polling settings (no test overrides).
 *
 *   npm run bench -- pushToPoint [pushes=20]
 *   LAYER_ANALYSIS=false npm run bench -- pushToPoint 20     (without content analysis)
 */
import { startApp } from '../test/integration/support/app';
import { MediaType, makeImage, makeMultiPlatformImage, pushImage, pushManifest, pushMultiPlatformImage } from '../test/integration/support/images';
import { summarize } from './stats';

const pushes = Number(process.argv[2] ?? 20);

async function main() {
  // host.json's own queue settings: the bench measures what a deployment gets.
  // LAYER_ANALYSIS=false in the bench's environment measures without content analysis.
  const analysis = process.env.LAYER_ANALYSIS !== 'false';
  const app = await startApp({ hostJsonQueueSettings: true, env: { REGISTRY_MAX_RETRIES: '2', LAYER_ANALYSIS: String(analysis) } });
  // Layer reads run after the point, on their own queue: counted apart, over the whole run.
  const layerDigests = new Set<string>();
  const isLayerRead = (path: string) => /\/blobs\/sha256(?::|%3A)([0-9a-f]{64})$/i.test(path) && layerDigests.has(/([0-9a-f]{64})$/i.exec(path)![1]!);
  let layerReads = 0;
  const tallyLayerReads = () => (layerReads += app.proxy.requests().filter((r) => r.method === 'GET' && r.status === 200 && isLayerRead(r.path)).length);
  const rows: ReturnType<typeof summarize>[] = [];
  try {
    const timePush = async (repository: string, digest: string, tag: string, mediaType: string, expectPoints: number) => {
      tallyLayerReads();
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
      return { ms: performance.now() - sent, requests: app.proxy.requests().filter((r) => !isLayerRead(r.path)).length };
    };

    const single: { ms: number; requests: number }[] = [];
    const retag: { ms: number; requests: number }[] = [];
    for (let i = 0; i < pushes; i++) {
      const image = makeImage({ layers: [20_000, 50_000] });
      for (const l of image.layers) layerDigests.add(l.digest.slice('sha256:'.length));
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
      for (const p of m.images) for (const l of p.image.layers) layerDigests.add(l.digest.slice('sha256:'.length));
      const pushed = await pushMultiPlatformImage(app.registry.url, 'bench/multi', m, { tag: `m${i}` });
      multi.push(await timePush('bench/multi', pushed.indexDigest, `m${i}`, MediaType.ociIndex, 2));
    }
    // Every layer asked for is read once: wait for the last reads, then count.
    for (let waited = 0; analysis && waited < 30_000; waited += 100) {
      const seen = layerReads + app.proxy.requests().filter((r) => r.method === 'GET' && r.status === 200 && isLayerRead(r.path)).length;
      if (seen >= layerDigests.size) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    tallyLayerReads();
    app.proxy.reset();
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
    console.log(`\nPush-to-point latency (webhook sent → point in /api/trend), host.json polling (maxPollingInterval 2 s), LAYER_ANALYSIS=${analysis}:`);
    console.table(rows);
    console.log(`layer blob reads: ${layerReads} for ${layerDigests.size} distinct layers pushed (${analysis ? 'minimum: one each' : 'analysis off: none'})`);
  } finally {
    await app.stop();
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
