/**
 * Layer file indexes in Blob Storage (Azurite): written once per registry and layer
 * digest as gzip'd NDJSON, read back exactly, and a blob that is not such an index is
 * reported where it is rather than used.
 */
import { gunzipSync, gzipSync } from 'node:zlib';
import { BlobServiceClient } from '@azure/storage-blob';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LayerIndexBlobs } from '../../src/adapters/layerIndexBlobs';
import { StoredRecordError } from '../../src/core/errors';
import type { LayerIndex } from '../../src/core/layerIndex';
import { LAYER_INDEX_CONTAINER } from '../../src/names';
import { startTestAzurite } from '../integration/support/azurite';

let azurite: Awaited<ReturnType<typeof startTestAzurite>>;
let blobs: LayerIndexBlobs;

beforeAll(async () => {
  azurite = await startTestAzurite();
  blobs = new LayerIndexBlobs({ kind: 'connectionString', connectionString: azurite.connectionString });
});
afterAll(() => azurite?.stop());

const registry = 'localhost:5443';
const d = (n: number) => `sha256:${n.toString(16).padStart(64, '0')}`;

describe('LayerIndexBlobs', () => {
  it('round-trips an index of 100,000 entries, as one gzip NDJSON blob per registry and digest', async () => {
    const index: LayerIndex = {
      diffId: d(99),
      uncompressedBytes: 123_456_789,
      entries: [
        { path: 'usr', type: 'dir', size: 0, mode: 0o755 },
        { path: 'usr/bin/sh', type: 'symlink', size: 0, mode: 0o777, linkTarget: 'dash' },
        { path: 'etc/gone', type: 'whiteout', size: 0, mode: 0 },
        ...Array.from({ length: 99_997 }, (_, i) => ({ path: `srv/f${i}`, type: 'file' as const, size: i, mode: 0o644 })),
      ],
    };
    await blobs.put(registry, d(1), index);
    expect(await blobs.get(registry, d(1))).toEqual(index);

    // What an operator sees with `az storage blob download … | zcat`: a header, then one entry per line.
    const raw = await BlobServiceClient.fromConnectionString(azurite.connectionString)
      .getContainerClient(LAYER_INDEX_CONTAINER)
      .getBlockBlobClient(LayerIndexBlobs.blobName(registry, d(1)))
      .downloadToBuffer();
    const lines = gunzipSync(raw).toString('utf8').trim().split('\n');
    expect(lines).toHaveLength(100_001);
    expect(JSON.parse(lines[0]!)).toEqual({
      format: 'acrsize-layer-index',
      version: 1,
      digest: d(1),
      diffId: d(99),
      uncompressedBytes: 123_456_789,
      entries: 100_000,
    });
    expect(raw.length).toBeLessThan(2_000_000);
  });

  it('answers undefined for a layer never indexed, and keeps registries apart', async () => {
    await blobs.put(registry, d(2), { diffId: d(3), uncompressedBytes: 1024, entries: [] });
    expect(await blobs.get(registry, d(2))).toEqual({ diffId: d(3), uncompressedBytes: 1024, entries: [] });
    expect(await blobs.get('other.azurecr.io', d(2))).toBeUndefined();
    expect(await blobs.get(registry, d(4))).toBeUndefined();
  });

  it('reports a blob that is not an index (a manual upload, a truncated write) with its name', async () => {
    const container = BlobServiceClient.fromConnectionString(azurite.connectionString).getContainerClient(LAYER_INDEX_CONTAINER);
    const put = (digest: string, body: Buffer) => container.getBlockBlobClient(LayerIndexBlobs.blobName(registry, digest)).uploadData(body);
    await put(d(5), gzipSync('{"format":"something else"}\n'));
    await put(d(6), Buffer.from('not gzip'));
    await put(
      d(7),
      gzipSync(
        `${JSON.stringify({ format: 'acrsize-layer-index', version: 1, digest: d(7), diffId: d(8), uncompressedBytes: 10, entries: 2 })}\n{"path":"a","type":"file","size":1,"mode":420}\n`,
      ),
    );
    await expect(blobs.get(registry, d(5))).rejects.toThrow(/line 1 is not a acrsize-layer-index v1 header/);
    await expect(blobs.get(registry, d(6))).rejects.toBeInstanceOf(StoredRecordError);
    await expect(blobs.get(registry, d(7))).rejects.toThrow(/holds 1 entries, its header says 2/);
  });
});
