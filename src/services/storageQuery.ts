import { projectIncludedExceeded, registryMonthlyCost } from '../core/estimates/pricing';
import { storageReport } from '../core/storageReport';
import type { StorageSnapshot } from '../core/storage';
import type { EstimateContext } from './estimates';

/** The registry's storage as ACR bills it, its growth, cost, and when the included storage runs out. */
export async function getStorage(
  runtime: { blobs: { snapshot(registry: string): Promise<StorageSnapshot> }; estimates: EstimateContext },
  registry: string,
  windowDays: number,
  now = new Date(),
) {
  const snapshot = await runtime.blobs.snapshot(registry);
  if (snapshot.blobs.length === 0) return undefined;
  const report = storageReport(snapshot.blobs, snapshot.references, now, windowDays);
  const profile = runtime.estimates.profile(registry);
  const prices = runtime.estimates.prices;
  const cost = registryMonthlyCost(report.uniqueBytes, profile, prices);
  const projection = projectIncludedExceeded(report.uniqueBytes, report.growth.bytesPerDay, profile, prices, now);
  const r4 = (n: number) => Math.round(n * 10_000) / 10_000;
  return {
    ...report,
    registryProfile: profile,
    cost: { ...cost, skuMonthly: r4(cost.skuMonthly), storageMonthly: r4(cost.storageMonthly), totalMonthly: r4(cost.totalMonthly) },
    projection,
  };
}
