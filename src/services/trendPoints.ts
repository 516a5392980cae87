import {
  baselineFromNearest,
  mayBeBaseline,
  selectBaseline,
  walkContinues,
  type BaselineMode,
  type ComparedIdentity,
  type PointIdentity,
} from '../core/baseline';
import type { PullEstimates } from '../core/estimates/estimates';
import { diffImages } from '../core/layerDiff';
import { briefOf, type RepositorySummary } from '../core/repository';
import type { PlatformImage } from '../core/sizing';
import { pointRefOf, sameComparison, withComparison, type PointRef, type TrendPoint } from '../core/trend';

/**
 * Keeps every stored point compared with the point the baseline rule names, whatever
 * order and concurrency deliveries come in. Each event writes its point first and reads
 * second: after writing, it re-checks its own baseline and re-describes the later points
 * that may now compare with it. Of two concurrent events, at least one sees the other's
 * write, and every rewrite is conditional on the point's ETag, so the last word on a
 * point is always computed from a view that includes every point written before it.
 */

export interface IndexedPoint extends ComparedIdentity {
  platform: string;
  deletedAt?: string;
}

export interface StoredPoint {
  point: TrendPoint;
  etag: string;
}

export interface PointStore {
  /** @returns the point as stored (with the ETag a later replace needs), or undefined when its (tag, digest) pair was recorded before. */
  add(registry: string, repository: string, point: TrendPoint): Promise<StoredPoint | undefined>;
  read(ref: PointRef): Promise<StoredPoint | undefined>;
  replace(registry: string, repository: string, stored: StoredPoint, next: TrendPoint): Promise<boolean>;
  hasPointFor(registry: string, repository: string, digest: string): Promise<boolean>;
  find(registry: string, repository: string, tag: string, digest: string): Promise<StoredPoint | undefined>;
  ofDigest(registry: string, repository: string, digest: string): Promise<StoredPoint[]>;
  newestFirst(
    registry: string,
    repository: string,
    platform: string,
    opts?: { before?: string; tag?: string; digestNot?: string },
  ): AsyncIterable<IndexedPoint>;
  later(registry: string, repository: string, platform: string, after: string, opts?: { tag?: string }): AsyncIterable<StoredPoint>;
  /** The newest point of a platform that is not deleted, whole. */
  newestLive(registry: string, repository: string, platform: string): Promise<TrendPoint | undefined>;
}

export interface SummaryStore {
  update(
    registry: string,
    repository: string,
    at: string,
    change: (s: RepositorySummary) => RepositorySummary | Promise<RepositorySummary>,
  ): Promise<RepositorySummary>;
  /** The row as this instance last wrote or read it, without a request; it may be behind. */
  remembered?(registry: string, repository: string): RepositorySummary | undefined;
}

/**
 * A new point's likely baseline without a read (`previous` mode): the summary's newest
 * point of its platform when it is earlier and of another digest, or that point's own
 * baseline when it has the new point's digest (a new tag of it). Only a guess (the
 * summary skips deleted points, and may be behind): the point is written with it, and
 * settle's read after writing puts it right. @returns undefined when there is no guess.
 */
export function guessBaseline(
  summary: RepositorySummary | undefined,
  point: PointIdentity & { platform: string },
  mode: BaselineMode,
): { tag: string; digest: string } | null | undefined {
  if (!summary || mode !== 'previous') return undefined;
  const latest = summary.latestByPlatform[point.platform];
  if (!latest) return null;
  return latest.pushedAt < point.pushedAt ? baselineFromNearest([latest], point, mode) : undefined;
}

export interface TrendDeps {
  points: PointStore;
  /** The stored image of a platform manifest digest, as the point's platform names it. */
  loadImage: (digest: string, platform: string) => Promise<PlatformImage | undefined>;
  /** Pull estimates against a baseline; absent, points carry none. */
  estimatePull?: (image: PlatformImage, baseline?: PlatformImage) => PullEstimates;
}

const MAX_CONFLICTS = 10;

/**
 * The baseline the table holds for `point`: read off the nearest earlier points (one
 * request), or, when they were compared under another rule, by walking past every
 * earlier point of its digest.
 */
export async function findBaseline(
  deps: Pick<TrendDeps, 'points'>,
  registry: string,
  repository: string,
  point: PointIdentity & { platform: string },
  mode: BaselineMode,
): Promise<{ tag: string; digest: string } | undefined> {
  const scope = mode === 'sameTag' ? { tag: point.tag } : {};
  const { baseline } = await nearest(deps.points.newestFirst(registry, repository, point.platform, { before: point.pushedAt, ...scope }), point, mode);
  if (baseline !== undefined) return baseline ?? undefined;
  const candidates = deps.points.newestFirst(registry, repository, point.platform, { before: point.pushedAt, digestNot: point.digest, ...scope });
  for await (const c of candidates) if (selectBaseline([c], point, mode)) return { tag: c.tag, digest: c.digest };
  return undefined;
}

/**
 * Reads index rows (newest first) down to the point's baseline, stopping at the first
 * point later than it. @returns whether one exists, and the baseline (null: none;
 * undefined: the nearest earlier points cannot tell).
 */
async function nearest(
  newestFirst: AsyncIterable<IndexedPoint>,
  point: PointIdentity,
  mode: BaselineMode,
): Promise<{ later: boolean; baseline?: { tag: string; digest: string } | null }> {
  const group: IndexedPoint[] = [];
  for await (const c of newestFirst) {
    if (c.pushedAt > point.pushedAt) return { later: true };
    if (c.pushedAt === point.pushedAt) continue;
    if (group.length > 0 && c.pushedAt !== group[0]!.pushedAt) break;
    if (mayBeBaseline(c, point, mode)) return { later: false, baseline: { tag: c.tag, digest: c.digest } };
    group.push(c);
  }
  const baseline = baselineFromNearest(group, point, mode);
  return baseline === undefined ? { later: false } : { later: false, baseline };
}

/** The point compared with the baseline the table holds now. */
export async function describe(
  deps: TrendDeps,
  registry: string,
  repository: string,
  point: TrendPoint,
  image: PlatformImage,
  mode: BaselineMode,
  /** The baseline, when the caller read it from the table after the point was written (null: none). */
  known?: { tag: string; digest: string } | null,
): Promise<{ point: TrendPoint; baseline?: PlatformImage }> {
  const ref = known !== undefined ? (known ?? undefined) : await findBaseline(deps, registry, repository, point, mode);
  const baseline = ref ? await deps.loadImage(ref.digest, point.platform) : undefined;
  if (!ref || !baseline) {
    return { point: withComparison(point, image, { mode, ...(deps.estimatePull ? { pull: deps.estimatePull(image) } : {}) }) };
  }
  const described = withComparison(point, image, {
    mode,
    baseline: { digest: ref.digest, tag: ref.tag },
    diff: diffImages(baseline, image),
    ...(deps.estimatePull ? { pull: deps.estimatePull(image, baseline) } : {}),
  });
  return { point: described, baseline };
}

/**
 * Re-checks a stored point's comparison and rewrites it when it changed. `first` is a
 * read of it already at hand. @returns the point as stored now, and whether it changed.
 */
async function redescribe(
  deps: TrendDeps,
  ref: PointRef,
  mode: BaselineMode,
  first?: StoredPoint,
  /** Its baseline as read after `first` (null: none); a conflict finds it again. */
  known?: { tag: string; digest: string } | null,
): Promise<{ point: TrendPoint; changed: boolean } | undefined> {
  let stored = first ?? (await deps.points.read(ref));
  for (let attempt = 0; stored; attempt++) {
    const image = await deps.loadImage(stored.point.digest, stored.point.platform);
    if (!image) return { point: stored.point, changed: false };
    const { point: next } = await describe(deps, ref.registry, ref.repository, stored.point, image, mode, attempt === 0 ? known : undefined);
    if (sameComparison(next, stored.point)) return { point: stored.point, changed: false };
    if (await deps.points.replace(ref.registry, ref.repository, stored, next)) return { point: next, changed: true };
    if (attempt >= MAX_CONFLICTS) throw new Error(`point ${ref.repository}:${ref.tag}@${ref.digest} kept changing under ${MAX_CONFLICTS} rewrites`);
    stored = await deps.points.read(ref);
  }
  return undefined;
}

/**
 * After a point was written (`stored`, as this event wrote or found it): its own
 * comparison, then the later points that may compare with it now. @returns the points whose comparison changed (the landed one included).
 */
export async function settle(
  deps: TrendDeps,
  registry: string,
  repository: string,
  stored: StoredPoint,
  mode: BaselineMode,
): Promise<{ changed: PointRef[]; newest?: TrendPoint }> {
  const changed: PointRef[] = [];
  const landed = stored.point;
  const self = pointRefOf(registry, repository, landed);
  // Usually the landed point is its platform's newest: one read from the top of the index
  // finds no later point and its baseline both. Otherwise, its baseline and the later
  // points are read apart.
  const around = await nearest(deps.points.newestFirst(registry, repository, landed.platform, mode === 'sameTag' ? { tag: landed.tag } : {}), landed, mode);
  const own = await redescribe(deps, self, mode, stored, around.later ? undefined : around.baseline);
  if (own?.changed) changed.push(self);
  // No later point in its scope (all tags, in `previous` mode): as far as this event saw, the platform's newest.
  if (!around.later) return { changed, ...(own && mode === 'previous' ? { newest: own.point } : {}) };

  let group: { at: string; points: TrendPoint[] } | undefined;
  const later = deps.points.later(registry, repository, landed.platform, landed.pushedAt, mode === 'sameTag' ? { tag: landed.tag } : {});
  for await (const q of later) {
    if (group && group.at !== q.point.pushedAt) {
      if (!walkContinues(group.points, landed)) return { changed };
      group = undefined;
    }
    const ref = pointRefOf(registry, repository, q.point);
    const result = await redescribe(deps, ref, mode, q);
    if (!result) continue;
    if (result.changed) changed.push(ref);
    group ??= { at: q.point.pushedAt, points: [] };
    group.points.push(result.point);
  }
  return { changed };
}

/**
 * Sets (or, for a re-push after the delete, clears) the deletion mark of stored points. A
 * point pushed after the delete keeps no mark; `pushedAt` is the push that made it.
 * @returns the points whose mark changed.
 */
export async function markDeleted(deps: Pick<TrendDeps, 'points'>, refs: PointRef[], deletedAt: string | undefined, pushedAt?: string): Promise<TrendPoint[]> {
  const changed: TrendPoint[] = [];
  for (const ref of refs) {
    for (let attempt = 0; ; attempt++) {
      const stored = await deps.points.read(ref);
      if (!stored) break;
      const { deletedAt: current, ...rest } = stored.point;
      let wanted = current;
      if (deletedAt !== undefined && stored.point.pushedAt <= deletedAt && (!current || current < deletedAt)) wanted = deletedAt;
      if (deletedAt === undefined && current && pushedAt && current < pushedAt) wanted = undefined;
      if (wanted === current) break;
      const next: TrendPoint = { ...rest, ...(wanted ? { deletedAt: wanted } : {}) };
      if (await deps.points.replace(ref.registry, ref.repository, stored, next)) {
        changed.push(next);
        break;
      }
      if (attempt >= MAX_CONFLICTS) throw new Error(`point ${ref.repository}:${ref.tag}@${ref.digest} kept changing under ${MAX_CONFLICTS} rewrites`);
    }
  }
  return changed;
}

/**
 * The summary after points this event found the newest of their platforms (`settle`'s
 * `newest`), without reading the points again: a newer point already there stays, and so
 * does the same point (another event may have described it anew since, and written that);
 * a point of the same time as another is settled by reading the newest. Platforms in
 * `rebuild` are read from the points (see refreshSummary). The caller writes this before
 * the image record: a delete marks the record first and rebuilds from the points after,
 * so either the event sees the delete on the record (and rebuilds) or the delete's
 * rebuild comes after this write.
 */
export async function advanceSummary(
  deps: Pick<TrendDeps, 'points'> & { repositories: SummaryStore },
  registry: string,
  repository: string,
  newest: TrendPoint[],
  rebuild: Iterable<string>,
  at: string,
  also: (s: RepositorySummary) => RepositorySummary = (s) => s,
): Promise<RepositorySummary> {
  const reread = new Set(rebuild);
  return deps.repositories.update(registry, repository, at, async (s) => {
    const latestByPlatform = { ...s.latestByPlatform };
    for (const p of newest) {
      if (reread.has(p.platform)) continue;
      if (p.deletedAt) {
        reread.add(p.platform);
        continue;
      }
      const current = latestByPlatform[p.platform];
      if (!current || current.pushedAt < p.pushedAt) latestByPlatform[p.platform] = briefOf(p);
      else if (current.pushedAt === p.pushedAt && (current.tag !== p.tag || current.digest !== p.digest)) reread.add(p.platform);
    }
    for (const platform of reread) {
      const live = await deps.points.newestLive(registry, repository, platform);
      if (live) latestByPlatform[platform] = briefOf(live);
      else delete latestByPlatform[platform];
    }
    return also({ ...s, latestByPlatform });
  });
}

/**
 * Rebuilds the summary's latest point of each platform from the stored points, so a
 * re-delivery repairs a summary a crash left behind, and a delete moves it back. The
 * points are read after the summary row (inside its ETag retry), so a concurrent event's
 * newer point is never overwritten by an older view.
 */
export async function refreshSummary(
  deps: Pick<TrendDeps, 'points'> & { repositories: SummaryStore },
  registry: string,
  repository: string,
  platforms: Iterable<string>,
  at: string,
  also: (s: RepositorySummary) => RepositorySummary = (s) => s,
): Promise<RepositorySummary> {
  const wanted = [...new Set(platforms)];
  return deps.repositories.update(registry, repository, at, async (s) => {
    const latestByPlatform = { ...s.latestByPlatform };
    for (const platform of wanted) {
      const newest = await deps.points.newestLive(registry, repository, platform);
      if (newest) latestByPlatform[platform] = briefOf(newest);
      else delete latestByPlatform[platform];
    }
    return also({ ...s, latestByPlatform });
  });
}
