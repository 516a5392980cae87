import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  DEFAULT_PRICES,
  GIB,
  PriceOverrideSchema,
  RegistryProfileSchema,
  imageMonthlyStorageCost,
  mergePrices,
  projectIncludedExceeded,
  pushMarginalMonthlyCost,
  registryMonthlyCost,
} from '../../../src/core/estimates/pricing';

// A pricing month is 730 h / 24 = 30.41666… days; one GiB over included costs
// 0.003 × 30.41666… = 0.09125 USD per month per copy.
const DAYS = 730 / 24;
const PER_GIB_MONTH = 0.09125;

const standard = { sku: 'Standard', replicas: 1 } as const;
const premium2 = { sku: 'Premium', replicas: 2 } as const;

describe('registryMonthlyCost', () => {
  it('charges only the SKU while storage is within the included amount', () => {
    // Basic, 5 GiB stored: 0.167 × 30.41666… = 5.0795833…; 5 GiB < 10 GiB → storage 0
    const c = registryMonthlyCost(5 * GIB, { sku: 'Basic', replicas: 1 }, DEFAULT_PRICES);
    expect(c.skuMonthly).toBeCloseTo(5.0795833333, 9);
    expect(c.storageMonthly).toBe(0);
    expect(c.totalMonthly).toBeCloseTo(5.0795833333, 9);
    expect(c).toMatchObject({ currency: 'USD', storedGiB: 5, includedGiB: 10, overageGiB: 0, withinIncluded: true });
  });

  it('adds the storage above the included amount', () => {
    // Standard, 120 GiB: sku 0.667 × 30.41666… = 20.2879166…; overage 20 GiB × 0.09125 = 1.825; total 22.1129166…
    const c = registryMonthlyCost(120 * GIB, standard, DEFAULT_PRICES);
    expect(c.skuMonthly).toBeCloseTo(20.2879166667, 9);
    expect(c.storageMonthly).toBeCloseTo(1.825, 9);
    expect(c.totalMonthly).toBeCloseTo(22.1129166667, 9);
    expect(c).toMatchObject({ storedGiB: 120, includedGiB: 100, overageGiB: 20, withinIncluded: false });
  });

  it('bills every geo-replica the SKU price and its own copy, each with its own included storage', () => {
    // Premium × 2, 600 GiB: sku 1.667 × 30.41666… (50.7045833…) × 2 = 101.4091666…; overage (600 − 500) × 0.09125 × 2 = 18.25; total 119.6591666…
    const c = registryMonthlyCost(600 * GIB, premium2, DEFAULT_PRICES);
    expect(c.skuMonthly).toBeCloseTo(101.4091666667, 9);
    expect(c.storageMonthly).toBeCloseTo(18.25, 9);
    expect(c.totalMonthly).toBeCloseTo(119.6591666667, 9);
    expect(c).toMatchObject({ storedGiB: 600, includedGiB: 500, overageGiB: 100 });
  });

  it('refuses negative bytes and impossible profiles', () => {
    expect(() => registryMonthlyCost(-1, standard, DEFAULT_PRICES)).toThrow(RangeError);
    expect(() => registryMonthlyCost(Number.NaN, standard, DEFAULT_PRICES)).toThrow(RangeError);
    expect(() => registryMonthlyCost(1, { sku: 'Standard', replicas: 2 }, DEFAULT_PRICES)).toThrow(/Premium/);
    expect(() => registryMonthlyCost(1, { sku: 'Premium', replicas: 0 }, DEFAULT_PRICES)).toThrow(RangeError);
    expect(() => registryMonthlyCost(1, { sku: 'Premium', replicas: 1.5 }, DEFAULT_PRICES)).toThrow(RangeError);
  });
});

describe('imageMonthlyStorageCost', () => {
  it('prices the image bytes at the over-included rate, times the replicas', () => {
    // 0.5 GiB × 0.09125 = 0.045625
    const one = imageMonthlyStorageCost(0.5 * GIB, standard, DEFAULT_PRICES);
    expect(one.monthly).toBeCloseTo(0.045625, 12);
    expect(one.perGiBMonth).toBeCloseTo(PER_GIB_MONTH, 12);
    // Premium × 2: 0.09125 × 2 = 0.1825 per GiB; 0.5 GiB → 0.09125
    const two = imageMonthlyStorageCost(0.5 * GIB, premium2, DEFAULT_PRICES);
    expect(two.perGiBMonth).toBeCloseTo(0.1825, 12);
    expect(two.monthly).toBeCloseTo(0.09125, 12);
    expect(() => imageMonthlyStorageCost(-5, standard, DEFAULT_PRICES)).toThrow(RangeError);
  });
});

describe('pushMarginalMonthlyCost', () => {
  it('is zero while the registry stays within the included storage, and says so', () => {
    const c = pushMarginalMonthlyCost(10 * GIB, 1 * GIB, standard, DEFAULT_PRICES);
    expect(c).toMatchObject({ monthly: 0, withinIncluded: true, billableNewGiB: 0, currency: 'USD' });
    expect(c.note).toMatch(/stays within the 100 GiB included with Standard/);
  });

  it('bills only the part above the included storage when the push crosses it', () => {
    // 99.75 GiB + 0.5 GiB = 100.25 GiB → 0.25 GiB over → 0.25 × 0.09125 = 0.0228125
    const c = pushMarginalMonthlyCost(99.75 * GIB, 0.5 * GIB, standard, DEFAULT_PRICES);
    expect(c.billableNewGiB).toBe(0.25);
    expect(c.monthly).toBeCloseTo(0.0228125, 12);
    expect(c.withinIncluded).toBe(false);
    expect(c.note).toMatch(/takes the registry over/);
  });

  it('bills all new bytes once the registry is over, per replica', () => {
    // already at 120 GiB: 0.5 GiB × 0.09125 = 0.045625; Premium × 2 at 600 GiB: 0.5 × 0.09125 × 2 = 0.09125
    expect(pushMarginalMonthlyCost(120 * GIB, 0.5 * GIB, standard, DEFAULT_PRICES).monthly).toBeCloseTo(0.045625, 12);
    const geo = pushMarginalMonthlyCost(600 * GIB, 0.5 * GIB, premium2, DEFAULT_PRICES);
    expect(geo.monthly).toBeCloseTo(0.09125, 12);
    expect(geo.note).toMatch(/already over .* in each of 2 replicas/);
  });

  it('says when the push added nothing new', () => {
    const c = pushMarginalMonthlyCost(120 * GIB, 0, standard, DEFAULT_PRICES);
    expect(c.monthly).toBe(0);
    expect(c.note).toMatch(/no new bytes/);
  });

  it('refuses negative bytes', () => {
    expect(() => pushMarginalMonthlyCost(-1, 0, standard, DEFAULT_PRICES)).toThrow(RangeError);
    expect(() => pushMarginalMonthlyCost(0, -1, standard, DEFAULT_PRICES)).toThrow(RangeError);
  });
});

describe('projectIncludedExceeded', () => {
  const now = new Date('2025-01-01T00:00:00Z');

  it('projects the crossing date at the current growth rate', () => {
    // (100 − 90) GiB / 0.5 GiB per day = 20 days → 2025-01-21
    expect(projectIncludedExceeded(90 * GIB, 0.5 * GIB, standard, DEFAULT_PRICES, now)).toEqual({
      includedGiB: 100,
      alreadyExceeded: false,
      date: '2025-01-21T00:00:00.000Z',
      daysLeft: 20,
    });
  });

  it('has no date without growth, and none to predict once over', () => {
    expect(projectIncludedExceeded(90 * GIB, 0, standard, DEFAULT_PRICES, now)).toEqual({
      includedGiB: 100,
      alreadyExceeded: false,
      date: null,
      daysLeft: null,
    });
    expect(projectIncludedExceeded(90 * GIB, -GIB, standard, DEFAULT_PRICES, now).date).toBeNull();
    expect(projectIncludedExceeded(101 * GIB, GIB, standard, DEFAULT_PRICES, now)).toEqual({
      includedGiB: 100,
      alreadyExceeded: true,
      date: null,
      daysLeft: 0,
    });
  });

  it('treats exactly the included amount as not yet exceeded', () => {
    expect(projectIncludedExceeded(100 * GIB, GIB, standard, DEFAULT_PRICES, now)).toEqual({
      includedGiB: 100,
      alreadyExceeded: false,
      date: '2025-01-01T00:00:00.000Z',
      daysLeft: 0,
    });
  });

  it('uses the per-replica included storage for geo-replicated registries', () => {
    // (500 − 400) GiB / 10 GiB per day = 10 days
    expect(projectIncludedExceeded(400 * GIB, 10 * GIB, premium2, DEFAULT_PRICES, now).date).toBe('2025-01-11T00:00:00.000Z');
  });

  it('refuses bad input', () => {
    expect(() => projectIncludedExceeded(-1, 1, standard, DEFAULT_PRICES, now)).toThrow(RangeError);
    expect(() => projectIncludedExceeded(1, Number.POSITIVE_INFINITY, standard, DEFAULT_PRICES, now)).toThrow(RangeError);
    expect(() => projectIncludedExceeded(1, 1, standard, DEFAULT_PRICES, new Date('nope'))).toThrow(RangeError);
  });
});

describe('price overrides', () => {
  it('merges a deep-partial override over the defaults', () => {
    const override = PriceOverrideSchema.parse({ currency: 'EUR', skus: { Premium: { dailyPrice: 1.55 } } });
    const merged = mergePrices(DEFAULT_PRICES, override);
    expect(merged.currency).toBe('EUR');
    expect(merged.hoursPerMonth).toBe(730);
    expect(merged.skus.Premium).toEqual({ dailyPrice: 1.55, includedGiB: 500, perGiBDay: 0.003 });
    expect(merged.skus.Basic).toEqual(DEFAULT_PRICES.skus.Basic);
    // hoursPerMonth flows into every monthly figure: 0.667 × (720 / 24) = 20.01
    const month720 = mergePrices(DEFAULT_PRICES, { hoursPerMonth: 720 });
    expect(registryMonthlyCost(0, standard, month720).skuMonthly).toBeCloseTo(20.01, 12);
  });

  it('does not alias the base table', () => {
    const merged = mergePrices(DEFAULT_PRICES, undefined);
    merged.skus.Basic.dailyPrice = 99;
    expect(DEFAULT_PRICES.skus.Basic.dailyPrice).toBe(0.167);
  });

  it('accepts zero prices (a free tier, or a test) but not negative ones', () => {
    expect(PriceOverrideSchema.safeParse({ skus: { Basic: { perGiBDay: 0 } } }).success).toBe(true);
    const r = PriceOverrideSchema.safeParse({ hoursPerMonth: 0 });
    expect(r.success).toBe(false);
  });

  it('checks registry profiles, including that only Premium geo-replicates', () => {
    expect(RegistryProfileSchema.parse({ sku: 'Premium' })).toEqual({ sku: 'Premium', replicas: 1 });
    const r = RegistryProfileSchema.safeParse({ sku: 'Standard', replicas: 2 });
    expect(r.success).toBe(false);
    if (!r.success) expect(z.prettifyError(r.error)).toMatch(/needs the Premium SKU[\s\S]*at replicas/);
    expect(RegistryProfileSchema.safeParse({ sku: 'Gold' }).success).toBe(false);
    expect(RegistryProfileSchema.safeParse({ sku: 'Premium', replicas: 2, region: 'x' }).success).toBe(false);
  });

  it('sanity: the per-GiB month figure used in these tests is 0.003 × 730 / 24', () => {
    expect(0.003 * DAYS).toBeCloseTo(PER_GIB_MONTH, 12);
  });
});
