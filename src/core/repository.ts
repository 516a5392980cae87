import { z } from 'zod';
import { TrendPointSchema, type TrendPoint } from './trend';

/**
 * What a repository keeps of a point, and what the listing answers: which image, when and
 * how big. The whole point (its comparison, estimates) is one `/api/trend` request away,
 * and would make each row, and a listing of thousands of repositories, many times larger.
 */
export const PointBriefSchema = TrendPointSchema.pick({
  pushedAt: true,
  tag: true,
  digest: true,
  indexDigest: true,
  platform: true,
  sizeBytes: true,
  layerCount: true,
  sizeDeltaBytes: true,
  baselineDigest: true,
  baselineTag: true,
  baselineMode: true,
  deletedAt: true,
});
export type PointBrief = z.output<typeof PointBriefSchema>;

export function briefOf(p: TrendPoint): PointBrief {
  return {
    pushedAt: p.pushedAt,
    tag: p.tag,
    digest: p.digest,
    ...(p.indexDigest ? { indexDigest: p.indexDigest } : {}),
    platform: p.platform,
    sizeBytes: p.sizeBytes,
    layerCount: p.layerCount,
    sizeDeltaBytes: p.sizeDeltaBytes,
    ...(p.baselineDigest !== undefined && p.baselineTag !== undefined ? { baselineDigest: p.baselineDigest, baselineTag: p.baselineTag } : {}),
    ...(p.baselineMode ? { baselineMode: p.baselineMode } : {}),
    ...(p.deletedAt ? { deletedAt: p.deletedAt } : {}),
  };
}

export interface RepositorySummary {
  registry: string;
  repository: string;
  firstSeenAt: string;
  /** The newest trend point of each platform, brief. (Rows written before kept whole points: the extra keys are dropped as they are read.) */
  latestByPlatform: Record<string, PointBrief>;
  /** The last permanent failure (unsupported manifest, 404, denied), kept visible. */
  lastError?: { at: string; digest?: string; message: string };
  deletedAt?: string;
}

export const RepositorySummarySchema = z.object({
  registry: z.string(),
  repository: z.string(),
  firstSeenAt: z.string(),
  latestByPlatform: z.record(z.string(), PointBriefSchema),
  lastError: z.object({ at: z.string(), digest: z.string().optional(), message: z.string() }).optional(),
  deletedAt: z.string().optional(),
}) satisfies z.ZodType<RepositorySummary>;

/** The most recent point across platforms; ties go to the platform name for a stable answer. */
export function latestPoint<P extends Pick<TrendPoint, 'pushedAt' | 'platform'>>(summary: { latestByPlatform: Record<string, P> }): P | undefined {
  let best: P | undefined;
  for (const p of Object.values(summary.latestByPlatform)) {
    if (!best || p.pushedAt > best.pushedAt || (p.pushedAt === best.pushedAt && p.platform < best.platform)) best = p;
  }
  return best;
}

export function withPoint(summary: RepositorySummary, point: TrendPoint): RepositorySummary {
  const current = summary.latestByPlatform[point.platform];
  if (current && current.pushedAt > point.pushedAt) return summary;
  return { ...summary, latestByPlatform: { ...summary.latestByPlatform, [point.platform]: briefOf(point) } };
}

/** The repository's last error, unless a later one is already shown. */
export function withError(summary: RepositorySummary, error: { at: string; digest?: string; message: string }): RepositorySummary {
  return summary.lastError && summary.lastError.at > error.at ? summary : { ...summary, lastError: error };
}
