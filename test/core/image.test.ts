import { describe, expect, expectTypeOf, it } from 'vitest';
import type { z } from 'zod';
import { deleteImage, ImageRecordSchema, mergeImage, withFailedAttempt, type ImageRecord } from '../../src/core/image';
import { latestPoint, withPoint, type RepositorySummary } from '../../src/core/repository';
import type { TrendPoint } from '../../src/core/trend';

const record = (over: Partial<ImageRecord>): ImageRecord => ({
  registry: 'r',
  repository: 'p',
  digest: 'sha256:x',
  mediaType: 'm',
  kind: 'image',
  status: 'ok',
  tags: [],
  firstPushedAt: '2026-01-02T00:00:00.000Z',
  lastPushedAt: '2026-01-02T00:00:00.000Z',
  platforms: [],
  ...over,
});

describe('mergeImage', () => {
  it('accumulates tags, keeps the earliest first push and the latest push', () => {
    const merged = mergeImage(
      record({ tags: ['v1'] }),
      record({ tags: ['latest', 'v1'], firstPushedAt: '2026-01-03T00:00:00.000Z', lastPushedAt: '2026-01-03T00:00:00.000Z' }),
    );
    expect(merged.tags).toEqual(['latest', 'v1']);
    expect(merged.firstPushedAt).toBe('2026-01-02T00:00:00.000Z');
    expect(merged.lastPushedAt).toBe('2026-01-03T00:00:00.000Z');
  });

  it('lets a successful processing replace an earlier failure', () => {
    const merged = mergeImage(record({ status: 'retrying', reason: 'HTTP 500' }), record({ status: 'ok' }));
    expect(merged.status).toBe('ok');
    expect(merged.reason).toBeUndefined();
  });

  it('keeps saying a platform has a point once it had one (an untagged push after a tagged one writes none)', () => {
    const entry = { digest: 'sha256:p', platform: 'linux/amd64', sizeBytes: 10, configSizeBytes: 1, layerCount: 1, foreignLayerCount: 0, newRegistryBytes: 9 };
    const tagged = record({ tags: ['v1'], platforms: [{ ...entry, pointed: true }] });
    expect(mergeImage(tagged, record({ platforms: [entry] })).platforms).toEqual([{ ...entry, pointed: true }]);
    expect(mergeImage(record({ platforms: [entry] }), record({ platforms: [entry] })).platforms).toEqual([entry]);
  });

  it('keeps a delete unless a later push revives the image', () => {
    const deleted = record({ deletedAt: '2026-01-05T00:00:00.000Z' });
    expect(mergeImage(deleted, record({})).deletedAt).toBe('2026-01-05T00:00:00.000Z');
    expect(mergeImage(deleted, record({ lastPushedAt: '2026-01-06T00:00:00.000Z' })).deletedAt).toBeUndefined();
  });
});

describe('repository summary', () => {
  const point = (platform: string, pushedAt: string): TrendPoint => ({
    pushedAt,
    platform,
    tag: 't',
    digest: 'd',
    sizeBytes: 1,
    configSizeBytes: 1,
    layerCount: 1,
    mediaType: 'm',
    eventId: 'e',
    sizeDeltaBytes: 1,
    addedBytes: 0,
    removedBytes: 0,
    reusedBytes: 0,
    layerCountDelta: 1,
    newRegistryBytes: 1,
  });
  const empty: RepositorySummary = { registry: 'r', repository: 'p', firstSeenAt: '2026-01-01T00:00:00.000Z', latestByPlatform: {} };

  it('keeps the newest point per platform, whatever order points arrive in', () => {
    const s = [point('linux/amd64', '2026-01-03'), point('linux/amd64', '2026-01-02'), point('linux/arm64', '2026-01-01')].reduce(withPoint, empty);
    expect(s.latestByPlatform['linux/amd64']!.pushedAt).toBe('2026-01-03');
    expect(latestPoint(s)!.pushedAt).toBe('2026-01-03');
    expect(latestPoint(empty)).toBeUndefined();
  });
});

describe('ImageRecordSchema', () => {
  it('describes ImageRecord field for field, so reading through it drops nothing', () => {
    expectTypeOf<z.output<typeof ImageRecordSchema>>().toEqualTypeOf<ImageRecord>();
  });

  it('reads back records of every kind the core makes unchanged, platforms and failures alike', () => {
    const index = record({
      kind: 'index',
      status: 'partial',
      reason: '1 of 2 platform manifests could not be read',
      tags: ['v1'],
      platforms: [
        {
          digest: 'sha256:a',
          platform: 'linux/amd64',
          sizeBytes: 5 * 1024 ** 3,
          configSizeBytes: 10,
          layerCount: 3,
          foreignLayerCount: 0,
          newRegistryBytes: 7,
        },
        { digest: 'sha256:b', platform: 'linux/arm64', error: 'manifest unknown', errorStatus: 404 },
      ],
    });
    const retrying = withFailedAttempt(
      undefined,
      { registry: 'r', repository: 'p', digest: 'sha256:x', tag: 'v1', timestamp: '2026-01-02T00:00:00.000Z' },
      { reason: 'HTTP 503', status: 503, attempt: 2, final: false },
    );
    const deleted = deleteImage(undefined, '2026-01-03T00:00:00.000Z', { registry: 'r', repository: 'p', digest: 'sha256:x' });
    for (const r of [index, retrying, deleted]) expect(ImageRecordSchema.parse(r)).toEqual(r);
  });

  it('refuses an unknown status and a platform that is neither a summary nor a failure', () => {
    expect(ImageRecordSchema.safeParse(record({ status: 'gone' as ImageRecord['status'] })).success).toBe(false);
    expect(ImageRecordSchema.safeParse({ ...record({}), platforms: [{ digest: 'sha256:a', platform: 'linux/amd64' }] }).success).toBe(false);
  });
});
