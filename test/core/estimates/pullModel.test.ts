import { describe, expect, it } from 'vitest';
import { DEFAULT_PULL_MODEL, mergePullModel, pullSeconds, type PullLayer } from '../../../src/core/estimates/pullModel';

const GZIP = 'application/vnd.oci.image.layer.v1.tar+gzip';
const DOCKER_GZIP = 'application/vnd.docker.image.rootfs.diff.tar.gzip';
const ZSTD = 'application/vnd.oci.image.layer.v1.tar+zstd';
const TAR = 'application/vnd.oci.image.layer.v1.tar';
const layer = (n: number, sizeBytes: number, mediaType = GZIP): PullLayer => ({ digest: `sha256:${n}`, sizeBytes, mediaType });

describe('pullSeconds', () => {
  it('is zero for no layers', () => {
    expect(pullSeconds([], 'aci', 'Standard', DEFAULT_PULL_MODEL)).toEqual({
      seconds: 0,
      downloadSeconds: 0,
      overheadSeconds: 0,
      unpackSeconds: 0,
      bytes: 0,
      layers: 0,
    });
  });

  it('adds request overhead, download and unpack for one gzip layer', () => {
    // ACI on Standard: effective min(40, 60) = 40 MB/s
    // download 100,000,000 B / 40,000,000 B/s = 2.5 s
    // overhead ceil(1 / 3) × 200 ms = 0.2 s
    // unpack 100,000,000 × 2.5 = 250,000,000 B / min(400, 500) MB/s = 0.625 s
    // total 3.325 s
    const r = pullSeconds([layer(1, 100_000_000)], 'aci', 'Standard', DEFAULT_PULL_MODEL);
    expect(r.downloadSeconds).toBeCloseTo(2.5, 12);
    expect(r.overheadSeconds).toBeCloseTo(0.2, 12);
    expect(r.unpackSeconds).toBeCloseTo(0.625, 12);
    expect(r.seconds).toBeCloseTo(3.325, 12);
    expect(r).toMatchObject({ bytes: 100_000_000, layers: 1 });
  });

  it('is capped by the SKU download bandwidth when that is lower than the target', () => {
    // AKS on Basic: min(100, 30) = 30 MB/s → 60,000,000 / 30,000,000 = 2 s
    // overhead 1 × 100 ms = 0.1 s; unpack 150,000,000 / 400,000,000 = 0.375 s → 2.475 s
    const r = pullSeconds([layer(1, 60_000_000, DOCKER_GZIP)], 'aks', 'Basic', DEFAULT_PULL_MODEL);
    expect(r.downloadSeconds).toBeCloseTo(2, 12);
    expect(r.seconds).toBeCloseTo(2.475, 12);
    // Premium lifts the cap to 100 MB/s: 0.6 + 0.1 + 0.375 = 1.075 s
    expect(pullSeconds([layer(1, 60_000_000)], 'aks', 'Premium', DEFAULT_PULL_MODEL).seconds).toBeCloseTo(1.075, 12);
  });

  it('unpacks each layer at the rate of its own compression', () => {
    // tar: not expanded, written at extractMBps: 50,000,000 / 500,000,000 = 0.1 s
    expect(pullSeconds([layer(1, 50_000_000, TAR)], 'aks', 'Premium', DEFAULT_PULL_MODEL).unpackSeconds).toBeCloseTo(0.1, 12);
    // zstd: 50,000,000 × 2.5 = 125,000,000 / min(1580, 500) MB/s = 0.25 s (writing is the bottleneck)
    expect(pullSeconds([layer(1, 50_000_000, ZSTD)], 'aks', 'Premium', DEFAULT_PULL_MODEL).unpackSeconds).toBeCloseTo(0.25, 12);
    // with fast disks (extract 2000 MB/s) zstd decompression binds: 125,000,000 / 1,580,000,000 = 0.0791139…
    const fastDisk = mergePullModel(DEFAULT_PULL_MODEL, { extractMBps: 2000 });
    expect(pullSeconds([layer(1, 50_000_000, ZSTD)], 'aks', 'Premium', fastDisk).unpackSeconds).toBeCloseTo(0.0791139241, 9);
    // unknown media type: expanded by the ratio, decompressed at `unknown` (400): 125,000,000 / 400,000,000 = 0.3125 s
    expect(pullSeconds([layer(1, 50_000_000, 'application/x-odd')], 'aks', 'Premium', DEFAULT_PULL_MODEL).unpackSeconds).toBeCloseTo(0.3125, 12);
    // mixed: 0.1 + 0.25 + 0.3125 = 0.6625
    const mixed = [layer(1, 50_000_000, TAR), layer(2, 50_000_000, ZSTD), layer(3, 50_000_000, 'application/x-odd')];
    expect(pullSeconds(mixed, 'aks', 'Premium', DEFAULT_PULL_MODEL).unpackSeconds).toBeCloseTo(0.6625, 12);
  });

  it('charges request overhead per round of parallel downloads', () => {
    // 7 layers, 3 at a time: ceil(7 / 3) = 3 rounds × 200 ms = 0.6 s
    const seven = Array.from({ length: 7 }, (_, i) => layer(i, 0));
    expect(pullSeconds(seven, 'appService', 'Premium', DEFAULT_PULL_MODEL).overheadSeconds).toBeCloseTo(0.6, 12);
    // one at a time: 7 × 200 ms = 1.4 s
    const serial = mergePullModel(DEFAULT_PULL_MODEL, { targets: { appService: { parallelDownloads: 1 } } });
    expect(pullSeconds(seven, 'appService', 'Premium', serial).overheadSeconds).toBeCloseTo(1.4, 12);
  });

  it('counts extra download bytes (config blob, images pulled alongside) in the download only', () => {
    // (10,000,000 + 5,000) / 40,000,000 = 0.250125 s; overhead and unpack as for the layer alone
    const alone = pullSeconds([layer(1, 10_000_000)], 'aci', 'Premium', DEFAULT_PULL_MODEL);
    const withConfig = pullSeconds([layer(1, 10_000_000)], 'aci', 'Premium', DEFAULT_PULL_MODEL, { extraDownloadBytes: 5_000 });
    expect(withConfig.downloadSeconds).toBeCloseTo(0.250125, 12);
    expect(withConfig.overheadSeconds).toBe(alone.overheadSeconds);
    expect(withConfig.unpackSeconds).toBe(alone.unpackSeconds);
    expect(withConfig.bytes).toBe(10_005_000);
    expect(withConfig.layers).toBe(1);
  });

  it('refuses negative or non-finite sizes', () => {
    expect(() => pullSeconds([layer(1, -1)], 'aci', 'Basic', DEFAULT_PULL_MODEL)).toThrow(RangeError);
    expect(() => pullSeconds([layer(1, Number.NaN)], 'aci', 'Basic', DEFAULT_PULL_MODEL)).toThrow(RangeError);
    expect(() => pullSeconds([], 'aci', 'Basic', DEFAULT_PULL_MODEL, { extraDownloadBytes: -1 })).toThrow(RangeError);
    expect(() => pullSeconds([{ ...layer(1, 10), uncompressedBytes: -1 }], 'aci', 'Basic', DEFAULT_PULL_MODEL)).toThrow(/sha256:1 uncompressed size/);
    expect(() => pullSeconds([{ ...layer(1, 10), uncompressedBytes: Number.POSITIVE_INFINITY }], 'aci', 'Basic', DEFAULT_PULL_MODEL)).toThrow(RangeError);
  });
});

describe('pullSeconds with measured uncompressed sizes', () => {
  it('a layer measured at twice the assumed size unpacks longer by exactly the extra bytes at the unpack rate; the download is unchanged', () => {
    // gzip 100,000,000 B: assumed 100,000,000 × 2.5 = 250,000,000 B, measured 500,000,000 B
    // unpack rate min(400, 500) = 400 MB/s: 0.625 s → 1.25 s, i.e. + 250,000,000 / 400,000,000 = 0.625 s
    const assumed = pullSeconds([layer(1, 100_000_000)], 'aci', 'Standard', DEFAULT_PULL_MODEL);
    const measured = pullSeconds(
      [{ ...layer(1, 100_000_000), uncompressedBytes: 2 * 100_000_000 * DEFAULT_PULL_MODEL.compressionRatio }],
      'aci',
      'Standard',
      DEFAULT_PULL_MODEL,
    );
    const perByteSeconds = 1 / (Math.min(DEFAULT_PULL_MODEL.decompressMBps.gzip, DEFAULT_PULL_MODEL.extractMBps) * 1_000_000);
    expect(assumed.unpackSeconds).toBe(0.625);
    expect(measured.unpackSeconds).toBe(1.25);
    expect(measured.unpackSeconds - assumed.unpackSeconds).toBe(250_000_000 * perByteSeconds);
    expect(measured.seconds - assumed.seconds).toBeCloseTo(0.625, 12);
    expect(measured.downloadSeconds).toBe(assumed.downloadSeconds);
    expect(measured.overheadSeconds).toBe(assumed.overheadSeconds);
    expect(measured.bytes).toBe(assumed.bytes);
    expect(measured.layers).toBe(assumed.layers);
  });

  it('uses the measured size for every compression, at the rate of the media type', () => {
    // zstd measured 100,000,000 B (a ratio of 2, not 2.5) at min(1580, 500): 0.2 s
    expect(pullSeconds([{ ...layer(1, 50_000_000, ZSTD), uncompressedBytes: 100_000_000 }], 'aks', 'Premium', DEFAULT_PULL_MODEL).unpackSeconds).toBe(0.2);
    // unknown media type measured 200,000,000 B at `unknown` (400): 0.5 s
    const odd = { ...layer(1, 50_000_000, 'application/x-odd'), uncompressedBytes: 200_000_000 };
    expect(pullSeconds([odd], 'aks', 'Premium', DEFAULT_PULL_MODEL).unpackSeconds).toBe(0.5);
    // a measured layer beside an assumed one: 0.2 + 50,000,000 × 2.5 / 400,000,000 (0.3125) = 0.5125 s
    const mixed = [{ ...layer(1, 50_000_000, ZSTD), uncompressedBytes: 100_000_000 }, layer(2, 50_000_000)];
    expect(pullSeconds(mixed, 'aks', 'Premium', DEFAULT_PULL_MODEL).unpackSeconds).toBeCloseTo(0.5125, 12);
  });

  it('does not depend on compressionRatio for a measured layer', () => {
    const measured = [{ ...layer(1, 100_000_000), uncompressedBytes: 300_000_000 }];
    const ratio4 = mergePullModel(DEFAULT_PULL_MODEL, { compressionRatio: 4 });
    expect(pullSeconds(measured, 'aci', 'Standard', ratio4)).toEqual(pullSeconds(measured, 'aci', 'Standard', DEFAULT_PULL_MODEL));
  });

  it('gives the numbers of the assumption when the measurement equals it, and 0 s of unpack for 0 bytes', () => {
    const assumedBytes = 100_000_000 * DEFAULT_PULL_MODEL.compressionRatio;
    const a = pullSeconds([layer(1, 100_000_000)], 'appService', 'Basic', DEFAULT_PULL_MODEL);
    expect(pullSeconds([{ ...layer(1, 100_000_000), uncompressedBytes: assumedBytes }], 'appService', 'Basic', DEFAULT_PULL_MODEL)).toEqual(a);
    expect(pullSeconds([{ ...layer(1, 100_000_000), uncompressedBytes: 0 }], 'appService', 'Basic', DEFAULT_PULL_MODEL).unpackSeconds).toBe(0);
  });
});

describe('mergePullModel', () => {
  it('overrides only the fields given', () => {
    const m = mergePullModel(DEFAULT_PULL_MODEL, {
      compressionRatio: 3,
      targets: { aci: { throughputMBps: 25 } },
      aks: { serialImagePulls: false },
      skuDownloadMBps: { Premium: 200 },
    });
    expect(m.compressionRatio).toBe(3);
    expect(m.targets.aci).toEqual({ ...DEFAULT_PULL_MODEL.targets.aci, throughputMBps: 25 });
    expect(m.targets.aks).toEqual(DEFAULT_PULL_MODEL.targets.aks);
    expect(m.aks).toEqual({ serialImagePulls: false, otherImageBytesOnNewNode: 0 });
    expect(m.skuDownloadMBps).toEqual({ Basic: 30, Standard: 60, Premium: 200 });
    expect(m.decompressMBps).toEqual(DEFAULT_PULL_MODEL.decompressMBps);
  });

  it('does not alias the base parameters', () => {
    const m = mergePullModel(DEFAULT_PULL_MODEL, undefined);
    m.targets.aci.throughputMBps = 1;
    m.aks.serialImagePulls = false;
    expect(DEFAULT_PULL_MODEL.targets.aci.throughputMBps).toBe(40);
    expect(DEFAULT_PULL_MODEL.aks.serialImagePulls).toBe(true);
  });
});
