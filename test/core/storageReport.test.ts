import { describe, expect, it } from 'vitest';
import type { BlobReference, StoredBlob } from '../../src/core/storage';
import { blobsOf } from '../../src/core/storage';
import { storageReport } from '../../src/core/storageReport';

const blob = (digest: string, sizeBytes: number, firstSeenAt: string, reclaimableSince?: string): StoredBlob => ({
  digest,
  sizeBytes,
  kind: 'layer',
  firstSeenAt,
  introducedBy: 'm',
  introducedIn: 'r',
  ...(reclaimableSince ? { reclaimableSince } : {}),
});
const ref = (blobDigest: string, repository: string, manifestDigest: string, live = true): BlobReference => ({
  blobDigest,
  repository,
  manifestDigest,
  live,
  since: '2026-01-01T00:00:00Z',
});

describe('storageReport', () => {
  const now = new Date('2026-11-30T12:00:00Z');
  const blobs = [
    blob('base', 1000, '2026-11-01T00:00:00Z'),
    blob('a', 200, '2026-11-10T00:00:00Z'),
    blob('b', 300, '2026-11-20T00:00:00Z'),
    blob('gone', 50, '2026-11-05T00:00:00Z', '2026-11-25T00:00:00Z'),
  ];
  const refs = [
    ref('base', 'team/a', 'ma'),
    ref('base', 'team/b', 'mb'),
    ref('a', 'team/a', 'ma'),
    ref('b', 'team/b', 'mb'),
    ref('gone', 'team/a', 'old', false),
  ];
  const report = storageReport(blobs, refs, now, 10);

  it('counts shared blobs once in the registry and splits exclusive from shared per repository', () => {
    expect(report.uniqueBytes).toBe(1500);
    expect(report.blobCount).toBe(3);
    expect(report.reclaimableBytes).toBe(50);
    expect(report.repositories).toEqual([
      { repository: 'team/b', exclusiveBytes: 300, sharedBytes: 1000, manifests: 1 },
      { repository: 'team/a', exclusiveBytes: 200, sharedBytes: 1000, manifests: 1 },
    ]);
  });

  it('measures growth over the window from first pushes and reclaims', () => {
    // At 2026-11-20T12:00Z: base + a + b (pushed 00:00 that day) + gone = 1550; now: 1500.
    expect(report.growth.bytesAtStart).toBe(1550);
    expect(report.growth.bytesPerDay).toBe(-5);
    expect(report.growth.daily).toHaveLength(11);
    expect(report.growth.daily[0]).toEqual({ date: '2026-11-20', uniqueBytes: 1550 });
    expect(report.growth.daily.at(-1)).toEqual({ date: '2026-11-30', uniqueBytes: 1500 });
    const thirty = storageReport(blobs, refs, now, 30);
    expect(thirty.growth.bytesAtStart).toBe(0);
    expect(thirty.growth.bytesPerDay).toBe(50);
    // −50 bytes over 7 days is −7.142857…/day: whole bytes, not the fraction.
    expect(storageReport(blobs, refs, now, 7).growth.bytesPerDay).toBe(-7);
  });
});

describe('blobsOf', () => {
  it('lists the config and each layer digest once', () => {
    const image = {
      config: { digest: 'c', sizeBytes: 5 },
      layers: [
        { digest: 'x', sizeBytes: 1 },
        { digest: 'x', sizeBytes: 1 },
        { digest: 'y', sizeBytes: 2 },
      ],
    };
    expect(blobsOf(image)).toEqual([
      { digest: 'c', sizeBytes: 5, kind: 'config' },
      { digest: 'x', sizeBytes: 1, kind: 'layer' },
      { digest: 'y', sizeBytes: 2, kind: 'layer' },
    ]);
  });
});
