import { odata, type TableTransaction } from '@azure/data-tables';
import { escapeKey, repositoryKey } from '../../core/keys';
import type { TrendPoint } from '../../core/trend';
import { int64, readInt, statusOf } from './entities';
import type { Tables } from './tables';

/**
 * Trend points of one repository live in its partition with time-ordered RowKeys
 * (`p|<pushedAt>|<tag>|<digest>`), so a time window is one range scan, oldest first.
 * A marker row `u|<tag>|<digest>` written in the same entity-group transaction makes a
 * (tag, digest) pair recordable once only: re-deliveries and re-pushes collide on it.
 */

const pointKey = (p: Pick<TrendPoint, 'pushedAt' | 'tag' | 'digest'>) => `p|${p.pushedAt}|${escapeKey(p.tag)}|${p.digest}`;
const markerKey = (p: Pick<TrendPoint, 'tag' | 'digest'>) => `u|${escapeKey(p.tag)}|${p.digest}`;
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
    ];
    try {
      await client.submitTransaction(actions);
      return true;
    } catch (e) {
      if (statusOf(e) === 409) return false;
      throw e;
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
  };
}
