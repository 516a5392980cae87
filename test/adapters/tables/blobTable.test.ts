import { TableClient } from '@azure/data-tables';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BlobTable } from '../../../src/adapters/tables/blobTable';
import { Tables } from '../../../src/adapters/tables/tables';
import type { BlobUse } from '../../../src/core/storage';
import { startTestAzurite } from '../../integration/support/azurite';
import { comparisons, startTableProxy, type TableProxy } from '../../integration/support/tableProxy';

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

  it('dates a shared blob by its earliest push, whichever push arrived first, and keeps who brought it', async () => {
    const shared = use('early', 4000);
    await blobs.register('r5', 'team/late', 'sha256:late', [use('cfglate', 10, 'config'), shared], '2026-11-10T00:00:00.000Z');
    const early = await blobs.register('r5', 'team/early', 'sha256:early', [use('cfgearly', 10, 'config'), shared], '2026-11-01T00:00:00.000Z');
    expect(early.newRegistryBytes).toBe(10);
    await blobs.register('r5', 'team/later', 'sha256:later', [use('cfglater', 10, 'config'), shared], '2026-11-20T00:00:00.000Z');
    const row = (await blobs.snapshot('r5')).blobs.find((b) => b.digest === shared.digest)!;
    expect(row).toMatchObject({ firstSeenAt: '2026-11-01T00:00:00.000Z', introducedBy: 'sha256:late' });
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

describe('BlobTable requests', () => {
  let proxy: TableProxy;
  let counted: BlobTable;
  beforeAll(async () => {
    proxy = await startTableProxy(azurite.connectionString);
    counted = new BlobTable(new Tables({ kind: 'connectionString', connectionString: proxy.connectionString }), { totalMaxAgeMs: 60_000 });
    await counted.liveBytes('r3'); // creates the table and caches the total
  });
  afterAll(() => proxy?.stop());

  it('registers a new image in one lookup and one transaction, and a re-delivery in the same two', async () => {
    proxy.reset();
    const image = [use('c3', 10, 'config'), use('l3a', 1000), use('l3b', 2000)];
    expect(await counted.register('r3', 'team/x', 'sha256:x1', image, '2026-11-01T00:00:00.000Z')).toEqual({
      newRegistryBytes: 3010,
      registryBytesBefore: 0,
      registryBytesAfter: 3010,
    });
    expect(proxy.queries().map((q) => q.method)).toEqual(['GET', 'POST']);
    proxy.reset();
    await counted.register('r3', 'team/x', 'sha256:x1', image, '2026-11-02T00:00:00.000Z');
    expect(proxy.queries().map((q) => q.method)).toEqual(['GET', 'POST']);
    expect(await new BlobTable(new Tables({ kind: 'connectionString', connectionString: azurite.connectionString })).liveBytes('r3')).toBe(3010);
  });

  it('keeps every filter within the 15 comparisons Table Storage allows, for a 40-layer image and its delete', async () => {
    const layers = Array.from({ length: 40 }, (_, i) => use(`big${i}`, i + 1));
    proxy.reset();
    const r = await counted.register('r3', 'team/big', 'sha256:big', [use('cbig', 5, 'config'), ...layers], '2026-11-01T00:00:00.000Z');
    expect(r.newRegistryBytes).toBe(5 + (40 * 41) / 2);
    const released = await counted.release('r3', 'team/big', 'sha256:big', '2026-11-03T00:00:00.000Z');
    expect(released).toEqual({ references: 41, reclaimableBytes: 5 + (40 * 41) / 2 });
    const filters = proxy.queries().flatMap((q) => (q.filter ? [q.filter] : []));
    expect(filters.length).toBeGreaterThan(3);
    for (const f of filters) expect(comparisons(f), f).toBeLessThanOrEqual(15);
    // The delete found the manifest's references by key range, not by scanning the registry for its repository.
    expect(filters.some((f) => f.includes('repository eq'))).toBe(false);
  });

  it('spreads concurrent pushes over the ledger: no row is written by all of them, and the total stays exact', async () => {
    proxy.reset();
    const pushes = Array.from({ length: 24 }, (_, i) => counted.register('r4', `p/${i}`, `sha256:n${i}`, [use(`o${i}`, 100 + i)], '2026-11-01T00:00:00.000Z'));
    await Promise.all(pushes);
    const conflicts = proxy.queries().filter((q) => q.failedWith === 409 || q.failedWith === 412).length;
    expect(conflicts / 24).toBeLessThanOrEqual(0.25);
    const snap = await new BlobTable(new Tables({ kind: 'connectionString', connectionString: azurite.connectionString })).snapshot('r4');
    expect(snap.liveBytes).toBe(24 * 100 + (23 * 24) / 2);
    const shards = new Set<string>();
    for await (const e of TableClient.fromConnectionString(azurite.connectionString, 'acrsizeBlobs', { allowInsecureConnection: true }).listEntities({
      queryOptions: { filter: `PartitionKey eq 'r4' and RowKey ge 't|' and RowKey lt 't}'` },
    }))
      shards.add(String(e.rowKey));
    expect(shards.size).toBeGreaterThan(12);
  });
});
