import { describe, expect, it } from 'vitest';
import { DEFAULT_PRICES } from '../../src/core/estimates/pricing';
import { DEFAULT_PULL_MODEL } from '../../src/core/estimates/pullModel';
import { estimateContext, parseOverrides } from '../../src/services/estimates';

const base = { profile: { sku: 'Standard' as const, replicas: 1 }, pullModel: DEFAULT_PULL_MODEL };

describe('estimateContext', () => {
  it('merges settings over the defaults and picks each registry profile', () => {
    const ctx = estimateContext({
      ACR_SKU: 'Basic',
      ACR_GEO_REPLICAS: 1,
      REGISTRY_PROFILES: { 'big.azurecr.io': { sku: 'Premium', replicas: 3 } },
      ACR_PRICES: { currency: 'EUR', skus: { Basic: { dailyPrice: 0.2 } } },
      PULL_MODEL: { targets: { aci: { throughputMBps: 25 } } },
    });
    expect(ctx.profile('big.azurecr.io')).toEqual({ sku: 'Premium', replicas: 3 });
    expect(ctx.profile('other.azurecr.io')).toEqual({ sku: 'Basic', replicas: 1 });
    expect(ctx.prices.currency).toBe('EUR');
    expect(ctx.prices.skus.Basic).toEqual({ ...DEFAULT_PRICES.skus.Basic, dailyPrice: 0.2 });
    expect(ctx.pullModel.targets.aci.throughputMBps).toBe(25);
    expect(ctx.pullModel.targets.aks).toEqual(DEFAULT_PULL_MODEL.targets.aks);
  });
});

describe('parseOverrides', () => {
  it('applies bare parameters to every target and prefixed ones to one, prefixed winning', () => {
    const r = parseOverrides(
      { throughputMBps: '80', 'aci.throughputMBps': '20', compressionRatio: '3', 'aks.serialImagePulls': 'false', sku: 'Premium', replicas: '2' },
      base,
    );
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.pullModel.targets.aci.throughputMBps).toBe(20);
    expect(r.pullModel.targets.appService.throughputMBps).toBe(80);
    expect(r.pullModel.targets.aks.throughputMBps).toBe(80);
    expect(r.pullModel.compressionRatio).toBe(3);
    expect(r.pullModel.aks.serialImagePulls).toBe(false);
    expect(r.profile).toEqual({ sku: 'Premium', replicas: 2 });
  });

  it('names every bad or unknown parameter', () => {
    const r = parseOverrides({ throughputMbps: '80', 'aci.parallelDownloads': '1.5', sku: 'Gold', compressionRatio: 'lots' }, base);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.problems.map((p) => p.parameter).sort()).toEqual(['aci.parallelDownloads', 'compressionRatio', 'sku', 'throughputMbps']);
  });

  it('refuses geo-replicas without Premium', () => {
    const r = parseOverrides({ sku: 'Standard', replicas: '2' }, base);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.problems[0]!.message).toMatch(/Premium/);
  });
});
