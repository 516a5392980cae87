import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ContentTable } from '../../../src/adapters/tables/contentTable';
import { ImageTable } from '../../../src/adapters/tables/imageTable';
import { PointTable } from '../../../src/adapters/tables/pointTable';
import { RepositoryTable } from '../../../src/adapters/tables/repositoryTable';
import { Tables } from '../../../src/adapters/tables/tables';
import type { ImageRecord } from '../../../src/core/image';
import { mergeImage } from '../../../src/core/image';
import type { ParsedManifest } from '../../../src/core/manifest';
import { withPoint } from '../../../src/core/repository';
import type { TrendPoint } from '../../../src/core/trend';
import { findBaseline } from '../../../src/services/trendPoints';
import { startTestAzurite } from '../../integration/support/azurite';

let azurite: Awaited<ReturnType<typeof startTestAzurite>>;
let tables: Tables;

beforeAll(async () => {
  azurite = await startTestAzurite();
  tables = new Tables({ kind: 'connectionString', connectionString: azurite.connectionString });
});
afterAll(() => azurite?.stop());

const point = (over: Partial<TrendPoint>): TrendPoint => ({
  sizeDeltaBytes: -3,
  addedBytes: 0,
  removedBytes: 3,
  reusedBytes: 0,
  layerCountDelta: -1,
  newRegistryBytes: 0,
  pushedAt: '2026-11-01T00:00:00.000Z',
  tag: 'v1',
  digest: 'sha256:' + 'a'.repeat(64),
  platform: 'linux/amd64',
  sizeBytes: 5 * 1024 ** 3 + 7, // over 4 GiB: must survive as Int64
  configSizeBytes: 1234,
  layerCount: 3,
  mediaType: 'application/vnd.oci.image.manifest.v1+json',
  eventId: 'e',
  ...over,
});

describe('Table Storage adapters against Azurite', () => {
  it('stores content by digest and reads it back, also in a batch, with repository names full of slashes elsewhere', async () => {
    const content = new ContentTable(tables);
    const manifest: ParsedManifest = {
      kind: 'image',
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      config: { digest: 'sha256:c', mediaType: 'application/vnd.oci.image.config.v1+json', sizeBytes: 10 },
      // Enough layers with long steps to need several 30K-character chunks.
      layers: Array.from({ length: 120 }, (_, i) => ({
        digest: `sha256:${i}`,
        mediaType: 'm',
        sizeBytes: 2 ** 40 + i,
        foreign: false,
        createdBy: 'RUN ' + 'x'.repeat(900),
      })),
    };
    await content.putManifest('localhost:5443', 'sha256:m1', manifest);
    expect(await content.getManifest('localhost:5443', 'sha256:m1')).toEqual({ manifest, stale: false });
    expect(await content.getManifest('other:5443', 'sha256:m1')).toBeUndefined();
    const batch = await content.getManifests('localhost:5443', ['sha256:m1', 'sha256:nope']);
    expect([...batch.keys()]).toEqual(['sha256:m1']);
    await content.putConfig('localhost:5443', 'sha256:c', { os: 'linux', architecture: 'amd64', layerHistory: [{ createdBy: 'a' }] });
    expect(await content.getConfig('localhost:5443', 'sha256:c')).toEqual({
      config: { os: 'linux', architecture: 'amd64', layerHistory: [{ createdBy: 'a' }] },
      stale: false,
    });
  });

  it('records a (tag, digest) point once, keeps Int64 sizes exact and returns points oldest first', async () => {
    const points = new PointTable(tables);
    const repo = 'team-a/nested/app';
    const added = await points.add('r.io', repo, point({ pushedAt: '2026-11-03T00:00:00.000Z', tag: 'v3', digest: 'sha256:3' }));
    // The ETag comes from the transaction's answer: the same one a read returns, so a replace needs no read first.
    expect(added?.etag).toBe((await points.read({ registry: 'r.io', repository: repo, ...added!.point }))?.etag);
    expect(await points.add('r.io', repo, point({ pushedAt: '2026-11-01T00:00:00.000Z', tag: 'v1', digest: 'sha256:1' }))).toBeDefined();
    expect(
      await points.add('r.io', repo, point({ pushedAt: '2026-11-02T00:00:00.000Z', tag: 'v2', digest: 'sha256:2', platform: 'linux/arm64' })),
    ).toBeDefined();
    // Same tag and digest again, even at a later time: nothing new.
    expect(await points.add('r.io', repo, point({ pushedAt: '2026-11-09T00:00:00.000Z', tag: 'v1', digest: 'sha256:1' }))).toBeUndefined();

    const all = await points.query({ registry: 'r.io', repository: repo, limit: 1000 });
    expect(all.points.map((p) => p.tag)).toEqual(['v1', 'v2', 'v3']);
    expect(all.points[0]!.sizeBytes).toBe(5 * 1024 ** 3 + 7);
    expect(all.more).toBe(false);

    expect((await points.query({ registry: 'r.io', repository: repo, limit: 10, platform: 'linux/arm64' })).points.map((p) => p.tag)).toEqual(['v2']);
    expect((await points.query({ registry: 'r.io', repository: repo, limit: 10, tag: 'v3' })).points.map((p) => p.tag)).toEqual(['v3']);
    const window = await points.query({ registry: 'r.io', repository: repo, limit: 10, since: '2026-11-02T00:00:00.000Z', until: '2026-11-02T00:00:00.000Z' });
    expect(window.points.map((p) => p.tag)).toEqual(['v2']);

    const first = await points.query({ registry: 'r.io', repository: repo, limit: 2 });
    expect(first.points.map((p) => p.tag)).toEqual(['v1', 'v2']);
    expect(first.more).toBe(true);
    const rest = await points.query({ registry: 'r.io', repository: repo, limit: 2, after: first.last! });
    expect(rest.points.map((p) => p.tag)).toEqual(['v3']);
    expect(rest.more).toBe(false);
  });

  it('finds the baseline: the latest earlier point of the platform with another digest, or of the same tag', async () => {
    const points = new PointTable(tables);
    const repo = 'baseline/app';
    const at = (d: number) => `2026-11-${String(d).padStart(2, '0')}T00:00:00.000Z`;
    await points.add('r.io', repo, point({ pushedAt: at(1), tag: 'main', digest: 'sha256:a' }));
    await points.add('r.io', repo, point({ pushedAt: at(2), tag: 'feature', digest: 'sha256:b' }));
    await points.add('r.io', repo, point({ pushedAt: at(3), tag: 'again', digest: 'sha256:b' }));
    await points.add('r.io', repo, point({ pushedAt: at(3), tag: 'arm', digest: 'sha256:arm', platform: 'linux/arm64' }));
    const next = { platform: 'linux/amd64', pushedAt: at(4), digest: 'sha256:c', tag: 'main' };
    const baseline = async (p: typeof next, mode: 'previous' | 'sameTag') => {
      const found = await findBaseline({ points }, 'r.io', repo, p, mode);
      return found && { digest: found.digest, tag: found.tag };
    };
    expect(await baseline(next, 'previous')).toEqual({ digest: 'sha256:b', tag: 'again' });
    expect(await baseline(next, 'sameTag')).toEqual({ digest: 'sha256:a', tag: 'main' });
    // The same digest is never its own baseline; nothing earlier on the first day.
    expect(await baseline({ ...next, digest: 'sha256:b' }, 'previous')).toEqual({ digest: 'sha256:a', tag: 'main' });
    expect(await baseline({ ...next, pushedAt: at(1) }, 'previous')).toBeUndefined();
    expect(await points.hasPointFor('r.io', repo, 'sha256:b')).toBe(true);
    expect(await points.hasPointFor('r.io', repo, 'sha256:c')).toBe(false);
  });

  it('merges concurrent image updates without losing a tag', async () => {
    const images = new ImageTable(tables);
    const base: ImageRecord = {
      registry: 'r.io',
      repository: 'a/b',
      digest: 'sha256:x',
      mediaType: 'm',
      kind: 'image',
      status: 'ok',
      tags: [],
      firstPushedAt: '2026-11-01T00:00:00.000Z',
      lastPushedAt: '2026-11-01T00:00:00.000Z',
      platforms: [],
    };
    await Promise.all(['t1', 't2', 't3', 't4', 't5'].map((tag) => images.update('r.io', 'a/b', 'sha256:x', (e) => mergeImage(e, { ...base, tags: [tag] }))));
    expect((await images.get('r.io', 'a/b', 'sha256:x'))!.tags).toEqual(['t1', 't2', 't3', 't4', 't5']);
  });

  it('keeps the newest point per platform in the repository row under concurrent updates', async () => {
    const repos = new RepositoryTable(tables);
    const stamps = ['2026-11-05', '2026-11-02', '2026-11-09', '2026-11-01'].map((d) => `${d}T00:00:00.000Z`);
    await Promise.all(stamps.map((pushedAt) => repos.update('r.io', 'svc/api', pushedAt, (s) => withPoint(s, point({ pushedAt })))));
    const summary = await repos.get('r.io', 'svc/api');
    expect(summary!.latestByPlatform['linux/amd64']!.pushedAt).toBe('2026-11-09T00:00:00.000Z');
    expect((await repos.list('r.io', { limit: 1000 })).repositories.map((r) => r.repository)).toEqual(['svc/api']);
  });
});
