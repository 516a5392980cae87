import { createHash } from 'node:crypto';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DistributionCatalog, type DistributionCatalogOptions } from '../../../src/adapters/catalog/distributionCatalog';
import { PermanentError, TransientError } from '../../../src/core/errors';
import { MediaType } from '../../../src/core/mediaTypes';
import type { Page } from '../../../src/services/catalog';
import { deleteManifest, makeImage, makeMultiPlatformImage, pushImage, pushMultiPlatformImage, type PushedImage } from '../../integration/support/images';
import { startRegistryProxy, type RegistryProxy } from '../../integration/support/proxy';
import { startRegistry, type TestRegistry } from '../../integration/support/registry';
import { serverTlsOptions } from '../../integration/support/tls';
import { recordingGate } from '../../support/recordingGate';

function catalog(gate = recordingGate().gate, extra: Partial<DistributionCatalogOptions> = {}): DistributionCatalog {
  return new DistributionCatalog({ gate, timeoutMs: 5_000, ...extra });
}

/** Every page, following `next` through a JSON round trip, as a run stores it between queued units. */
async function allPages<T>(list: (cursor: string | undefined) => Promise<Page<T>>): Promise<T[][]> {
  const pages: T[][] = [];
  let cursor: string | undefined;
  do {
    const page = await list(cursor);
    pages.push(page.items);
    cursor = page.next === undefined ? undefined : (JSON.parse(JSON.stringify({ cursor: page.next })) as { cursor: string }).cursor;
  } while (cursor !== undefined && pages.length < 20);
  return pages;
}

const REPOSITORIES = ['alpha', 'team/app', 'team/web', 'tools/ci/runner', 'zeta'];
// Pushed out of lexical order, so an order in the answer is the registry's or the adapter's, not the push's.
const APP_TAGS = ['stable', '1.1', 'latest', '2.0', 'beta', '1.0', 'rc-1'];

let registry: TestRegistry;
let proxy: RegistryProxy;
let ociImage: PushedImage;
let dockerImage: PushedImage;
let indexDigest: string;

beforeAll(async () => {
  registry = await startRegistry();
  proxy = await startRegistryProxy(registry.url);
  for (const repository of REPOSITORIES) await pushImage(registry.url, repository, makeImage({ layers: [64] }), { tag: 'latest' });
  ociImage = await pushImage(registry.url, 'team/app', makeImage({ layers: [128] }), { tag: APP_TAGS[0] });
  for (const tag of APP_TAGS.slice(1)) await pushImage(registry.url, 'team/app', makeImage({ layers: [32] }), { tag });
  dockerImage = await pushImage(registry.url, 'team/web', makeImage({ format: 'docker', layers: [96] }), { tag: 'docker' });
  const multi = makeMultiPlatformImage({
    platforms: [
      { platform: { os: 'linux', architecture: 'amd64' }, layers: [48] },
      { platform: { os: 'linux', architecture: 'arm64' }, layers: [48] },
    ],
  });
  indexDigest = (await pushMultiPlatformImage(registry.url, 'team/web', multi, { tag: 'multi' })).indexDigest;
});
afterAll(async () => {
  await proxy?.stop();
  await registry?.stop();
});

describe('DistributionCatalog against a real Distribution registry', () => {
  it('pages the repositories by the Link header, nested names included, and resumes from a stored cursor in a new instance', async () => {
    const pages = await allPages((cursor) => catalog().repositories(proxy.loginServer, { pageSize: 2, cursor }));
    expect(pages).toEqual([['alpha', 'team/app'], ['team/web', 'tools/ci/runner'], ['zeta']]);

    const first = await catalog().repositories(proxy.loginServer, { pageSize: 2 });
    expect(first.next).toBeTypeOf('string');
    // Another instance, another page size: the cursor says where, the caller how many.
    const rest = await catalog().repositories(proxy.loginServer, { cursor: first.next, pageSize: 10 });
    expect(rest).toEqual({ items: ['team/web', 'tools/ci/runner', 'zeta'] });
  });

  it('asks for 100 entries a page unless told otherwise', async () => {
    proxy.reset();
    expect((await catalog().repositories(proxy.loginServer)).items).toEqual(expect.arrayContaining(REPOSITORIES));
    expect(proxy.requests().map((r) => r.path)).toEqual(['/v2/_catalog?n=100']);
  });

  it('lists every tag lexically: this registry (Distribution 2.8) ignores n and answers them all, in storage order, with no Link', async () => {
    proxy.reset();
    const page = await catalog().tags(proxy.loginServer, 'team/app', { pageSize: 3 });
    expect(page).toEqual({ items: [...APP_TAGS].sort().map((tag) => ({ tag })) });
    expect(proxy.requests().map((r) => r.path)).toEqual(['/v2/team/app/tags/list?n=3']);
  });

  it('answers an empty page for a repository the catalog names but that has no tags (404 NAME_UNKNOWN)', async () => {
    await pushImage(registry.url, 'untagged/only', makeImage({ layers: [16] }));
    expect((await catalog().repositories(proxy.loginServer)).items).toContain('untagged/only');
    expect(await catalog().tags(proxy.loginServer, 'untagged/only')).toEqual({ items: [] });
  });

  it('refuses to order tags by last update, which Distribution cannot do', async () => {
    proxy.reset();
    const err = await catalog()
      .tags(proxy.loginServer, 'team/app', { order: 'lastUpdatedDescending' })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PermanentError);
    expect(proxy.count()).toBe(0);
  });

  it('fetches a manifest by tag with the digest the registry computed at push: OCI image, Docker image and OCI index', async () => {
    const oci = await catalog().manifestByTag(proxy.loginServer, 'team/app', APP_TAGS[0]!);
    expect(oci).toEqual({ digest: ociImage.digest, mediaType: MediaType.ociManifest, content: ociImage.manifestBytes });

    const docker = await catalog().manifestByTag(proxy.loginServer, 'team/web', 'docker');
    expect(docker).toEqual({ digest: dockerImage.digest, mediaType: MediaType.dockerManifest, content: dockerImage.manifestBytes });

    const index = await catalog().manifestByTag(proxy.loginServer, 'team/web', 'multi');
    expect(index?.digest).toBe(indexDigest);
    expect(index?.mediaType).toBe(MediaType.ociIndex);
    expect(`sha256:${createHash('sha256').update(index!.content).digest('hex')}`).toBe(indexDigest);
  });

  it('answers undefined for a tag or a repository that does not exist', async () => {
    expect(await catalog().manifestByTag(proxy.loginServer, 'team/app', 'no-such-tag')).toBeUndefined();
    expect(await catalog().manifestByTag(proxy.loginServer, 'no/such/repository', 'latest')).toBeUndefined();
  });

  it('says whether a manifest exists by digest (HEAD), and false once it is deleted', async () => {
    const image = await pushImage(registry.url, 'team/deleted', makeImage({ layers: [40] }), { tag: 'v1' });
    proxy.reset();
    expect(await catalog().manifestExists(proxy.loginServer, 'team/deleted', image.digest)).toBe(true);
    expect(await catalog().manifestExists(proxy.loginServer, 'team/web', indexDigest)).toBe(true);
    expect(proxy.requests().map((r) => r.method)).toEqual(['HEAD', 'HEAD']);

    await deleteManifest(registry.url, 'team/deleted', image.digest);
    expect(await catalog().manifestExists(proxy.loginServer, 'team/deleted', image.digest)).toBe(false);
    expect(await catalog().manifestByTag(proxy.loginServer, 'team/deleted', 'v1')).toBeUndefined();
  });

  it('passes the gate once for every request the registry sees, and counts each', async () => {
    const { gate, passed } = recordingGate();
    const counted: string[] = [];
    const c = catalog(gate, { onRequest: (r) => void counted.push(r) });
    proxy.reset();
    const pages = await allPages((cursor) => c.repositories(proxy.loginServer, { pageSize: 2, cursor }));
    await c.tags(proxy.loginServer, 'team/app');
    await c.manifestByTag(proxy.loginServer, 'team/web', 'multi');
    await c.manifestByTag(proxy.loginServer, 'team/app', 'no-such-tag');
    await c.manifestExists(proxy.loginServer, 'team/web', indexDigest);
    expect(proxy.count()).toBe(pages.length + 4);
    expect(passed).toEqual(Array(proxy.count()).fill(proxy.loginServer));
    expect(counted).toEqual(passed);
  });

  it('reports a 429 with its Retry-After (seconds or HTTP-date, 1 s when absent) and sends the request again', async () => {
    const { gate, passed, throttled } = recordingGate();
    const c = catalog(gate);
    proxy.reset();
    proxy.failNext(1, 429, { path: /_catalog/, headers: { 'retry-after': '2' } });
    expect((await c.repositories(proxy.loginServer, { pageSize: 2 })).items).toEqual(['alpha', 'team/app']);
    expect(throttled).toEqual([{ registry: proxy.loginServer, retryAfterMs: 2000 }]);
    expect(proxy.requests().map((r) => [r.status, r.injected])).toEqual([
      [429, true],
      [200, false],
    ]);
    expect(passed).toHaveLength(2);

    const at = new Date(Date.now() + 3_000).toUTCString();
    proxy.failNext(1, 429, { path: /tags\/list/, headers: { 'retry-after': at } });
    expect((await c.tags(proxy.loginServer, 'team/app')).items).toHaveLength(APP_TAGS.length);
    // An HTTP-date has whole seconds: between 2 and 3 s from now.
    expect(throttled[1]!.retryAfterMs).toBeGreaterThan(1_000);
    expect(throttled[1]!.retryAfterMs).toBeLessThanOrEqual(3_000);

    proxy.failNext(1, 429, { path: /manifests/ });
    expect(await c.manifestExists(proxy.loginServer, 'team/web', indexDigest)).toBe(true);
    expect(throttled[2]).toEqual({ registry: proxy.loginServer, retryAfterMs: 1000 });
    expect(passed).toHaveLength(proxy.count());
  });

  it('gives up after maxAttempts 429s with a TransientError, having reported each', async () => {
    const { gate, throttled } = recordingGate();
    proxy.reset();
    proxy.failNext(3, 429, { headers: { 'retry-after': '1' } });
    const err = await catalog(gate, { maxAttempts: 3 })
      .repositories(proxy.loginServer)
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TransientError);
    expect((err as TransientError).status).toBe(429);
    expect(throttled).toHaveLength(3);
    expect(proxy.count()).toBe(3);
  });

  it('treats a 5xx as transient, a stalled answer as a transient timeout, and a bad repository name as permanent without a request', async () => {
    proxy.reset();
    proxy.failNext(1, 503);
    const unavailable = await catalog()
      .repositories(proxy.loginServer)
      .catch((e: unknown) => e);
    expect(unavailable).toBeInstanceOf(TransientError);
    expect((unavailable as TransientError).status).toBe(503);

    const release = proxy.hold(/tags\/list/);
    try {
      const stalled = await catalog(undefined, { timeoutMs: 300 })
        .tags(proxy.loginServer, 'team/app')
        .catch((e: unknown) => e);
      expect(stalled).toBeInstanceOf(TransientError);
      expect((stalled as Error).message).toMatch(/no answer within 300 ms/);
    } finally {
      release();
    }

    proxy.reset();
    const bad = await catalog()
      .tags(proxy.loginServer, '../etc')
      .catch((e: unknown) => e);
    expect(bad).toBeInstanceOf(PermanentError);
    expect(proxy.count()).toBe(0);
  });
});

/**
 * What the Debian registry never does: page tags (Distribution 3.x and the OCI
 * distribution-spec's `n`/`last` with a `Link` header), serve bytes that do not match
 * Docker-Content-Digest, ask for credentials, redirect. A small HTTPS server shows them.
 */
describe('DistributionCatalog against registry behaviours the Debian registry does not show', () => {
  const TAGS = ['a', 'b', 'c', 'd', 'e', 'f', 'g'];
  const manifest = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: MediaType.ociManifest, config: {}, layers: [] }));
  const seen: string[] = [];
  let server: https.Server;
  let host: string;

  beforeAll(async () => {
    server = https.createServer(serverTlsOptions(), (req, res) => {
      const url = new URL(req.url ?? '/', `https://${host}`);
      seen.push(`${req.method} ${url.pathname}${url.search}`);
      if (url.pathname === '/v2/paged/tags/list') {
        const n = Number(url.searchParams.get('n'));
        const last = url.searchParams.get('last');
        const rest = TAGS.filter((t) => last === null || t > last);
        const tags = rest.slice(0, n);
        const headers: Record<string, string> = { 'content-type': 'application/json' };
        if (rest.length > n) headers.link = `</v2/paged/tags/list?last=${encodeURIComponent(tags.at(-1)!)}&n=${n}>; rel="next"`;
        res.writeHead(200, headers).end(JSON.stringify({ name: 'paged', tags }));
      } else if (url.pathname === '/v2/lying/manifests/v1') {
        res.writeHead(200, { 'content-type': MediaType.ociManifest, 'docker-content-digest': `sha256:${'0'.repeat(64)}` }).end(manifest);
      } else if (url.pathname === '/v2/moved/manifests/v1') {
        res.writeHead(307, { location: '/v2/here/manifests/v1' }).end();
      } else if (url.pathname === '/v2/here/manifests/v1') {
        const digest = `sha256:${createHash('sha256').update(manifest).digest('hex')}`;
        res.writeHead(200, { 'content-type': MediaType.ociManifest, 'docker-content-digest': digest }).end(manifest);
      } else {
        res
          .writeHead(401, { 'www-authenticate': `Bearer realm="https://${host}/token",service="${host}"`, 'content-type': 'application/json' })
          .end(JSON.stringify({ errors: [{ code: 'UNAUTHORIZED', message: 'authentication required' }] }));
      }
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    host = `localhost:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    server?.closeAllConnections();
    await new Promise<void>((resolve) => server?.close(() => resolve()));
  });

  it('follows a Link over 7 tags in pages of 3, and a stored cursor resumes in a new instance', async () => {
    seen.length = 0;
    const pages = await allPages((cursor) => catalog().tags(host, 'paged', { pageSize: 3, cursor }));
    expect(pages).toEqual([['a', 'b', 'c'].map((tag) => ({ tag })), ['d', 'e', 'f'].map((tag) => ({ tag })), [{ tag: 'g' }]]);
    expect(seen).toEqual(['GET /v2/paged/tags/list?n=3', 'GET /v2/paged/tags/list?last=c&n=3', 'GET /v2/paged/tags/list?last=f&n=3']);

    const first = await catalog().tags(host, 'paged', { pageSize: 3 });
    expect(first.next).toBe('last=c');
    expect((await catalog().tags(host, 'paged', { cursor: first.next, pageSize: 2 })).items).toEqual([{ tag: 'd' }, { tag: 'e' }]);
  });

  it('refuses bytes that do not hash to Docker-Content-Digest', async () => {
    const err = await catalog()
      .manifestByTag(host, 'lying', 'v1')
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PermanentError);
    expect((err as Error).message).toMatch(/Docker-Content-Digest sha256:0{64}/);
  });

  it('says a registry that challenges for credentials is out of reach, permanently', async () => {
    const err = await catalog()
      .repositories(host)
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PermanentError);
    expect((err as PermanentError).status).toBe(401);
    expect((err as Error).message).toMatch(/requires credentials the service cannot present/);
  });

  it('follows a redirect itself, through the gate', async () => {
    const { gate, passed } = recordingGate();
    seen.length = 0;
    const got = await catalog(gate).manifestByTag(host, 'moved', 'v1');
    expect(got?.content).toEqual(manifest);
    expect(seen).toEqual(['GET /v2/moved/manifests/v1', 'GET /v2/here/manifests/v1']);
    expect(passed).toEqual([host, host]);
  });
});
