import { describe, expect, expectTypeOf, it } from 'vitest';
import type { z } from 'zod';
import { latestPoint, RepositorySummarySchema, withError, withPoint, type RepositorySummary } from '../../src/core/repository';
import type { TrendPoint } from '../../src/core/trend';
import { samplePoint } from '../support/samplePoint';

describe('RepositorySummarySchema', () => {
  it('describes RepositorySummary field for field, so reading through it drops nothing', () => {
    expectTypeOf<z.output<typeof RepositorySummarySchema>>().toEqualTypeOf<RepositorySummary>();
  });

  it('reads back a summary with points and an error unchanged, and refuses one whose point is not a point', () => {
    const empty: RepositorySummary = { registry: 'r.io', repository: 'team/app', firstSeenAt: '2026-11-01T00:00:00.000Z', latestByPlatform: {} };
    const summary = withError(withPoint(empty, samplePoint), { at: '2026-11-03T00:00:00.000Z', digest: 'sha256:c', message: 'manifest unknown' });
    expect(RepositorySummarySchema.parse(summary)).toEqual(summary);
    expect(RepositorySummarySchema.safeParse({ ...summary, latestByPlatform: { 'linux/amd64': { tag: 'v1' } } }).success).toBe(false);
  });
});

const point = (platform: string, pushedAt: string, tag = 'v1') => ({ platform, pushedAt, tag, digest: `sha256:${'a'.repeat(64)}` }) as TrendPoint;
const empty: RepositorySummary = { registry: 'r', repository: 'p', firstSeenAt: '2026-01-01T00:00:00.000Z', latestByPlatform: {} };

describe('repository summary', () => {
  it('keeps the newest point per platform whatever order points arrive in', () => {
    const newer = point('linux/amd64', '2026-01-03T00:00:00.000Z', 'new');
    const older = point('linux/amd64', '2026-01-02T00:00:00.000Z', 'old');
    expect(withPoint(withPoint(empty, newer), older).latestByPlatform['linux/amd64']?.tag).toBe('new');
    expect(withPoint(withPoint(empty, older), newer).latestByPlatform['linux/amd64']?.tag).toBe('new');
  });

  it('answers the latest point across platforms, a tie going to the platform name', () => {
    const s = [
      point('linux/arm64', '2026-01-02T00:00:00.000Z'),
      point('linux/amd64', '2026-01-02T00:00:00.000Z'),
      point('windows/amd64', '2026-01-01T00:00:00.000Z'),
    ].reduce(withPoint, empty);
    expect(latestPoint(s)?.platform).toBe('linux/amd64');
    expect(latestPoint(empty)).toBeUndefined();
  });

  it('shows the latest error: an older one delivered late does not replace it', () => {
    const later = withError(empty, { at: '2026-01-02T00:00:00.000Z', message: 'later' });
    expect(withError(later, { at: '2026-01-01T00:00:00.000Z', message: 'earlier' }).lastError?.message).toBe('later');
    expect(withError(later, { at: '2026-01-03T00:00:00.000Z', message: 'newest' }).lastError?.message).toBe('newest');
  });
});
