/**
 * A registry worth looking at, pushed through the real registry and the webhook: a
 * two-platform repository whose Dockerfile steps grow over five days (one push past the
 * growth threshold, so an alert fires, and one that ships gcc, so the contents analysis
 * has a finding), and a small single-platform one. The dashboard tests and the
 * screenshots read it.
 */
import type { AppUnderTest } from './app';
import {
  imageSize,
  makeConfig,
  makeIndex,
  makeLayer,
  makeManifest,
  descriptorOf,
  pushMultiPlatformImage,
  pushImage,
  MediaType,
  type Image,
  type Layer,
} from './images';
import { tarLayer } from './tarLayers';
import { waitFor } from './wait';

/** Settings that make the seeded pushes alert: growth of 10% and 64 KiB at least, rules run at once. */
export const DASHBOARD_ENV = {
  ALERT_SETTLE_SECONDS: '0',
  ALERT_GROWTH_PERCENT: '10',
  ALERT_GROWTH_BYTES: String(64 * 1024),
  ALERT_CONTENT_WAIT_SECONDS: '1',
};

export const MULTI = 'shop/api';
export const SINGLE = 'shop/web';
const BASE_CREATED = '2025-06-01T00:00:00Z';
const DAY = 86_400_000;

function image(platform: { os: string; architecture: string }, layers: { layer: Layer; step: string; base?: boolean }[], created: string): Image {
  const config = makeConfig({
    ...platform,
    created,
    diffIds: layers.map((l) => l.layer.diffId),
    history: layers.map((l) => ({ created_by: l.step, created: l.base ? BASE_CREATED : created })),
  });
  const ls = layers.map((l) => l.layer);
  return { manifest: makeManifest({ format: 'oci', config, layers: ls }), config, layers: ls, totalSize: imageSize(config, ls) };
}

export interface Seeded {
  registry: string;
  /** Index digests of shop/api, oldest first. */
  indexes: string[];
  /** The amd64 manifest digests of shop/api, oldest first. */
  amd64: string[];
  web: string[];
}

export async function seedDashboard(app: AppUnderTest): Promise<Seeded> {
  const registry = app.proxy.loginServer;
  const start = Date.now() - 5 * DAY;
  const bases = { amd64: makeLayer(180_000), arm64: makeLayer(170_000) };
  const indexes: string[] = [];
  const amd64: string[] = [];
  const pushes = 5;
  for (let i = 0; i < pushes; i++) {
    const at = new Date(start + i * DAY).toISOString();
    // The app grows a little each day, its dependencies jump on day 4; day 5 ships a toolchain.
    const appBytes = 40_000 + i * 8_000;
    const depBytes = i >= 3 ? 260_000 : 120_000 + i * 4_000;
    const images = (['amd64', 'arm64'] as const).map((architecture) => {
      const layers = [
        { layer: bases[architecture], step: '/bin/sh -c #(nop) ADD file:3f1c2a9b in / ', base: true },
        { layer: makeLayer(appBytes), step: 'COPY . /app # buildkit' },
        { layer: makeLayer(depBytes), step: 'RUN /bin/sh -c npm ci --omit=dev # buildkit' },
        ...(i === pushes - 1
          ? [
              {
                layer: tarLayer([{ file: 'usr/lib/gcc/x86_64-linux-gnu/12/cc1', bytes: 600_000 }], 'gzip'),
                step: 'RUN /bin/sh -c apt-get install -y build-essential # buildkit',
              },
            ]
          : []),
      ];
      return { platform: { os: 'linux', architecture }, image: image({ os: 'linux', architecture }, layers, at) };
    });
    const index = makeIndex({ format: 'oci', manifests: images.map(({ platform, image: img }) => descriptorOf(img.manifest, { platform })) });
    const pushed = await pushMultiPlatformImage(app.registry.url, MULTI, { index, images, attestations: [] }, { tag: `1.${i}.0` });
    indexes.push(pushed.indexDigest);
    amd64.push(images[0]!.image.manifest.digest);
    const res = await app.acrPush({ repository: MULTI, digest: pushed.indexDigest, tag: `1.${i}.0`, mediaType: MediaType.ociIndex, timestamp: at });
    if (res.status !== 202) throw new Error(`webhook answered ${res.status}`);
    await app.waitForPoints(MULTI, 2 * (i + 1));
  }
  const web: string[] = [];
  for (let i = 0; i < 2; i++) {
    const at = new Date(start + (i + 2) * DAY + 3_600_000).toISOString();
    const img = image(
      { os: 'linux', architecture: 'amd64' },
      [
        { layer: bases.amd64, step: '/bin/sh -c #(nop) ADD file:3f1c2a9b in / ', base: true },
        { layer: makeLayer(30_000 - i * 6_000), step: 'COPY dist /usr/share/nginx/html # buildkit' },
      ],
      at,
    );
    const pushed = await pushImage(app.registry.url, SINGLE, img, { tag: `v${i + 1}` });
    web.push(pushed.digest);
    await app.acrPush({ repository: SINGLE, digest: pushed.digest, tag: `v${i + 1}`, timestamp: at });
    await app.waitForPoints(SINGLE, i + 1);
  }
  // The alert of the jump, and the contents of the newest image (its findings and file tree).
  await waitFor(
    async () => {
      const a = await app.get('/api/alerts', { registry, repository: MULTI });
      return a.status === 200 && a.json.alerts.length > 0;
    },
    { timeoutMs: 30_000, message: 'an alert on shop/api' },
  );
  let seen = '';
  await waitFor(
    async () => {
      // The platform images of an index are recorded under the index's digest.
      const img = await app.get('/api/image', { registry, repository: MULTI, digest: indexes.at(-1) });
      const content = img.json?.platforms?.map((p: { content?: { status: string } }) => p.content?.status);
      seen = JSON.stringify(content ?? img.json).slice(0, 300);
      return img.status === 200 && content.every((c: string | undefined) => c === 'done');
    },
    { timeoutMs: 30_000, message: 'the contents of the newest shop/api image' },
  ).catch((e: Error) => {
    throw new Error(`${e.message}; last seen ${seen}`);
  });
  return { registry, indexes, amd64, web };
}
