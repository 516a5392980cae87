import { createHash } from 'node:crypto';
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
import { ConflictError, retryOnConflict, int64, intColumn, lookupRows, optionalColumn, parseRow, prefixFilter, statusOf } from './entities';
import type { BlobLedger } from '../../services/ingest';
import type { Tables } from './tables';

/**
 * Per-registry storage accounting, all in the registry's partition so that a blob and
 * the bytes it adds to the registry change together in one entity-group transaction:
 *   `b|<digest>`                       a blob, with size and who first brought it
 *   `r|<blob>|<repository>|<manifest>` a manifest's reference to a blob (live or deleted): "is it still used"
 *   `m|<repository>|<manifest>|<blob>` the same reference keyed by manifest: "what does this delete release"
 *   `t|<shard>`                        one of 256 ledger shards; live bytes are their sum
 * No row is written by every push: a push changes the ledger shard its manifest digest
 * hashes to, so concurrent pushes (on one instance or many) rarely meet on one row. A
 * blob is counted in the same transaction as the shard that counts it, so a retry after
 * a crash counts it exactly once. (`t|totals`, the single total of earlier versions, is
 * read as one more shard and never written again.)
 */

const LEDGER = 't|';
const SHARDS = 256;
const blobKey = (digest: string) => `b|${digest}`;
const refKey = (blob: string, repository: string, manifest: string) => `r|${blob}|${escapeKey(repository)}|${manifest}`;
const manifestRefPrefix = (repository: string, manifest?: string) => `m|${escapeKey(repository)}|${manifest ? `${manifest}|` : ''}`;
const manifestRefKey = (blob: string, repository: string, manifest: string) => `${manifestRefPrefix(repository, manifest)}${blob}`;
/** The shard a manifest's change goes to; a retry after a conflict moves to another. */
const shardKey = (manifest: string, attempt: number) =>
  `${LEDGER}${(createHash('sha256').update(`${manifest}#${attempt}`).digest().readUInt8(0) % SHARDS).toString(16).padStart(2, '0')}`;
const MAX_OPERATIONS = 100; // an entity-group transaction holds 100 operations
const MAX_ATTEMPTS = 10;

type Action = TableTransaction['actions'][number];

interface BlobRow extends StoredBlob {
  counted: boolean;
  etag: string;
}

const CountedSchema = z.object({ counted: z.boolean() });
// A shard may go below zero (a delete settles on another shard than the push that counted); the sum may not.
const ShardSchema = z.object({ liveBytes: z.number().int() });

export interface BlobTableOptions {
  /**
   * How old a registry's total may be when a push or an estimate uses it (the sum of the
   * shards, plus this process's own changes since it was read). 0 reads it every time;
   * the storage report (`snapshot`) always reads it.
   */
  totalMaxAgeMs?: number;
  now?: () => number;
}

export class BlobTable implements BlobLedger {
  readonly #totals = new Map<string, { bytes: number; readAt: number }>();
  readonly #maxAgeMs: number;
  readonly #now: () => number;

  constructor(
    private readonly tables: Tables,
    options: BlobTableOptions = {},
  ) {
    this.#maxAgeMs = options.totalMaxAgeMs ?? 0;
    this.#now = options.now ?? Date.now;
  }

  /**
   * One lookup of the blob rows and a ledger shard, and one transaction that writes the
   * references and counts the new blobs on the shard (more only for images of over 13
   * blobs, or when a concurrent push took the same row first).
   */
  async register(registry: string, repository: string, manifestDigest: string, blobs: BlobUse[], at: string): Promise<Registration> {
    const client = await this.tables.get('blobs');
    const pk = escapeKey(registry);
    const references = blobs.flatMap((b): Action[] => {
      const ref = { blobDigest: b.digest, repository, manifestDigest, live: true, since: at };
      return [
        ['upsert', { partitionKey: pk, rowKey: refKey(b.digest, repository, manifestDigest), ...ref }, 'Replace'],
        ['upsert', { partitionKey: pk, rowKey: manifestRefKey(b.digest, repository, manifestDigest), ...ref }, 'Replace'],
      ];
    });
    const before = await this.#total(client, pk);
    let added = 0;
    let referenced = false;
    for (let attempt = 1; ; attempt++) {
      const shard = shardKey(manifestDigest, attempt);
      const found = await lookupRows(client, pk, [...blobs.map((b) => blobKey(b.digest)), shard]);
      const rows = blobs.map((b) => {
        const e = found.get(blobKey(b.digest));
        return e ? blobRow(client.tableName, e) : undefined;
      });
      const counting: Action[] = [];
      const earlier = new Set<string>();
      let adding = 0;
      const after: StoredBlob[] = [];
      blobs.forEach((b, i) => {
        const row = rows[i];
        if (!row) {
          const fresh = { ...b, firstSeenAt: at, introducedBy: manifestDigest, introducedIn: repository };
          counting.push(['create', { partitionKey: pk, rowKey: blobKey(b.digest), ...toEntity({ ...fresh, counted: true }) }]);
          adding += b.sizeBytes;
          after.push(fresh);
        } else if (!row.counted || row.reclaimableSince) {
          // Left uncounted by an earlier version's crash, or reclaimable and pushed again: this push counts it.
          const { etag, counted: _, ...stored } = row;
          const next = countedFor(stored, repository, manifestDigest);
          counting.push(['update', { partitionKey: pk, rowKey: blobKey(b.digest), ...toEntity({ ...next, counted: true }) }, 'Replace', { etag }]);
          adding += row.sizeBytes;
          after.push(next);
        } else {
          // Stored first by a later push that arrived first: the blob is in the registry since this earlier one.
          if (at < row.firstSeenAt) earlier.add(b.digest);
          after.push(row);
        }
      });
      const shardRow = found.get(shard);
      if (counting.length > 0) counting.push(shardUpdate(client.tableName, pk, shard, shardRow, adding));
      const wanted = referenced ? counting : [...references, ...counting];
      try {
        if (wanted.length <= MAX_OPERATIONS) {
          if (wanted.length > 0) await client.submitTransaction(wanted);
        } else {
          // Over 100 operations: the references first (a concurrent delete that sees them keeps the blobs), then the counting.
          if (!referenced) for (let i = 0; i < references.length; i += MAX_OPERATIONS) await client.submitTransaction(references.slice(i, i + MAX_OPERATIONS));
          referenced = true;
          if (counting.length > MAX_OPERATIONS) {
            const part = [...counting.slice(0, MAX_OPERATIONS - 1)];
            const partBytes = part.reduce((s, a) => s + sizeOf(a), 0);
            await client.submitTransaction([...part, shardUpdate(client.tableName, pk, shard, shardRow, partBytes)]);
            added += partBytes;
            this.#adjust(pk, partBytes);
            continue;
          }
          if (counting.length > 0) await client.submitTransaction(counting);
        }
      } catch (e) {
        // Another push counted one of these blobs, or moved the shard: look again.
        lostRace(e, attempt, `register the blobs of ${manifestDigest}`);
        continue;
      }
      added += adding;
      this.#adjust(pk, adding);
      for (const digest of earlier) await this.#backdate(client, pk, digest, at);
      return { newRegistryBytes: introducedBytes(after, repository, manifestDigest), registryBytesBefore: before, registryBytesAfter: before + added };
    }
  }

  /**
   * Marks a manifest's references deleted (or every reference of a repository when
   * `manifestDigest` is undefined) and makes blobs no live manifest uses reclaimable: a
   * key-range read of the manifest's references, one transaction per 50 of them, then
   * one settlement of the blobs they used.
   */
  async release(
    registry: string,
    repository: string,
    manifestDigest: string | undefined,
    at: string,
  ): Promise<{ references: number; reclaimableBytes: number }> {
    const client = await this.tables.get('blobs');
    const pk = escapeKey(registry);
    for (let attempt = 1; ; attempt++) {
      const refs = await this.#referencesOf(client, pk, repository, manifestDigest);
      // A reference made by a push after the delete (a re-push) stays live.
      const dying = refs.filter((r) => r.ref.live && r.ref.since <= at);
      const actions = dying.flatMap(({ ref, etag }): Action[] => {
        const dead = { ...ref, live: false, deletedAt: at };
        const byManifest = { partitionKey: pk, rowKey: manifestRefKey(ref.blobDigest, ref.repository, ref.manifestDigest), ...dead };
        return [
          // Conditional on the manifest-keyed row: a push writes both rows together, so a re-push meanwhile fails this and is seen on the next read.
          etag ? ['update', byManifest, 'Replace', { etag }] : ['upsert', byManifest, 'Replace'],
          ['upsert', { partitionKey: pk, rowKey: refKey(ref.blobDigest, ref.repository, ref.manifestDigest), ...dead }, 'Replace'],
        ];
      });
      try {
        for (let i = 0; i < actions.length; i += MAX_OPERATIONS) await client.submitTransaction(actions.slice(i, i + MAX_OPERATIONS));
      } catch (e) {
        lostRace(e, attempt, `release the references of ${manifestDigest ?? repository}`);
        continue;
      }
      const reclaimableBytes = await this.#reclaimUnused(client, pk, [...new Set(dying.map((r) => r.ref.blobDigest))], manifestDigest ?? repository, at);
      return { references: dying.length, reclaimableBytes };
    }
  }

  async liveBytes(registry: string): Promise<number> {
    const client = await this.tables.get('blobs');
    return this.#total(client, escapeKey(registry));
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
      else if (rk.startsWith(LEDGER)) liveBytes += shardOf(client.tableName, e);
    }
    return { blobs, references, liveBytes };
  }

  /** The manifest's (or repository's) references, by key range; references written before the `m|` rows existed by a scan of `r|`. */
  /**
   * A blob's first push moves back to `at` (storage growth dates each blob by it): pushes
   * arrive in any order, and a backfill queues years of them at once. Under the row's ETag,
   * so a concurrent count or release is never overwritten.
   */
  async #backdate(client: TableClient, pk: string, digest: string, at: string): Promise<void> {
    await retryOnConflict(`date blob ${digest} back`, 10, async () => {
      const e = await client.getEntity<Record<string, unknown>>(pk, blobKey(digest));
      const row = blobRow(client.tableName, e);
      if (!(at < row.firstSeenAt)) return;
      const { etag, ...stored } = row;
      await client.updateEntity({ partitionKey: pk, rowKey: blobKey(digest), ...toEntity({ ...stored, firstSeenAt: at }) }, 'Replace', { etag });
    });
  }

  async #referencesOf(
    client: TableClient,
    pk: string,
    repository: string,
    manifestDigest: string | undefined,
  ): Promise<{ ref: BlobReference; etag?: string }[]> {
    const out: { ref: BlobReference; etag?: string }[] = [];
    const byManifest = prefixFilter(pk, manifestRefPrefix(repository, manifestDigest));
    for await (const e of client.listEntities<Record<string, unknown>>({ queryOptions: { filter: byManifest } })) {
      out.push({ ref: toReference(client.tableName, e), etag: String(e.etag) });
    }
    if (out.length > 0) return out;
    let legacy = `${prefixFilter(pk, 'r|')}` + odata` and repository eq ${repository}`;
    if (manifestDigest) legacy += odata` and manifestDigest eq ${manifestDigest}`;
    for await (const e of client.listEntities<Record<string, unknown>>({ queryOptions: { filter: legacy } }))
      out.push({ ref: toReference(client.tableName, e) });
    return out;
  }

  /** Blobs among `digests` that no live reference uses become reclaimable, together with their shard, in one transaction per 99. */
  async #reclaimUnused(client: TableClient, pk: string, digests: string[], releasedBy: string, at: string): Promise<number> {
    let reclaimed = 0;
    for (let attempt = 1; digests.length > 0; attempt++) {
      const used = await Promise.all(digests.map((d) => this.#hasLiveReference(client, pk, d)));
      const unused = digests.filter((_, i) => !used[i]);
      const shard = shardKey(releasedBy, attempt);
      const found = await lookupRows(client, pk, [...unused.map(blobKey), shard]);
      const rows = unused.flatMap((d) => {
        const e = found.get(blobKey(d));
        const row = e && blobRow(client.tableName, e);
        return row && row.counted && !row.reclaimableSince ? [row] : [];
      });
      const chunk = rows.slice(0, MAX_OPERATIONS - 1);
      if (chunk.length === 0) return reclaimed;
      const bytes = chunk.reduce((s, r) => s + r.sizeBytes, 0);
      try {
        await client.submitTransaction([
          ...chunk.map(({ etag, ...row }): Action => [
            'update',
            { partitionKey: pk, rowKey: blobKey(row.digest), ...toEntity({ ...row, reclaimableSince: at }) },
            'Replace',
            { etag },
          ]),
          shardUpdate(client.tableName, pk, shard, found.get(shard), -bytes),
        ]);
      } catch (e) {
        lostRace(e, attempt, `settle the blobs of ${releasedBy}`);
        continue;
      }
      reclaimed += bytes;
      this.#adjust(pk, -bytes);
      // A push that referenced a blob meanwhile revives it on its own; this only reports.
      if (rows.length <= chunk.length) return reclaimed;
      const done = new Set(chunk.map((r) => r.digest));
      digests = digests.filter((d) => !done.has(d));
    }
    return reclaimed;
  }

  async #hasLiveReference(client: TableClient, pk: string, digest: string): Promise<boolean> {
    const filter = `${prefixFilter(pk, `r|${digest}|`)} and live eq true`;
    for await (const page of client.listEntities({ queryOptions: { filter, select: ['RowKey'] } }).byPage({ maxPageSize: 1 })) if (page.length > 0) return true;
    return false;
  }

  /** The registry's live bytes: the sum of its shards, at most `totalMaxAgeMs` old. */
  async #total(client: TableClient, pk: string): Promise<number> {
    const cached = this.#totals.get(pk);
    if (cached && this.#now() - cached.readAt < this.#maxAgeMs) return cached.bytes;
    const readAt = this.#now();
    let bytes = 0;
    const filter = prefixFilter(pk, LEDGER);
    for await (const e of client.listEntities<Record<string, unknown>>({ queryOptions: { filter, select: ['PartitionKey', 'RowKey', 'liveBytes'] } })) {
      bytes += shardOf(client.tableName, e);
    }
    if (this.#maxAgeMs > 0) this.#totals.set(pk, { bytes, readAt });
    return bytes;
  }

  #adjust(pk: string, delta: number): void {
    const cached = this.#totals.get(pk);
    if (cached) cached.bytes += delta;
  }
}

/** Returns when `e` lost a race (412, 409, 404: a row changed, appeared or went) with attempts left; rethrows otherwise. */
function lostRace(e: unknown, attempt: number, what: string): void {
  const status = statusOf(e);
  if (status !== 412 && status !== 409 && status !== 404) throw e;
  if (attempt >= MAX_ATTEMPTS) throw new ConflictError(what, MAX_ATTEMPTS, { cause: e });
}

function shardUpdate(table: string, pk: string, shard: string, row: Record<string, unknown> | undefined, delta: number): Action {
  return row
    ? ['update', { partitionKey: pk, rowKey: shard, liveBytes: int64(shardOf(table, row) + delta) }, 'Replace', { etag: String(row.etag) }]
    : ['create', { partitionKey: pk, rowKey: shard, liveBytes: int64(delta) }];
}

/** Bytes a counting action adds (blob creates and updates carry `sizeBytes`). */
function sizeOf(action: Action): number {
  const entity = action[1] as { sizeBytes?: bigint };
  return entity.sizeBytes === undefined ? 0 : Number(entity.sizeBytes);
}

function blobRow(table: string, e: Record<string, unknown>): BlobRow {
  return { ...fromEntity(table, e), ...parseRow(table, e, CountedSchema, { counted: e.counted }), etag: String(e.etag) };
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

function shardOf(table: string, e: Record<string, unknown>): number {
  return parseRow(table, e, ShardSchema, { liveBytes: intColumn(e.liveBytes) }).liveBytes;
}
