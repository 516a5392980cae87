import { odata, type TableTransaction } from '@azure/data-tables';
import { escapeKey, repositoryKey } from '../../core/keys';
import type { PointRef, TrendPoint } from '../../core/trend';
import { int64, readInt, statusOf } from './entities';
import type { Tables } from './tables';

/**
 * Trend points of one repository live in its partition, written together in one
 * entity-group transaction:
 *   `p|<pushedAt>|<tag>|<digest>`            the point; time-ordered, so a window is one range scan, oldest first
 *   `u|<digest>|<tag>`                       uniqueness marker: a (tag, digest) pair is recorded once, and
 *                                            "has this digest a point yet" is one range read
 *   `d|<platform>|<inverted time>|<tag>|<digest>`  newest first per platform, so the baseline (the latest
 *                                            earlier point) is the first row of a range scan
 */

const pointKey = (p: Pick<TrendPoint, 'pushedAt' | 'tag' | 'digest'>) => `p|${p.pushedAt}|${escapeKey(p.tag)}|${p.digest}`;
const markerKey = (p: Pick<TrendPoint, 'tag' | 'digest'>) => `u|${p.digest}|${escapeKey(p.tag)}`;
/** Milliseconds counted down from year 2286, zero-padded: ascending keys, descending time. */
const invertedTime = (iso: string) => String(9_999_999_999_999 - Date.parse(iso)).padStart(13, '0');
const newestFirstPrefix = (platform: string) => `d|${escapeKey(platform)}|`;
const newestFirstKey = (p: Pick<TrendPoint, 'platform' | 'pushedAt' | 'tag' | 'digest'>) =>
  `${newestFirstPrefix(p.platform)}${invertedTime(p.pushedAt)}|${escapeKey(p.tag)}|${p.digest}`;

export type BaselineMode = 'previous' | 'sameTag';
/** Sorts after every point key (`|` < `}`), before nothing that matters. */
const AFTER_POINTS = 'p}';

export interface TrendQuery {
  registry: string;
  repository: string;
  tag?: string;
  platform?: string;
  since?: string;
  until?: string;
  limit: number;
  /** RowKey of the last point already returned. */
  after?: string;
}

export class PointTable {
  constructor(private readonly tables: Tables) {}

  /** @returns false when the (tag, digest) pair was already recorded. */
  async add(registry: string, repository: string, point: TrendPoint): Promise<boolean> {
    const client = await this.tables.get('points');
    const partitionKey = repositoryKey(registry, repository);
    const rowKey = pointKey(point);
    const actions: TableTransaction['actions'] = [
      ['create', { partitionKey, rowKey: markerKey(point), pointRowKey: rowKey }],
      ['create', { partitionKey, rowKey, ...toEntity(point) }],
      ['create', { partitionKey, rowKey: newestFirstKey(point), pointRowKey: rowKey, digest: point.digest, tag: point.tag, pushedAt: point.pushedAt }],
    ];
    try {
      await client.submitTransaction(actions);
      return true;
    } catch (e) {
      if (statusOf(e) === 409) return false;
      throw e;
    }
  }

  /** The stored point `ref` names, or undefined when there is none. */
  async get(ref: PointRef): Promise<TrendPoint | undefined> {
    const client = await this.tables.get('points');
    try {
      return fromEntity(await client.getEntity<Record<string, unknown>>(repositoryKey(ref.registry, ref.repository), pointKey(ref)));
    } catch (e) {
      if (statusOf(e) === 404) return undefined;
      throw e;
    }
  }

  /** Whether any tag of this repository already has a point for the platform digest. */
  async hasPointFor(registry: string, repository: string, digest: string): Promise<boolean> {
    const client = await this.tables.get('points');
    const filter = odata`PartitionKey eq ${repositoryKey(registry, repository)} and RowKey ge ${`u|${digest}|`} and RowKey lt ${`u|${digest}}`}`;
    for await (const _ of client.listEntities({ queryOptions: { filter, select: ['RowKey'] } })) return true;
    return false;
  }

  /**
   * The most recent point pushed strictly before `pushedAt` on the same platform with a
   * different digest (`previous`), optionally of the same tag (`sameTag`).
   */
  async baselineFor(
    registry: string,
    repository: string,
    point: Pick<TrendPoint, 'platform' | 'pushedAt' | 'digest' | 'tag'>,
    mode: BaselineMode,
  ): Promise<{ digest: string; tag: string; pushedAt: string } | undefined> {
    const client = await this.tables.get('points');
    const prefix = newestFirstPrefix(point.platform);
    // '~' sorts after every escaped tag character: skip all rows at exactly this time.
    let filter = odata`PartitionKey eq ${repositoryKey(registry, repository)} and RowKey gt ${`${prefix}${invertedTime(point.pushedAt)}|~`} and RowKey lt ${`${prefix.slice(0, -1)}}`} and digest ne ${point.digest}`;
    if (mode === 'sameTag') filter += odata` and tag eq ${point.tag}`;
    for await (const e of client.listEntities<Record<string, unknown>>({ queryOptions: { filter, select: ['digest', 'tag', 'pushedAt'] } })) {
      return { digest: String(e.digest), tag: String(e.tag), pushedAt: String(e.pushedAt) };
    }
    return undefined;
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
    // Read one past the limit to know whether a continuation is needed.
    for await (const page of client.listEntities<Record<string, unknown>>({ queryOptions: { filter } }).byPage({ maxPageSize: Math.min(q.limit + 1, 1000) })) {
      for (const entity of page) {
        if (points.length === q.limit) return { points, last, more: true };
        points.push(fromEntity(entity));
        last = String(entity.rowKey);
      }
    }
    return { points, last, more: false };
  }
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
    ...(p.baselineDigest ? { baselineDigest: p.baselineDigest, baselineTag: p.baselineTag } : {}),
    sizeDeltaBytes: int64(p.sizeDeltaBytes),
    addedBytes: int64(p.addedBytes),
    removedBytes: int64(p.removedBytes),
    reusedBytes: int64(p.reusedBytes),
    layerCountDelta: p.layerCountDelta,
    ...(p.baseChanged !== undefined ? { baseChanged: p.baseChanged } : {}),
    newRegistryBytes: int64(p.newRegistryBytes),
    ...(p.estimates ? { estimates: JSON.stringify(p.estimates) } : {}),
  };
}

function fromEntity(e: Record<string, unknown>): TrendPoint {
  return {
    pushedAt: String(e.pushedAt),
    tag: String(e.tag),
    digest: String(e.digest),
    ...(e.indexDigest ? { indexDigest: String(e.indexDigest) } : {}),
    platform: String(e.platform),
    sizeBytes: readInt(e.sizeBytes),
    configSizeBytes: readInt(e.configSizeBytes),
    layerCount: readInt(e.layerCount),
    mediaType: String(e.mediaType),
    eventId: String(e.eventId),
    ...(e.baselineDigest ? { baselineDigest: String(e.baselineDigest), baselineTag: String(e.baselineTag) } : {}),
    sizeDeltaBytes: readInt(e.sizeDeltaBytes),
    addedBytes: readInt(e.addedBytes),
    removedBytes: readInt(e.removedBytes),
    reusedBytes: readInt(e.reusedBytes),
    layerCountDelta: readInt(e.layerCountDelta),
    ...(typeof e.baseChanged === 'boolean' ? { baseChanged: e.baseChanged } : {}),
    newRegistryBytes: readInt(e.newRegistryBytes),
    ...(typeof e.estimates === 'string' ? { estimates: JSON.parse(e.estimates) as TrendPoint['estimates'] } : {}),
  };
}
