import { z } from 'zod';
import { TrendPointSchema, type TrendPoint } from './trend';

export interface RepositorySummary {
  registry: string;
  repository: string;
  firstSeenAt: string;
  /** The newest trend point of each platform. */
  latestByPlatform: Record<string, TrendPoint>;
  /** The last permanent failure (unsupported manifest, 404, denied), kept visible. */
  lastError?: { at: string; digest?: string; message: string };
  deletedAt?: string;
}

export const RepositorySummarySchema = z.object({
  registry: z.string(),
  repository: z.string(),
  firstSeenAt: z.string(),
  latestByPlatform: z.record(z.string(), TrendPointSchema),
  lastError: z.object({ at: z.string(), digest: z.string().optional(), message: z.string() }).optional(),
  deletedAt: z.string().optional(),
}) satisfies z.ZodType<RepositorySummary>;

/**
 * What the repositories listing answers of a point: which image, when and how big. The
 * whole point (its comparison, estimates) is one `/api/trend` request away, and would make
 * a listing of thousands of repositories many times larger.
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
  deletedAt: true,
});

/** A repository as the listing reads it: its summary with brief points (other keys are dropped). */
export const RepositoryListingSchema = RepositorySummarySchema.extend({ latestByPlatform: z.record(z.string(), PointBriefSchema) });
export type RepositoryListing = z.output<typeof RepositoryListingSchema>;

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
  return { ...summary, latestByPlatform: { ...summary.latestByPlatform, [point.platform]: point } };
}

/** The repository's last error, unless a later one is already shown. */
export function withError(summary: RepositorySummary, error: { at: string; digest?: string; message: string }): RepositorySummary {
  return summary.lastError && summary.lastError.at > error.at ? summary : { ...summary, lastError: error };
}
