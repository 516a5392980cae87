import { describe, expect, it } from 'vitest';
import { estimateCosts, estimatePull, imageForEstimate, withMeasuredSizes, type ImageForEstimate } from '../../../src/core/estimates/estimates';
import { DEFAULT_PRICES, GIB } from '../../../src/core/estimates/pricing';
import { DEFAULT_PULL_MODEL, mergePullModel } from '../../../src/core/estimates/pullModel';

const GZIP = 'application/vnd.oci.image.layer.v1.tar+gzip';
const ZSTD = 'application/vnd.oci.image.layer.v1.tar+zstd';

/** The worked example of docs/estimates.md: v2 changes only the app layer of v1. */
const base = { digest: 'sha256:base', sizeBytes: 30_000_000, mediaType: GZIP };
const deps = { digest: 'sha256:deps', sizeBytes: 120_000_000, mediaType: GZIP };
const v1: ImageForEstimate = {
  sizeBytes: 158_005_000,
  configSizeBytes: 5_000,
  layers: [base, deps, { digest: 'sha256:app1', sizeBytes: 8_000_000, mediaType: ZSTD }],
};
const v2: ImageForEstimate = {
  sizeBytes: 160_005_000,
  configSizeBytes: 5_000,
  layers: [base, deps, { digest: 'sha256:app2', sizeBytes: 10_000_000, mediaType: ZSTD }],
};

describe('worked examples of docs/estimates.md (defaults, Standard SKU)', () => {
  const e = estimatePull(v2, v1, 'Standard', DEFAULT_PULL_MODEL);
  // Unpack is the same on every target (no throughput in it):
  //   v2: gzip (30 + 120) MB × 2.5 / 400 MB/s = 0.9375 s; zstd 10 MB × 2.5 / min(1580, 500) = 0.05 s → 0.9875 s
  //   v1: 0.9375 s + zstd 8 MB × 2.5 / 500 = 0.04 s → 0.9775 s

  it('ACI: every start pulls everything', () => {
    // effective min(40, 60) = 40 MB/s; download 160,005,000 / 40,000,000 = 4.000125 s; overhead ceil(3/3) × 0.2 = 0.2 s
    // v2: 20 + 0.2 + 4.000125 + 0.9875 = 25.187625 s
    // v1: 20 + 0.2 + 158,005,000 / 40,000,000 (3.950125) + 0.9775 = 25.127625 s → delta 0.06 s
    expect(e.aci.coldStartSeconds).toBeCloseTo(25.187625, 9);
    expect(e.aci.coldStartDeltaSeconds).toBeCloseTo(0.06, 9);
  });

  it('App Service: a new worker pulls everything, a restart only the new layer', () => {
    // cold: 30 + 0.2 + 4.000125 + 0.9875 = 35.187625 s; delta as ACI, 0.06 s
    // restart: app2 only: 30 + ceil(1/3) × 0.2 + 10,000,000 / 40,000,000 (0.25) + 0.05 = 30.5 s
    expect(e.appService.coldStartSeconds).toBeCloseTo(35.187625, 9);
    expect(e.appService.restartSeconds).toBeCloseTo(30.5, 9);
    expect(e.appService.coldStartDeltaSeconds).toBeCloseTo(0.06, 9);
  });

  it('AKS: a new node pulls everything, a node that ran v1 only the new layer', () => {
    // effective min(100, 60) = 60 MB/s
    // cold v2: 2 + 0.1 + 160,005,000 / 60,000,000 (2.66675) + 0.9875 = 5.75425 s
    // cold v1: 2 + 0.1 + 158,005,000 / 60,000,000 (2.6334166…) + 0.9775 = 5.7109166… s → delta 0.0433333… s
    // warm:    2 + 0.1 + 10,000,000 / 60,000,000 (0.1666…) + 0.05 = 2.3166666… s
    expect(e.aks.coldStartSeconds).toBeCloseTo(5.75425, 9);
    expect(e.aks.coldStartDeltaSeconds).toBeCloseTo(0.0433333333, 9);
    expect(e.aks.warmNodeSeconds).toBeCloseTo(2.3166666667, 9);
    expect(e.aks.serialImagePulls).toBe(true);
  });

  it('AKS with 300 MB of daemonset images on a new node, serial and parallel', () => {
    // serial: daemonsets first, as one gzip layer: 0.1 + 300,000,000 / 60,000,000 (5) + 750,000,000 / 400,000,000 (1.875) = 6.975 s
    //   cold 5.75425 + 6.975 = 12.72925 s; v1 gets the same 6.975 s, so the delta stays 0.0433333… s
    const serial = estimatePull(v2, v1, 'Standard', mergePullModel(DEFAULT_PULL_MODEL, { aks: { otherImageBytesOnNewNode: 300_000_000 } }));
    expect(serial.aks.coldStartSeconds).toBeCloseTo(12.72925, 9);
    expect(serial.aks.coldStartDeltaSeconds).toBeCloseTo(0.0433333333, 9);
    expect(serial.aks.warmNodeSeconds).toBeCloseTo(2.3166666667, 9);
    // parallel: the 300 MB only share the bandwidth: 2 + 0.1 + 460,005,000 / 60,000,000 (7.66675) + 0.9875 = 10.75425 s
    const parallel = estimatePull(
      v2,
      v1,
      'Standard',
      mergePullModel(DEFAULT_PULL_MODEL, { aks: { otherImageBytesOnNewNode: 300_000_000, serialImagePulls: false } }),
    );
    expect(parallel.aks.coldStartSeconds).toBeCloseTo(10.75425, 9);
    expect(parallel.aks.serialImagePulls).toBe(false);
  });

  it('cost: the image footprint, and a push that stays within the included storage', () => {
    // 160,005,000 / 1,073,741,824 = 0.1490162… GiB × 0.003 × 730 / 24 (0.09125) = 0.0135977… USD per month
    const c = estimateCosts(
      { sizeBytes: 160_005_000, newRegistryBytes: 10_005_000, registryBytesBefore: 40 * GIB },
      { sku: 'Standard', replicas: 1 },
      DEFAULT_PRICES,
    );
    expect(c.imageMonthly).toBeCloseTo(0.0135977, 7);
    expect(c).toMatchObject({ currency: 'USD', pushMarginalMonthly: 0, withinIncluded: true });
    expect(c.note).toMatch(/within the 100 GiB/);
  });

  it('cost: a push that crosses the included storage pays for the part above it', () => {
    // 99.75 GiB + 0.5 GiB → 0.25 GiB over × 0.09125 = 0.0228125 USD per month
    const c = estimateCosts(
      { sizeBytes: 2 * GIB, newRegistryBytes: 0.5 * GIB, registryBytesBefore: 99.75 * GIB },
      { sku: 'Standard', replicas: 1 },
      DEFAULT_PRICES,
    );
    expect(c.pushMarginalMonthly).toBeCloseTo(0.0228125, 12);
    // 2 GiB × 0.09125 = 0.1825
    expect(c.imageMonthly).toBeCloseTo(0.1825, 12);
    expect(c.withinIncluded).toBe(false);
  });
});

describe('estimatePull edge cases', () => {
  it('without a baseline: no deltas; a restart is a cold start; a warm AKS node pulls everything but not the daemonsets', () => {
    const params = mergePullModel(DEFAULT_PULL_MODEL, { aks: { otherImageBytesOnNewNode: 300_000_000 } });
    const e = estimatePull(v2, undefined, 'Standard', params);
    expect(e.aci.coldStartDeltaSeconds).toBeNull();
    expect(e.appService.coldStartDeltaSeconds).toBeNull();
    expect(e.aks.coldStartDeltaSeconds).toBeNull();
    expect(e.appService.restartSeconds).toBe(e.appService.coldStartSeconds);
    // 5.75425 s, as a new node without daemonsets
    expect(e.aks.warmNodeSeconds).toBeCloseTo(5.75425, 9);
    expect(e.aks.coldStartSeconds).toBeCloseTo(12.72925, 9);
  });

  it('an image identical to its baseline costs the start baseline on restart and has zero delta', () => {
    const e = estimatePull(v2, v2, 'Premium', DEFAULT_PULL_MODEL);
    expect(e.appService.restartSeconds).toBe(30);
    expect(e.aks.warmNodeSeconds).toBe(2);
    expect(e.aci.coldStartDeltaSeconds).toBe(0);
  });

  it('an image with no layers still downloads its config blob on a cold start', () => {
    // 5,000 / 40,000,000 = 0.000125 s, no layer requests, nothing to unpack
    const e = estimatePull({ sizeBytes: 5_000, configSizeBytes: 5_000, layers: [] }, undefined, 'Premium', DEFAULT_PULL_MODEL);
    expect(e.aci.coldStartSeconds).toBeCloseTo(20.000125, 12);
  });
});

describe('imageForEstimate', () => {
  it('takes the config size from a platform image', () => {
    const layers = [{ digest: 'sha256:l', mediaType: GZIP, sizeBytes: 10, foreign: false }];
    expect(imageForEstimate({ sizeBytes: 17, config: { digest: 'sha256:c', mediaType: 'x', sizeBytes: 7 }, layers })).toEqual({
      sizeBytes: 17,
      configSizeBytes: 7,
      layers,
    });
  });
});

describe('measured uncompressed sizes', () => {
  it('imageForEstimate passes a layer’s measured size through, and attaches the ones it is given', () => {
    const layers = [
      { digest: 'sha256:a', mediaType: GZIP, sizeBytes: 10, foreign: false, uncompressedBytes: 40 },
      { digest: 'sha256:b', mediaType: GZIP, sizeBytes: 20, foreign: false },
    ];
    const config = { digest: 'sha256:c', mediaType: 'x', sizeBytes: 7 };
    expect(imageForEstimate({ sizeBytes: 37, config, layers }).layers.map((l) => l.uncompressedBytes)).toEqual([40, undefined]);
    const measured = imageForEstimate({ sizeBytes: 37, config, layers }, new Map([['sha256:b', 55]]));
    expect(measured.layers.map((l) => l.uncompressedBytes)).toEqual([40, 55]);
    expect(measured.sizeBytes).toBe(37);
    expect(layers[1]).not.toHaveProperty('uncompressedBytes');
  });

  it('withMeasuredSizes attaches by digest from a map, a record or content-summary layers, and leaves the rest assumed', () => {
    const expected = [30_000_000 * 2, undefined, 25_000_000];
    const map = new Map([
      ['sha256:base', 60_000_000],
      ['sha256:app2', 25_000_000],
      ['sha256:elsewhere', 1],
    ]);
    const record = { 'sha256:base': 60_000_000, 'sha256:app2': 25_000_000 };
    const summaryLayers = [
      { digest: 'sha256:base', status: 'done', compressedBytes: 30_000_000, uncompressedBytes: 60_000_000 },
      { digest: 'sha256:deps', status: 'not analyzed', compressedBytes: 120_000_000 },
      { digest: 'sha256:app2', status: 'done', compressedBytes: 10_000_000, uncompressedBytes: 25_000_000 },
    ];
    for (const measured of [map, record, summaryLayers]) {
      const out = withMeasuredSizes(v2, measured);
      expect(out.layers.map((l) => l.uncompressedBytes)).toEqual(expected);
      expect(out.layers.map((l) => l.sizeBytes)).toEqual(v2.layers.map((l) => l.sizeBytes));
      expect({ sizeBytes: out.sizeBytes, configSizeBytes: out.configSizeBytes }).toEqual({ sizeBytes: v2.sizeBytes, configSizeBytes: v2.configSizeBytes });
    }
    // v2 itself is not touched
    expect(v2.layers.some((l) => l.uncompressedBytes !== undefined)).toBe(false);
    // no measurement at all: the same numbers as before
    expect(estimatePull(withMeasuredSizes(v2, {}), v1, 'Standard', DEFAULT_PULL_MODEL)).toEqual(estimatePull(v2, v1, 'Standard', DEFAULT_PULL_MODEL));
  });

  it('withMeasuredSizes ignores keys of Object.prototype and refuses sizes that are not bytes', () => {
    const odd: ImageForEstimate = { sizeBytes: 10, configSizeBytes: 0, layers: [{ digest: 'constructor', sizeBytes: 10, mediaType: GZIP }] };
    expect(withMeasuredSizes(odd, {}).layers[0]).not.toHaveProperty('uncompressedBytes');
    expect(() => withMeasuredSizes(v2, { 'sha256:deps': -1 })).toThrow(/sha256:deps measured uncompressed size/);
    expect(() => withMeasuredSizes(v2, new Map([['sha256:deps', Number.NaN]]))).toThrow(RangeError);
  });

  it('the worked example with the deps layer measured at 360,000,000 B (a ratio of 3, not 2.5)', () => {
    // unpack of v2: gzip (75,000,000 assumed + 360,000,000 measured) / 400 MB/s = 1.0875 s, zstd 0.05 s → 1.1375 s (+0.15 s)
    const measured = new Map([['sha256:deps', 360_000_000]]);
    const e = estimatePull(withMeasuredSizes(v2, measured), withMeasuredSizes(v1, measured), 'Standard', DEFAULT_PULL_MODEL);
    expect(e.aci.coldStartSeconds).toBeCloseTo(25.187625 + 0.15, 9);
    expect(e.appService.coldStartSeconds).toBeCloseTo(35.187625 + 0.15, 9);
    expect(e.aks.coldStartSeconds).toBeCloseTo(5.75425 + 0.15, 9);
    // deps is in both images: the deltas and the partial pulls are those of the example
    expect(e.aci.coldStartDeltaSeconds).toBeCloseTo(0.06, 9);
    expect(e.aks.coldStartDeltaSeconds).toBeCloseTo(0.043333333, 9);
    expect(e.appService.restartSeconds).toBeCloseTo(30.5, 9);
    expect(e.aks.warmNodeSeconds).toBeCloseTo(2.316666667, 9);
  });

  it('a layer measured on one side only counts the same on both, so it does not show as a change', () => {
    const measured = new Map([['sha256:deps', 360_000_000]]);
    const both = estimatePull(withMeasuredSizes(v2, measured), withMeasuredSizes(v1, measured), 'Standard', DEFAULT_PULL_MODEL);
    expect(estimatePull(withMeasuredSizes(v2, measured), v1, 'Standard', DEFAULT_PULL_MODEL)).toEqual(both);
    expect(estimatePull(v2, withMeasuredSizes(v1, measured), 'Standard', DEFAULT_PULL_MODEL)).toEqual(both);
    // the baseline's own layers lend nothing to the image: app1 is not in v2
    const app1Measured = estimatePull(v2, withMeasuredSizes(v1, { 'sha256:app1': 80_000_000 }), 'Standard', DEFAULT_PULL_MODEL);
    expect(app1Measured.aci.coldStartSeconds).toBe(estimatePull(v2, v1, 'Standard', DEFAULT_PULL_MODEL).aci.coldStartSeconds);
  });
});
