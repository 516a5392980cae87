import { describe, expect, expectTypeOf, it } from 'vitest';
import type { z } from 'zod';
import { BlobReferenceSchema, blobsOf, countedFor, introducedBytes, StoredBlobSchema, type BlobReference, type StoredBlob } from '../../src/core/storage';

const blob = (digest: string, sizeBytes: number, introducedBy: string, introducedIn: string, reclaimableSince?: string): StoredBlob => ({
  digest,
  sizeBytes,
  kind: 'layer',
  firstSeenAt: '2026-11-01T00:00:00.000Z',
  introducedBy,
  introducedIn,
  ...(reclaimableSince ? { reclaimableSince } : {}),
});

describe('registry storage accounting rules', () => {
  it('credits a manifest with the blobs it brought, in its repository only', () => {
    const rows = [blob('a', 10, 'm1', 'team/app'), blob('b', 20, 'm1', 'team/app'), blob('c', 40, 'm1', 'other/app'), blob('d', 80, 'm0', 'team/app')];
    expect(introducedBytes(rows, 'team/app', 'm1')).toBe(30);
    expect(introducedBytes(rows, 'team/app', 'm9')).toBe(0);
  });

  it('gives a reclaimable blob pushed again to the manifest that brought it back, and leaves a live one alone', () => {
    expect(countedFor(blob('a', 10, 'old', 'team/old', '2026-11-02T00:00:00.000Z'), 'team/app', 'm2')).toEqual(blob('a', 10, 'm2', 'team/app'));
    expect(countedFor(blob('a', 10, 'old', 'team/old'), 'team/app', 'm2')).toEqual(blob('a', 10, 'old', 'team/old'));
  });

  it("lists an image's blobs once each, config first", () => {
    const image = {
      config: { digest: 'c', sizeBytes: 1 },
      layers: [
        { digest: 'l', sizeBytes: 5 },
        { digest: 'l', sizeBytes: 5 },
      ],
    };
    expect(blobsOf(image)).toEqual([
      { digest: 'c', sizeBytes: 1, kind: 'config' },
      { digest: 'l', sizeBytes: 5, kind: 'layer' },
    ]);
  });
});

describe('stored blob schemas', () => {
  it('describe StoredBlob and BlobReference field for field, so reading through them drops nothing', () => {
    expectTypeOf<z.output<typeof StoredBlobSchema>>().toEqualTypeOf<StoredBlob>();
    expectTypeOf<z.output<typeof BlobReferenceSchema>>().toEqualTypeOf<BlobReference>();
  });

  it('read back blobs and references unchanged, and refuse a blob of unknown kind or a negative size', () => {
    const b = blob('sha256:a', 10, 'sha256:m', 'team/app', '2026-11-02T00:00:00.000Z');
    const ref: BlobReference = {
      blobDigest: 'sha256:a',
      repository: 'team/app',
      manifestDigest: 'sha256:m',
      live: false,
      since: '2026-11-01T00:00:00.000Z',
      deletedAt: '2026-11-02T00:00:00.000Z',
    };
    expect(StoredBlobSchema.parse(b)).toEqual(b);
    expect(BlobReferenceSchema.parse(ref)).toEqual(ref);
    expect(StoredBlobSchema.safeParse({ ...b, kind: 'index' }).success).toBe(false);
    expect(StoredBlobSchema.safeParse({ ...b, sizeBytes: -1 }).success).toBe(false);
  });
});
