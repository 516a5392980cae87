import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import { PermanentError, TransientError } from '../core/errors';
import type { RegistryEvent } from '../core/events';
import {
  MAX_RUN_ERRORS,
  addFound,
  listedDelete,
  listedPush,
  newRunRepository,
  progressOf,
  reconcileDiff,
  recordedState,
  NOTHING_FOUND,
  RUN_KINDS,
  type Found,
  type ReconcileMode,
  type ReconcileState,
  type ReconcileSummary,
  type Run,
  type RunError,
  type RunKind,
  type RunProgress,
  type RunRepository,
} from '../core/listing';
import { parseManifest } from '../core/manifest';
import { globMatches } from '../core/policy';
import type { RegistryCatalog, TagEntry } from './catalog';
import type { ContentStore, FetchedManifest } from './contentResolver';

/** One queued step of a run: a page of the catalog, or (part of) one repository's tags. */
export const ListingUnitSchema = z.discriminatedUnion('step', [
  z.object({ step: z.literal('catalog'), kind: z.enum(RUN_KINDS), registry: z.string().min(1).max(253), run: z.string().min(1).max(64) }),
  z.object({
    step: z.literal('repository'),
    kind: z.enum(RUN_KINDS),
    registry: z.string().min(1).max(253),
    run: z.string().min(1).max(64),
    repository: z.string().min(1).max(256),
  }),
]);
export type ListingUnit = z.infer<typeof ListingUnitSchema>;

export interface RunStore {
  run(registry: string, kind: RunKind): Promise<{ value: Run; etag: string } | undefined>;
  start(run: Run, replacing: { etag: string } | undefined): Promise<boolean>;
  updateRun(registry: string, kind: RunKind, change: (run: Run | undefined) => Run): Promise<Run>;
  addRepository(run: Run, repository: RunRepository): Promise<void>;
  repository(run: Run, repository: string): Promise<{ value: RunRepository; etag: string } | undefined>;
  saveRepository(run: Run, next: RunRepository, read: { etag: string }): Promise<{ etag: string } | undefined>;
  repositories(run: Run): Promise<RunRepository[]>;
  processed(registry: string, runId: string): Promise<{ count: number; missed: number; errors: RunError[] }>;
  markProcessed(
    registry: string,
    runId: string,
    eventId: string,
    outcome: { status: string; added: boolean; reason?: string; repository: string; tag?: string },
  ): Promise<void>;
  reconcileState(registry: string): Promise<ReconcileState | undefined>;
  updateReconcileState(registry: string, change: (s: ReconcileState | undefined) => ReconcileState): Promise<ReconcileState>;
  watermarks(registry: string): Promise<Map<string, string>>;
  setWatermark(registry: string, repository: string, watermark: string): Promise<void>;
}

export interface ListingDeps {
  runs: RunStore;
  /** A catalog of the registry whose every request (retries included) calls `counted`. */
  catalogFor: (registry: string, counted: () => void) => RegistryCatalog;
  events: { enqueue(events: RegistryEvent[], opts?: { budgetMs?: number }): Promise<{ outcome: string; reason?: string }[]> };
  units: { send(unit: ListingUnit): Promise<void> };
  content: Pick<ContentStore, 'putManifest'>;
  /** A repository's points, as reconcile compares them. */
  recorded: (registry: string, repository: string) => Promise<{ tag: string; digest: string; indexDigest?: string; pushedAt: string; deletedAt?: string }[]>;
  /** Repositories the service tracks (live ones), for the repository deletes a full reconcile finds. */
  tracked: (registry: string) => Promise<string[]>;
  allowedRegistries: readonly string[];
  now?: () => Date;
  /** Tags (or repositories) asked for per listing request. */
  pageSize?: number;
  /** How long one unit works before it queues its own continuation (a Function invocation has a time limit). */
  unitBudgetMs?: number;
}

export const DEFAULT_PAGE_SIZE = 100;
const DEFAULT_UNIT_BUDGET_MS = 120_000;
/** A start whose catalog unit was never seen to run (its queue send failed) is sent again after this. */
const STALLED_START_MS = 5 * 60_000;

const nowOf = (deps: Pick<ListingDeps, 'now'>) => (deps.now ?? (() => new Date()))();

export class ListingRefused extends Error {
  constructor(
    message: string,
    readonly status: 400 | 403,
  ) {
    super(message);
    this.name = 'ListingRefused';
  }
}

export async function runProgress(deps: Pick<ListingDeps, 'runs'>, registry: string, kind: RunKind): Promise<RunProgress | undefined> {
  const read = await deps.runs.run(registry, kind);
  return read && progressFor(deps, read.value);
}

async function progressFor(deps: Pick<ListingDeps, 'runs'>, run: Run): Promise<RunProgress> {
  if (run.final) return run.final;
  const [repositories, processed] = await Promise.all([deps.runs.repositories(run), deps.runs.processed(run.registry, run.id)]);
  const progress = progressOf(run, repositories, processed);
  if (progress.state === 'running') return progress;
  // The first reader to see it end records when, and how it ended: the last event is processed by
  // ingest, which knows nothing of runs; every later read (the APIs, the next start) reads this row alone.
  const final = { ...progress, finishedAt: run.finishedAt ?? nowOf({}).toISOString() };
  await deps.runs.updateRun(run.registry, run.kind, (r) => (r && r.id === run.id && !r.final ? { ...r, finishedAt: final.finishedAt, final } : r!));
  return final;
}

/** `previous`: the finished run the new one replaced. */
export type StartResult = { started: RunProgress; previous?: RunProgress } | { running: RunProgress };

/**
 * Starts a run of `kind` on a registry (or the repositories a glob names), unless one is
 * running: that one is answered instead. Two starts at once: one wins the row's ETag.
 */
export async function startRun(deps: ListingDeps, registry: string, kind: RunKind, opts: { scope?: string; mode?: ReconcileMode } = {}): Promise<StartResult> {
  if (!deps.allowedRegistries.includes(registry)) throw new ListingRefused(`registry "${registry}" is not in ALLOWED_REGISTRIES`, 403);
  let read = await deps.runs.run(registry, kind);
  let previous: RunProgress | undefined;
  if (read) {
    const progress = await progressFor(deps, read.value);
    previous = progress;
    if (progress.state === 'running') {
      const stalled =
        read.value.catalog.requests === 0 && !read.value.catalog.done && nowOf(deps).getTime() - Date.parse(read.value.startedAt) > STALLED_START_MS;
      if (stalled) await deps.units.send({ step: 'catalog', kind, registry, run: read.value.id });
      return { running: progress };
    }
    // Reading its progress may have written the run's finishedAt: the new run replaces the row as it is now.
    if (!read.value.finishedAt) read = await deps.runs.run(registry, kind);
  }
  const startedAt = nowOf(deps).toISOString();
  const run: Run = {
    id: `${Date.now().toString(36)}${randomBytes(3).toString('hex')}`,
    kind,
    registry,
    ...(opts.scope ? { scope: opts.scope } : {}),
    ...(opts.mode ? { mode: opts.mode } : {}),
    startedAt,
    catalog: { done: false, requests: 0 },
    errors: [],
  };
  if (kind === 'reconcile') {
    // The run being replaced adds what it found to the registry's count, once: this start holds its ETag.
    if (!(await deps.runs.start(run, read))) return { running: (await runProgress(deps, registry, kind))! };
    await deps.runs.updateReconcileState(registry, (s) => ({
      ...(s ?? { registry, since: startedAt, missedBefore: NOTHING_FOUND }),
      missedBefore: addFound(s?.missedBefore ?? NOTHING_FOUND, previous?.missed ? missedAsFound(previous) : undefined),
      ...(opts.mode === 'full' ? { lastFullAt: startedAt, fullDue: false } : {}),
    }));
  } else if (!(await deps.runs.start(run, read))) return { running: (await runProgress(deps, registry, kind))! };
  await deps.units.send({ step: 'catalog', kind, registry, run: run.id });
  return { started: await progressFor(deps, run), ...(previous ? { previous } : {}) };
}

/** What a finished reconcile run found and ingest confirmed as missed, kept by kind as queued. */
function missedAsFound(p: RunProgress): Found {
  const f = p.found ?? NOTHING_FOUND;
  const queued = f.pushes + f.moved + f.deletes;
  // Split the confirmed count in the proportions queued; whole events, the remainder to pushes.
  const missed = Math.min(p.missed ?? 0, queued);
  if (queued === 0 || missed === queued) return missed === queued ? f : NOTHING_FOUND;
  const moved = Math.floor((f.moved * missed) / queued);
  const deletes = Math.floor((f.deletes * missed) / queued);
  return { pushes: missed - moved - deletes, moved, deletes };
}

/** Runs one unit. Units of a run that was replaced, or that already ran, do nothing. */
export async function runUnit(deps: ListingDeps, unit: ListingUnit): Promise<string> {
  const read = await deps.runs.run(unit.registry, unit.kind);
  if (!read || read.value.id !== unit.run) return 'stale: the run was replaced';
  const run = read.value;
  if (run.failed) return 'the run failed';
  return unit.step === 'catalog' ? catalogUnit(deps, run) : repositoryUnit(deps, run, unit.repository);
}

/** One page of the catalog: each repository it names (in scope) gets its row and its unit. */
async function catalogUnit(deps: ListingDeps, run: Run): Promise<string> {
  if (run.catalog.done) return 'catalog already listed';
  let requests = 0;
  const catalog = deps.catalogFor(run.registry, () => requests++);
  let names: string[];
  let next: string | undefined;
  if (run.scope && !run.scope.includes('*')) names = [run.scope];
  else {
    try {
      const page = await catalog.repositories(run.registry, {
        ...(run.catalog.cursor ? { cursor: run.catalog.cursor } : {}),
        pageSize: deps.pageSize ?? DEFAULT_PAGE_SIZE,
      });
      names = page.items.filter((n) => !run.scope || globMatches(run.scope, n));
      next = page.next;
    } catch (e) {
      if (!(e instanceof PermanentError)) throw e;
      await deps.runs.updateRun(run.registry, run.kind, (r) => (r?.id === run.id ? { ...r, failed: `listing the repositories: ${e.message}` } : r!));
      return `failed: ${e.message}`;
    }
  }
  for (const name of names) {
    await deps.runs.addRepository(run, newRunRepository(name));
    await deps.units.send({ step: 'repository', kind: run.kind, registry: run.registry, run: run.id, repository: name });
  }
  let advanced = false;
  const after = await deps.runs.updateRun(run.registry, run.kind, (r) => {
    // A second copy of this unit that got here first moved the cursor: leave it.
    if (!r || r.id !== run.id || r.catalog.done || r.catalog.cursor !== run.catalog.cursor) return r!;
    advanced = true;
    return { ...r, catalog: { ...(next ? { cursor: next } : {}), done: !next, requests: r.catalog.requests + requests } };
  });
  if (advanced && !after.catalog.done) await deps.units.send({ step: 'catalog', kind: run.kind, registry: run.registry, run: run.id });
  if (advanced && after.catalog.done && run.kind === 'reconcile' && run.mode === 'full') await repositoriesGone(deps, run);
  return `${names.length} repositories listed${next ? '' : ', catalog done'}, ${requests} registry request(s)`;
}

/**
 * A full reconcile's catalog is complete: repositories the service tracks that the
 * registry no longer lists were deleted behind its back (a repository delete event each).
 */
async function repositoriesGone(deps: ListingDeps, run: Run): Promise<void> {
  const listed = new Set((await deps.runs.repositories(run)).map((r) => r.repository));
  const at = nowOf(deps).toISOString();
  for (const repository of await deps.tracked(run.registry)) {
    if (listed.has(repository)) continue;
    await enqueueAll(deps, [listedDelete(run, repository, undefined, at)]);
    await deps.runs.addRepository(run, { ...newRunRepository(repository), done: true, eventsQueued: 1, found: { ...NOTHING_FOUND, deletes: 1 } });
  }
}

async function enqueueAll(deps: Pick<ListingDeps, 'events'>, events: RegistryEvent[]): Promise<void> {
  if (events.length === 0) return;
  const outcomes = await deps.events.enqueue(events, { budgetMs: 60_000 });
  const failed = outcomes.find((o) => o.outcome !== 'queued');
  // The unit runs again (the queue retries it); events already queued are queued again with the same ids, which ingest takes once.
  if (failed) throw new TransientError(`queueing ${events.length} listed event(s): ${failed.reason ?? failed.outcome}`);
}

/** Keeps what a listing fetched by tag, so ingest reads the manifest from the table instead of asking again. */
async function keep(deps: Pick<ListingDeps, 'content'>, registry: string, m: FetchedManifest): Promise<void> {
  try {
    await deps.content.putManifest(registry, m.digest, parseManifest(m.content, m.mediaType), { mediaType: m.mediaType, content: m.content });
  } catch (e) {
    // Not parseable here is ingest's to record (as it records a webhook's); the event still goes.
    if (!(e instanceof PermanentError)) throw e;
  }
}

async function repositoryUnit(deps: ListingDeps, run: Run, repository: string): Promise<string> {
  const read = await deps.runs.repository(run, repository);
  if (!read) return 'no such repository in the run';
  if (read.value.done) return 'repository already done';
  return run.kind === 'backfill' ? backfillRepository(deps, run, read) : reconcileRepository(deps, run, read);
}

/**
 * Pages through a repository's tags, queueing one push per tag and saving the cursor (the
 * page and the last tag queued) after each, so a unit cut off anywhere continues with the
 * next tag: at most one tag's requests are made twice.
 */
async function backfillRepository(deps: ListingDeps, run: Run, read: { value: RunRepository; etag: string }): Promise<string> {
  let row = read.value;
  let etag = read.etag;
  let requests = 0;
  const catalog = deps.catalogFor(run.registry, () => requests++);
  const deadline = Date.now() + (deps.unitBudgetMs ?? DEFAULT_UNIT_BUDGET_MS);
  // Each save carries the requests made since the last one.
  const save = async (next: RunRepository): Promise<boolean> => {
    const counted = { ...next, requests: next.requests + requests };
    requests = 0;
    const saved = await deps.runs.saveRepository(run, counted, { etag });
    if (!saved) return false;
    row = counted;
    etag = saved.etag;
    return true;
  };
  const superseded = 'another copy of this unit saved first';
  for (;;) {
    let page;
    try {
      page = await catalog.tags(run.registry, row.repository, {
        ...(row.pageCursor ? { cursor: row.pageCursor } : {}),
        pageSize: deps.pageSize ?? DEFAULT_PAGE_SIZE,
      });
    } catch (e) {
      if (!(e instanceof PermanentError)) throw e;
      return (await save({ ...row, done: true, error: `listing tags: ${e.message}` })) ? `failed: ${e.message}` : superseded;
    }
    for (const t of afterLastTag(page.items, row.lastTag)) {
      let found: { digest: string; mediaType?: string } | undefined = t.digest ? { digest: t.digest } : undefined;
      if (!found) {
        let m: FetchedManifest | undefined;
        try {
          m = await catalog.manifestByTag(run.registry, row.repository, t.tag);
        } catch (e) {
          if (!(e instanceof PermanentError)) throw e;
          const error = `${t.tag}: ${e.message}`;
          if (!(await save({ ...row, lastTag: t.tag, tagsFound: row.tagsFound + 1, error }))) return superseded;
          continue;
        }
        if (m) {
          await keep(deps, run.registry, m);
          found = { digest: m.digest, mediaType: m.mediaType };
        }
      }
      // A tag deleted between the listing and its read is not there to backfill.
      if (found) {
        const registryTime = t.updatedAt ?? t.createdAt;
        await enqueueAll(deps, [
          listedPush(run, row.repository, { tag: t.tag, ...found, ...(registryTime ? { registryTime } : {}) }, nowOf(deps).toISOString()),
        ]);
      }
      if (!(await save({ ...row, lastTag: t.tag, tagsFound: row.tagsFound + 1, eventsQueued: row.eventsQueued + (found ? 1 : 0) }))) return superseded;
    }
    const { lastTag: _l, pageCursor: _c, ...rest } = row;
    const done = !page.next;
    if (!(await save({ ...rest, ...(page.next ? { pageCursor: page.next } : {}), done }))) return superseded;
    if (done) return `${row.tagsFound} tags, ${row.eventsQueued} events queued, ${row.requests} registry request(s)`;
    if (Date.now() > deadline) {
      await deps.units.send({ step: 'repository', kind: run.kind, registry: run.registry, run: run.id, repository: row.repository });
      return `continued in a new unit after ${row.tagsFound} tags`;
    }
  }
}

/** The tags of a page after the last one queued: the page is listed again from the same cursor, in the same order. */
function afterLastTag(items: TagEntry[], lastTag: string | undefined): TagEntry[] {
  if (lastTag === undefined) return items;
  const i = items.findIndex((t) => t.tag === lastTag);
  return i >= 0 ? items.slice(i + 1) : items;
}

/**
 * Compares one repository as the registry lists it now with what the service recorded,
 * and queues what webhooks missed. A light run lists tag names (Distribution) or the tags
 * updated since the last run's watermark (ACR, newest first); a full run reads every tag's
 * digest too, which finds moved tags and deletes on registries whose listing lacks them.
 */
async function reconcileRepository(deps: ListingDeps, run: Run, read: { value: RunRepository; etag: string }): Promise<string> {
  const row = read.value;
  const repository = row.repository;
  const mode = run.mode ?? 'light';
  let requests = 0;
  const catalog = deps.catalogFor(run.registry, () => requests++);
  const at = nowOf(deps).toISOString();
  const watermark = mode === 'light' ? (await deps.runs.watermarks(run.registry)).get(repository) : undefined;
  const listed: (TagEntry & { mediaType?: string })[] = [];
  let partial = false;
  let newest: string | undefined;
  try {
    let cursor: string | undefined;
    do {
      const page = await catalog.tags(run.registry, repository, {
        ...(cursor ? { cursor } : {}),
        pageSize: deps.pageSize ?? DEFAULT_PAGE_SIZE,
        ...(catalog.ordersTagsByUpdate ? { order: 'lastUpdatedDescending' as const } : {}),
      });
      for (const t of page.items) {
        const updated = t.updatedAt ?? t.createdAt;
        if (updated && (!newest || updated > newest)) newest = updated;
        if (watermark && updated && updated <= watermark) partial = true;
        else listed.push(t);
      }
      cursor = partial ? undefined : page.next;
    } while (cursor);
  } catch (e) {
    if (!(e instanceof PermanentError)) throw e;
    // A repository listed by the catalog and gone by its tags listing: the next full run's catalog finds it gone.
    await deps.runs.saveRepository(run, { ...row, done: true, requests, error: `listing tags: ${e.message}` }, read);
    return `failed: ${e.message}`;
  }
  const recorded = recordedState(await deps.recorded(run.registry, repository));
  const byTag = async (t: TagEntry): Promise<TagEntry & { mediaType?: string }> => {
    if (t.digest) return t;
    const m = await catalog.manifestByTag(run.registry, repository, t.tag).catch((e: unknown) => {
      if (e instanceof PermanentError) return undefined;
      throw e;
    });
    if (!m) return t;
    await keep(deps, run.registry, m);
    return { ...t, digest: m.digest, mediaType: m.mediaType };
  };
  // A full run on a listing without digests reads each tag's; a light one only the tags it has not seen.
  const resolved = mode === 'full' ? await mapInOrder(listed, byTag) : listed;
  const diff = reconcileDiff(recorded, resolved);
  const pushes = await mapInOrder(diff.pushes, (t) => (t.digest ? Promise.resolve(t as TagEntry) : byTag(resolved.find((r) => r.tag === t.tag)!)));
  const events: RegistryEvent[] = [];
  const pushOf = (t: TagEntry & { mediaType?: string }) =>
    listedPush(
      run,
      repository,
      { tag: t.tag, digest: t.digest!, ...(t.mediaType ? { mediaType: t.mediaType } : {}), ...(registryTimeOf(t) ? { registryTime: registryTimeOf(t)! } : {}) },
      at,
    );
  const newTags = pushes.filter((t) => t.digest);
  for (const t of newTags) events.push(pushOf(t));
  for (const t of diff.moved) events.push(pushOf(resolved.find((r) => r.tag === t.tag)!));
  // A partial (watermarked) listing cannot tell a vanished tag from one not listed.
  const candidates = partial ? [] : mode === 'full' ? diff.untagged : diff.vanished;
  const deleted: string[] = [];
  if (candidates.length > 0) {
    if (mode === 'full' && catalog.manifests) {
      const present = new Set<string>();
      let cursor: string | undefined;
      do {
        const page = await catalog.manifests(run.registry, repository, { ...(cursor ? { cursor } : {}), pageSize: deps.pageSize ?? DEFAULT_PAGE_SIZE });
        for (const m of page.items) present.add(m.digest);
        cursor = page.next;
      } while (cursor);
      deleted.push(...candidates.filter((d) => !present.has(d)));
    } else {
      for (const d of candidates) if (!(await catalog.manifestExists(run.registry, repository, d))) deleted.push(d);
    }
  }
  for (const d of deleted) events.push(listedDelete(run, repository, d, at));
  await enqueueAll(deps, events);
  const found = { pushes: newTags.length, moved: diff.moved.length, deletes: deleted.length };
  const next: RunRepository = { ...row, done: true, tagsFound: listed.length, eventsQueued: events.length, requests: row.requests + requests, found };
  if (!(await deps.runs.saveRepository(run, next, read))) return 'another copy of this unit saved first';
  if (newest && (!watermark || newest > watermark)) await deps.runs.setWatermark(run.registry, repository, newest);
  return `${listed.length} tags listed${partial ? ' (since the watermark)' : ''} in ${requests} registry request(s); queued ${found.pushes} missed pushes, ${found.moved} moved tags, ${found.deletes} deletes`;
}

const registryTimeOf = (t: TagEntry) => t.updatedAt ?? t.createdAt;

/** One at a time, in order: the rate gate spaces the requests anyway, and a failure stops where it is. */
async function mapInOrder<T, U>(items: T[], fn: (t: T) => Promise<U>): Promise<U[]> {
  const out: U[] = [];
  for (const item of items) out.push(await fn(item));
  return out;
}

/** A unit whose every attempt failed: its run records why and stops waiting for it. */
export async function abandonUnit(deps: Pick<ListingDeps, 'runs' | 'now'>, unit: ListingUnit, reason: string): Promise<void> {
  const read = await deps.runs.run(unit.registry, unit.kind);
  if (!read || read.value.id !== unit.run) return;
  const at = nowOf(deps).toISOString();
  if (unit.step === 'catalog') {
    await deps.runs.updateRun(unit.registry, unit.kind, (r) =>
      r?.id === unit.run ? { ...r, failed: `listing the repositories gave up: ${reason}`, errors: [...r.errors, { at, reason }].slice(-MAX_RUN_ERRORS) } : r!,
    );
    return;
  }
  const row = await deps.runs.repository(read.value, unit.repository);
  if (row && !row.value.done) await deps.runs.saveRepository(read.value, { ...row.value, done: true, error: `gave up: ${reason}` }, row);
}

/** Reconcile state as the APIs show it: since when, how many missed events it found, the last run. */
export async function reconcileSummary(deps: Pick<ListingDeps, 'runs'>, registry: string): Promise<ReconcileSummary | undefined> {
  const state = await deps.runs.reconcileState(registry);
  if (!state) return undefined;
  const read = await deps.runs.run(registry, 'reconcile');
  const last = read ? await progressFor(deps, read.value) : undefined;
  const missed = addFound(state.missedBefore, last?.missed ? missedAsFound(last) : undefined);
  return {
    since: state.since,
    ...(last ? { lastReconciledAt: last.finishedAt ?? last.startedAt } : {}),
    ...(state.lastFullAt ? { lastFullAt: state.lastFullAt } : {}),
    missed: { ...missed, total: missed.pushes + missed.moved + missed.deletes },
    ...(last ? { lastRun: last } : {}),
  };
}

/** A finished backfill is where reconcile starts watching the registry. */
export async function watchAfterBackfill(deps: Pick<ListingDeps, 'runs'>, registry: string, at: string): Promise<void> {
  await deps.runs.updateReconcileState(registry, (s) => s ?? { registry, since: at, missedBefore: NOTHING_FOUND });
}

/**
 * One timer tick: a reconcile run of every allowed registry that is watched (a whole-registry
 * backfill finished there), unless its previous run is still going. A full run that finds
 * one going is owed: the next tick runs full.
 */
export async function reconcileTick(deps: ListingDeps, mode: ReconcileMode): Promise<string[]> {
  const lines: string[] = [];
  for (const registry of deps.allowedRegistries) {
    let state = await deps.runs.reconcileState(registry);
    if (!state) {
      const backfill = await runProgress(deps, registry, 'backfill');
      if (!backfill || backfill.state !== 'done' || backfill.scope) {
        lines.push(`${registry}: not watched yet (a backfill of the whole registry starts it)`);
        continue;
      }
      await watchAfterBackfill(deps, registry, backfill.finishedAt ?? backfill.startedAt);
      state = await deps.runs.reconcileState(registry);
    }
    const result = await startRun(deps, registry, 'reconcile', { mode: state?.fullDue ? 'full' : mode });
    if ('running' in result) {
      if (mode === 'full') await deps.runs.updateReconcileState(registry, (s) => ({ ...s!, fullDue: true }));
      lines.push(`${registry}: run ${result.running.id} still going${mode === 'full' ? '; the next run is full' : ''}`);
    } else {
      const last = result.previous;
      const cost = last ? `; the last run (${last.mode ?? 'light'}) made ${last.requests} registry request(s) and found ${JSON.stringify(last.found)}` : '';
      lines.push(`${registry}: run ${result.started.id} (${result.started.mode}) started${cost}`);
    }
  }
  return lines;
}

/**
 * Ingest's word to a run that one of its events was processed, and whether it recorded
 * something new: for reconcile, that is an event webhooks had missed.
 */
export async function markProcessed(
  deps: { runs: Pick<RunStore, 'markProcessed'> },
  event: RegistryEvent,
  outcome: { action: string; status: string; pointsAdded: unknown[]; reason?: string },
): Promise<void> {
  if (!event.run) return;
  const added = outcome.action === 'push' ? outcome.pointsAdded.length > 0 : outcome.status === 'deleted';
  await deps.runs.markProcessed(event.registry, event.run, event.id, {
    status: outcome.status,
    added,
    repository: event.repository,
    ...(event.tag ? { tag: event.tag } : {}),
    ...(outcome.reason ? { reason: outcome.reason } : {}),
  });
}
