/**
 * Layer trends, registry storage accounting, compare and estimates, end to end on real
 * images: two repositories sharing a base layer, a regression, and a delete.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApp, type AppUnderTest, type TrendPointJson } from './support/app';
import { deleteManifest, makeConfig, makeLayer, makeManifest, pushImage, imageSize, type Image, type Layer } from './support/images';

const OLD = '2026-01-01T00:00:00Z';

function build(layers: Layer[], steps: string[], created = new Date().toISOString()): Image {
  const config = makeConfig({
    os: 'linux',
    architecture: 'amd64',
    created,
    diffIds: layers.map((l) => l.diffId),
    // The base layer predates the build; the build's own steps run now.
    history: steps.map((createdBy, i) => ({ created_by: createdBy, created: i === 0 ? OLD : created })),
  });
  const manifest = makeManifest({ format: 'oci', config, layers });
  return { manifest, config, layers, totalSize: imageSize(config, layers) };
}

let app: AppUnderTest;
const base = makeLayer(1_000_000);
const deps1 = makeLayer(20_000);
const app1 = makeLayer(5_000);
const deps2 = makeLayer(2_000_000); // large enough to move the estimates past their 0.01 s rounding
const app2 = makeLayer(5_100);
const worker1 = makeLayer(8_000);
const apiV1 = build([base, deps1, app1], ['ADD rootfs.tar /', 'RUN npm ci', 'COPY . .']);
const apiV2 = build([base, deps2, app2], ['ADD rootfs.tar /', 'RUN npm ci', 'COPY . .']);
const workerV1 = build([base, worker1], ['ADD rootfs.tar /', 'COPY worker /app']);

async function pushAndNotify(repository: string, image: Image, tag: string, timestamp: string) {
  const pushed = await pushImage(app.registry.url, repository, image, { tag });
  const res = await app.acrPush({ repository, digest: pushed.digest, tag, timestamp });
  expect(res.status).toBe(202);
  return pushed;
}

// Event times within EVENT_MAX_AGE_HOURS of now, so they are recorded as sent.
const day = (n: number) => new Date(Math.floor(Date.now() / 1000) * 1000 - n * 86_400_000).toISOString();
const T1 = day(4);
const T2 = day(3);
const T3 = day(2);
const T4 = day(1);

beforeAll(async () => {
  // Estimates here are the stored ones, from the manifest; with layers read, /api/estimate uses measured sizes (contentAnalysis.test.ts).
  app = await startApp({ env: { ACR_SKU: 'Basic', LAYER_ANALYSIS: 'false' } });
  await pushAndNotify('shop/api', apiV1, 'v1', T1);
  await app.waitForPoints('shop/api', 1);
  await pushAndNotify('shop/worker', workerV1, 'v1', T2);
  await app.waitForPoints('shop/worker', 1);
  await pushAndNotify('shop/api', apiV2, 'v2', T3);
  await app.waitForPoints('shop/api', 2);
});
afterAll(() => app?.stop());

const trend = async (repository: string) => (await app.get('/api/trend', { registry: app.proxy.loginServer, repository })).json.points as TrendPointJson[];

describe('layer trends on trend points', () => {
  it('describes the first point against nothing: every layer added, all its bytes new to the registry', async () => {
    const [v1] = await trend('shop/api');
    expect(v1).toMatchObject({
      tag: 'v1',
      addedBytes: base.size + deps1.size + app1.size,
      removedBytes: 0,
      reusedBytes: 0,
      newRegistryBytes: apiV1.config.size + base.size + deps1.size + app1.size,
    });
    expect(v1!.baselineDigest).toBeUndefined();
    expect(v1!.estimates!.pull.aci.coldStartDeltaSeconds).toBeNull();
  });

  it('counts a base layer another repository already stored as not new', async () => {
    const [w] = await trend('shop/worker');
    expect(w!.newRegistryBytes).toBe(workerV1.config.size + worker1.size);
    expect(w!.baselineDigest).toBeUndefined(); // another repository is never a baseline
  });

  it('compares the regression with its baseline: added, removed, reused bytes and what it costs', async () => {
    const [v1, v2] = await trend('shop/api');
    expect(v2).toMatchObject({
      tag: 'v2',
      baselineDigest: v1!.digest,
      baselineTag: 'v1',
      sizeDeltaBytes: apiV2.totalSize - apiV1.totalSize,
      addedBytes: deps2.size + app2.size,
      removedBytes: deps1.size + app1.size,
      reusedBytes: base.size,
      layerCountDelta: 0,
      baseChanged: false,
      newRegistryBytes: apiV2.config.size + deps2.size + app2.size,
    });
    const pull = v2!.estimates!.pull;
    expect(pull.aci.coldStartDeltaSeconds).toBeGreaterThan(0);
    expect(pull.aks.warmNodeSeconds).toBeLessThan(pull.aks.coldStartSeconds);
    expect(pull.appService.restartSeconds).toBeLessThan(pull.appService.coldStartSeconds);
    // Basic includes 10 GiB: a few KB more costs nothing yet, and says so.
    expect(v2!.estimates!.cost).toMatchObject({ currency: 'USD', pushMarginalMonthly: 0, withinIncluded: true });
  });
});

describe('GET /api/compare', () => {
  it('returns exact byte figures, the layers with their steps, and per-step deltas', async () => {
    const [v1, v2] = await trend('shop/api');
    const res = await app.get('/api/compare', { registry: app.proxy.loginServer, repository: 'shop/api', from: v1!.digest, to: v2!.digest });
    expect(res.status).toBe(200);
    expect(res.json).toMatchObject({
      from: { digest: v1!.digest, sizeBytes: apiV1.totalSize, layerCount: 3 },
      to: { digest: v2!.digest, sizeBytes: apiV2.totalSize, layerCount: 3 },
      sizeDeltaBytes: apiV2.totalSize - apiV1.totalSize,
      addedBytes: deps2.size + app2.size,
      removedBytes: deps1.size + app1.size,
      sharedBytes: base.size,
      base: { commonPrefixLayers: 1, commonPrefixBytes: base.size, baseLayers: 1, changed: false },
    });
    expect(res.json.layers.added.map((l: { digest: string; sizeBytes: number; createdBy: string }) => [l.digest, l.sizeBytes, l.createdBy])).toEqual([
      [deps2.digest, deps2.size, 'RUN npm ci'],
      [app2.digest, app2.size, 'COPY . .'],
    ]);
    expect(res.json.steps.find((s: { step: string }) => s.step === 'RUN npm ci')).toMatchObject({
      change: 'changed',
      beforeBytes: deps1.size,
      afterBytes: deps2.size,
      deltaBytes: deps2.size - deps1.size,
    });
  });

  it('compares any two images, not only neighbours, and explains bad requests', async () => {
    const [w] = await trend('shop/worker');
    const cross = await app.get('/api/compare', { registry: app.proxy.loginServer, repository: 'shop/worker', from: w!.digest, to: w!.digest });
    expect(cross.json).toMatchObject({ sizeDeltaBytes: 0, addedBytes: 0, removedBytes: 0, sharedBytes: base.size + worker1.size });
    const missing = await app.get('/api/compare', { registry: app.proxy.loginServer, repository: 'shop/api', from: w!.digest, to: w!.digest });
    expect(missing.status).toBe(404);
    expect(missing.json.error).toMatch(/^from: no image/);
    expect((await app.get('/api/compare', { registry: app.proxy.loginServer, repository: 'shop/api', from: 'nope', to: w!.digest })).status).toBe(400);
  });
});

describe('GET /api/storage and deletes', () => {
  const unique = () =>
    apiV1.config.size + apiV2.config.size + workerV1.config.size + base.size + deps1.size + app1.size + deps2.size + app2.size + worker1.size;

  it('counts the shared base layer once and splits exclusive from shared bytes per repository', async () => {
    const res = await app.get('/api/storage', { registry: app.proxy.loginServer });
    expect(res.status).toBe(200);
    expect(res.json).toMatchObject({ uniqueBytes: unique(), reclaimableBytes: 0, blobCount: 9, registryProfile: { sku: 'Basic', replicas: 1 } });
    expect(res.json.repositories).toEqual([
      {
        repository: 'shop/api',
        exclusiveBytes: apiV1.config.size + apiV2.config.size + deps1.size + app1.size + deps2.size + app2.size,
        sharedBytes: base.size,
        manifests: 2,
      },
      { repository: 'shop/worker', exclusiveBytes: workerV1.config.size + worker1.size, sharedBytes: base.size, manifests: 1 },
    ]);
    expect(res.json.cost).toMatchObject({ currency: 'USD', withinIncluded: true, includedGiB: 10, storageMonthly: 0 });
    expect(res.json.projection.alreadyExceeded).toBe(false);
    expect(res.json.growth.windowDays).toBe(30);
  });

  it('makes exclusively owned blobs reclaimable after a delete, and keeps the shared base', async () => {
    const [v1] = await trend('shop/api');
    await deleteManifest(app.registry.url, 'shop/api', v1!.digest);
    const del = await app.post('/api/webhooks/acr', {
      id: randomUUID(),
      timestamp: T4,
      action: 'delete',
      target: { mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: v1!.digest, repository: 'shop/api' },
      request: { id: randomUUID(), host: app.proxy.loginServer, method: 'DELETE', useragent: 'az' },
    });
    expect(del.status).toBe(202);
    // Blobs become reclaimable one by one: read the storage once the delete is fully processed.
    await app.host.waitForLog(/delete \S+\/shop\/api@sha256:\S+ .*: deleted/, 20_000);
    const storage = (await app.get('/api/storage', { registry: app.proxy.loginServer })).json;
    expect(storage.reclaimableBytes).toBe(apiV1.config.size + deps1.size + app1.size);
    expect(storage.uniqueBytes).toBe(unique() - storage.reclaimableBytes);
    expect(storage.repositories.find((r: { repository: string }) => r.repository === 'shop/api')).toMatchObject({ sharedBytes: base.size, manifests: 1 });
    const image = await app.get('/api/image', { registry: app.proxy.loginServer, repository: 'shop/api', digest: v1!.digest });
    expect(image.json.deletedAt).toBe(T4);
  });

  it('answers 404 for a registry with no recorded storage', async () => {
    expect((await app.get('/api/storage', { registry: 'unknown.azurecr.io' })).status).toBe(404);
  });
});

describe('GET /api/estimate', () => {
  it('answers the stored estimates, and what-if answers for overrides', async () => {
    const [, v2] = await trend('shop/api');
    const q = { registry: app.proxy.loginServer, repository: 'shop/api', digest: v2!.digest };
    const plain = await app.get('/api/estimate', q);
    expect(plain.status).toBe(200);
    expect(plain.json.pull).toEqual(v2!.estimates!.pull);
    expect(plain.json.baselineDigest).toBe(v2!.baselineDigest);
    const slow = await app.get('/api/estimate', { ...q, 'aci.throughputMBps': 0.01 });
    expect(slow.status).toBe(200);
    // 0.01 MB/s: every 10,000 bytes take a second.
    expect(slow.json.pull.aci.coldStartSeconds).toBeGreaterThan(plain.json.pull.aci.coldStartSeconds + apiV2.totalSize / 10_000 - 1);
    expect(slow.json.pull.appService).toEqual(plain.json.pull.appService);
    // Premium lifts the registry's bandwidth cap (Basic 30 MB/s) above App Service's 40 MB/s.
    const premium = await app.get('/api/estimate', { ...q, sku: 'Premium', replicas: 2 });
    expect(premium.json.registryProfile).toEqual({ sku: 'Premium', replicas: 2 });
    expect(premium.json.pull.appService.coldStartSeconds).toBeLessThan(plain.json.pull.appService.coldStartSeconds);
    const bad = await app.get('/api/estimate', { ...q, throughputMbps: 5 });
    expect(bad.status).toBe(400);
    expect(bad.json.problems[0].parameter).toBe('throughputMbps');
  });
});
