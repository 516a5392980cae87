/**
 * The ingest spine end to end: real images pushed to a real registry over TLS, the ACR
 * webhook delivered to the local host, the queue trigger fetching through a counting
 * proxy, and the exact byte figures read back from the trend and image APIs.
 */
import { randomBytes } from 'node:crypto';
import { QueueClient } from '@azure/storage-queue';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApp, type AppUnderTest } from './support/app';
import {
  MediaType,
  makeConfig,
  makeImage,
  makeLayer,
  makeMultiPlatformImage,
  pushBlob,
  pushImage,
  pushManifest,
  pushMultiPlatformImage,
  sha256,
  type Blob,
} from './support/images';
import { waitFor } from './support/wait';
import { EVENTS_QUEUE } from '../../src/names';

let app: AppUnderTest;
beforeAll(async () => {
  // The registry requests counted here are ingest's own; layer reads are counted in contentAnalysis.test.ts.
  app = await startApp({ registry: { allowForeignLayers: true }, env: { LAYER_ANALYSIS: 'false' } });
});
afterAll(() => app?.stop());

const manifestRequests = () => app.proxy.count({ path: /\/manifests\// });
const blobRequests = () => app.proxy.count({ path: /\/blobs\// });

describe('push → webhook → queue → manifest → Table Storage → trend API', () => {
  it('records a single-platform OCI image with its exact size, in 2 registry requests', async () => {
    const image = makeImage({ format: 'oci', layers: [3000, 200_000], emptyLayerSteps: 1 });
    const pushed = await pushImage(app.registry.url, 'team-a/api', image, { tag: 'v1' });
    app.proxy.reset();

    const res = await app.acrPush({ repository: 'team-a/api', digest: pushed.digest, tag: 'v1' });
    expect(res.status).toBe(202);
    expect(res.json).toEqual({ accepted: 1 });

    const [point] = await app.waitForPoints('team-a/api', 1);
    expect(point).toMatchObject({
      tag: 'v1',
      digest: pushed.digest,
      platform: 'linux/amd64',
      sizeBytes: pushed.configSize + pushed.layerSizes[0]! + pushed.layerSizes[1]!,
      configSizeBytes: pushed.configSize,
      layerCount: 2,
    });
    expect(point!.indexDigest).toBeUndefined();
    expect(app.proxy.count()).toBe(2);
    expect(manifestRequests()).toBe(1);
    expect(blobRequests()).toBe(1);

    const detail = await app.waitForImage('team-a/api', pushed.digest);
    expect(detail.status).toBe(200);
    expect(detail.json).toMatchObject({ mediaType: MediaType.ociManifest, kind: 'image', status: 'ok', tags: ['v1'] });
    const [platform] = detail.json.platforms;
    expect(platform).toMatchObject({
      digest: pushed.digest,
      platform: 'linux/amd64',
      sizeBytes: pushed.totalSize,
      configSizeBytes: pushed.configSize,
      history: 'matched',
    });
    expect(platform.layers).toEqual(
      image.layers.map((l, i) => ({
        digest: l.digest,
        mediaType: l.mediaType,
        sizeBytes: l.size,
        foreign: false,
        createdBy: `ADD layer ${i} (${l.uncompressedSize} bytes)`,
        createdAt: expect.any(String),
      })),
    );
  });

  it('costs no registry request for a known digest under a new tag, and ignores a duplicate delivery', async () => {
    const image = makeImage({ layers: [1000] });
    const pushed = await pushImage(app.registry.url, 'team-a/worker', image, { tag: 'v1' });
    // Event times within EVENT_MAX_AGE_HOURS of now, so they are recorded as sent.
    // One clock reading: evaluated again at the assertion, a second boundary would move every day.
    const now = Math.floor(Date.now() / 1000) * 1000;
    const day = (n: number) => new Date(now - n * 86_400_000).toISOString();
    const first = { repository: 'team-a/worker', digest: pushed.digest, tag: 'v1', id: 'dup-1', timestamp: day(3) };
    expect((await app.acrPush(first)).status).toBe(202);
    await app.waitForPoints('team-a/worker', 1);

    app.proxy.reset();
    await pushManifest(app.registry.url, 'team-a/worker', image.manifest, 'stable');
    expect((await app.acrPush({ repository: 'team-a/worker', digest: pushed.digest, tag: 'stable', timestamp: day(2) })).status).toBe(202);
    // The same event delivered twice, and the same digest pushed again under the same tag later.
    expect((await app.acrPush(first)).status).toBe(202);
    expect((await app.acrPush({ ...first, id: 'dup-2', timestamp: day(1) })).status).toBe(202);
    const points = await app.waitForPoints('team-a/worker', 2);
    await app.host.waitForLog(/team-a\/worker:v1@.*\(event dup-2\): ok/);
    const after = await app.get('/api/trend', { registry: app.proxy.loginServer, repository: 'team-a/worker' });
    expect(after.json.points.map((p: { tag: string; pushedAt: string }) => [p.tag, p.pushedAt])).toEqual([
      ['v1', day(3)],
      ['stable', day(2)],
    ]);
    expect(points[1]!.sizeBytes).toBe(pushed.totalSize);
    expect(app.proxy.count()).toBe(0);
    const detail = await app.waitForImage('team-a/worker', pushed.digest);
    expect(detail.json.tags).toEqual(['stable', 'v1']);
  });

  it('records one point per platform of a multi-platform OCI index, skipping attestations, in 1 + 2N requests', async () => {
    const multi = makeMultiPlatformImage({
      format: 'oci',
      platforms: [
        { platform: { os: 'linux', architecture: 'amd64' }, layers: [5000, 7000] },
        { platform: { os: 'linux', architecture: 'arm64', variant: 'v8' }, layers: [6000] },
      ],
    });
    const pushed = await pushMultiPlatformImage(app.registry.url, 'team-b/multi', multi, { tag: '1.0' });
    app.proxy.reset();
    expect((await app.acrPush({ repository: 'team-b/multi', digest: pushed.indexDigest, tag: '1.0', mediaType: MediaType.ociIndex })).status).toBe(202);
    const points = await app.waitForPoints('team-b/multi', 2);
    expect(points.map((p) => [p.platform, p.digest, p.sizeBytes, p.layerCount, p.indexDigest]).sort()).toEqual(
      pushed.platforms
        .map((p) => [
          [p.platform.os, p.platform.architecture, p.platform.variant].filter(Boolean).join('/'),
          p.digest,
          p.totalSize,
          p.layerSizes.length,
          pushed.indexDigest,
        ])
        .sort(),
    );
    expect(app.proxy.count()).toBe(1 + 2 * 2);
    const attestationDigests = pushed.attestations.map((a) => a.digest);
    expect(app.proxy.requests().some((r) => attestationDigests.some((d) => r.path.includes(d)))).toBe(false);

    const detail = await app.waitForImage('team-b/multi', pushed.indexDigest);
    expect(detail.json).toMatchObject({ kind: 'index', mediaType: MediaType.ociIndex, status: 'ok', tags: ['1.0'] });
    expect(detail.json.platforms).toHaveLength(2);
    const platformFilter = await app.get('/api/trend', { registry: app.proxy.loginServer, repository: 'team-b/multi', platform: 'linux/arm64/v8' });
    expect(platformFilter.json.points).toHaveLength(1);
    expect(platformFilter.json.points[0].sizeBytes).toBe(pushed.platforms[1]!.totalSize);
  });

  it('handles the ACR sequence for a Docker manifest list: untagged platform pushes first (no points), then the tagged list (1 request)', async () => {
    const multi = makeMultiPlatformImage({
      format: 'docker',
      attestations: false,
      platforms: [
        { platform: { os: 'linux', architecture: 'amd64' }, layers: [4000] },
        { platform: { os: 'linux', architecture: 'arm', variant: 'v7' }, layers: [4100] },
      ],
    });
    const pushed = await pushMultiPlatformImage(app.registry.url, 'team-b/list', multi, { tag: 'latest' });
    app.proxy.reset();
    for (const p of pushed.platforms) {
      expect((await app.acrPush({ repository: 'team-b/list', digest: p.digest, mediaType: MediaType.dockerManifest })).status).toBe(202);
    }
    await waitFor(
      async () =>
        (await app.get('/api/image', { registry: app.proxy.loginServer, repository: 'team-b/list', digest: pushed.platforms[1]!.digest })).json?.status ===
        'ok',
      { timeoutMs: 15_000 },
    );
    await waitFor(
      async () =>
        (await app.get('/api/image', { registry: app.proxy.loginServer, repository: 'team-b/list', digest: pushed.platforms[0]!.digest })).json?.status ===
        'ok',
      { timeoutMs: 15_000 },
    );
    const untagged = await app.get('/api/trend', { registry: app.proxy.loginServer, repository: 'team-b/list' });
    expect(untagged.status).toBe(200);
    expect(untagged.json.points).toEqual([]);
    expect(app.proxy.count()).toBe(4);

    expect((await app.acrPush({ repository: 'team-b/list', digest: pushed.indexDigest, tag: 'latest', mediaType: MediaType.dockerManifestList })).status).toBe(
      202,
    );
    const points = await app.waitForPoints('team-b/list', 2);
    expect(points.map((p) => p.platform).sort()).toEqual(['linux/amd64', 'linux/arm/v7']);
    expect(app.proxy.count()).toBe(5);
  });

  it('keeps sizes over 2 GiB exact and flags foreign layers', async () => {
    const layer = makeLayer(2000, 'docker');
    const foreignDigest = sha256(randomBytes(32));
    const foreignSize = 5 * 1024 ** 3 + 123; // a Windows base layer served from elsewhere
    const config = makeConfig({
      os: 'windows',
      architecture: 'amd64',
      format: 'docker',
      diffIds: [sha256('foreign'), layer.diffId],
      history: [{ created_by: 'Apply image 10.0.20348.1' }, { created_by: 'cmd /S /C copy app C:\\app' }],
    });
    const doc = {
      schemaVersion: 2,
      mediaType: MediaType.dockerManifest,
      config: { mediaType: config.mediaType, digest: config.digest, size: config.size },
      layers: [
        {
          mediaType: 'application/vnd.docker.image.rootfs.foreign.diff.tar.gzip',
          digest: foreignDigest,
          size: foreignSize,
          urls: ['https://mcr.microsoft.com/v2/windows/servercore/blobs/' + foreignDigest],
        },
        { mediaType: layer.mediaType, digest: layer.digest, size: layer.size },
      ],
    };
    const bytes = Buffer.from(JSON.stringify(doc));
    const manifest: Blob = { mediaType: MediaType.dockerManifest, bytes, digest: sha256(bytes), size: bytes.length };
    await pushBlob(app.registry.url, 'win/app', config);
    await pushBlob(app.registry.url, 'win/app', layer);
    await pushManifest(app.registry.url, 'win/app', manifest, 'ltsc2022');

    expect((await app.acrPush({ repository: 'win/app', digest: manifest.digest, tag: 'ltsc2022', mediaType: MediaType.dockerManifest })).status).toBe(202);
    const [point] = await app.waitForPoints('win/app', 1);
    expect(point!.sizeBytes).toBe(config.size + foreignSize + layer.size);
    expect(point!.sizeBytes).toBeGreaterThan(2 ** 32);
    expect(point!.platform).toBe('windows/amd64');
    const detail = await app.waitForImage('win/app', manifest.digest);
    expect(detail.json.platforms[0].foreignLayerCount).toBe(1);
    expect(detail.json.platforms[0].layers[0]).toMatchObject({ foreign: true, sizeBytes: foreignSize, createdBy: 'Apply image 10.0.20348.1' });
  });
});

describe('failures', () => {
  it('retries a registry 500 through the queue and records the point once', async () => {
    const image = makeImage({ layers: [1500] });
    const pushed = await pushImage(app.registry.url, 'team-c/flaky', image, { tag: 'v1' });
    app.proxy.reset();
    app.proxy.failNext(1, 500);
    expect((await app.acrPush({ repository: 'team-c/flaky', digest: pushed.digest, tag: 'v1' })).status).toBe(202);
    await app.host.waitForLog(/team-c\/flaky:v1.*attempt 1 failed, the queue will retry: .*HTTP 500/, 15_000);
    const points = await app.waitForPoints('team-c/flaky', 1);
    expect(points[0]!.sizeBytes).toBe(pushed.totalSize);
    await app.host.waitForLog(/team-c\/flaky:v1.*: ok, 1 platform\(s\), 1 new point/);
    expect(app.proxy.requests().map((r) => [r.path.includes('/manifests/') ? 'manifest' : 'blob', r.status])).toEqual([
      ['manifest', 500],
      ['manifest', 200],
      ['blob', 200],
    ]);
    // The first attempt may have noted itself as retrying: wait for the one that succeeded.
    await waitFor(
      async () => (await app.get('/api/image', { registry: app.proxy.loginServer, repository: 'team-c/flaky', digest: pushed.digest })).json?.status === 'ok',
      {
        message: 'the image record, ok',
      },
    );
  });

  it('records a missing manifest as a permanent error without retrying', async () => {
    const digest = sha256('never pushed');
    app.proxy.reset();
    expect((await app.acrPush({ repository: 'team-c/ghost', digest, tag: 'v1' })).status).toBe(202);
    const detail = await waitFor(async () => {
      const r = await app.get('/api/image', { registry: app.proxy.loginServer, repository: 'team-c/ghost', digest });
      return r.status === 200 ? r : undefined;
    });
    expect(detail.json).toMatchObject({ status: 'error', errorStatus: 404, reason: expect.stringMatching(/HTTP 404/) });
    const repos = await app.get('/api/repositories', { registry: app.proxy.loginServer });
    expect(repos.json.repositories.find((r: { repository: string }) => r.repository === 'team-c/ghost')).toMatchObject({ latest: null, lastError: { digest } });
    // The message is deleted once the error is recorded (a queued or in-flight message still
    // counts): with none left, no retry can come.
    const events = new QueueClient(app.connectionString, EVENTS_QUEUE);
    await waitFor(async () => ((await events.getProperties()).approximateMessagesCount === 0 ? true : undefined));
    expect(app.proxy.count()).toBe(1);
  });
});

describe('read APIs', () => {
  // Their own repositories, so they pass alone and in any order (vitest -t, --sequence.shuffle).
  let worker: Awaited<ReturnType<typeof pushImage>>;
  beforeAll(async () => {
    const now = Math.floor(Date.now() / 1000) * 1000;
    const api = await pushImage(app.registry.url, 'reads/api', makeImage({ layers: [900] }), { tag: 'v1' });
    expect((await app.acrPush({ repository: 'reads/api', digest: api.digest, tag: 'v1' })).status).toBe(202);
    const workerImage = makeImage({ layers: [700] });
    worker = await pushImage(app.registry.url, 'reads/worker', workerImage, { tag: 'v1' });
    await pushManifest(app.registry.url, 'reads/worker', workerImage.manifest, 'stable');
    expect(
      (await app.acrPush({ repository: 'reads/worker', digest: worker.digest, tag: 'v1', timestamp: new Date(now - 2 * 86_400_000).toISOString() })).status,
    ).toBe(202);
    expect(
      (await app.acrPush({ repository: 'reads/worker', digest: worker.digest, tag: 'stable', timestamp: new Date(now - 86_400_000).toISOString() })).status,
    ).toBe(202);
    await app.waitForPoints('reads/api', 1);
    await app.waitForPoints('reads/worker', 2);
    // A repository's summary lands just after its points.
    await waitFor(
      async () => {
        const res = await app.get('/api/repositories', { registry: app.proxy.loginServer, limit: 1000 });
        const listed = (res.json?.repositories ?? []) as { repository: string; latest?: { tag: string } }[];
        return ['reads/api', 'reads/worker'].every((r) => listed.find((x) => x.repository === r)?.latest) || undefined;
      },
      { timeoutMs: 20_000, intervalMs: 50, message: 'the summaries of reads/api and reads/worker' },
    );
  });

  it('lists repositories with their latest point', async () => {
    const res = await app.get('/api/repositories', { registry: app.proxy.loginServer, limit: 1000 });
    expect(res.status).toBe(200);
    const api = res.json.repositories.find((r: { repository: string }) => r.repository === 'reads/api');
    expect(api.latest).toMatchObject({ tag: 'v1', platform: 'linux/amd64' });
  });

  it('pages through repositories with limit and continuationToken, in name order', async () => {
    const registry = app.proxy.loginServer;
    // A summary lands just after its point: wait for both repositories of this block.
    const all = await waitFor(async () => {
      const body = (await app.get('/api/repositories', { registry })).json;
      const listed = body.repositories.map((r: { repository: string }) => r.repository);
      return listed.includes('reads/api') && listed.includes('reads/worker') ? body : undefined;
    });
    expect(all.continuationToken).toBeNull();
    const names: string[] = [];
    let token: string | undefined;
    do {
      const page = await app.get('/api/repositories', { registry, limit: 1, continuationToken: token });
      expect(page.status).toBe(200);
      expect(page.json.repositories).toHaveLength(1);
      names.push(page.json.repositories[0].repository);
      token = page.json.continuationToken ?? undefined;
    } while (token);
    expect(names).toEqual(all.repositories.map((r: { repository: string }) => r.repository));
    expect(names).toContain('reads/api');
    const bad = await app.get('/api/repositories', { registry, continuationToken: 'garbage' });
    expect(bad.status).toBe(400);
    expect(bad.json.problems.map((p: { parameter: string }) => p.parameter)).toEqual(['continuationToken']);
  });

  it('pages through points with limit and continuationToken, oldest first', async () => {
    const page1 = await app.get('/api/trend', { registry: app.proxy.loginServer, repository: 'reads/worker', limit: 1 });
    expect(page1.json.points.map((p: { tag: string }) => p.tag)).toEqual(['v1']);
    expect(typeof page1.json.continuationToken).toBe('string');
    const page2 = await app.get('/api/trend', {
      registry: app.proxy.loginServer,
      repository: 'reads/worker',
      limit: 1,
      continuationToken: page1.json.continuationToken,
    });
    expect(page2.json.points.map((p: { tag: string }) => p.tag)).toEqual(['stable']);
    expect(page2.json.continuationToken).toBeNull();
    const stableAt = Date.parse(page2.json.points[0].pushedAt);
    const window = await app.get('/api/trend', {
      registry: app.proxy.loginServer,
      repository: 'reads/worker',
      since: new Date(stableAt - 3_600_000).toISOString(),
      until: new Date(stableAt + 3_600_000).toISOString(),
    });
    expect(window.json.points.map((p: { tag: string }) => p.tag)).toEqual(['stable']);
    const byTag = await app.get('/api/trend', { registry: app.proxy.loginServer, repository: 'reads/worker', tag: 'v1' });
    expect(byTag.json.points.map((p: { tag: string }) => p.tag)).toEqual(['v1']);
    expect(byTag.json.points[0].digest).toBe(worker.digest);
  });

  it('answers 404 for an unknown repository or image and 400 naming bad parameters', async () => {
    const unknown = await app.get('/api/trend', { registry: app.proxy.loginServer, repository: 'nobody/here' });
    expect(unknown.status).toBe(404);
    expect(unknown.json.error).toMatch(/not tracked/);
    expect((await app.get('/api/image', { registry: app.proxy.loginServer, repository: 'reads/api', digest: sha256('x') })).status).toBe(404);
    const bad = await app.get('/api/trend', { repository: 'Bad Name', limit: 0, since: 'yesterday', continuationToken: 'garbage' });
    expect(bad.status).toBe(400);
    expect(bad.json.problems.map((p: { parameter: string }) => p.parameter).sort()).toEqual(['continuationToken', 'limit', 'registry', 'repository', 'since']);
    const reversed = await app.get('/api/trend', {
      registry: app.proxy.loginServer,
      repository: 'reads/api',
      since: '2026-02-01T00:00:00Z',
      until: '2026-01-01T00:00:00Z',
    });
    expect(reversed.status).toBe(400);
  });
});
