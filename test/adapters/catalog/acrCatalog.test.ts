import { createHash } from 'node:crypto';
import type { TokenCredential } from '@azure/identity';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { AcrCatalog, type AcrCatalogOptions } from '../../../src/adapters/catalog/acrCatalog';
import { PermanentError, TransientError } from '../../../src/core/errors';
import { MediaType } from '../../../src/core/mediaTypes';
import type { Page } from '../../../src/services/catalog';
import { startAcrEmulator, type AcrEmulator, type AcrTag } from '../../integration/support/acrEmulator';
import { recordingGate } from '../../support/recordingGate';

let acr: AcrEmulator;
/** What the SDK asked the credential for: the scope it exchanges an AAD token of. */
const aadScopes: string[][] = [];

function credential(token?: () => string): TokenCredential {
  return {
    getToken: async (scopes) => {
      aadScopes.push(Array.isArray(scopes) ? scopes : [scopes]);
      return { token: token ? token() : acr.aadToken, expiresOnTimestamp: Date.now() + 3_600_000 };
    },
  };
}

/** A fresh adapter, as a new process would have: no cached clients, no ACR tokens. */
function catalog(gate = recordingGate().gate, extra: Partial<AcrCatalogOptions> = {}): AcrCatalog {
  return new AcrCatalog({ gate, timeoutMs: 5_000, maxRetries: 2, credential: credential(), ...extra });
}

/** Every page, each from a fresh adapter, the cursor through a JSON round trip as a run stores it. */
async function allPages<T>(list: (catalog: AcrCatalog, cursor: string | undefined) => Promise<Page<T>>): Promise<T[][]> {
  const pages: T[][] = [];
  let cursor: string | undefined;
  do {
    const page = await list(catalog(), cursor);
    pages.push(page.items);
    cursor = page.next === undefined ? undefined : (JSON.parse(JSON.stringify({ cursor: page.next })) as { cursor: string }).cursor;
  } while (cursor !== undefined && pages.length < 20);
  return pages;
}

const manifestBytes = (seed: string, mediaType: string = MediaType.ociManifest) =>
  Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType, config: { digest: `sha256:${createHash('sha256').update(seed).digest('hex')}` }, layers: [] }));
const sha256 = (b: Buffer) => `sha256:${createHash('sha256').update(b).digest('hex')}`;
const tag = (name: string, createdTime: string, lastUpdateTime = createdTime): AcrTag => ({ name, createdTime, lastUpdateTime });

const REPOSITORIES = ['alpha', 'team/app', 'team/web', 'tools/ci/runner', 'zeta'];
// team/app: tags spread over three manifests, updated in an order unlike their names', and one untagged manifest.
const APP = {
  v1: manifestBytes('v1'),
  v2: manifestBytes('v2', MediaType.dockerManifest),
  index: manifestBytes('index', MediaType.ociIndex),
  untagged: manifestBytes('untagged'),
};
const APP_TAGS = {
  v1: [
    tag('1.0', '2026-01-01T10:00:00.1111111Z', '2026-01-01T10:00:00.1111111Z'),
    tag('stable', '2026-01-02T09:30:00.2222222Z', '2026-03-04T12:00:00.9999999Z'),
  ],
  v2: [tag('2.0', '2026-02-01T08:00:00.0000001Z', '2026-02-01T08:00:00.0000001Z'), tag('beta', '2026-01-15T07:45:10.5555555Z', '2026-02-20T16:20:30.4444444Z')],
  index: [tag('latest', '2026-03-01T00:00:00.0009999Z', '2026-03-05T23:59:59.9990000Z')],
};
const BY_UPDATE_DESC = ['latest', 'stable', 'beta', '2.0', '1.0'];

beforeAll(async () => {
  acr = await startAcrEmulator();
  for (const repository of REPOSITORIES) {
    acr.putManifest(repository, {
      content: manifestBytes(repository),
      mediaType: MediaType.ociManifest,
      createdTime: '2025-12-01T00:00:00.0000000Z',
      lastUpdateTime: '2025-12-01T00:00:00.0000000Z',
      tags: [tag('latest', '2025-12-01T00:00:00.0000000Z')],
    });
  }
  const times = { createdTime: '2026-01-01T10:00:00.1111111Z', lastUpdateTime: '2026-01-01T10:00:00.1111111Z' };
  acr.putManifest('team/app', { content: APP.v1, mediaType: MediaType.ociManifest, ...times, tags: APP_TAGS.v1, architecture: 'amd64', os: 'linux' });
  acr.putManifest('team/app', { content: APP.v2, mediaType: MediaType.dockerManifest, ...times, tags: APP_TAGS.v2 });
  acr.putManifest('team/app', { content: APP.index, mediaType: MediaType.ociIndex, ...times, tags: APP_TAGS.index });
  acr.putManifest('team/app', {
    content: APP.untagged,
    mediaType: MediaType.ociManifest,
    createdTime: '2025-11-11T11:11:11.1234567Z',
    lastUpdateTime: '2025-11-12T12:12:12.7654321Z',
  });
  acr.putManifest('team/lying', {
    content: manifestBytes('lying'),
    mediaType: MediaType.ociManifest,
    ...times,
    tags: [tag('v1', times.createdTime)],
    servedDigest: `sha256:${'0'.repeat(64)}`,
  });
});
afterAll(async () => {
  await acr?.stop();
});
beforeEach(() => acr.reset());

describe('AcrCatalog against an emulated ACR REST API', () => {
  it('pages the repositories, nested names included, each page from a fresh instance, the cursor being the Link the service sent', async () => {
    const pages = await allPages((c, cursor) => c.repositories(acr.loginServer, { pageSize: 2, cursor }));
    expect(pages).toEqual([
      ['alpha', 'team/app'],
      ['team/lying', 'team/web'],
      ['tools/ci/runner', 'zeta'],
    ]);

    const first = await catalog().repositories(acr.loginServer, { pageSize: 2 });
    expect(first.next).toBe('/acr/v1/_catalog?last=team%2Fapp&n=2&orderby=');
    // A later unit may ask for another page size: the cursor says where, the caller how many.
    expect(await catalog().repositories(acr.loginServer, { cursor: first.next, pageSize: 10 })).toEqual({
      items: ['team/lying', 'team/web', 'tools/ci/runner', 'zeta'],
    });
    expect(aadScopes.at(-1)).toEqual(['https://management.azure.com/.default']);
  });

  it('lists tags by name with each digest and the service times to the millisecond, paged', async () => {
    const pages = await allPages((c, cursor) => c.tags(acr.loginServer, 'team/app', { pageSize: 2, cursor }));
    expect(pages.map((p) => p.map((t) => t.tag))).toEqual([['1.0', '2.0'], ['beta', 'latest'], ['stable']]);
    const stable = pages.flat().find((t) => t.tag === 'stable');
    expect(stable).toEqual({ tag: 'stable', digest: sha256(APP.v1), createdAt: '2026-01-02T09:30:00.222Z', updatedAt: '2026-03-04T12:00:00.999Z' });
    expect(pages.flat().find((t) => t.tag === '2.0')).toEqual({
      tag: '2.0',
      digest: sha256(APP.v2),
      createdAt: '2026-02-01T08:00:00.000Z',
      updatedAt: '2026-02-01T08:00:00.000Z',
    });
    expect(pages.flat().find((t) => t.tag === 'latest')?.digest).toBe(sha256(APP.index));
  });

  it('orders tags by last update, newest first, across pages and a resumed cursor (orderby=timedesc rides in the Link)', async () => {
    const pages = await allPages((c, cursor) => c.tags(acr.loginServer, 'team/app', { pageSize: 2, cursor, order: 'lastUpdatedDescending' }));
    expect(pages.flat().map((t) => t.tag)).toEqual(BY_UPDATE_DESC);
    expect(pages.map((p) => p.length)).toEqual([2, 2, 1]);
    const listings = acr.requests().filter((r) => r.path.includes('/_tags') && r.status === 200);
    expect(listings.map((r) => new URL(r.path, acr.url).searchParams.get('orderby'))).toEqual(['timedesc', 'timedesc', 'timedesc']);
    // The SDK encodes the name on a first page; the Link carries it as ACR wrote it.
    expect(listings[0]!.path).toMatch(/^\/acr\/v1\/team%2Fapp\/_tags\?/);
    expect(listings[1]!.path).toMatch(/^\/acr\/v1\/team\/app\/_tags\?last=stable&n=2&orderby=timedesc$/);
  });

  it('lists every manifest, the untagged one too, with tags, media type and times', async () => {
    const pages = await allPages((c, cursor) => c.manifests(acr.loginServer, 'team/app', { pageSize: 2, cursor }));
    expect(pages.map((p) => p.length)).toEqual([2, 2, 1]);
    const byDigest = new Map(pages.flat().map((m) => [m.digest, m]));
    // The repository's first manifest lost its `latest` to the index: untagged as well.
    const first = manifestBytes('team/app');
    expect([...byDigest.keys()].sort()).toEqual([APP.v1, APP.v2, APP.index, APP.untagged, first].map(sha256).sort());
    expect(byDigest.get(sha256(first))?.tags).toEqual([]);
    expect(byDigest.get(sha256(APP.untagged))).toEqual({
      digest: sha256(APP.untagged),
      tags: [],
      mediaType: MediaType.ociManifest,
      createdAt: '2025-11-11T11:11:11.123Z',
      updatedAt: '2025-11-12T12:12:12.765Z',
    });
    expect(byDigest.get(sha256(APP.v1))?.tags).toEqual(['1.0', 'stable']);
    expect(byDigest.get(sha256(APP.v2))?.mediaType).toBe(MediaType.dockerManifest);
    expect(byDigest.get(sha256(APP.index))?.mediaType).toBe(MediaType.ociIndex);
  });

  it('answers an empty page for a repository that is not there', async () => {
    expect(await catalog().tags(acr.loginServer, 'no/such')).toEqual({ items: [] });
    expect(await catalog().manifests(acr.loginServer, 'no/such')).toEqual({ items: [] });
  });

  it('fetches a manifest by tag, checked against Docker-Content-Digest; undefined for a tag that is not there', async () => {
    const c = catalog();
    expect(await c.manifestByTag(acr.loginServer, 'team/app', 'beta')).toEqual({
      digest: sha256(APP.v2),
      mediaType: MediaType.dockerManifest,
      content: APP.v2,
    });
    expect(await c.manifestByTag(acr.loginServer, 'team/app', 'latest')).toEqual({
      digest: sha256(APP.index),
      mediaType: MediaType.ociIndex,
      content: APP.index,
    });
    expect(await c.manifestByTag(acr.loginServer, 'team/app', 'no-such-tag')).toBeUndefined();
    const lying = await c.manifestByTag(acr.loginServer, 'team/lying', 'v1').catch((e: unknown) => e);
    expect(lying).toBeInstanceOf(PermanentError);
  });

  it('says whether a manifest exists by digest', async () => {
    const c = catalog();
    expect(await c.manifestExists(acr.loginServer, 'team/app', sha256(APP.untagged))).toBe(true);
    expect(await c.manifestExists(acr.loginServer, 'team/app', `sha256:${'e'.repeat(64)}`)).toBe(false);
  });

  it('passes the gate once for every request the service sees, challenges and token exchanges included, and counts each', async () => {
    const { gate, passed } = recordingGate();
    const counted: string[] = [];
    const c = catalog(gate, { onRequest: (r) => void counted.push(r) });
    await c.repositories(acr.loginServer, { pageSize: 2 });
    await c.tags(acr.loginServer, 'team/app', { order: 'lastUpdatedDescending' });
    await c.manifests(acr.loginServer, 'team/app');
    await c.manifestByTag(acr.loginServer, 'team/app', 'stable');
    await c.manifestExists(acr.loginServer, 'team/app', sha256(APP.v1));
    // One access token at a time per SDK client, scoped: a new scope is a new challenge and
    // token (not a new exchange); the content client is another client with its own.
    expect(acr.requests().map((r) => `${r.method} ${r.path.split('?')[0]!.replace(/sha256%3A\w+/, '<digest>')} ${r.status}`)).toEqual([
      'GET /acr/v1/_catalog 401',
      'POST /oauth2/exchange 200',
      'POST /oauth2/token 200',
      'GET /acr/v1/_catalog 200',
      'GET /acr/v1/team%2Fapp/_tags 401',
      'POST /oauth2/token 200',
      'GET /acr/v1/team%2Fapp/_tags 200',
      'GET /acr/v1/team%2Fapp/_manifests 200',
      'GET /v2/team%2Fapp/manifests/stable 401',
      'POST /oauth2/exchange 200',
      'POST /oauth2/token 200',
      'GET /v2/team%2Fapp/manifests/stable 200',
      'GET /acr/v1/team%2Fapp/_manifests/<digest> 200',
    ]);
    expect(passed).toEqual(Array(acr.requests().length).fill(acr.loginServer));
    expect(counted).toEqual(passed);
  });

  it('reports a 429 with its Retry-After to the gate and succeeds once the SDK sends it again', async () => {
    const { gate, passed, throttled } = recordingGate();
    const c = catalog(gate);
    await c.repositories(acr.loginServer, { pageSize: 2 });
    acr.reset();
    passed.length = 0;
    acr.failNext(1, 429, { path: /_catalog/, headers: { 'retry-after': '1' } });
    expect((await c.repositories(acr.loginServer, { pageSize: 2 })).items).toEqual(['alpha', 'team/app']);
    expect(throttled).toEqual([{ registry: acr.loginServer, retryAfterMs: 1000 }]);
    expect(acr.requests().map((r) => [r.status, r.injected])).toEqual([
      [429, true],
      [200, false],
    ]);
    expect(passed).toHaveLength(2);
  });

  it('pauses 1 s and tries again on a 429 that names no pause (which the SDK alone would not resend)', async () => {
    const { gate, throttled } = recordingGate();
    const c = catalog(gate);
    acr.failNext(1, 429, { path: /_tags/ });
    expect((await c.tags(acr.loginServer, 'team/app')).items).toHaveLength(5);
    expect(throttled).toEqual([{ registry: acr.loginServer, retryAfterMs: 1000 }]);
    expect(acr.requests().filter((r) => r.status === 429)).toHaveLength(1);
  });

  it('is transient on a 5xx the SDK gave up on and on a stalled answer; permanent when the identity is refused', async () => {
    acr.failNext(1, 503);
    const unavailable = await catalog(undefined, { maxRetries: 0 })
      .repositories(acr.loginServer)
      .catch((e: unknown) => e);
    expect(unavailable).toBeInstanceOf(TransientError);
    expect((unavailable as TransientError).status).toBe(503);

    const release = acr.hold(/_tags/);
    try {
      const stalled = await catalog(undefined, { timeoutMs: 300, maxRetries: 0 })
        .tags(acr.loginServer, 'team/app')
        .catch((e: unknown) => e);
      expect(stalled).toBeInstanceOf(TransientError);
      expect((stalled as Error).message).toMatch(/no answer within 300 ms/);
    } finally {
      release();
    }

    const refused = await catalog(undefined, { credential: credential(() => 'not-the-aad-token') })
      .repositories(acr.loginServer)
      .catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(PermanentError);
    expect((refused as PermanentError).status).toBe(401);
  });
});
