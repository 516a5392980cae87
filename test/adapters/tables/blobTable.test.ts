import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BlobTable } from '../../../src/adapters/tables/blobTable';
import { Tables } from '../../../src/adapters/tables/tables';
import type { BlobUse } from '../../../src/core/storage';
import { startTestAzurite } from '../../integration/support/azurite';

let azurite: Awaited<ReturnType<typeof startTestAzurite>>;
let blobs: BlobTable;
beforeAll(async () => {
  azurite = await startTestAzurite();
  blobs = new BlobTable(new Tables({ kind: 'connectionString', connectionString: azurite.connectionString }));
});
afterAll(() => azurite?.stop());

const GiB = 1024 ** 3;
const use = (digest: string, sizeBytes: number, kind: 'layer' | 'config' = 'layer'): BlobUse => ({ digest: `sha256:${digest}`, sizeBytes, kind });

describe('BlobTable against Azurite', () => {
  it('counts a blob shared by two repositories once, and knows which push brought which bytes', async () => {
    const base = use('base', 3 * GiB); // over 2 GiB: Int64 all the way
    const a = await blobs.register('r1', 'team/a', 'sha256:ma', [use('cfga', 100, 'config'), base, use('appa', 500)], '2026-11-01T00:00:00.000Z');
    expect(a).toEqual({ newRegistryBytes: 3 * GiB + 600, registryBytesBefore: 0, registryBytesAfter: 3 * GiB + 600 });
    const b = await blobs.register('r1', 'team/b', 'sha256:mb', [use('cfgb', 200, 'config'), base, use('appb', 700)], '2026-11-02T00:00:00.000Z');
    expect(b).toEqual({ newRegistryBytes: 900, registryBytesBefore: 3 * GiB + 600, registryBytesAfter: 3 * GiB + 1500 });
    // Delivered again: nothing new, and the first push still owns its bytes.
    expect(await blobs.register('r1', 'team/a', 'sha256:ma', [use('cfga', 100, 'config'), base, use('appa', 500)], '2026-11-03T00:00:00.000Z')).toEqual({
      newRegistryBytes: 3 * GiB + 600,
      registryBytesBefore: 3 * GiB + 1500,
      registryBytesAfter: 3 * GiB + 1500,
    });
    expect((await blobs.snapshot('r1')).liveBytes).toBe(3 * GiB + 1500);
  });

  it('makes only blobs no live manifest uses reclaimable on delete, and a push again revives them', async () => {
    const released = await blobs.release('r1', 'team/a', 'sha256:ma', '2026-11-04T00:00:00.000Z');
    expect(released).toEqual({ references: 3, reclaimableBytes: 600 }); // the shared base stays
    const snap = await blobs.snapshot('r1');
    expect(snap.liveBytes).toBe(3 * GiB + 900);
    expect(
      snap.blobs
        .filter((b) => b.reclaimableSince)
        .map((b) => b.digest)
        .sort(),
    ).toEqual(['sha256:appa', 'sha256:cfga']);

    const again = await blobs.register('r1', 'team/c', 'sha256:mc', [use('cfga', 100, 'config'), use('appa', 500)], '2026-11-05T00:00:00.000Z');
    expect(again.newRegistryBytes).toBe(600);
    expect((await blobs.snapshot('r1')).liveBytes).toBe(3 * GiB + 1500);
  });

  it('releases a whole repository', async () => {
    const released = await blobs.release('r1', 'team/b', undefined, '2026-11-06T00:00:00.000Z');
    expect(released.reclaimableBytes).toBe(3 * GiB + 900);
    expect((await blobs.snapshot('r1')).liveBytes).toBe(600);
  });

  it('keeps the total exact under concurrent pushes sharing blobs', async () => {
    const shared = use('s', 1000);
    await Promise.all(
      Array.from({ length: 8 }, (_, i) => blobs.register('r2', `p/${i}`, `sha256:m${i}`, [shared, use(`own${i}`, 10 * (i + 1))], '2026-11-01T00:00:00.000Z')),
    );
    const snap = await blobs.snapshot('r2');
    expect(snap.liveBytes).toBe(1000 + 10 * (1 + 2 + 3 + 4 + 5 + 6 + 7 + 8));
    expect(snap.blobs).toHaveLength(9);
  });
});
