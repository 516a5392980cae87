import { createHash } from 'node:crypto';
import { z } from 'zod';
import type { PushEvent, DeleteEvent } from './events';

/**
 * Backfill and reconcile list a registry and queue what they find as ordinary events.
 * Both are a *run*: one catalog listing that names repositories, then one queued unit per
 * repository that pages through its tags, each step saving its cursor before the next,
 * so a crash, a redeploy or a timeout continues where it stopped.
 */

export const RUN_KINDS = ['backfill', 'reconcile'] as const;
export type RunKind = (typeof RUN_KINDS)[number];
export type ReconcileMode = 'light' | 'full';

/** Reconcile: events webhooks had missed, by kind. */
export const FoundSchema = z.object({ pushes: z.number().int().nonnegative(), moved: z.number().int().nonnegative(), deletes: z.number().int().nonnegative() });
export type Found = z.infer<typeof FoundSchema>;
export const NOTHING_FOUND: Found = { pushes: 0, moved: 0, deletes: 0 };
export const addFound = (a: Found, b: Found | undefined): Found =>
  b ? { pushes: a.pushes + b.pushes, moved: a.moved + b.moved, deletes: a.deletes + b.deletes } : a;

/** Kept per run: enough to say why, not a log. */
export const MAX_RUN_ERRORS = 20;

export const RunErrorSchema = z.object({ at: z.string(), repository: z.string().optional(), tag: z.string().optional(), reason: z.string() });
export type RunError = z.infer<typeof RunErrorSchema>;

/** A registry's current run of one kind: the catalog listing and how the run ended. */
export const RunSchema = z.object({
  id: z.string(),
  kind: z.enum(RUN_KINDS),
  registry: z.string(),
  /** A repository name or glob (as in policies); absent: the whole registry. */
  scope: z.string().optional(),
  /** Reconcile: a light run lists tags; a full one reads every tag's digest too. */
  mode: z.enum(['light', 'full']).optional(),
  startedAt: z.string(),
  /** Set once the catalog is listed and every repository unit has finished (events may still be processing). */
  listedAt: z.string().optional(),
  finishedAt: z.string().optional(),
  failed: z.string().optional(),
  /** The run's progress as it ended, kept so reading a finished run reads this row alone, not its repositories and events. */
  final: z.lazy(() => RunProgressSchema).optional(),
  catalog: z.object({ cursor: z.string().optional(), done: z.boolean(), requests: z.number().int().nonnegative() }),
  errors: z.array(RunErrorSchema),
});
export type Run = z.infer<typeof RunSchema>;

/** One repository of a run: its cursor (the tag page and the last tag done) and its counts. */
export const RunRepositorySchema = z.object({
  repository: z.string(),
  done: z.boolean(),
  /** The page being worked through, and the last tag of it queued. */
  pageCursor: z.string().optional(),
  lastTag: z.string().optional(),
  tagsFound: z.number().int().nonnegative(),
  eventsQueued: z.number().int().nonnegative(),
  requests: z.number().int().nonnegative(),
  /** Reconcile: what it found that the service had not recorded. */
  found: FoundSchema.optional(),
  /** ACR reconcile: the newest tag update seen, where the next light run stops. */
  watermark: z.string().optional(),
  error: z.string().optional(),
});
export type RunRepository = z.infer<typeof RunRepositorySchema>;

export function newRunRepository(repository: string): RunRepository {
  return { repository, done: false, tagsFound: 0, eventsQueued: 0, requests: 0 };
}

const Count = z.number().int().nonnegative();

/** What a run has done so far, as `GET /api/backfill` answers it and the CLI's progress bar reads it. */
export const RunProgressSchema = z.object({
  id: z.string(),
  kind: z.enum(RUN_KINDS),
  registry: z.string(),
  scope: z.string().optional(),
  mode: z.enum(['light', 'full']).optional(),
  state: z.enum(['running', 'done', 'failed']),
  startedAt: z.string(),
  finishedAt: z.string().optional(),
  /** `listed`: the catalog is read, so `total` is final. */
  repositories: z.object({ done: Count, total: Count, listed: z.boolean() }),
  tagsFound: Count,
  eventsQueued: Count,
  eventsProcessed: Count,
  found: FoundSchema.optional(),
  /** Reconcile: of the events processed, those that recorded something new (webhooks had missed them). */
  missed: Count.optional(),
  /** Registry requests of the listing (catalog, tags, manifests by tag); the events' own are counted by ingest. */
  requests: Count,
  errors: z.array(RunErrorSchema).max(MAX_RUN_ERRORS),
});
export type RunProgress = z.infer<typeof RunProgressSchema>;

/**
 * A reconciled registry: since when it is watched, what reconcile found that webhooks had
 * missed (by kind, and in all), and its latest run.
 */
export const ReconcileSummarySchema = z.object({
  since: z.string(),
  lastReconciledAt: z.string().optional(),
  lastFullAt: z.string().optional(),
  missed: FoundSchema.extend({ total: Count }),
  lastRun: RunProgressSchema.optional(),
});
export type ReconcileSummary = z.infer<typeof ReconcileSummarySchema>;

/**
 * A run is done when its catalog is listed, every repository unit has finished and every
 * event it queued has been processed; failed when its listing could not go on.
 */
export function progressOf(run: Run, repositories: RunRepository[], processed: { count: number; missed?: number; errors: RunError[] }): RunProgress {
  const sum = (f: (r: RunRepository) => number) => repositories.reduce((s, r) => s + f(r), 0);
  const done = repositories.filter((r) => r.done).length;
  const eventsQueued = sum((r) => r.eventsQueued);
  const listed = run.catalog.done && done === repositories.length;
  const state = run.failed ? 'failed' : listed && processed.count >= eventsQueued ? 'done' : 'running';
  const errors = [
    ...run.errors,
    ...repositories.filter((r) => r.error).map((r) => ({ at: run.startedAt, repository: r.repository, reason: r.error! })),
    ...processed.errors,
  ].slice(0, MAX_RUN_ERRORS);
  return {
    id: run.id,
    kind: run.kind,
    registry: run.registry,
    ...(run.scope ? { scope: run.scope } : {}),
    ...(run.mode ? { mode: run.mode } : {}),
    state,
    startedAt: run.startedAt,
    ...(run.finishedAt ? { finishedAt: run.finishedAt } : {}),
    repositories: { done, total: repositories.length, listed: run.catalog.done },
    tagsFound: sum((r) => r.tagsFound),
    eventsQueued,
    eventsProcessed: Math.min(processed.count, eventsQueued),
    ...(run.kind === 'reconcile' ? { found: repositories.reduce((f, r) => addFound(f, r.found), NOTHING_FOUND), missed: processed.missed ?? 0 } : {}),
    requests: run.catalog.requests + sum((r) => r.requests),
    errors,
  };
}

/**
 * The id of a listed event: the same (run, repository, tag, digest) always makes the same
 * id, so a unit that runs twice (a crash between queueing and saving its cursor) queues
 * events that ingest and the processed count take once.
 */
export function listedEventId(run: Pick<Run, 'id' | 'kind'>, repository: string, tag: string | undefined, digest: string, action: 'push' | 'delete'): string {
  const hash = createHash('sha256')
    .update(`${repository}\n${tag ?? ''}\n${digest}\n${action}`)
    .digest('hex')
    .slice(0, 32);
  return `${run.kind}:${run.id}:${hash}`;
}

/** What a listing knows of a tag when it queues its push. */
export interface ListedTag {
  tag: string;
  digest: string;
  mediaType?: string;
  /** The registry's own time for the tag (ACR); absent, the discovery time stands in (and backfill takes the config's `created`). */
  registryTime?: string;
}

export function listedPush(run: Pick<Run, 'id' | 'kind' | 'registry'>, repository: string, t: ListedTag, discoveredAt: string): PushEvent {
  return {
    id: listedEventId(run, repository, t.tag, t.digest, 'push'),
    timestamp: t.registryTime ?? discoveredAt,
    source: run.kind,
    registry: run.registry,
    repository,
    tag: t.tag,
    ...(t.mediaType ? { mediaType: t.mediaType } : {}),
    action: 'push',
    digest: t.digest,
    receivedAt: discoveredAt,
    pushedAtSource: t.registryTime ? 'registry' : 'discovered',
    run: run.id,
  };
}

/** A manifest's delete, or without a digest the whole repository's. */
export function listedDelete(run: Pick<Run, 'id' | 'kind' | 'registry'>, repository: string, digest: string | undefined, discoveredAt: string): DeleteEvent {
  return {
    id: listedEventId(run, repository, undefined, digest ?? '', 'delete'),
    timestamp: discoveredAt,
    source: run.kind,
    registry: run.registry,
    repository,
    action: 'delete',
    ...(digest ? { digest } : {}),
    receivedAt: discoveredAt,
    pushedAtSource: 'discovered',
    run: run.id,
  };
}

/**
 * What reconcile compares: the digest the service last recorded for each tag (its newest
 * live point's manifest, the index for a multi-platform tag), and the live manifests it
 * holds points of. Deleted points stand for nothing in the registry.
 */
export interface RecordedRepository {
  tags: Map<string, string>;
  /** Root digests with a live point: what a delete behind the service's back would leave wrong. */
  live: Set<string>;
}

export function recordedState(points: { tag: string; digest: string; indexDigest?: string; pushedAt: string; deletedAt?: string }[]): RecordedRepository {
  const newest = new Map<string, { at: string; root: string; deleted: boolean }>();
  const live = new Set<string>();
  for (const p of points) {
    const root = p.indexDigest ?? p.digest;
    if (!p.deletedAt) live.add(root);
    const current = newest.get(p.tag);
    if (!current || p.pushedAt > current.at) newest.set(p.tag, { at: p.pushedAt, root, deleted: !!p.deletedAt });
  }
  const tags = new Map<string, string>();
  for (const [tag, n] of newest) if (!n.deleted) tags.set(tag, n.root);
  return { tags, live };
}

/**
 * What a reconcile of one repository queues, from what the registry lists now against
 * what the service recorded: pushes for tags it never saw (`pushes`, their digest still to
 * be read when the listing has none) or saw on another digest (`moved`); and the live
 * manifests no listed tag names, which may have been deleted behind the service's back
 * (untagged manifests stay in a registry until deleted, so the caller asks): `vanished`
 * are those whose tag disappeared from this listing, `untagged` all of them.
 */
export function reconcileDiff(
  recorded: RecordedRepository,
  listed: { tag: string; digest?: string }[],
): { pushes: { tag: string; digest?: string }[]; moved: { tag: string; digest: string }[]; vanished: string[]; untagged: string[] } {
  const pushes: { tag: string; digest?: string }[] = [];
  const moved: { tag: string; digest: string }[] = [];
  const named = new Set<string>();
  const seen = new Set<string>();
  for (const t of listed) {
    seen.add(t.tag);
    const was = recorded.tags.get(t.tag);
    if (t.digest) named.add(t.digest);
    else if (was !== undefined) named.add(was);
    if (was === undefined) pushes.push(t);
    else if (t.digest && t.digest !== was) moved.push({ tag: t.tag, digest: t.digest });
  }
  const gone = new Set([...recorded.tags].filter(([tag]) => !seen.has(tag)).map(([, root]) => root));
  const untagged = [...recorded.live].filter((d) => !named.has(d));
  return { pushes, moved, vanished: untagged.filter((d) => gone.has(d)), untagged };
}

/**
 * A registry under reconcile: since a backfill finished (before one, everything it holds
 * would look missed), with what earlier runs found webhooks had missed. The current run's
 * own findings are summed from its rows when read, and folded in here when the next starts.
 */
export const ReconcileStateSchema = z.object({
  registry: z.string(),
  since: z.string(),
  /** Found by runs before the current one. */
  missedBefore: FoundSchema,
  lastFullAt: z.string().optional(),
  /** A full run was due while another run was still going: the next run is full. */
  fullDue: z.boolean().optional(),
});
export type ReconcileState = z.infer<typeof ReconcileStateSchema>;
