import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { estimateCosts, estimatePull, withMeasuredSizes, type ImageForEstimate } from '../../../src/core/estimates/estimates';
import {
  DEFAULT_PRICES,
  PriceOverrideSchema,
  imageMonthlyStorageCost,
  mergePrices,
  pushMarginalMonthlyCost,
  registryMonthlyCost,
  GIB,
  type RegistryProfile,
  type Sku,
} from '../../../src/core/estimates/pricing';
import {
  DEFAULT_PULL_MODEL,
  PullModelOverrideSchema,
  TARGETS,
  mergePullModel,
  pullSeconds,
  type PullLayer,
  type PullModelParams,
  type Target,
  type TargetParams,
} from '../../../src/core/estimates/pullModel';
import { layerCompression } from '../../../src/core/mediaTypes';

const MEDIA_TYPES = [
  'application/vnd.oci.image.layer.v1.tar+gzip',
  'application/vnd.docker.image.rootfs.diff.tar.gzip',
  'application/vnd.oci.image.layer.v1.tar+zstd',
  'application/vnd.oci.image.layer.v1.tar',
  'application/vnd.docker.image.rootfs.foreign.diff.tar.gzip',
  'application/x-something-else',
];

const sku = fc.constantFrom<Sku>('Basic', 'Standard', 'Premium');
const size = fc.integer({ min: 0, max: 5_000_000_000 });
const layerArb = (n: number) =>
  fc.record({ sizeBytes: size, mediaType: fc.constantFrom(...MEDIA_TYPES) }).map((l): PullLayer => ({ ...l, digest: `sha256:${n}` }));
/** Distinct digests, as in a real manifest. */
const layers = (min = 0) =>
  fc
    .array(fc.record({ sizeBytes: size, mediaType: fc.constantFrom(...MEDIA_TYPES) }), { minLength: min, maxLength: 12 })
    .map((ls) => ls.map((l, i): PullLayer => ({ ...l, digest: `sha256:${i}` })));
const image = (ls: PullLayer[], configSizeBytes = 1_234): ImageForEstimate => ({
  sizeBytes: ls.reduce((s, l) => s + l.sizeBytes, configSizeBytes),
  configSizeBytes,
  layers: ls,
});

const rate = fc.double({ min: 0.5, max: 5_000, noNaN: true });
const targetParams: fc.Arbitrary<TargetParams> = fc.record({
  throughputMBps: rate,
  parallelDownloads: fc.integer({ min: 1, max: 16 }),
  perLayerOverheadMs: fc.double({ min: 0, max: 2_000, noNaN: true }),
  startBaselineSeconds: fc.double({ min: 0, max: 600, noNaN: true }),
});
const params: fc.Arbitrary<PullModelParams> = fc.record({
  compressionRatio: fc.double({ min: 1, max: 10, noNaN: true }),
  decompressMBps: fc.record({ gzip: rate, zstd: rate, unknown: rate }),
  extractMBps: rate,
  skuDownloadMBps: fc.record({ Basic: rate, Standard: rate, Premium: rate }),
  targets: fc.record({ aci: targetParams, appService: targetParams, aks: targetParams }),
  aks: fc.record({ serialImagePulls: fc.boolean(), otherImageBytesOnNewNode: size }),
});
const profile: fc.Arbitrary<RegistryProfile> = fc.oneof(
  fc.record({ sku: fc.constantFrom<Sku>('Basic', 'Standard'), replicas: fc.constant(1) }),
  fc.record({ sku: fc.constant<Sku>('Premium'), replicas: fc.integer({ min: 1, max: 10 }) }),
);
const bytes = fc.integer({ min: 0, max: 2 ** 45 });

function coldStarts(i: ImageForEstimate, s: Sku, p: PullModelParams): number[] {
  const e = estimatePull(i, undefined, s, p);
  return [e.aci.coldStartSeconds, e.appService.coldStartSeconds, e.aks.coldStartSeconds, e.aks.warmNodeSeconds, e.appService.restartSeconds];
}

describe('pull model properties', () => {
  it('adding a layer never estimates faster, on any target', () => {
    fc.assert(
      fc.property(layers(), layerArb(99), fc.nat(12), sku, params, (ls, extra, at, s, p) => {
        const more = [...ls.slice(0, at), extra, ...ls.slice(at)];
        for (const t of TARGETS) expect(pullSeconds(more, t, s, p).seconds).toBeGreaterThanOrEqual(pullSeconds(ls, t, s, p).seconds);
        const before = coldStarts(image(ls), s, p);
        const after = coldStarts(image(more), s, p);
        after.forEach((v, i) => expect(v).toBeGreaterThanOrEqual(before[i]!));
      }),
    );
  });

  it('growing a layer never estimates faster, on any target, with or without a baseline', () => {
    fc.assert(
      fc.property(layers(1), fc.nat(), size, sku, params, layers(), (ls, pick, growth, s, p, baseLayers) => {
        const i = pick % ls.length;
        const grown = ls.map((l, j) => (j === i ? { ...l, sizeBytes: l.sizeBytes + growth } : l));
        for (const t of TARGETS) expect(pullSeconds(grown, t, s, p).seconds).toBeGreaterThanOrEqual(pullSeconds(ls, t, s, p).seconds);
        const baseline = image(baseLayers);
        const a = estimatePull(image(ls), baseline, s, p);
        const b = estimatePull(image(grown), baseline, s, p);
        expect(b.aci.coldStartSeconds).toBeGreaterThanOrEqual(a.aci.coldStartSeconds);
        expect(b.appService.coldStartSeconds).toBeGreaterThanOrEqual(a.appService.coldStartSeconds);
        expect(b.appService.restartSeconds).toBeGreaterThanOrEqual(a.appService.restartSeconds);
        expect(b.aks.coldStartSeconds).toBeGreaterThanOrEqual(a.aks.coldStartSeconds);
        expect(b.aks.warmNodeSeconds).toBeGreaterThanOrEqual(a.aks.warmNodeSeconds);
      }),
    );
  });

  it('with no new layers, a warm AKS node and an App Service restart take exactly the start baseline', () => {
    fc.assert(
      fc.property(layers(), fc.array(fc.boolean(), { maxLength: 12 }), fc.nat(100_000), sku, params, (baseLayers, keep, config, s, p) => {
        // the new image reuses a subset of the baseline's layers, with its own config blob
        const reused = baseLayers.filter((_, i) => keep[i] ?? true);
        const e = estimatePull(image(reused, config), image(baseLayers), s, p);
        expect(e.aks.warmNodeSeconds).toBe(p.targets.aks.startBaselineSeconds);
        expect(e.appService.restartSeconds).toBe(p.targets.appService.startBaselineSeconds);
      }),
    );
  });

  it('estimates are finite, never below the start baseline, and a warm node is never slower than a new one', () => {
    fc.assert(
      fc.property(layers(), fc.option(layers(), { nil: undefined }), sku, params, (ls, base, s, p) => {
        const e = estimatePull(image(ls), base && image(base), s, p);
        for (const v of [e.aci.coldStartSeconds, e.appService.coldStartSeconds, e.appService.restartSeconds, e.aks.coldStartSeconds, e.aks.warmNodeSeconds]) {
          expect(Number.isFinite(v)).toBe(true);
        }
        expect(e.aci.coldStartSeconds).toBeGreaterThanOrEqual(p.targets.aci.startBaselineSeconds);
        expect(e.aks.coldStartSeconds).toBeGreaterThanOrEqual(e.aks.warmNodeSeconds);
      }),
    );
  });
});

/**
 * pullSeconds as it was before layers could carry a measured uncompressed size, copied
 * verbatim (less the input checks): the reference layers without a measurement must match.
 */
function pullSecondsBeforeMeasuredSizes(layers: PullLayer[], target: Target, sku: Sku, params: PullModelParams, options: { extraDownloadBytes?: number } = {}) {
  const MB = 1_000_000;
  const unpackRate = (compression: ReturnType<typeof layerCompression>) =>
    compression === 'none' ? params.extractMBps : Math.min(params.decompressMBps[compression], params.extractMBps);
  const extra = options.extraDownloadBytes ?? 0;
  const t = params.targets[target];
  let layerBytes = 0;
  let unpackSeconds = 0;
  for (const layer of layers) {
    const compression = layerCompression(layer.mediaType);
    const uncompressed = compression === 'none' ? layer.sizeBytes : layer.sizeBytes * params.compressionRatio;
    unpackSeconds += uncompressed / (unpackRate(compression) * MB);
    layerBytes += layer.sizeBytes;
  }
  if (layers.length === 0 && extra === 0) {
    return { seconds: 0, downloadSeconds: 0, overheadSeconds: 0, unpackSeconds: 0, bytes: 0, layers: 0 };
  }
  const bytes = layerBytes + extra;
  const effectiveMBps = Math.min(t.throughputMBps, params.skuDownloadMBps[sku]);
  const downloadSeconds = bytes / (effectiveMBps * MB);
  const overheadSeconds = (Math.ceil(layers.length / t.parallelDownloads) * t.perLayerOverheadMs) / 1000;
  return { seconds: overheadSeconds + downloadSeconds + unpackSeconds, downloadSeconds, overheadSeconds, unpackSeconds, bytes, layers: layers.length };
}

/** What the model assumes a layer unpacks to without a measurement. */
const assumedUncompressed = (l: PullLayer, p: PullModelParams) => (layerCompression(l.mediaType) === 'none' ? l.sizeBytes : l.sizeBytes * p.compressionRatio);

/** Layers of which some carry a measured uncompressed size. */
const measuredLayers = (min = 0) =>
  fc
    .array(fc.record({ sizeBytes: size, mediaType: fc.constantFrom(...MEDIA_TYPES), measured: fc.option(size, { nil: undefined }) }), {
      minLength: min,
      maxLength: 12,
    })
    .map((ls) =>
      ls.map(({ measured, ...l }, i): PullLayer => ({ ...l, digest: `sha256:${i}`, ...(measured !== undefined ? { uncompressedBytes: measured } : {}) })),
    );
const stripped = (ls: PullLayer[]): PullLayer[] => ls.map(({ uncompressedBytes: _, ...l }) => l);

describe('measured uncompressed sizes', () => {
  it('layers without one give exactly the numbers of the model before measured sizes', () => {
    fc.assert(
      fc.property(layers(), fc.constantFrom(...TARGETS), sku, params, fc.option(size, { nil: undefined }), (ls, t, s, p, extra) => {
        const options = extra === undefined ? {} : { extraDownloadBytes: extra };
        expect(pullSeconds(ls, t, s, p, options)).toEqual(pullSecondsBeforeMeasuredSizes(ls, t, s, p, options));
      }),
    );
  });

  it('a measurement equal to the assumption changes no number, down to the estimates', () => {
    fc.assert(
      fc.property(layers(), fc.option(fc.tuple(fc.array(fc.boolean(), { maxLength: 12 }), layers()), { nil: undefined }), sku, params, (ls, b, s, p) => {
        // a baseline shares some of the image's layers (same digest, same bytes) and has its own
        const base = b && [...ls.filter((_, i) => b[0][i] ?? false), ...b[1].map((l) => ({ ...l, digest: `${l.digest}-baseline` }))];
        const asAssumed = (i: ImageForEstimate): ImageForEstimate => ({
          ...i,
          layers: i.layers.map((l) => ({ ...l, uncompressedBytes: assumedUncompressed(l, p) })),
        });
        const plain = estimatePull(image(ls), base && image(base), s, p);
        expect(estimatePull(asAssumed(image(ls)), base && asAssumed(image(base)), s, p)).toEqual(plain);
        // measured on one side only: shared digests take the measurement on both
        expect(estimatePull(asAssumed(image(ls)), base && image(base), s, p)).toEqual(plain);
        expect(estimatePull(image(ls), base && asAssumed(image(base)), s, p)).toEqual(plain);
      }),
    );
  });

  it('change the unpack term only, by the measured bytes at each layer’s unpack rate', () => {
    fc.assert(
      fc.property(measuredLayers(), fc.constantFrom(...TARGETS), sku, params, (ls, t, s, p) => {
        const m = pullSeconds(ls, t, s, p);
        const a = pullSeconds(stripped(ls), t, s, p);
        expect(m.downloadSeconds).toBe(a.downloadSeconds);
        expect(m.overheadSeconds).toBe(a.overheadSeconds);
        expect(m.bytes).toBe(a.bytes);
        expect(m.layers).toBe(a.layers);
        const byLayer = ls.map((l) => pullSeconds([l], t, s, p).unpackSeconds);
        const expected = ls.map((l) => {
          const c = layerCompression(l.mediaType);
          const rate = c === 'none' ? p.extractMBps : Math.min(p.decompressMBps[c], p.extractMBps);
          return (l.uncompressedBytes ?? assumedUncompressed(l, p)) / (rate * 1_000_000);
        });
        expect(byLayer).toEqual(expected);
        // summed in layer order, as the model does
        expect(m.unpackSeconds).toBe(expected.reduce((x, y) => x + y, 0));
      }),
    );
  });

  it('a larger measured size never estimates faster, on any target', () => {
    fc.assert(
      fc.property(measuredLayers(1), fc.nat(), size, sku, params, (ls, pick, growth, s, p) => {
        const i = pick % ls.length;
        const grown = ls.map((l, j) => (j === i ? { ...l, uncompressedBytes: (l.uncompressedBytes ?? assumedUncompressed(l, p)) + growth } : l));
        for (const t of TARGETS) expect(pullSeconds(grown, t, s, p).seconds).toBeGreaterThanOrEqual(pullSeconds(ls, t, s, p).seconds);
      }),
    );
  });

  it('an image identical to its baseline has zero delta however the measurements are spread between the two', () => {
    fc.assert(
      fc.property(measuredLayers(), fc.array(fc.boolean(), { maxLength: 12 }), sku, params, (ls, onImage, s, p) => {
        // each measurement sits on the image's copy of the layer, or on the baseline's
        const img = image(ls.map((l, i) => ((onImage[i] ?? true) ? l : stripped([l])[0]!)));
        const base = image(ls.map((l, i) => ((onImage[i] ?? true) ? stripped([l])[0]! : l)));
        const e = estimatePull(img, base, s, p);
        expect(e.aci.coldStartDeltaSeconds).toBe(0);
        expect(e.appService.coldStartDeltaSeconds).toBe(0);
        expect(e.aks.coldStartDeltaSeconds).toBe(0);
        expect(e.aci.coldStartSeconds).toBe(estimatePull(image(ls), undefined, s, p).aci.coldStartSeconds);
      }),
    );
  });

  it('withMeasuredSizes attaches exactly what the map says, by digest', () => {
    fc.assert(
      fc.property(layers(), fc.array(fc.tuple(fc.nat(14), size)), (ls, entries) => {
        const measured = new Map(entries.map(([i, b]): [string, number] => [`sha256:${i}`, b]));
        const out = withMeasuredSizes(image(ls), measured);
        expect(out.sizeBytes).toBe(image(ls).sizeBytes);
        expect(out.layers.map((l) => l.uncompressedBytes)).toEqual(ls.map((l) => measured.get(l.digest)));
        expect(stripped(out.layers)).toEqual(ls);
      }),
    );
  });
});

describe('cost properties', () => {
  it('a push costs nothing while the registry stays within its included storage', () => {
    fc.assert(
      fc.property(profile, fc.double({ min: 0, max: 1, noNaN: true }), fc.double({ min: 0, max: 1, noNaN: true }), (pr, f, g) => {
        const included = DEFAULT_PRICES.skus[pr.sku].includedGiB * GIB;
        const after = Math.floor(included * f);
        const before = Math.floor(after * g);
        const c = pushMarginalMonthlyCost(before, after - before, pr, DEFAULT_PRICES);
        expect(c.monthly).toBe(0);
        expect(c.withinIncluded).toBe(true);
        expect(c.billableNewGiB).toBe(0);
      }),
    );
  });

  it('costs are never negative, and a push never costs more than its bytes at the over-included rate', () => {
    fc.assert(
      fc.property(bytes, bytes, bytes, profile, (before, added, size_, pr) => {
        const push = pushMarginalMonthlyCost(before, added, pr, DEFAULT_PRICES);
        const img = imageMonthlyStorageCost(added, pr, DEFAULT_PRICES);
        const reg = registryMonthlyCost(before, pr, DEFAULT_PRICES);
        const est = estimateCosts({ sizeBytes: size_, newRegistryBytes: added, registryBytesBefore: before }, pr, DEFAULT_PRICES);
        for (const v of [
          push.monthly,
          push.billableNewGiB,
          img.monthly,
          reg.skuMonthly,
          reg.storageMonthly,
          reg.totalMonthly,
          est.imageMonthly,
          est.pushMarginalMonthly,
        ]) {
          expect(v).toBeGreaterThanOrEqual(0);
        }
        expect(push.monthly).toBeLessThanOrEqual(img.monthly * (1 + 1e-9) + 1e-12);
      }),
    );
  });
});

describe('overrides', () => {
  it('an empty override returns the defaults', () => {
    expect(mergePrices(DEFAULT_PRICES, PriceOverrideSchema.parse({}))).toEqual(DEFAULT_PRICES);
    expect(mergePrices(DEFAULT_PRICES, undefined)).toEqual(DEFAULT_PRICES);
    expect(mergePullModel(DEFAULT_PULL_MODEL, PullModelOverrideSchema.parse({}))).toEqual(DEFAULT_PULL_MODEL);
    expect(mergePullModel(DEFAULT_PULL_MODEL, PullModelOverrideSchema.parse({ targets: {}, aks: {} }))).toEqual(DEFAULT_PULL_MODEL);
    expect(mergePullModel(DEFAULT_PULL_MODEL, undefined)).toEqual(DEFAULT_PULL_MODEL);
  });

  it('overriding with the full parameter set itself round-trips', () => {
    fc.assert(
      fc.property(params, (p) => {
        expect(mergePullModel(DEFAULT_PULL_MODEL, PullModelOverrideSchema.parse(p))).toEqual(p);
      }),
    );
  });

  const messages = (r: { success: boolean; error?: z.ZodError }) => (r.error ? z.prettifyError(r.error) : '');

  it('the price override rejects unknown keys, naming where they are', () => {
    const r = PriceOverrideSchema.safeParse({ skus: { Premium: { dailyprice: 1.6 } } });
    expect(r.success).toBe(false);
    expect(messages(r)).toMatch(/Unrecognized key: "dailyprice"[\s\S]*at skus\.Premium/);
    expect(messages(PriceOverrideSchema.safeParse({ skus: { Gold: {} } }))).toMatch(/"Gold"[\s\S]*at skus/);
    expect(messages(PriceOverrideSchema.safeParse({ price: 1 }))).toMatch(/Unrecognized key: "price"/);
  });

  it('the price override rejects negative numbers, naming the path', () => {
    fc.assert(
      fc.property(
        fc.constantFrom<Sku>('Basic', 'Standard', 'Premium'),
        fc.constantFrom('dailyPrice', 'includedGiB', 'perGiBDay'),
        fc.double({ max: -Number.MIN_VALUE, noNaN: true, noDefaultInfinity: true }),
        (s, field, v) => {
          const r = PriceOverrideSchema.safeParse({ skus: { [s]: { [field]: v } } });
          expect(r.success).toBe(false);
          expect(messages(r)).toContain(`at skus.${s}.${field}`);
        },
      ),
    );
    expect(messages(PriceOverrideSchema.safeParse({ hoursPerMonth: -730 }))).toMatch(/> 0[\s\S]*at hoursPerMonth/);
  });

  it('the pull model override rejects unknown keys, naming where they are', () => {
    expect(messages(PullModelOverrideSchema.safeParse({ targets: { aci: { throughput: 5 } } }))).toMatch(/"throughput"[\s\S]*at targets\.aci/);
    expect(messages(PullModelOverrideSchema.safeParse({ targets: { functions: {} } }))).toMatch(/"functions"[\s\S]*at targets/);
    expect(messages(PullModelOverrideSchema.safeParse({ aks: { serializeImagePulls: false } }))).toMatch(/"serializeImagePulls"[\s\S]*at aks/);
  });

  it('the pull model override rejects negative numbers and fractional counts, naming the path', () => {
    const paths = [
      ['compressionRatio'],
      ['extractMBps'],
      ['decompressMBps', 'zstd'],
      ['skuDownloadMBps', 'Basic'],
      ['targets', 'aks', 'throughputMBps'],
      ['targets', 'aci', 'parallelDownloads'],
      ['targets', 'appService', 'perLayerOverheadMs'],
      ['targets', 'aci', 'startBaselineSeconds'],
      ['aks', 'otherImageBytesOnNewNode'],
    ];
    fc.assert(
      fc.property(fc.constantFrom(...paths), fc.double({ max: -Number.MIN_VALUE, noNaN: true, noDefaultInfinity: true }), (path, v) => {
        const value = path.reduceRight<unknown>((inner, key) => ({ [key]: inner }), v);
        const r = PullModelOverrideSchema.safeParse(value);
        expect(r.success).toBe(false);
        expect(messages(r)).toContain(`at ${path.join('.')}`);
      }),
    );
    expect(messages(PullModelOverrideSchema.safeParse({ targets: { aci: { parallelDownloads: 2.5 } } }))).toMatch(
      /whole number[\s\S]*at targets\.aci\.parallelDownloads/,
    );
    expect(messages(PullModelOverrideSchema.safeParse({ targets: { aci: { throughputMBps: 0 } } }))).toMatch(/> 0[\s\S]*at targets\.aci\.throughputMBps/);
    expect(messages(PullModelOverrideSchema.safeParse({ aks: { serialImagePulls: 'false' } }))).toMatch(/at aks\.serialImagePulls/);
  });
});
