import { oneOf } from './validation';

/**
 * The baseline rule, in one place for ingest, its later corrections and the what-if API:
 * a point is compared with the latest point pushed strictly before it on the same
 * platform, with another digest (a new tag of the same digest is not a change), and in
 * `sameTag` mode of the same tag.
 */

export const BASELINE_MODES = ['previous', 'sameTag'] as const;
export type BaselineMode = (typeof BASELINE_MODES)[number];
export const BaselineModeSchema = oneOf(BASELINE_MODES);

/** What identifies a point for the rule; points are unique per (tag, digest). */
export interface PointIdentity {
  pushedAt: string;
  tag: string;
  digest: string;
}

export function mayBeBaseline(candidate: PointIdentity, point: PointIdentity, mode: BaselineMode): boolean {
  return candidate.pushedAt < point.pushedAt && candidate.digest !== point.digest && (mode === 'previous' || candidate.tag === point.tag);
}

/** The baseline of `point` among `newestFirst` (points of its platform, newest first). */
export function selectBaseline<C extends PointIdentity>(newestFirst: Iterable<C>, point: PointIdentity, mode: BaselineMode): C | undefined {
  for (const c of newestFirst) if (mayBeBaseline(c, point, mode)) return c;
  return undefined;
}

/** A point of the newest-first index: its identity, and the baseline it was compared with under which rule. */
export interface ComparedIdentity extends PointIdentity {
  baselineDigest?: string;
  baselineTag?: string;
  baselineMode?: BaselineMode;
}

/**
 * The baseline of `point` read off the nearest group of earlier points (those pushed at
 * the latest time before it, in index order) without walking past every point of its
 * digest: when none of the group may be the baseline, they all share the point's digest
 * (and tag, in `sameTag` mode), nothing lies between them and the point, so the point's
 * baseline is theirs, if they were compared under the same rule. A new tag of an
 * unchanged digest costs one read however long the run of that digest.
 * @returns the baseline, null for none, or undefined when the group cannot tell (compared
 * under another rule, or stored before rules were recorded): walk on.
 */
export function baselineFromNearest(
  group: readonly ComparedIdentity[],
  point: PointIdentity,
  mode: BaselineMode,
): { tag: string; digest: string } | null | undefined {
  const candidate = selectBaseline(group, point, mode);
  if (candidate) return { tag: candidate.tag, digest: candidate.digest };
  const nearest = group[0];
  if (!nearest) return null;
  if (nearest.baselineMode !== mode || nearest.pushedAt >= point.pushedAt) return undefined;
  return nearest.baselineDigest !== undefined && nearest.baselineTag !== undefined ? { tag: nearest.baselineTag, digest: nearest.baselineDigest } : null;
}

export function samePoint(a: { tag: string; digest: string } | undefined, b: { tag: string; digest: string } | undefined): boolean {
  return !!a && !!b && a.tag === b.tag && a.digest === b.digest;
}

/**
 * When a point P lands (in any order), which later points may now have P as their baseline?
 * Walking later points oldest first in groups of equal push time, a group in which no
 * point has P as its baseline ends the walk: every point after it has a baseline at
 * least as late as that group (its members, or what they compare with, are candidates
 * that come after P), so P cannot be theirs.
 */
export function walkContinues(group: { baselineTag?: string; baselineDigest?: string }[], landed: { tag: string; digest: string }): boolean {
  return group.some((q) => samePoint(q.baselineDigest && q.baselineTag !== undefined ? { tag: q.baselineTag, digest: q.baselineDigest } : undefined, landed));
}
