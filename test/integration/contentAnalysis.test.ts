/**
 * What is inside an image, end to end: layers made by GNU tar, gzip and zstd, pushed to
 * the real registry; a webhook; the service reads each layer blob once, composes the
 * filesystem and answers /api/image and /api/files. Every expected figure is worked out
 * here from `tar -tvf` of the same layers, never from the code under test.
 */
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApp, type AppUnderTest } from './support/app';
import { pushImage } from './support/images';
import { diveFigures, expectedFigures, imageOf, rawLayer, tarLayer, tarListing, type BuiltLayer, type TreeItem } from './support/tarLayers';
import { waitFor } from './support/wait';

let app: AppUnderTest;
const MAX_BYTES = 4 * 1024 * 1024;

beforeAll(async () => {
  // Two attempts per message, so giving up on a layer is seen within seconds.
  app = await startApp({ env: { LAYER_ANALYSIS_MAX_BYTES: String(MAX_BYTES), AzureFunctionsJobHost__extensions__queues__maxDequeueCount: '2' } });
});
afterAll(() => app?.stop());

const long100 = `opt/${'a'.repeat(60)}/${'b'.repeat(60)}/file.txt`;
const long255 = `opt/${'c'.repeat(90)}/${'d'.repeat(90)}/${'e'.repeat(90)}/deep.txt`;

const base: TreeItem[] = [
  { file: 'usr/bin/app', bytes: 40_000 },
  { hardlink: 'usr/bin/app-link', to: 'usr/bin/app' },
  { symlink: 'usr/bin/sh', to: 'app' },
  { file: 'etc/app.conf', bytes: 1_200 },
  { file: 'srv/data.bin', bytes: 50_000 },
  { file: 'tmp/build/obj1.o', bytes: 30_000 },
  { file: 'tmp/build/obj2.o', bytes: 20_000 },
  { file: 'var/cache/app/c1', bytes: 5_000 },
  { file: long100, bytes: 777 },
  { file: long255, bytes: 333 },
];
const update: TreeItem[] = [
  { file: 'srv/data.bin', bytes: 20_000 },
  { whiteout: 'tmp/build' },
  { opaque: 'var/cache/app' },
  { file: 'var/cache/app/c2', bytes: 700 },
  { file: 'usr/lib/libx.so', bytes: 9_000 },
];

/** The SDK writes the digest's colon percent-encoded: match either form. */
const blobPath = (digest: string) => new RegExp(`/blobs/sha256(?::|%3A)${digest.slice('sha256:'.length)}$`, 'i');

async function pushAndAsk(repository: string, layers: BuiltLayer[] | Parameters<typeof imageOf>[0], opts: Parameters<typeof imageOf>[1] = {}) {
  const image = imageOf(layers, opts);
  await pushImage(app.registry.url, repository, image, { tag: 'v1' });
  expect((await app.acrPush({ repository, digest: image.manifest.digest, tag: 'v1' })).status).toBe(202);
  return image;
}

async function contentOf(repository: string, digest: string) {
  return waitFor(
    async () => {
      const res = await app.get('/api/image', { registry: app.proxy.loginServer, repository, digest });
      const content = res.status === 200 ? res.json.platforms?.[0]?.content : undefined;
      return content?.status === 'done' ? content : undefined;
    },
    { timeoutMs: 30_000, intervalMs: 150, message: `the content of ${repository}@${digest}` },
  );
}

describe('layer content analysis (real tar layers, real registry)', () => {
  it('reads gzip, zstd and uncompressed layers and composes the filesystem: on-disk bytes, wasted bytes, dive efficiency, per layer', async () => {
    const layers = [tarLayer(base, 'gzip', 'gnu'), tarLayer(update, 'zstd', 'pax'), tarLayer([], 'none')];
    const image = await pushAndAsk('content/multi', layers, { steps: ['ADD rootfs.tar /', 'RUN ./update.sh', 'RUN true'] });
    const listings = layers.map((l) => tarListing(l.tar));
    const expected = expectedFigures(listings);
    const dive = diveFigures(listings);
    // Worked out by hand too: 40,000 + 1,200 + 20,000 + 700 + 9,000 + 777 + 333 on disk; 50,000 (old data.bin)
    // + 50,000 (tmp/build) + 5,000 (c1 under the opaque directory) wasted.
    expect(expected.onDiskBytes).toBe(72_010);
    expect(expected.wastedBytes).toBe(105_000);

    const content = await contentOf('content/multi', image.manifest.digest);
    expect(content).toMatchObject({
      status: 'done',
      complete: true,
      onDiskBytes: expected.onDiskBytes,
      wastedBytes: expected.wastedBytes,
      shippedBytes: layers.reduce((s, l) => s + l.tar.length, 0),
      diveWastedBytes: dive.wastedBytes,
      fileCount: expected.finalFiles.size,
      diffIdMismatches: [],
    });
    expect(content.efficiency).toBeCloseTo(dive.efficiency, 10);
    expect(content.layers).toEqual(
      layers.map((l, i) =>
        expect.objectContaining({ digest: l.digest, status: 'done', compressedBytes: l.size, uncompressedBytes: l.tar.length, fileCount: listings[i]!.length }),
      ),
    );
    expect(content.topWasted).toEqual(
      expect.arrayContaining([
        { path: 'srv/data.bin', bytes: 50_000, layer: 0, by: 'replaced', byLayer: 1 },
        { path: 'tmp/build/obj1.o', bytes: 30_000, layer: 0, by: 'deleted', byLayer: 1 },
        { path: 'var/cache/app/c1', bytes: 5_000, layer: 0, by: 'deleted', byLayer: 1 },
      ]),
    );

    // Estimates unpack the layers read at their measured size (a tar of mostly zeros is far from the assumed 2.5:1).
    const measured = await app.get('/api/estimate', { registry: app.proxy.loginServer, repository: 'content/multi', digest: image.manifest.digest });
    expect(measured.status).toBe(200);
    expect(measured.json.measuredLayers).toBe(3);

    // The trend carries the figures on request, from the image's content record.
    const trend = await app.get('/api/trend', { registry: app.proxy.loginServer, repository: 'content/multi', content: 'true' });
    expect(trend.json.points[0]).toMatchObject({ sizeBytes: image.totalSize, onDiskBytes: expected.onDiskBytes, wastedBytes: expected.wastedBytes });
    expect(trend.json.points[0].content).toEqual({
      status: 'done',
      complete: true,
      onDiskBytes: expected.onDiskBytes,
      wastedBytes: expected.wastedBytes,
      shippedBytes: content.shippedBytes,
      efficiency: content.efficiency,
      findings: content.findings.length,
    });
    expect((await app.get('/api/trend', { registry: app.proxy.loginServer, repository: 'content/multi' })).json.points[0].content).toBeUndefined();

    // One directory level per call, sizes rolled up, from the final filesystem.
    const q = { registry: app.proxy.loginServer, repository: 'content/multi', digest: image.manifest.digest };
    const root = await app.get('/api/files', q);
    expect(root.status).toBe(200);
    const rolled = (dir: string) =>
      [...expected.finalFiles].filter(([p, e]) => e.type === 'file' && (p === dir || p.startsWith(`${dir}/`))).reduce((s, [, e]) => s + e.size, 0);
    const topLevel = [...new Set([...expected.finalFiles.keys()].map((p) => p.split('/')[0]!))].sort();
    expect(root.json.entries.map((e: { name: string }) => e.name).sort()).toEqual(topLevel);
    for (const e of root.json.entries) expect(e.sizeBytes).toBe(rolled(e.name));
    expect(root.json.entries.map((e: { sizeBytes: number }) => e.sizeBytes)).toEqual(
      [...root.json.entries.map((e: { sizeBytes: number }) => e.sizeBytes)].sort((a, b) => b - a),
    );
    const bin = await app.get('/api/files', { ...q, path: '/usr/bin/' });
    expect(bin.json.entries).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ name: 'app', type: 'file', sizeBytes: 40_000, layer: 0 }),
        expect.objectContaining({ name: 'app-link', type: 'hardlink', sizeBytes: 0 }),
        expect.objectContaining({ name: 'sh', type: 'symlink', sizeBytes: 0 }),
      ]),
    );
    const deep = await app.get('/api/files', { ...q, path: long255.split('/').slice(0, -1).join('/') });
    expect(deep.json.entries).toEqual([expect.objectContaining({ name: 'deep.txt', sizeBytes: 333 })]);

    // With a layer: what it added, changed and removed.
    const changes = await app.get('/api/files', { ...q, layer: layers[1]!.digest });
    expect(changes.status).toBe(200);
    expect(changes.json.layer).toMatchObject({ index: 1, digest: layers[1]!.digest, step: 'RUN ./update.sh' });
    expect(changes.json.changed).toEqual([expect.objectContaining({ path: 'srv/data.bin', beforeBytes: 50_000, afterBytes: 20_000 })]);
    expect(changes.json.added.map((a: { path: string }) => a.path)).toEqual(expect.arrayContaining(['usr/lib/libx.so', 'var/cache/app/c2']));
    expect(changes.json.removed).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ path: 'tmp/build', by: 'whiteout', bytes: 50_000 }),
        expect.objectContaining({ path: 'var/cache/app', by: 'opaque', bytes: 5_000 }),
      ]),
    );
  });

  it('answers 400 for a path that is not a directory and 404 for a layer the image does not have', async () => {
    const layers = [tarLayer([{ file: 'a/b.txt', bytes: 10 }], 'gzip')];
    const image = await pushAndAsk('content/errors', layers);
    await contentOf('content/errors', image.manifest.digest);
    const q = { registry: app.proxy.loginServer, repository: 'content/errors', digest: image.manifest.digest };
    const notDir = await app.get('/api/files', { ...q, path: 'a/b.txt' });
    expect(notDir.status).toBe(400);
    expect(notDir.json.error).toMatch(/a\/b\.txt is a file, not a directory/);
    expect((await app.get('/api/files', { ...q, path: 'nope' })).status).toBe(404);
    expect((await app.get('/api/files', { ...q, layer: `sha256:${'f'.repeat(64)}` })).status).toBe(404);
    expect((await app.get('/api/files', { ...q, digest: `sha256:${'0'.repeat(64)}` })).status).toBe(404);
  });

  it('records a diff_id mismatch on the image, a truncated layer and one over the size limit as not analyzed, and still composes the rest', async () => {
    const good = tarLayer([{ file: 'ok/x', bytes: 1_000 }], 'gzip');
    const full = gzipSync(tarLayer([{ file: 'trunc/y', bytes: 200_000 }], 'none').tar);
    const truncated = rawLayer(full.subarray(0, Math.floor(full.length / 2)), 'application/vnd.oci.image.layer.v1.tar+gzip');
    const big = rawLayer(Buffer.alloc(MAX_BYTES + 1, 7), 'application/vnd.oci.image.layer.v1.tar+gzip');
    const wrongDiffId = `sha256:${'9'.repeat(64)}`;
    const image = await pushAndAsk('content/damaged', [good, truncated, big], { diffIds: [wrongDiffId, truncated.diffId, big.diffId] });
    const content = await contentOf('content/damaged', image.manifest.digest);
    expect(content.complete).toBe(false);
    expect(content.diffIdMismatches).toEqual([{ layer: 0, digest: good.digest, expected: wrongDiffId, measured: good.diffId }]);
    expect(content.layers[1]).toMatchObject({ status: 'not analyzed', reason: expect.stringMatching(/gzip|truncat|unexpected end/i) });
    expect(content.layers[2]).toMatchObject({ status: 'not analyzed', reason: expect.stringContaining('LAYER_ANALYSIS_MAX_BYTES') });
    expect(content.onDiskBytes).toBe(1_000);
    // The oversized layer was refused from its manifest size alone: never downloaded.
    expect(app.proxy.count({ method: 'GET', path: blobPath(big.digest) })).toBe(0);
    expect(app.proxy.count({ method: 'GET', path: blobPath(good.digest) })).toBe(1);
  });

  it('retries a registry 500 during a blob download through the queue, and reads a layer shared by two repositories once', async () => {
    const shared = tarLayer([{ file: 'shared/lib.so', bytes: 64_000 }], 'gzip');
    const own = (n: number) => tarLayer([{ file: `app${n}/bin`, bytes: 1_000 + n }], 'gzip');
    app.proxy.reset();
    app.proxy.failNext(1, 500, { path: blobPath(shared.digest) });
    const [a, b] = [imageOf([shared, own(1)]), imageOf([shared, own(2)])];
    await pushImage(app.registry.url, 'content/shared-a', a, { tag: 'v1' });
    await pushImage(app.registry.url, 'content/shared-b', b, { tag: 'v1' });
    await Promise.all([
      app.acrPush({ repository: 'content/shared-a', digest: a.manifest.digest, tag: 'v1' }),
      app.acrPush({ repository: 'content/shared-b', digest: b.manifest.digest, tag: 'v1' }),
    ]);
    const [ca, cb] = await Promise.all([contentOf('content/shared-a', a.manifest.digest), contentOf('content/shared-b', b.manifest.digest)]);
    expect(ca.onDiskBytes).toBe(64_000 + 1_001);
    expect(cb.onDiskBytes).toBe(64_000 + 1_002);
    const gets = app.proxy.requests().filter((r) => r.method === 'GET' && blobPath(shared.digest).test(r.path));
    // The injected 500, then one download that succeeded: the second repository waited for it.
    expect(gets.map((r) => r.status)).toEqual([500, 200]);
    // Registry requests per push: today's two (manifest, config), plus one per layer the registry had not had read.
    expect(app.proxy.count({ injected: false })).toBe(2 * 2 + 2 + 1);
  });

  it('gives up on a layer the registry keeps failing after the last attempt of the queue, and composes the image without it', async () => {
    const flaky = tarLayer([{ file: 'flaky/blob', bytes: 3_000 }], 'gzip');
    const fine = tarLayer([{ file: 'fine/blob', bytes: 2_000 }], 'gzip');
    app.proxy.failNext(50, 503, { path: blobPath(flaky.digest) });
    const image = await pushAndAsk('content/flaky', [fine, flaky]);
    const content = await contentOf('content/flaky', image.manifest.digest);
    app.proxy.reset();
    expect(content).toMatchObject({ complete: false, onDiskBytes: 2_000 });
    expect(content.layers[1]).toMatchObject({
      status: 'not analyzed',
      reason: expect.stringMatching(/^every attempt to read it failed, the last with: .*HTTP 503/),
    });
    await app.host.waitForLog(/layer .*: not analyzed \(every attempt to read it failed/);
  });

  it('finds gcc, apt lists, an npm cache and a .git directory with exact bytes and the step that put them there; a multi-stage image has none; compare lists what grew', async () => {
    const MiB = 1024 * 1024;
    const steps = ['RUN apt-get update && apt-get install -y build-essential', 'COPY . /app', 'RUN npm ci'];
    const toolchain = tarLayer(
      [
        { file: 'usr/lib/gcc/x86_64-linux-gnu/12/cc1', bytes: 700_000 },
        { file: 'usr/bin/x86_64-linux-gnu-gcc-12', bytes: 90_000 },
        { file: 'usr/lib/x86_64-linux-gnu/libgcc_s.so.1', bytes: 120_000 }, // the runtime: not a finding
        { file: 'var/lib/apt/lists/deb.debian.org_debian_dists_bookworm_main_binary-amd64_Packages.lz4', bytes: 1.5 * MiB },
        { file: 'var/lib/apt/lists/lock', bytes: 0 },
      ],
      'gzip',
    );
    const source = tarLayer(
      [
        { file: 'app/server.js', bytes: 30_000 },
        { file: 'app/.git/objects/pack/pack-1.pack', bytes: 400_000 },
        { file: 'app/.git/HEAD', bytes: 23 },
      ],
      'gzip',
    );
    const deps = tarLayer(
      [
        { file: 'app/node_modules/left-pad/index.js', bytes: 2_000 },
        { file: 'root/.npm/_cacache/content-v2/sha512/ab/cd/0123', bytes: 1.25 * MiB },
      ],
      'zstd',
    );
    const fat = await pushAndAsk('content/findings', [toolchain, source, deps], { steps });
    const content = await contentOf('content/findings', fat.manifest.digest);
    const byRule = Object.fromEntries((content.findings as { rule: string }[]).map((f) => [f.rule, f]));
    expect(byRule.gcc).toMatchObject({ category: 'compiler', onDiskBytes: 790_000, fileCount: 2, layer: 0, step: steps[0] });
    expect(byRule['apt-lists']).toMatchObject({ category: 'package-index', onDiskBytes: 1.5 * MiB, layer: 0, step: steps[0] });
    expect(byRule['vcs-metadata']).toMatchObject({ category: 'vcs', onDiskBytes: 400_023, fileCount: 2, layer: 1, step: steps[1] });
    expect(byRule['npm-cache']).toMatchObject({ category: 'package-cache', onDiskBytes: 1.25 * MiB, layer: 2, step: steps[2] });
    expect(Object.keys(byRule).sort()).toEqual(['apt-lists', 'gcc', 'npm-cache', 'vcs-metadata']);
    // The advice carries its evidence and a saving priced by the cost and pull models.
    expect(byRule.gcc).toMatchObject({
      advice: expect.stringContaining('`RUN apt-get update && apt-get install -y build-essential`'),
      savings: { bytesPerPull: expect.any(Number) },
    });

    // The same application built multi-stage: the runtime library and the app, nothing else.
    const slim = await pushAndAsk('content/findings', [
      tarLayer([{ file: 'usr/lib/x86_64-linux-gnu/libgcc_s.so.1', bytes: 120_000 }], 'gzip'),
      tarLayer(
        [
          { file: 'app/server.js', bytes: 30_000 },
          { file: 'app/node_modules/left-pad/index.js', bytes: 2_000 },
        ],
        'gzip',
      ),
    ]);
    expect((await contentOf('content/findings', slim.manifest.digest)).findings).toEqual([]);

    const compared = await app.get('/api/compare', {
      registry: app.proxy.loginServer,
      repository: 'content/findings',
      from: slim.manifest.digest,
      to: fat.manifest.digest,
      top: 5,
    });
    expect(compared.status).toBe(200);
    expect(compared.json.files).toMatchObject({ status: 'done', complete: true, onDiskDeltaBytes: 790_000 + 1.5 * MiB + 400_023 + 1.25 * MiB });
    expect(compared.json.files.added.length).toBeLessThanOrEqual(5);
    expect(compared.json.files.added).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          path: '/var/lib/apt/lists/deb.debian.org_debian_dists_bookworm_main_binary-amd64_Packages.lz4',
          afterBytes: 1.5 * MiB,
          step: steps[0],
        }),
      ]),
    );
  });

  it('analyzes an image whose Dockerfile steps together are far beyond a queue message (60 layers, 1,000-character steps)', async () => {
    const layers = Array.from({ length: 60 }, (_, i) => tarLayer([{ file: `l${i}/f`, bytes: 100 + i }], 'gzip'));
    const steps = layers.map((_, i) => `RUN echo ${String(i).padStart(3, '0')} ${'x'.repeat(980)}`);
    const image = await pushAndAsk('content/long-steps', layers, { steps });
    const content = await contentOf('content/long-steps', image.manifest.digest);
    expect(content.onDiskBytes).toBe(layers.reduce((s, _, i) => s + 100 + i, 0));
    expect(content.layers[59].step).toBe(steps[59]);
  });
});
