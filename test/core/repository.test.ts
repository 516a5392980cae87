import { describe, expect, expectTypeOf, it } from 'vitest';
import type { z } from 'zod';
import { RepositorySummarySchema, withError, withPoint, type RepositorySummary } from '../../src/core/repository';
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
