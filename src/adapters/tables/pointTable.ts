import { odata, type TableTransaction } from '@azure/data-tables';
import { z } from 'zod';
import { escapeKey, repositoryKey, invertedTime } from '../../core/keys';
import { pointRefOf, TrendPointSchema, type PointRef, type TrendPoint } from '../../core/trend';
import type { TrendQuery, TrendReader } from '../../services/queries';
import type { IndexedPoint, PointStore, StoredPoint } from '../../services/trendPoints';
import { int64, intColumn, jsonColumn, optionalColumn, parseRow, statusOf, prefixEnd, prefixFilter } from './entities';
import type { Tables } from './tables';

/**
 * Trend points of one repository live in its partition, written together in one
 * entity-group transaction:
 *   `p|<pushedAt>|<tag>|<digest>`            the point; time-ordered, so a window is one range scan, oldest first
 *   `u|<digest>|<tag>`                       uniqueness marker: a (tag, digest) pair is recorded once, and
 *                                            "has this digest a point yet" is one range read
 *   `d|<platform>|<inverted time>|<tag>|<digest>`  newest first per platform, so the baseline (the latest
 *                                            earlier point) is the first row of a range scan; it repeats the
 *                                            whole point (`deletedAt` '' when live), so the newest live point
 *                                            is one query, and the rule its baseline was chosen by
 */

const pointKey = (p: Pick<TrendPoint, 'pushedAt' | 'tag' | 'digest'>) => `p|${p.pushedAt}|${escapeKey(p.tag)}|${p.digest}`;
const markerKey = (p: Pick<TrendPoint, 'tag' | 'digest'>) => `u|${p.digest}|${escapeKey(p.tag)}`;
/** Milliseconds counted down from year 2286, zero-padded: ascending keys, descending time. */
const newestFirstPrefix = (platform: string) => `d|${escapeKey(platform)}|`;
const newestFirstKey = (p: Pick<TrendPoint, 'platform' | 'pushedAt' | 'tag' | 'digest'>) =>
  `${newestFirstPrefix(p.platform)}${invertedTime(p.pushedAt)}|${escapeKey(p.tag)}|${p.digest}`;

/** Sorts after every point key (`|` < `}`), before nothing that matters. */
const AFTER_POINTS = 'p}';
/** Rows per page when the first few rows usually answer: the default page is 1,000. */
const SMALL_PAGE = 10;

/** A uniqueness marker: the point row it stands for. */
const MarkerSchema = z.object({ pointRowKey: z.string().min(1) });
/** What the baseline rule reads of a newest-first index row. */
const IndexRowSchema = TrendPointSchema.pick({
  digest: true,
  tag: true,
  pushedAt: true,
  deletedAt: true,
  baselineDigest: true,
  baselineTag: true,
  baselineMode: true,
});
const RecordedPointSchema = TrendPointSchema.pick({ tag: true, digest: true, indexDigest: true, pushedAt: true, deletedAt: true });
export type RecordedPoint = z.output<typeof RecordedPointSchema>;
const INDEX_COLUMNS = ['PartitionKey', 'RowKey', 'digest', 'tag', 'pushedAt', 'deletedAt', 'baselineDigest', 'baselineTag', 'baselineMode'];

export class PointTable implements PointStore, TrendReader {
  constructor(private readonly tables: Tables) {}

  /** @returns the point as stored, with its ETag (so it need not be read back); undefined when the (tag, digest) pair was already recorded. */
  async add(registry: string, repository: string, point: TrendPoint): Promise<StoredPoint | undefined> {
    const client = await this.tables.get('points');
    const partitionKey = repositoryKey(registry, repository);
    const rowKey = pointKey(point);
    const actions: TableTransaction['actions'] = [
      ['create', { partitionKey, rowKey: markerKey(point), pointRowKey: rowKey }],
      ['create', { partitionKey, rowKey, ...toEntity(point) }],
      ['create', { partitionKey, rowKey: newestFirstKey(point), ...indexEntity(point) }],
    ];
    let etag: string | undefined;
    try {
      // Answers come in the order of the actions; the point is the second. (Looking it up by
      // row key misses: the key comes back from the Location header escaped differently.)
      etag = (await client.submitTransaction(actions)).subResponses[1]?.etag;
    } catch (e) {
      if (statusOf(e) === 409) return undefined;
      throw e;
    }
    // The batch answer carries each entity's ETag; should one lack it, read the point back.
    return etag ? { point, etag } : this.read(pointRefOf(registry, repository, point));
  }

  /** The stored point `ref` names, or undefined when there is none. */
  async get(ref: PointRef): Promise<TrendPoint | undefined> {
    return (await this.read(ref))?.point;
  }

  async read(ref: PointRef): Promise<StoredPoint | undefined> {
    const client = await this.tables.get('points');
    try {
      const e = await client.getEntity<Record<string, unknown>>(repositoryKey(ref.registry, ref.repository), pointKey(ref));
      return { point: fromEntity(client.tableName, e), etag: String(e.etag) };
    } catch (e) {
      if (statusOf(e) === 404) return undefined;
      throw e;
    }
  }

  /**
   * Replaces a point read with `etag` (its comparison changed, or its deletion mark), and
   * its index row with it. @returns false when someone changed the point since.
   */
  async replace(registry: string, repository: string, stored: StoredPoint, next: TrendPoint): Promise<boolean> {
    const client = await this.tables.get('points');
    const partitionKey = repositoryKey(registry, repository);
    try {
      await client.submitTransaction([
        ['update', { partitionKey, rowKey: pointKey(next), ...toEntity(next) }, 'Replace', { etag: stored.etag }],
        ['upsert', { partitionKey, rowKey: newestFirstKey(next), ...indexEntity(next) }, 'Replace'],
      ]);
      return true;
    } catch (e) {
      if (statusOf(e) === 412 || statusOf(e) === 404) return false;
      throw e;
    }
  }

  /** Whether any tag of this repository already has a point for the platform digest. */
  async hasPointFor(registry: string, repository: string, digest: string): Promise<boolean> {
    const client = await this.tables.get('points');
    const filter = prefixFilter(repositoryKey(registry, repository), `u|${digest}|`);
    for await (const _ of client.listEntities({ queryOptions: { filter, select: ['RowKey'] } }).byPage({ maxPageSize: 1 })) return _.length > 0;
    return false;
  }

  /** The point of a (tag, digest) pair, whenever it was first pushed. */
  async find(registry: string, repository: string, tag: string, digest: string): Promise<StoredPoint | undefined> {
    const client = await this.tables.get('points');
    const pk = repositoryKey(registry, repository);
    try {
      const marker = await client.getEntity<Record<string, unknown>>(pk, markerKey({ tag, digest }));
      const e = await client.getEntity<Record<string, unknown>>(pk, parseRow(client.tableName, marker, MarkerSchema, marker).pointRowKey);
      return { point: fromEntity(client.tableName, e), etag: String(e.etag) };
    } catch (e) {
      if (statusOf(e) === 404) return undefined;
      throw e;
    }
  }

  /** Points of a platform digest (any tag, any index), through the uniqueness markers. */
  async ofDigest(registry: string, repository: string, digest: string): Promise<StoredPoint[]> {
    const client = await this.tables.get('points');
    const pk = repositoryKey(registry, repository);
    const filter = prefixFilter(pk, `u|${digest}|`);
    const rowKeys: string[] = [];
    for await (const e of client.listEntities<Record<string, unknown>>({ queryOptions: { filter, select: ['PartitionKey', 'RowKey', 'pointRowKey'] } })) {
      rowKeys.push(parseRow(client.tableName, e, MarkerSchema, e).pointRowKey);
    }
    const out: StoredPoint[] = [];
    for (const rk of rowKeys) {
      try {
        const e = await client.getEntity<Record<string, unknown>>(pk, rk);
        out.push({ point: fromEntity(client.tableName, e), etag: String(e.etag) });
      } catch (err) {
        if (statusOf(err) !== 404) throw err;
      }
    }
    return out;
  }

  /**
   * Points of a platform, newest first, optionally only those pushed strictly before
   * `before`, of one tag, or without one digest. Read a few rows per request: callers
   * usually stop at the first rows.
   */
  async *newestFirst(
    registry: string,
    repository: string,
    platform: string,
    opts: { before?: string; tag?: string; digestNot?: string } = {},
  ): AsyncGenerator<IndexedPoint> {
    const client = await this.tables.get('points');
    const prefix = newestFirstPrefix(platform);
    // '~' sorts after every escaped tag character: skip all rows at exactly `before`.
    const from = opts.before ? `${prefix}${invertedTime(opts.before)}|~` : prefix;
    let filter = odata`PartitionKey eq ${repositoryKey(registry, repository)} and RowKey gt ${from} and RowKey lt ${prefixEnd(prefix)}`;
    if (opts.digestNot) filter += odata` and digest ne ${opts.digestNot}`;
    if (opts.tag !== undefined) filter += odata` and tag eq ${opts.tag}`;
    const rows = client.listEntities<Record<string, unknown>>({ queryOptions: { filter, select: INDEX_COLUMNS } });
    for await (const page of rows.byPage({ maxPageSize: SMALL_PAGE })) {
      for (const e of page) {
        const row = parseRow(client.tableName, e, IndexRowSchema, {
          digest: e.digest,
          tag: e.tag,
          pushedAt: e.pushedAt,
          ...optionalColumn(e, 'deletedAt'),
          ...(e.baselineDigest ? { baselineDigest: e.baselineDigest, baselineTag: e.baselineTag } : {}),
          ...optionalColumn(e, 'baselineMode'),
        });
        yield { platform, ...row };
      }
    }
  }

  /** One query: index rows repeat their point. Rows written before they did are read through to the point. */
  async newestLive(registry: string, repository: string, platform: string): Promise<TrendPoint | undefined> {
    const client = await this.tables.get('points');
    const prefix = newestFirstPrefix(platform);
    const pk = repositoryKey(registry, repository);
    const filter = odata`PartitionKey eq ${pk} and RowKey gt ${prefix} and RowKey lt ${prefixEnd(prefix)} and deletedAt eq ''`;
    for await (const page of client.listEntities<Record<string, unknown>>({ queryOptions: { filter } }).byPage({ maxPageSize: 1 })) {
      for (const e of page) {
        if (e.sizeBytes !== undefined) return fromEntity(client.tableName, e);
        const { pointRowKey } = parseRow(client.tableName, e, MarkerSchema, e);
        try {
          const point = fromEntity(client.tableName, await client.getEntity<Record<string, unknown>>(pk, pointRowKey));
          if (!point.deletedAt) return point;
        } catch (err) {
          if (statusOf(err) !== 404) throw err;
        }
      }
    }
    return undefined;
  }

  /** Points of a platform pushed strictly after `after`, oldest first, optionally of one tag. */
  async *later(registry: string, repository: string, platform: string, after: string, opts: { tag?: string } = {}): AsyncGenerator<StoredPoint> {
    const client = await this.tables.get('points');
    let filter = odata`PartitionKey eq ${repositoryKey(registry, repository)} and RowKey gt ${`p|${after}|~`} and RowKey lt ${AFTER_POINTS} and platform eq ${platform}`;
    if (opts.tag !== undefined) filter += odata` and tag eq ${opts.tag}`;
    for await (const page of client.listEntities<Record<string, unknown>>({ queryOptions: { filter } }).byPage({ maxPageSize: SMALL_PAGE })) {
      for (const e of page) yield { point: fromEntity(client.tableName, e), etag: String(e.etag) };
    }
  }

  async query(q: TrendQuery): Promise<{ points: TrendPoint[]; last?: string; more: boolean }> {
    const client = await this.tables.get('points');
    const from = q.after ?? (q.since ? `p|${q.since}` : 'p|');
    const to = q.until ? `p|${q.until}|~` : AFTER_POINTS;
    let filter = odata`PartitionKey eq ${repositoryKey(q.registry, q.repository)} and RowKey lt ${to}`;
    filter += q.after ? odata` and RowKey gt ${from}` : odata` and RowKey ge ${from}`;
    if (q.tag) filter += odata` and tag eq ${q.tag}`;
    if (q.platform) filter += odata` and platform eq ${q.platform}`;
    const points: TrendPoint[] = [];
    let last: string | undefined;
    // One table page per API page: the table's own continuation says whether more may follow
    // (reading one past the limit would fetch a whole second page). A filtered page the
    // service cut short with nothing in it is read on, so a page never comes back empty
    // while points remain.
    for await (const page of client.listEntities<Record<string, unknown>>({ queryOptions: { filter } }).byPage({ maxPageSize: q.limit })) {
      for (const entity of page) {
        points.push(fromEntity(client.tableName, entity));
        last = String(entity.rowKey);
      }
      if (points.length > 0 || !page.continuationToken) return { points, last, more: page.continuationToken !== undefined };
    }
    return { points, last, more: false };
  }

  /** What reconcile compares a repository's listing with: every point's tag, manifest and state, a few columns each. */
  async recorded(registry: string, repository: string): Promise<RecordedPoint[]> {
    const client = await this.tables.get('points');
    const filter = prefixFilter(repositoryKey(registry, repository), 'p|');
    const out: RecordedPoint[] = [];
    const select = ['tag', 'digest', 'indexDigest', 'pushedAt', 'deletedAt'];
    for await (const e of client.listEntities<Record<string, unknown>>({ queryOptions: { filter, select } }))
      out.push(parseRow(client.tableName, e, RecordedPointSchema, { ...e, indexDigest: e.indexDigest || undefined, deletedAt: e.deletedAt || undefined }));
    return out;
  }

  /** Whether the repository has any point at all. */
  async any(registry: string, repository: string): Promise<boolean> {
    const client = await this.tables.get('points');
    const filter = prefixFilter(repositoryKey(registry, repository), 'p|');
    for await (const page of client.listEntities({ queryOptions: { filter, select: ['RowKey'] } }).byPage({ maxPageSize: 1 })) return page.length > 0;
    return false;
  }
}

function indexEntity(p: TrendPoint): Record<string, unknown> {
  return { pointRowKey: pointKey(p), ...toEntity(p), deletedAt: p.deletedAt ?? '' };
}

function toEntity(p: TrendPoint): Record<string, unknown> {
  return {
    pushedAt: p.pushedAt,
    tag: p.tag,
    digest: p.digest,
    ...(p.indexDigest ? { indexDigest: p.indexDigest } : {}),
    platform: p.platform,
    sizeBytes: int64(p.sizeBytes),
    configSizeBytes: int64(p.configSizeBytes),
    layerCount: p.layerCount,
    mediaType: p.mediaType,
    eventId: p.eventId,
    ...(p.reportedPushedAt ? { reportedPushedAt: p.reportedPushedAt } : {}),
    ...(p.pushedAtSource ? { pushedAtSource: p.pushedAtSource } : {}),
    ...(p.origin ? { origin: p.origin } : {}),
    ...(p.baselineDigest ? { baselineDigest: p.baselineDigest, baselineTag: p.baselineTag } : {}),
    ...(p.baselineMode ? { baselineMode: p.baselineMode } : {}),
    ...(p.sizeDeltaBytes !== null ? { sizeDeltaBytes: int64(p.sizeDeltaBytes) } : {}),
    addedBytes: int64(p.addedBytes),
    removedBytes: int64(p.removedBytes),
    reusedBytes: int64(p.reusedBytes),
    ...(p.layerCountDelta !== null ? { layerCountDelta: p.layerCountDelta } : {}),
    ...(p.baseChanged !== undefined ? { baseChanged: p.baseChanged } : {}),
    newRegistryBytes: int64(p.newRegistryBytes),
    ...(p.estimates ? { estimates: JSON.stringify(p.estimates) } : {}),
    ...(p.deletedAt ? { deletedAt: p.deletedAt } : {}),
  };
}

function fromEntity(table: string, e: Record<string, unknown>): TrendPoint {
  return parseRow(table, e, TrendPointSchema, {
    pushedAt: e.pushedAt,
    tag: e.tag,
    digest: e.digest,
    ...optionalColumn(e, 'indexDigest'),
    platform: e.platform,
    sizeBytes: intColumn(e.sizeBytes),
    configSizeBytes: intColumn(e.configSizeBytes),
    layerCount: intColumn(e.layerCount),
    mediaType: e.mediaType,
    eventId: e.eventId,
    ...optionalColumn(e, 'reportedPushedAt'),
    ...optionalColumn(e, 'pushedAtSource'),
    ...optionalColumn(e, 'origin'),
    ...(e.baselineDigest ? { baselineDigest: e.baselineDigest, baselineTag: e.baselineTag } : {}),
    ...optionalColumn(e, 'baselineMode'),
    // Points stored before deltas became null without a baseline carried the whole image.
    sizeDeltaBytes: e.baselineDigest && e.sizeDeltaBytes !== undefined ? intColumn(e.sizeDeltaBytes) : null,
    addedBytes: intColumn(e.addedBytes),
    removedBytes: intColumn(e.removedBytes),
    reusedBytes: intColumn(e.reusedBytes),
    layerCountDelta: e.baselineDigest && e.layerCountDelta !== undefined ? intColumn(e.layerCountDelta) : null,
    ...optionalColumn(e, 'baseChanged'),
    newRegistryBytes: intColumn(e.newRegistryBytes),
    ...(e.estimates !== undefined ? { estimates: jsonColumn(table, e, 'estimates') } : {}),
    ...optionalColumn(e, 'deletedAt'),
  });
}
