import { describe, expect, expectTypeOf, it } from 'vitest';
import type { z } from 'zod';
import { TrendPointSchema, type TrendPoint } from '../../src/core/trend';
import { samplePoint } from '../support/samplePoint';

describe('TrendPointSchema', () => {
  it('describes TrendPoint field for field, so reading through it drops nothing', () => {
    expectTypeOf<z.output<typeof TrendPointSchema>>().toEqualTypeOf<TrendPoint>();
  });

  it('reads back a point with a baseline and estimates unchanged, and a first point with null deltas', () => {
    const first: TrendPoint = { ...samplePoint, baselineDigest: undefined, baselineTag: undefined, sizeDeltaBytes: null, layerCountDelta: null };
    for (const p of [samplePoint, JSON.parse(JSON.stringify(first)) as TrendPoint]) expect(TrendPointSchema.parse(p)).toEqual(p);
  });

  it('refuses fractional or negative sizes and estimates of another shape', () => {
    expect(TrendPointSchema.safeParse({ ...samplePoint, sizeBytes: 1.5 }).success).toBe(false);
    expect(TrendPointSchema.safeParse({ ...samplePoint, addedBytes: -1 }).success).toBe(false);
    expect(TrendPointSchema.safeParse({ ...samplePoint, estimates: { cost: samplePoint.estimates!.cost } }).success).toBe(false);
  });
});
