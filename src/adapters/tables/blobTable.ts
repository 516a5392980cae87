import { odata, type TableClient, type TableTransaction } from '@azure/data-tables';
import { z } from 'zod';
import { escapeKey } from '../../core/keys';
import {
  BlobReferenceSchema,
  countedFor,
  introducedBytes,
  StoredBlobSchema,
  type BlobReference,
  type BlobUse,
  type Registration,
  type StorageSnapshot,
  type StoredBlob,
} from '../../core/storage';

export type { Registration };
import { int64, intColumn, optionalColumn, parseRow, prefixFilter, retryOnConflict, statusOf } from './entities';
import type { BlobLedger } from '../../services/ingest';
import type { Tables } from './tables';

/**
 * Per-registry storage accounting, all in the registry's partition so that the running
 * total and the blobs it counts change together in one entity-group transaction:
 *   `b|<digest>`                       a blob, with size and who first brought it
 *   `r|<blob>|<repository>|<manifest>` a manifest's reference to a blob (live or deleted)
 *   `t|totals`                         live bytes, updated with the blobs it counts
 * A blob row is created uncounted, then counted atomically with the total: a retry after
 * a crash counts it exactly once.
 */

const TOTALS = 't|totals';
const blobKey = (digest: string) => `b|${digest}`;
const refKey = (blob: string, repository: string, manifest: string) => `r|${blob}|${escapeKey(repository)}|${manifest}`;
const MAX_BATCH = 99; // entity-group transactions hold 100 operations; one is the total

interface BlobRow extends StoredBlob {
  counted: boolean;
  etag: string;
}

const CountedSchema = z.object({ counted: z.boolean() });
const TotalsSchema = z.object({ liveBytes: z.number().int().nonnegative() });

export class BlobTable implements BlobLedger {
  constructor(private readonly tables: Tables) {}

  async register(registry: string, repository: string, manifestDigest: string, blobs: BlobUse[], at: string): Promise<Registration> {
    const client = await this.tables.get('blobs');
    const pk = escapeKey(registry);
    // References first: a concurrent delete that sees them will not mark the blob reclaimable.
    await Promise.all(
      blobs.map((b) =>
        client.upsertEntity(
          { partitionKey: pk, rowKey: refKey(b.digest, repository, manifestDigest), blobDigest: b.digest, repository, manifestDigest, live: true, since: at },
          'Replace',
        ),
      ),
    );
    let rows = await Promise.all(blobs.map((b) => this.#createOrRead(client, pk, b, repository, manifestDigest, at)));
    let before: number | undefined;

    for (;;) {
      const totals = await this.#totals(client, pk);
      const pending = rows.filter((r) => !r.counted || r.reclaimableSince);
      if (pending.length === 0) {
        return {
          newRegistryBytes: introducedBytes(rows, repository, manifestDigest),
          registryBytesBefore: before ?? totals.liveBytes,
          registryBytesAfter: totals.liveBytes,
        };
      }
      const chunk = pending.slice(0, MAX_BATCH);
      const added = chunk.reduce((s, r) => s + r.sizeBytes, 0);
      const actions: TableTransaction['actions'] = [
        totals.etag
          ? ['update', { partitionKey: pk, rowKey: TOTALS, liveBytes: int64(totals.liveBytes + added) }, 'Replace', { etag: totals.etag }]
          : ['create', { partitionKey: pk, rowKey: TOTALS, liveBytes: int64(added) }],
        ...chunk.map((r): TableTransaction['actions'][number] => {
          const { etag, ...rest } = { ...countedFor(r, repository, manifestDigest), counted: true };
          return ['update', { partitionKey: pk, rowKey: blobKey(r.digest), ...toEntity(rest) }, 'Replace', { etag }];
        }),
      ];
      try {
        await client.submitTransaction(actions);
        before ??= totals.liveBytes;
        if (pending.length <= MAX_BATCH) {
          const counted = new Set(chunk.map((r) => r.digest));
          rows = rows.map((r) => (counted.has(r.digest) ? { ...countedFor(r, repository, manifestDigest), counted: true } : r));
          return {
            newRegistryBytes: introducedBytes(rows, repository, manifestDigest),
            registryBytesBefore: before,
            registryBytesAfter: totals.liveBytes + added,
          };
        }
      } catch (e) {
        const status = statusOf(e);
        if (status !== 412 && status !== 409 && status !== 404) throw e;
      }
      // Someone else moved the total or counted our rows: read again and recount what is left.
      rows = await Promise.all(rows.map((r) => this.#read(client, pk, r.digest).then((x) => x ?? r)));
    }
  }

  /**
   * Marks a manifest's references deleted (or every reference of a repository when
   * `manifestDigest` is undefined) and makes blobs no live manifest uses reclaimable.
   */
  async release(
    registry: string,
    repository: string,
    manifestDigest: string | undefined,
    at: string,
  ): Promise<{ references: number; reclaimableBytes: number }> {
    const client = await this.tables.get('blobs');
    const pk = escapeKey(registry);
    // A reference made by a push after the delete (a re-push) stays live.
    let filter = odata`PartitionKey eq ${pk} and repository eq ${repository} and live eq true and since le ${at}`;
    if (manifestDigest) filter += odata` and manifestDigest eq ${manifestDigest}`;
    const refs: BlobReference[] = [];
    for await (const e of client.listEntities<Record<string, unknown>>({ queryOptions: { filter } })) refs.push(toReference(client.tableName, e));
    await Promise.all(
      refs.map((r) =>
        client.updateEntity({ partitionKey: pk, rowKey: refKey(r.blobDigest, r.repository, r.manifestDigest), live: false, deletedAt: at }, 'Merge'),
      ),
    );
    let reclaimableBytes = 0;
    for (const digest of new Set(refs.map((r) => r.blobDigest))) reclaimableBytes += await this.#reclaimIfUnused(client, pk, digest, at);
    return { references: refs.length, reclaimableBytes };
  }

  async liveBytes(registry: string): Promise<number> {
    const client = await this.tables.get('blobs');
    return (await this.#totals(client, escapeKey(registry))).liveBytes;
  }

  async snapshot(registry: string): Promise<StorageSnapshot> {
    const client = await this.tables.get('blobs');
    const blobs: StoredBlob[] = [];
    const references: BlobReference[] = [];
    let liveBytes = 0;
    for await (const e of client.listEntities<Record<string, unknown>>({ queryOptions: { filter: odata`PartitionKey eq ${escapeKey(registry)}` } })) {
      const rk = String(e.rowKey);
      if (rk.startsWith('b|')) blobs.push(fromEntity(client.tableName, e));
      else if (rk.startsWith('r|')) references.push(toReference(client.tableName, e));
      else if (rk === TOTALS) liveBytes = totalsOf(client.tableName, e);
    }
    return { blobs, references, liveBytes };
  }

  async #reclaimIfUnused(client: TableClient, pk: string, digest: string, at: string): Promise<number> {
    return retryOnConflict(`settle blob ${digest}`, 10, async () => {
      if (await this.#hasLiveReference(client, pk, digest)) return 0;
      const row = await this.#read(client, pk, digest);
      if (!row || row.reclaimableSince || !row.counted) return 0;
      const totals = await this.#totals(client, pk);
      const { etag, ...rest } = row;
      await client.submitTransaction([
        ['update', { partitionKey: pk, rowKey: TOTALS, liveBytes: int64(totals.liveBytes - row.sizeBytes) }, 'Replace', { etag: totals.etag ?? '*' }],
        ['update', { partitionKey: pk, rowKey: blobKey(digest), ...toEntity({ ...rest, reclaimableSince: at }) }, 'Replace', { etag }],
      ]);
      // A push that referenced the blob meanwhile revives it on its own; this only reports.
      return row.sizeBytes;
    });
  }

  async #hasLiveReference(client: TableClient, pk: string, digest: string): Promise<boolean> {
    const filter = `${prefixFilter(pk, `r|${digest}|`)} and live eq true`;
    for await (const _ of client.listEntities({ queryOptions: { filter, select: ['RowKey'] } })) return true;
    return false;
  }

  async #totals(client: TableClient, pk: string): Promise<{ liveBytes: number; etag?: string }> {
    try {
      const e = await client.getEntity<Record<string, unknown>>(pk, TOTALS);
      return { liveBytes: totalsOf(client.tableName, e), etag: String(e.etag) };
    } catch (e) {
      if (statusOf(e) === 404) return { liveBytes: 0 };
      throw e;
    }
  }

  async #read(client: TableClient, pk: string, digest: string): Promise<BlobRow | undefined> {
    try {
      const e = await client.getEntity<Record<string, unknown>>(pk, blobKey(digest));
      return { ...fromEntity(client.tableName, e), ...parseRow(client.tableName, e, CountedSchema, { counted: e.counted }), etag: String(e.etag) };
    } catch (e) {
      if (statusOf(e) === 404) return undefined;
      throw e;
    }
  }

  async #createOrRead(client: TableClient, pk: string, b: BlobUse, repository: string, manifestDigest: string, at: string): Promise<BlobRow> {
    const row: Omit<BlobRow, 'etag'> = {
      digest: b.digest,
      sizeBytes: b.sizeBytes,
      kind: b.kind,
      firstSeenAt: at,
      introducedBy: manifestDigest,
      introducedIn: repository,
      counted: false,
    };
    try {
      const res = await client.createEntity({ partitionKey: pk, rowKey: blobKey(b.digest), ...toEntity(row) });
      return { ...row, etag: String(res.etag) };
    } catch (e) {
      if (statusOf(e) !== 409) throw e;
      const existing = await this.#read(client, pk, b.digest);
      if (!existing) throw e;
      return existing;
    }
  }
}

function toEntity(r: Omit<StoredBlob, 'reclaimableSince'> & { reclaimableSince?: string; counted: boolean }): Record<string, unknown> {
  return {
    digest: r.digest,
    sizeBytes: int64(r.sizeBytes),
    kind: r.kind,
    firstSeenAt: r.firstSeenAt,
    introducedBy: r.introducedBy,
    introducedIn: r.introducedIn,
    counted: r.counted,
    ...(r.reclaimableSince ? { reclaimableSince: r.reclaimableSince } : {}),
  };
}

function fromEntity(table: string, e: Record<string, unknown>): StoredBlob {
  return parseRow(table, e, StoredBlobSchema, {
    digest: e.digest,
    sizeBytes: intColumn(e.sizeBytes),
    kind: e.kind,
    firstSeenAt: e.firstSeenAt,
    introducedBy: e.introducedBy,
    introducedIn: e.introducedIn,
    ...optionalColumn(e, 'reclaimableSince'),
  });
}

function toReference(table: string, e: Record<string, unknown>): BlobReference {
  return parseRow(table, e, BlobReferenceSchema, {
    blobDigest: e.blobDigest,
    repository: e.repository,
    manifestDigest: e.manifestDigest,
    live: e.live,
    since: e.since,
    ...optionalColumn(e, 'deletedAt'),
  });
}

function totalsOf(table: string, e: Record<string, unknown>): number {
  return parseRow(table, e, TotalsSchema, { liveBytes: intColumn(e.liveBytes) }).liveBytes;
}
