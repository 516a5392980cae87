import { describe, expect, it } from 'vitest';
import { mergeImage, type ImageRecord } from '../../src/core/image';
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
    const merged = mergeImage(record({ tags: ['v1'] }), record({ tags: ['latest', 'v1'], firstPushedAt: '2026-01-03T00:00:00.000Z', lastPushedAt: '2026-01-03T00:00:00.000Z' }));
    expect(merged.tags).toEqual(['latest', 'v1']);
    expect(merged.firstPushedAt).toBe('2026-01-02T00:00:00.000Z');
    expect(merged.lastPushedAt).toBe('2026-01-03T00:00:00.000Z');
  });

  it('lets a successful processing replace an earlier failure', () => {
    const merged = mergeImage(record({ status: 'retrying', reason: 'HTTP 500' }), record({ status: 'ok' }));
    expect(merged.status).toBe('ok');
    expect(merged.reason).toBeUndefined();
  });

  it('keeps a delete unless a later push revives the image', () => {
    const deleted = record({ deletedAt: '2026-01-05T00:00:00.000Z' });
    expect(mergeImage(deleted, record({})).deletedAt).toBe('2026-01-05T00:00:00.000Z');
    expect(mergeImage(deleted, record({ lastPushedAt: '2026-01-06T00:00:00.000Z' })).deletedAt).toBeUndefined();
  });
});

describe('repository summary', () => {
  const point = (platform: string, pushedAt: string): TrendPoint => ({
    pushedAt, platform, tag: 't', digest: 'd', sizeBytes: 1, configSizeBytes: 1, layerCount: 1, mediaType: 'm', eventId: 'e',
    sizeDeltaBytes: 1, addedBytes: 0, removedBytes: 0, reusedBytes: 0, layerCountDelta: 1, newRegistryBytes: 1,
  });
  const empty: RepositorySummary = { registry: 'r', repository: 'p', firstSeenAt: '2026-01-01T00:00:00.000Z', latestByPlatform: {} };

  it('keeps the newest point per platform, whatever order points arrive in', () => {
    const s = [point('linux/amd64', '2026-01-03'), point('linux/amd64', '2026-01-02'), point('linux/arm64', '2026-01-01')].reduce(withPoint, empty);
    expect(s.latestByPlatform['linux/amd64']!.pushedAt).toBe('2026-01-03');
    expect(latestPoint(s)!.pushedAt).toBe('2026-01-03');
    expect(latestPoint(empty)).toBeUndefined();
  });
});
