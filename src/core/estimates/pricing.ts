import { z } from 'zod';
import { oneOf } from '../validation';

/**
 * ACR storage cost. Prices differ by region and change over time, so every figure is
 * a default that `ACR_PRICES` can override; see docs/estimates.md for sources.
 */

export const SKUS = ['Basic', 'Standard', 'Premium'] as const;
export type Sku = (typeof SKUS)[number];
export const SkuSchema = oneOf(SKUS);

export interface SkuPrice {
  /** Registry price per day, per region holding it. */
  dailyPrice: number;
  /** Storage included in `dailyPrice`, per region. */
  includedGiB: number;
  /** Price of each GiB above `includedGiB`, per day, per region. */
  perGiBDay: number;
}

export interface PriceTable {
  currency: string;
  /** Azure bills a month as 730 hours, not a calendar month. */
  hoursPerMonth: number;
  skus: Record<Sku, SkuPrice>;
}

/** ACR's price list says "GB"; we read it as 2^30 bytes, ~7% more than 10^9 (see the doc). */
export const GIB = 2 ** 30;

export const DEFAULT_PRICES: PriceTable = {
  currency: 'USD',
  hoursPerMonth: 730,
  skus: {
    Basic: { dailyPrice: 0.167, includedGiB: 10, perGiBDay: 0.003 },
    Standard: { dailyPrice: 0.667, includedGiB: 100, perGiBDay: 0.003 },
    Premium: { dailyPrice: 1.667, includedGiB: 500, perGiBDay: 0.003 },
  },
};

const Amount = z.number().nonnegative('must be a number ≥ 0');

const SkuPriceOverrideSchema = z.strictObject({
  dailyPrice: Amount.optional(),
  includedGiB: Amount.optional(),
  perGiBDay: Amount.optional(),
});

export const PriceOverrideSchema = z.strictObject({
  currency: z.string().trim().min(1, 'must not be empty').optional(),
  hoursPerMonth: z.number().positive('must be a number > 0').optional(),
  skus: z
    .strictObject({
      Basic: SkuPriceOverrideSchema.optional(),
      Standard: SkuPriceOverrideSchema.optional(),
      Premium: SkuPriceOverrideSchema.optional(),
    })
    .optional(),
});
export type PriceOverride = z.infer<typeof PriceOverrideSchema>;

export function mergePrices(base: PriceTable, override: PriceOverride | undefined): PriceTable {
  const skus = {} as Record<Sku, SkuPrice>;
  for (const sku of SKUS) {
    const o = override?.skus?.[sku];
    const b = base.skus[sku];
    skus[sku] = {
      dailyPrice: o?.dailyPrice ?? b.dailyPrice,
      includedGiB: o?.includedGiB ?? b.includedGiB,
      perGiBDay: o?.perGiBDay ?? b.perGiBDay,
    };
  }
  return {
    currency: override?.currency ?? base.currency,
    hoursPerMonth: override?.hoursPerMonth ?? base.hoursPerMonth,
    skus,
  };
}

export interface RegistryProfile {
  sku: Sku;
  /** Regions holding the registry, home region included; above 1 only with Premium geo-replication. */
  replicas: number;
}

export const DEFAULT_REGISTRY_PROFILE: RegistryProfile = { sku: 'Standard', replicas: 1 };

/** For `REGISTRY_PROFILES` entries and query overrides, so bad input fails where it is read. */
export const RegistryProfileSchema = z
  .strictObject({
    sku: SkuSchema,
    replicas: z.number().int('must be a whole number').min(1, 'must be at least 1').default(1),
  })
  .refine((p) => p.replicas === 1 || p.sku === 'Premium', {
    message: 'geo-replication (replicas > 1) needs the Premium SKU',
    path: ['replicas'],
  });

function checkBytes(name: string, bytes: number): void {
  if (!Number.isFinite(bytes) || bytes < 0) throw new RangeError(`${name} must be a finite number of bytes ≥ 0, got ${bytes}`);
}

function checkProfile(profile: RegistryProfile): void {
  if (!Number.isInteger(profile.replicas) || profile.replicas < 1) {
    throw new RangeError(`replicas must be a whole number ≥ 1, got ${profile.replicas}`);
  }
  if (profile.replicas > 1 && profile.sku !== 'Premium') {
    throw new RangeError(`geo-replication (replicas > 1) needs the Premium SKU, not ${profile.sku}`);
  }
}

function daysPerMonth(prices: PriceTable): number {
  return prices.hoursPerMonth / 24;
}

/**
 * Each replica is billed the SKU's daily price and keeps a full copy with its own
 * included storage, so per-copy figures (`storedGiB`, `includedGiB`, `overageGiB`) are
 * multiplied by `replicas` only in the money.
 */
export function registryMonthlyCost(
  uniqueBytes: number,
  profile: RegistryProfile,
  prices: PriceTable,
): {
  currency: string;
  skuMonthly: number;
  storageMonthly: number;
  totalMonthly: number;
  storedGiB: number;
  includedGiB: number;
  overageGiB: number;
  withinIncluded: boolean;
} {
  checkBytes('uniqueBytes', uniqueBytes);
  checkProfile(profile);
  const price = prices.skus[profile.sku];
  const days = daysPerMonth(prices);
  const storedGiB = uniqueBytes / GIB;
  const overageGiB = Math.max(0, storedGiB - price.includedGiB);
  const skuMonthly = price.dailyPrice * days * profile.replicas;
  const storageMonthly = overageGiB * price.perGiBDay * days * profile.replicas;
  return {
    currency: prices.currency,
    skuMonthly,
    storageMonthly,
    totalMonthly: skuMonthly + storageMonthly,
    storedGiB,
    includedGiB: price.includedGiB,
    overageGiB,
    withinIncluded: overageGiB === 0,
  };
}

/**
 * What the image's bytes cost at the over-included rate: the honest "size in money",
 * even though a registry under its included storage pays nothing extra for them.
 * Layers shared with other images are counted in full: this is the image's footprint,
 * not its share. `perGiBMonth` already includes the replicas.
 */
export function imageMonthlyStorageCost(
  bytes: number,
  profile: RegistryProfile,
  prices: PriceTable,
): { currency: string; monthly: number; perGiBMonth: number } {
  checkBytes('bytes', bytes);
  checkProfile(profile);
  const perGiBMonth = prices.skus[profile.sku].perGiBDay * daysPerMonth(prices) * profile.replicas;
  return { currency: prices.currency, monthly: (bytes / GIB) * perGiBMonth, perGiBMonth };
}

/**
 * What a push adds to the bill: only its bytes above the included storage are billed,
 * so a registry with room to spare pays nothing, and a push that crosses the line pays
 * for the part above it.
 */
export function pushMarginalMonthlyCost(
  registryBytesBefore: number,
  newRegistryBytes: number,
  profile: RegistryProfile,
  prices: PriceTable,
): { currency: string; monthly: number; withinIncluded: boolean; billableNewGiB: number; note: string } {
  checkBytes('registryBytesBefore', registryBytesBefore);
  checkBytes('newRegistryBytes', newRegistryBytes);
  checkProfile(profile);
  const price = prices.skus[profile.sku];
  const includedBytes = price.includedGiB * GIB;
  const before = registryBytesBefore;
  const after = before + newRegistryBytes;
  const billableNewGiB = (Math.max(0, after - includedBytes) - Math.max(0, before - includedBytes)) / GIB;
  const monthly = billableNewGiB * price.perGiBDay * daysPerMonth(prices) * profile.replicas;
  const withinIncluded = after <= includedBytes;
  const perReplica = profile.replicas > 1 ? `, in each of ${profile.replicas} replicas` : '';
  let note: string;
  if (newRegistryBytes === 0) {
    note = 'The push added no new bytes to the registry: every layer was already stored.';
  } else if (withinIncluded) {
    note = `The registry stays within the ${price.includedGiB} GiB included with ${profile.sku}${perReplica}: these bytes cost nothing extra until it goes over.`;
  } else if (before >= includedBytes) {
    note = `The registry is already over the ${price.includedGiB} GiB included with ${profile.sku}${perReplica}: all new bytes are billed.`;
  } else {
    note = `This push takes the registry over the ${price.includedGiB} GiB included with ${profile.sku}${perReplica}: only the part above it is billed.`;
  }
  return { currency: prices.currency, monthly, withinIncluded, billableNewGiB, note };
}

const DAY_MS = 86_400_000;

/**
 * When steady growth takes the registry over its included storage. "Over" means
 * strictly above: at exactly the included amount nothing extra is billed yet.
 * Already over → `daysLeft: 0` and `date: null` (the crossing is in the past, and we
 * do not know when).
 */
export function projectIncludedExceeded(
  uniqueBytes: number,
  growthBytesPerDay: number,
  profile: RegistryProfile,
  prices: PriceTable,
  now: Date,
): { includedGiB: number; alreadyExceeded: boolean; date: string | null; daysLeft: number | null } {
  checkBytes('uniqueBytes', uniqueBytes);
  checkProfile(profile);
  if (!Number.isFinite(growthBytesPerDay)) throw new RangeError(`growthBytesPerDay must be finite, got ${growthBytesPerDay}`);
  if (Number.isNaN(now.getTime())) throw new RangeError('now is not a valid date');
  const includedGiB = prices.skus[profile.sku].includedGiB;
  const includedBytes = includedGiB * GIB;
  if (uniqueBytes > includedBytes) return { includedGiB, alreadyExceeded: true, date: null, daysLeft: 0 };
  if (growthBytesPerDay <= 0) return { includedGiB, alreadyExceeded: false, date: null, daysLeft: null };
  const daysLeft = (includedBytes - uniqueBytes) / growthBytesPerDay;
  const at = now.getTime() + daysLeft * DAY_MS;
  // Growth too slow to cross within the Date range (±8.64e15 ms) is "never", like no growth.
  if (!Number.isFinite(at) || Math.abs(at) > 8.64e15) return { includedGiB, alreadyExceeded: false, date: null, daysLeft };
  return { includedGiB, alreadyExceeded: false, date: new Date(at).toISOString(), daysLeft };
}
