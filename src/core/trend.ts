import { z } from 'zod';
import { BaselineModeSchema, type BaselineMode } from './baseline';
import { CostEstimatesSchema, PullEstimatesSchema, type CostEstimates, type PullEstimates } from './estimates/estimates';
import type { LayerDiff } from './layerDiff';
import type { PlatformImage } from './sizing';
import type { PushedAtSource } from './events';

/** One (tag, platform manifest) pair, stamped with the time it was first pushed. */
export interface TrendPoint {
  pushedAt: string;
  tag: string;
  /** The platform manifest's digest. */
  digest: string;
  /** The index the platform was pushed in, for multi-platform tags. */
  indexDigest?: string;
  platform: string;
  sizeBytes: number;
  configSizeBytes: number;
  layerCount: number;
  mediaType: string;
  eventId: string;
  /** The sender's own push time, when it was outside the accepted window and `pushedAt` is the receive time instead. */
  reportedPushedAt?: string;
  /** What `pushedAt` is (see PushedAtSource); absent on points stored before it was recorded, which came from webhooks. */
  pushedAtSource?: PushedAtSource;
  /** Found by the service listing the registry rather than told by a notification. A `backfill` point never sends a card. */
  origin?: 'backfill' | 'reconcile';
  /** The point compared against: see `BASELINE_MODE`. Absent for a platform's first point. */
  baselineDigest?: string;
  baselineTag?: string;
  /** The rule the baseline was chosen by (`BASELINE_MODE` or the repository's policy); absent on points stored before it was recorded. */
  baselineMode?: BaselineMode;
  /** Against the baseline; null without one. Without one every layer counts as added. */
  sizeDeltaBytes: number | null;
  addedBytes: number;
  removedBytes: number;
  reusedBytes: number;
  layerCountDelta: number | null;
  baseChanged?: boolean;
  /** Bytes this image brought into the registry (0 when its blobs were already stored, or for a later tag of the same digest). */
  newRegistryBytes: number;
  estimates?: PointEstimates;
  /** When the manifest (or the index the point came from) was deleted; the point stays in the history. */
  deletedAt?: string;
}

/** Cost and pull-time estimates of one point, computed with the settings at ingest time. */
export interface PointEstimates {
  cost: CostEstimates;
  pull: PullEstimates;
}

const Whole = z.number().int().nonnegative();
const Delta = z.number().int();

export const PointEstimatesSchema = z.object({ cost: CostEstimatesSchema, pull: PullEstimatesSchema }) satisfies z.ZodType<PointEstimates>;

/** A trend point as read back from storage: the JSON of a repository summary, or a point row's columns. */
export const TrendPointSchema = z.object({
  pushedAt: z.string(),
  tag: z.string(),
  digest: z.string(),
  indexDigest: z.string().optional(),
  platform: z.string(),
  sizeBytes: Whole,
  configSizeBytes: Whole,
  layerCount: Whole,
  mediaType: z.string(),
  eventId: z.string(),
  reportedPushedAt: z.string().optional(),
  pushedAtSource: z.enum(['webhook', 'registry', 'config', 'discovered']).optional(),
  origin: z.enum(['backfill', 'reconcile']).optional(),
  baselineDigest: z.string().optional(),
  baselineTag: z.string().optional(),
  baselineMode: BaselineModeSchema.optional(),
  sizeDeltaBytes: Delta.nullable(),
  addedBytes: Whole,
  removedBytes: Whole,
  reusedBytes: Whole,
  layerCountDelta: Delta.nullable(),
  baseChanged: z.boolean().optional(),
  newRegistryBytes: Whole,
  estimates: PointEstimatesSchema.optional(),
  deletedAt: z.string().optional(),
}) satisfies z.ZodType<TrendPoint>;

export interface PointComparison {
  baseline?: { digest: string; tag: string };
  diff?: Pick<LayerDiff, 'sizeDeltaBytes' | 'addedBytes' | 'removedBytes' | 'reusedBytes' | 'layerCountDelta'> & { base: { changed: boolean } };
  newRegistryBytes: number;
  estimates?: PointEstimates;
}

/** A point for one platform image, described against its baseline when there is one. */
/** What a push says of the points it makes, whatever the platform. */
export interface PushFacts {
  tag: string;
  pushedAt: string;
  eventId: string;
  indexDigest?: string;
  reportedPushedAt?: string;
  pushedAtSource?: PushedAtSource;
  origin?: TrendPoint['origin'];
}

export function pointFor(push: PushFacts, p: PlatformImage, c: PointComparison): TrendPoint {
  const layerBytes = p.layers.reduce((s, l) => s + l.sizeBytes, 0);
  return {
    pushedAt: push.pushedAt,
    tag: push.tag,
    digest: p.digest,
    ...(push.indexDigest ? { indexDigest: push.indexDigest } : {}),
    platform: p.platform,
    sizeBytes: p.sizeBytes,
    configSizeBytes: p.config.sizeBytes,
    layerCount: p.layerCount,
    mediaType: p.mediaType,
    eventId: push.eventId,
    ...(push.reportedPushedAt ? { reportedPushedAt: push.reportedPushedAt } : {}),
    ...(push.pushedAtSource ? { pushedAtSource: push.pushedAtSource } : {}),
    ...(push.origin ? { origin: push.origin } : {}),
    ...(c.baseline ? { baselineDigest: c.baseline.digest, baselineTag: c.baseline.tag } : {}),
    sizeDeltaBytes: c.diff?.sizeDeltaBytes ?? null,
    addedBytes: c.diff?.addedBytes ?? layerBytes,
    removedBytes: c.diff?.removedBytes ?? 0,
    reusedBytes: c.diff?.reusedBytes ?? 0,
    layerCountDelta: c.diff?.layerCountDelta ?? null,
    ...(c.diff ? { baseChanged: c.diff.base.changed } : {}),
    newRegistryBytes: c.newRegistryBytes,
    ...(c.estimates ? { estimates: c.estimates } : {}),
  };
}

/**
 * The point described against another baseline (or none): the comparison fields and the
 * pull estimates change; identity, size, registry bytes and the cost stay.
 */
export function withComparison(
  point: TrendPoint,
  image: PlatformImage,
  c: { mode?: BaselineMode; baseline?: { digest: string; tag: string }; diff?: PointComparison['diff']; pull?: PullEstimates },
): TrendPoint {
  const { baselineDigest: _d, baselineTag: _t, baselineMode: _m, baseChanged: _b, ...rest } = point;
  const fresh = pointFor(point, image, { ...c, newRegistryBytes: point.newRegistryBytes });
  return {
    ...rest,
    ...(c.baseline ? { baselineDigest: c.baseline.digest, baselineTag: c.baseline.tag } : {}),
    ...(c.mode ? { baselineMode: c.mode } : {}),
    sizeDeltaBytes: fresh.sizeDeltaBytes,
    addedBytes: fresh.addedBytes,
    removedBytes: fresh.removedBytes,
    reusedBytes: fresh.reusedBytes,
    layerCountDelta: fresh.layerCountDelta,
    ...(fresh.baseChanged !== undefined ? { baseChanged: fresh.baseChanged } : {}),
    ...(point.estimates && c.pull ? { estimates: { cost: point.estimates.cost, pull: c.pull } } : {}),
  };
}

/** Whether two descriptions of a point say the same (so nothing needs writing). */
export function sameComparison(a: TrendPoint, b: TrendPoint): boolean {
  const key = (p: TrendPoint) =>
    JSON.stringify([
      p.baselineDigest,
      p.baselineTag,
      p.baselineMode,
      p.sizeDeltaBytes,
      p.addedBytes,
      p.removedBytes,
      p.reusedBytes,
      p.layerCountDelta,
      p.baseChanged,
      p.estimates?.pull,
      p.deletedAt,
    ]);
  return key(a) === key(b);
}

/** Names one stored trend point: enough to read it back, and small enough for a queue message. */
export interface PointRef {
  registry: string;
  repository: string;
  platform: string;
  pushedAt: string;
  tag: string;
  /** The platform manifest's digest. */
  digest: string;
}

export function pointRefOf(registry: string, repository: string, p: Pick<TrendPoint, 'platform' | 'pushedAt' | 'tag' | 'digest'>): PointRef {
  return { registry, repository, platform: p.platform, pushedAt: p.pushedAt, tag: p.tag, digest: p.digest };
}
