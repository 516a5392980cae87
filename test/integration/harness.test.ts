/**
 * Proves the integration harness is real: a TLS-verified CNCF Distribution
 * registry, images whose bytes and sizes round-trip exactly, a working proxy,
 * sentinel and notification capture. If this file fails, every other
 * integration test's results are meaningless.
 */
import { spawnSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MediaType, deleteManifest, makeImage, makeMultiPlatformImage, pushImage, pushMultiPlatformImage, sha256 } from './support/images';
import { startRegistryProxy, startSentinel } from './support/proxy';
import { startReceiver, type ReceivedRequest } from './support/receiver';
import { startRegistry, type TestRegistry } from './support/registry';

const ACCEPT = [MediaType.ociIndex, MediaType.ociManifest, MediaType.dockerManifestList, MediaType.dockerManifest].join(', ');

interface NotificationEvent {
  action: string;
  target: { mediaType?: string; digest?: string; size?: number; repository: string; tag?: string; url?: string };
  request: { host: string; method: string };
}

/** Plain fetch: the test CA is trusted only because NODE_EXTRA_CA_CERTS names it. */
async function get(url: string, method = 'GET') {
  const res = await fetch(url, { method, headers: { accept: ACCEPT } });
  return { res, bytes: Buffer.from(await res.arrayBuffer()) };
}

describe('integration harness', () => {
  let registry: TestRegistry;
  beforeAll(async () => {
    registry = await startRegistry();
  });
  afterAll(async () => {
    await registry?.stop();
  });

  it('serves the registry API over verified TLS', async () => {
    expect(registry.loginServer).toBe(`localhost:${registry.port}`);
    const { res } = await get(`${registry.url}/v2/`);
    expect(res.status).toBe(200);
    expect(res.headers.get('docker-distribution-api-version')).toBe('registry/2.0');

    // Without the CA the same request must fail: verification is really on.
    const { NODE_EXTRA_CA_CERTS: _, ...envWithoutCa } = process.env;
    const probe = spawnSync(
      process.execPath,
      ['-e', `fetch(${JSON.stringify(`${registry.url}/v2/`)}).then(() => process.exit(0), (e) => { console.error(e.cause?.code); process.exit(2); })`],
      { env: envWithoutCa, encoding: 'utf8', timeout: 10_000 },
    );
    expect(probe.status).toBe(2);
    expect(probe.stderr).toMatch(/CERT|ISSUER|SIGNATURE/);
  });

  it('round-trips a single-platform OCI image byte for byte', async () => {
    const image = makeImage({ format: 'oci', layers: [3000, 50_000], emptyLayerSteps: 2 });
    const pushed = await pushImage(registry.url, 'team/app', image, { tag: 'v1' });

    expect(pushed.digest).toBe(sha256(pushed.manifestBytes));
    expect(pushed.layerSizes).toEqual(image.layers.map((l) => l.bytes.length));
    expect(pushed.totalSize).toBe(pushed.configSize + pushed.layerSizes[0]! + pushed.layerSizes[1]!);
    // Random data doesn't compress: the gzip'd tar is a little larger than the payload.
    expect(pushed.layerSizes[1]).toBeGreaterThan(50_000);

    const byTag = await get(`${registry.url}/v2/team/app/manifests/v1`);
    expect(byTag.res.status).toBe(200);
    expect(byTag.res.headers.get('content-type')).toBe(MediaType.ociManifest);
    expect(byTag.res.headers.get('docker-content-digest')).toBe(pushed.digest);
    expect(byTag.bytes.equals(pushed.manifestBytes)).toBe(true);

    const manifest = JSON.parse(byTag.bytes.toString()) as {
      config: { digest: string; size: number };
      layers: { size: number; mediaType: string }[];
    };
    expect(manifest.config).toMatchObject({ digest: pushed.configDigest, size: pushed.configSize });
    expect(manifest.layers.map((l) => l.size)).toEqual(pushed.layerSizes);
    expect(manifest.layers.every((l) => l.mediaType === MediaType.ociLayerGzip)).toBe(true);

    const config = await get(`${registry.url}/v2/team/app/blobs/${pushed.configDigest}`);
    expect(config.res.status).toBe(200);
    expect(config.bytes.equals(image.config.bytes)).toBe(true);
    const doc = JSON.parse(config.bytes.toString()) as {
      architecture: string;
      os: string;
      rootfs: { diff_ids: string[] };
      history: { empty_layer?: boolean }[];
    };
    expect(doc).toMatchObject({ architecture: 'amd64', os: 'linux' });
    expect(doc.rootfs.diff_ids).toEqual(image.layers.map((l) => l.diffId));
    expect(doc.history.filter((h) => h.empty_layer)).toHaveLength(2);

    for (const layer of image.layers) {
      const head = await get(`${registry.url}/v2/team/app/blobs/${layer.digest}`, 'HEAD');
      expect(head.res.status).toBe(200);
      expect(Number(head.res.headers.get('content-length'))).toBe(layer.size);
    }
  });

  it('round-trips a Docker v2 schema 2 image', async () => {
    const image = makeImage({ format: 'docker', layers: [1234], platform: { architecture: 'arm64', os: 'linux', variant: 'v8' } });
    const pushed = await pushImage(registry.url, 'team/legacy', image, { tag: 'latest' });
    const { res, bytes } = await get(`${registry.url}/v2/team/legacy/manifests/latest`);
    expect(res.headers.get('content-type')).toBe(MediaType.dockerManifest);
    expect(res.headers.get('docker-content-digest')).toBe(pushed.digest);
    expect(bytes.equals(pushed.manifestBytes)).toBe(true);
    expect(JSON.parse(bytes.toString())).toMatchObject({
      mediaType: MediaType.dockerManifest,
      config: { mediaType: MediaType.dockerConfig, size: pushed.configSize },
      layers: [{ mediaType: MediaType.dockerLayerGzip, size: pushed.layerSizes[0] }],
    });
    const config = await get(`${registry.url}/v2/team/legacy/blobs/${pushed.configDigest}`);
    expect(JSON.parse(config.bytes.toString())).toMatchObject({ architecture: 'arm64', os: 'linux', variant: 'v8' });

    const list = makeMultiPlatformImage({
      format: 'docker',
      attestations: false,
      platforms: [
        { platform: { architecture: 'amd64', os: 'linux' }, layers: [300] },
        { platform: { architecture: 'arm', os: 'linux', variant: 'v7' }, layers: [400] },
      ],
    });
    const pushedList = await pushMultiPlatformImage(registry.url, 'team/legacy', list, { tag: 'multi' });
    const listed = await get(`${registry.url}/v2/team/legacy/manifests/multi`);
    expect(listed.res.headers.get('content-type')).toBe(MediaType.dockerManifestList);
    expect(listed.bytes.equals(pushedList.indexBytes)).toBe(true);
    expect(pushedList.platforms.map((p) => p.mediaType)).toEqual([MediaType.dockerManifest, MediaType.dockerManifest]);
  });

  it('round-trips a multi-platform index with attestation manifests', async () => {
    const multi = makeMultiPlatformImage({
      platforms: [
        { platform: { architecture: 'amd64', os: 'linux' }, layers: [2000, 7000] },
        { platform: { architecture: 'arm64', os: 'linux', variant: 'v8' }, layers: [2500, 6000] },
      ],
    });
    const pushed = await pushMultiPlatformImage(registry.url, 'team/multi', multi, { tag: '1.0' });

    const index = await get(`${registry.url}/v2/team/multi/manifests/1.0`);
    expect(index.res.headers.get('content-type')).toBe(MediaType.ociIndex);
    expect(index.res.headers.get('docker-content-digest')).toBe(pushed.indexDigest);
    expect(index.bytes.equals(pushed.indexBytes)).toBe(true);

    const doc = JSON.parse(index.bytes.toString()) as {
      manifests: { digest: string; size: number; platform: { architecture: string; os: string; variant?: string }; annotations?: Record<string, string> }[];
    };
    expect(doc.manifests.map((m) => m.platform)).toEqual([
      { architecture: 'amd64', os: 'linux' },
      { architecture: 'arm64', os: 'linux', variant: 'v8' },
      { architecture: 'unknown', os: 'unknown' },
      { architecture: 'unknown', os: 'unknown' },
    ]);
    expect(pushed.attestations).toHaveLength(2);
    for (const [i, att] of pushed.attestations.entries()) {
      const subject = pushed.platforms[i]!;
      expect(att.subjectDigest).toBe(subject.digest);
      expect(doc.manifests[2 + i]).toMatchObject({
        digest: att.digest,
        annotations: { 'vnd.docker.reference.type': 'attestation-manifest', 'vnd.docker.reference.digest': subject.digest },
      });
      const attManifest = await get(`${registry.url}/v2/team/multi/manifests/${att.digest}`);
      expect(JSON.parse(attManifest.bytes.toString())).toMatchObject({ layers: [{ mediaType: MediaType.inToto, size: att.layerSizes[0] }] });
    }

    for (const p of pushed.platforms) {
      const child = await get(`${registry.url}/v2/team/multi/manifests/${p.digest}`);
      expect(child.bytes.equals(p.manifestBytes)).toBe(true);
      expect(doc.manifests.find((m) => m.digest === p.digest)?.size).toBe(p.manifestSize);
      expect(p.totalSize).toBe(p.configSize + p.layerSizes.reduce((a, b) => a + b, 0));
      const config = await get(`${registry.url}/v2/team/multi/blobs/${p.configDigest}`);
      expect(config.bytes.length).toBe(p.configSize);
      expect(JSON.parse(config.bytes.toString())).toMatchObject(p.platform);
    }
  });

  it('deletes a manifest by digest', async () => {
    const pushed = await pushImage(registry.url, 'team/doomed', makeImage({ layers: [100] }), { tag: 'x' });
    await deleteManifest(registry.url, 'team/doomed', pushed.digest);
    expect((await get(`${registry.url}/v2/team/doomed/manifests/${pushed.digest}`)).res.status).toBe(404);
    expect((await get(`${registry.url}/v2/team/doomed/manifests/x`)).res.status).toBe(404);
  });

  it('pushes through the recording proxy, which injects exactly the faults asked for', async () => {
    const proxy = await startRegistryProxy(registry.url);
    try {
      const pushed = await pushImage(proxy.url, 'via/proxy', makeImage({ layers: [4096] }), { tag: 'p' });
      // Uploads only succeed if the registry's Location headers were rewritten to the proxy.
      expect(proxy.count({ method: 'PUT', path: /\/blobs\/uploads\//, status: 201 })).toBe(2);
      expect(proxy.count({ method: 'PUT', path: '/v2/via/proxy/manifests/p', status: 201 })).toBe(1);
      expect(proxy.requests().every((r) => r.status > 0 && !r.injected)).toBe(true);

      const direct = await get(`${registry.url}/v2/via/proxy/manifests/p`);
      expect(direct.res.headers.get('docker-content-digest')).toBe(pushed.digest);

      proxy.reset();
      proxy.failNext(1, 500);
      const statuses = [];
      for (let i = 0; i < 3; i++) statuses.push((await get(`${proxy.url}/v2/via/proxy/manifests/p`)).res.status);
      expect(statuses).toEqual([500, 200, 200]);
      expect(proxy.count({ status: 500, injected: true })).toBe(1);
      expect(proxy.count()).toBe(3);

      proxy.failNext(1, 503, { path: /\/blobs\// });
      expect((await get(`${proxy.url}/v2/via/proxy/manifests/p`)).res.status).toBe(200);
      expect((await get(`${proxy.url}/v2/via/proxy/blobs/${pushed.configDigest}`)).res.status).toBe(503);
    } finally {
      await proxy.stop();
    }
  });

  it('sentinel records every connection and request', async () => {
    const sentinel = await startSentinel();
    try {
      expect(sentinel.connections()).toHaveLength(0);
      const { res } = await get(`${sentinel.url}/v2/`);
      expect(res.status).toBe(503);
      expect(sentinel.connections().length).toBeGreaterThanOrEqual(1);
      expect(sentinel.requests().map((r) => r.path)).toEqual(['/v2/']);
    } finally {
      await sentinel.stop();
    }
  });

  /*
   * What Distribution 2.8.2 actually sends (observed with this harness; the app's webhook relies on it):
   * - POST to the endpoint URL, Content-Type `application/vnd.docker.distribution.events.v1+json`
   *   (not application/json), User-Agent Go-http-client/1.1, configured headers verbatim.
   * - Body `{"events":[...]}`, in practice ONE event per envelope: every action is queued on its
   *   own; no batching, even for back-to-back pushes.
   * - Pushing an image by tag: one `push` per uploaded blob (target.mediaType is always
   *   `application/octet-stream`, whatever the blob is; no tag), then one `push` for the manifest:
   *   target {mediaType: the manifest's Content-Type, size, length, digest, repository, url, tag}.
   *   Children of an index pushed by digest have no tag; the index event carries the tag and the
   *   index media type; no `references` (events.includereferences is not set). Re-PUTting an
   *   existing manifest under a new tag emits another manifest `push` with that tag.
   * - GET *and HEAD* of manifests and blobs emit `pull` events; a 404 HEAD emits nothing.
   * - DELETE of a manifest emits `delete` with target {digest, repository} only (no mediaType or
   *   size), then one `delete` per tag that pointed at it, target {repository, tag}.
   * - request {id, addr, host: the Host header the client used, e.g. "localhost:PORT", method,
   *   useragent}; actor {} without auth; source {addr: "<machine hostname>:<port>", instanceID}.
   * - Delivery is in order and at least once: a non-2xx/3xx answer or a timeout re-sends the SAME
   *   event (same id), immediately up to `threshold` times, then every `backoff`, forever, holding
   *   back every later event. A receiver slower than `timeout` gets duplicates: the webhook must
   *   answer fast and dedupe on event id.
   * - ignoredmediatypes: ["application/octet-stream"] drops all blob events, keeping manifests.
   */
  it('delivers Distribution notifications for a push', async () => {
    const receiver = await startReceiver();
    const notifying = await startRegistry({
      notifications: { url: `${receiver.url}/events`, headers: { Authorization: ['Bearer test-token'] } },
    });
    const quiet = await startRegistry({
      notifications: { url: `${receiver.url}/quiet`, ignoredMediaTypes: ['application/octet-stream'] },
    });
    try {
      const image = makeImage({ layers: [512] });
      const pushed = await pushImage(notifying.url, 'team/notified', image, { tag: 'n1' });
      const isManifestPush = (r: ReceivedRequest) => r.body.includes(pushed.digest) && r.body.includes('"n1"');
      const [delivery] = await receiver.waitForRequests(1, { filter: isManifestPush });

      expect(delivery!.path).toBe('/events');
      expect(delivery!.headers['content-type']).toBe('application/vnd.docker.distribution.events.v1+json');
      expect(delivery!.headers.authorization).toBe('Bearer test-token');
      const envelope = delivery!.json as { events: NotificationEvent[] };
      expect(envelope.events).toHaveLength(1);
      expect(envelope.events[0]).toMatchObject({
        action: 'push',
        target: {
          mediaType: MediaType.ociManifest,
          digest: pushed.digest,
          size: pushed.manifestSize,
          repository: 'team/notified',
          tag: 'n1',
          url: `${notifying.url}/v2/team/notified/manifests/${pushed.digest}`,
        },
        request: { host: notifying.loginServer, method: 'PUT' },
      });

      // Blob events precede the manifest's, typed octet-stream, one envelope each.
      const blobEvents = receiver
        .requests()
        .filter((r) => r.path === '/events')
        .flatMap((r) => (r.json as { events: NotificationEvent[] }).events)
        .filter((e) => e.target.digest !== pushed.digest);
      expect(blobEvents.map((e) => [e.action, e.target.mediaType, e.target.digest, e.target.size]).sort()).toEqual(
        [image.config, ...image.layers].map((b) => ['push', 'application/octet-stream', b.digest, b.size]).sort(),
      );

      // An endpoint's notifications are sent in order: once the second push's manifest
      // event is in, any blob event of the first would have arrived before it.
      const quietPush = await pushImage(quiet.url, 'team/quiet', makeImage({ layers: [256] }), { tag: 'q' });
      const secondPush = await pushImage(quiet.url, 'team/quiet', makeImage({ layers: [300] }), { tag: 'q2' });
      await receiver.waitForRequests(1, { filter: (r) => r.path === '/quiet' && r.body.includes(secondPush.digest) });
      const quietEvents = receiver
        .requests()
        .filter((r) => r.path === '/quiet')
        .flatMap((r) => (r.json as { events: NotificationEvent[] }).events);
      expect(quietEvents.map((e) => e.target.digest)).toEqual([quietPush.digest, secondPush.digest]);
    } finally {
      await Promise.all([notifying.stop(), quiet.stop()]);
      await receiver.stop();
    }
  });
});
