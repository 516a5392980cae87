import { describe, expect, it } from 'vitest';
import type { RepositorySummary } from '../../src/core/repository';
import { guessBaseline } from '../../src/services/trendPoints';

const summary = (latest?: Partial<RepositorySummary['latestByPlatform'][string]>): RepositorySummary => ({
  registry: 'r.io',
  repository: 'team/app',
  firstSeenAt: '2026-11-01T00:00:00.000Z',
  latestByPlatform: latest
    ? {
        'linux/amd64': {
          pushedAt: '2026-11-02T00:00:00.000Z',
          tag: 'v2',
          digest: 'sha256:b',
          platform: 'linux/amd64',
          sizeBytes: 10,
          layerCount: 1,
          sizeDeltaBytes: 1,
          ...latest,
        },
      }
    : {},
});
const point = { pushedAt: '2026-11-03T00:00:00.000Z', tag: 'v3', digest: 'sha256:c', platform: 'linux/amd64' };

describe('guessBaseline', () => {
  it('names the summary’s newest point when it is earlier and of another digest', () => {
    expect(guessBaseline(summary({}), point, 'previous')).toEqual({ tag: 'v2', digest: 'sha256:b' });
  });

  it('lends a new tag of the newest digest that point’s own baseline, if chosen by the same rule', () => {
    const same = { ...point, digest: 'sha256:b', tag: 'prod' };
    expect(guessBaseline(summary({ baselineDigest: 'sha256:a', baselineTag: 'v1', baselineMode: 'previous' }), same, 'previous')).toEqual({
      tag: 'v1',
      digest: 'sha256:a',
    });
    expect(guessBaseline(summary({ baselineMode: 'previous' }), same, 'previous')).toBeNull();
    expect(guessBaseline(summary({ baselineDigest: 'sha256:a', baselineTag: 'v1', baselineMode: 'sameTag' }), same, 'previous')).toBeUndefined();
    expect(guessBaseline(summary({ baselineDigest: 'sha256:a', baselineTag: 'v1' }), same, 'previous')).toBeUndefined();
  });

  it('has no guess without a remembered summary, in sameTag mode, or for a point older than the newest; none for a new platform', () => {
    expect(guessBaseline(undefined, point, 'previous')).toBeUndefined();
    expect(guessBaseline(summary({}), point, 'sameTag')).toBeUndefined();
    expect(guessBaseline(summary({ pushedAt: '2026-11-04T00:00:00.000Z' }), point, 'previous')).toBeUndefined();
    expect(guessBaseline(summary(), point, 'previous')).toBeNull();
  });
});
