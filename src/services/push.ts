import { PermanentError, TransientError } from '../core/errors';
import type { BaselineMode } from '../core/baseline';
import { isListed, type PushEvent } from '../core/events';
import { deletedSince, isFailure, mergeImage, platformSummary, pushStatus, type ImageRecord, type PlatformEntry } from '../core/image';
import type { ParsedManifest } from '../core/manifest';
import type { PlatformImage } from '../core/sizing';
import { withError, type RepositorySummary } from '../core/repository';
import { mayFind } from '../core/rules';
import { blobsOf, type Registration } from '../core/storage';
import { pointFor, pointRefOf, type PointRef, type PushFacts, type TrendPoint } from '../core/trend';
import { ContentResolver } from './contentResolver';
import { noteError, type ImageRead, type IngestDeps, type IngestOutcome } from './ingest';
import { advanceSummary, describe, guessBaseline, markDeleted, refreshSummary, settle, type StoredPoint, type TrendDeps } from './trendPoints';

/** A stored platform image by digest, read through the resolver (stored content first). */
export function imageLoader(resolver: ContentResolver) {
  return async (digest: string, platform: string): Promise<PlatformImage | undefined> => {
    const m = await resolver.manifest(digest);
    return m.kind === 'image' ? resolver.platformImage(digest, m, platform) : undefined;
  };
}

export function trendDeps(deps: IngestDeps, registry: string, resolver: ContentResolver): TrendDeps {
  const estimate = deps.estimate;
  return {
    points: deps.points,
    loadImage: imageLoader(resolver),
    ...(estimate
      ? {
          estimatePull: (image, baseline) => estimate({ registry, image, ...(baseline ? { baseline } : {}), newRegistryBytes: 0, registryBytesBefore: 0 }).pull,
        }
      : {}),
  };
}

/**
 * A push: content by digest (stored first, registry second), storage accounting, the
 * image record, then one trend point per platform of a tagged push, each compared with
 * its baseline and kept right when earlier points land later.
 */
export async function ingestPush(told: PushEvent, deps: IngestDeps): Promise<IngestOutcome> {
  const { registry, repository, digest } = told;
  let event = told;
  const resolver = new ContentResolver(deps.content, deps.registry, registry, repository);
  const outcome = (o: Omit<IngestOutcome, 'action' | 'registryRequests' | 'pointsRedescribed'> & { pointsRedescribed?: number }): IngestOutcome => ({
    action: 'push',
    pointsRedescribed: 0,
    registryRequests: resolver.registryRequests,
    ...o,
  });

  let resolved: { root: ParsedManifest; platforms: PlatformImage[]; entries: PlatformEntry[] };
  try {
    resolved = await resolve(digest, resolver);
  } catch (e) {
    if (!(e instanceof PermanentError)) throw e;
    await recordImage(event, deps, {
      mediaType: event.mediaType ?? 'unknown',
      kind: 'unknown',
      status: 'error',
      reason: e.message,
      ...(e.status ? { errorStatus: e.status } : {}),
      platforms: [],
    });
    await noteError(event, deps, e.message);
    return outcome({ status: 'error', platforms: 0, pointsAdded: [], reason: e.message });
  }

  const { root, platforms } = resolved;
  // The time is settled before anything is stamped with it: accounting, points, the record.
  event = withConfigTime(event, platforms);
  // A digest whose content was never stored has, almost always, no image record either: write
  // without reading. The exceptions (a delete delivered before its push, an earlier failed
  // attempt) make the create conflict, and the update reads the record then.
  const imageRead: ImageRead = resolver.firstSeen(digest) ? { record: undefined, absent: true } : await deps.images.read(registry, repository, digest);
  const existing = imageRead.record;
  const accounting = new Map<string, Registration>();
  // Read the registry's total once per event, and only if a known image needs it.
  let live: Promise<number> | undefined;
  const liveBytes = () => (live ??= deps.blobs.liveBytes(registry));
  for (const image of platforms) accounting.set(image.digest, await account(event, deps, existing, image, liveBytes));
  const entries = resolved.entries.map((e) => (isFailure(e) ? e : { ...e, newRegistryBytes: accounting.get(e.digest)?.newRegistryBytes ?? 0 }));
  const { status, reason } = pushStatus(root, entries);
  // Alongside the points, not before them: the size point does not wait for a queue send. Sent
  // again by a retry that finds no record, which the analysis takes as the same request.
  const onNewImage = deps.onNewImage;
  const contentQueued = !existing && onNewImage ? Promise.allSettled(platforms.map((p) => onNewImage(registry, repository, p, isListed(event)))) : undefined;

  // Points before the image record: a delete marks the record first and reads the points
  // second, so between the two one of them sees the other (see deleteEvent.ts).
  const trend = trendDeps(deps, registry, resolver);
  const policy = event.tag && platforms.length > 0 ? await deps.policyFor(registry, repository) : undefined;
  const written: { stored: StoredPoint; added: boolean }[] = [];
  if (event.tag && policy) {
    const push = {
      tag: event.tag,
      pushedAt: event.timestamp,
      eventId: event.id,
      ...(root.kind === 'index' ? { indexDigest: digest } : {}),
      ...(event.reportedTimestamp ? { reportedPushedAt: event.reportedTimestamp } : {}),
      pushedAtSource: event.pushedAtSource ?? ('webhook' as const),
      ...(event.source === 'backfill' || event.source === 'reconcile' ? { origin: event.source } : {}),
    };
    for (const image of platforms) {
      const known = existing?.platforms.find((e) => e.digest === image.digest);
      // Nothing to look up when the content is new (no point can name it) or the record says a point exists.
      const seen = resolver.firstSeen(image.digest) ? false : known && !isFailure(known) && known.pointed ? true : undefined;
      const point = await newPoint(event, deps, trend, push, image, accounting.get(image.digest)!, policy.baselineMode, seen);
      const added = await deps.points.add(registry, repository, point);
      if (added) written.push({ stored: added, added: true });
      else {
        // Recorded before (a re-delivery, or the pair pushed again): the stored point, stamped with its first push, is the one.
        const stored = await deps.points.find(registry, repository, point.tag, point.digest);
        if (stored) written.push({ stored, added: false });
      }
    }
  }

  const notify = new Map<string, PointRef>();
  const note = (ref: PointRef) => notify.set(JSON.stringify(ref), ref);
  let redescribed = 0;
  const newest: TrendPoint[] = [];
  const rebuild = new Set<string>();
  for (const { stored } of written) {
    const ref = pointRefOf(registry, repository, stored.point);
    const settled = await settle(trend, registry, repository, stored, policy!.baselineMode);
    // A point described anew is evaluated whatever it says; one left as written only when a rule could fire on it.
    if (mayFind(stored.point, policy!)) note(ref);
    for (const c of settled.changed) {
      if (c.tag !== ref.tag || c.digest !== ref.digest) redescribed++;
      note(c);
    }
    // Later points described anew, or none seen newest: the summary reads the points.
    if (settled.newest && settled.changed.every((c) => c.tag === ref.tag && c.digest === ref.digest)) newest.push(settled.newest);
    else rebuild.add(stored.point.platform);
  }
  const withReason = (s: RepositorySummary) => (reason ? withError(s, { at: event.timestamp, digest, message: reason }) : s);
  // The summary before the image record: see advanceSummary.
  await advanceSummary(deps, registry, repository, newest, rebuild, event.timestamp, withReason);

  for (const sent of (await contentQueued) ?? []) if (sent.status === 'rejected') throw sent.reason;
  const pointed = new Set(written.map((w) => w.stored.point.digest));
  const record = await recordImage(
    event,
    deps,
    {
      mediaType: root.mediaType,
      kind: root.kind === 'unsupported' ? 'unknown' : root.kind,
      status,
      ...(reason ? { reason } : {}),
      platforms: entries.map((e) => (!isFailure(e) && pointed.has(e.digest) ? { ...e, pointed: true as const } : e)),
    },
    imageRead,
  );
  // A delete that was delivered before this (older) push: its bytes are not live.
  if (deletedSince(record, event.timestamp)) await deps.blobs.release(registry, repository, digest, record.deletedAt!);
  const deletion = deletedSince(record, event.timestamp) ? record.deletedAt : undefined;
  // Points of a delete that came first, or found again (a re-delivery, a re-push after a delete): their marks, then the summary from the points.
  const toCheck = written.filter((w) => deletion || !w.added).map((w) => pointRefOf(registry, repository, w.stored.point));
  const marked = toCheck.length > 0 ? await markDeleted(trend, toCheck, deletion, event.timestamp) : [];
  // After a delete seen on the record, the summary is read from the points even when the delete
  // marked them itself: its rebuild may have come before this event's summary write.
  const reread = deletion ? toCheck : marked;
  if (reread.length > 0)
    await refreshSummary(
      deps,
      registry,
      repository,
      reread.map((p) => p.platform),
      event.timestamp,
    );
  for (const ref of notify.values()) await deps.onPoint?.(ref);

  return outcome({
    status,
    platforms: platforms.length,
    pointsAdded: written.filter((w) => w.added).map((w) => w.stored.point),
    pointsRedescribed: redescribed,
    ...(reason ? { reason } : {}),
  });
}

/**
 * The new point, described against the baseline the table holds before it is written, or
 * the one the summary this instance remembers suggests (settle() checks again after). New registry bytes belong to the digest's first point in
 * the repository; a later tag of the same digest stored nothing new.
 */
async function newPoint(
  event: PushEvent,
  deps: IngestDeps,
  trend: TrendDeps,
  push: PushFacts,
  image: PlatformImage,
  registration: Registration,
  mode: BaselineMode,
  /** Whether the digest already has a point in the repository, when the caller knows. */
  known: boolean | undefined,
): Promise<TrendPoint> {
  const seen = known ?? (await deps.points.hasPointFor(event.registry, event.repository, image.digest));
  const newRegistryBytes = seen ? 0 : registration.newRegistryBytes;
  const estimates = deps.estimate?.({
    registry: event.registry,
    image,
    newRegistryBytes,
    registryBytesBefore: Math.max(0, registration.registryBytesAfter - newRegistryBytes),
  });
  const bare = pointFor(push, image, { newRegistryBytes, ...(estimates ? { estimates } : {}) });
  const guess = guessBaseline(deps.repositories.remembered?.(event.registry, event.repository), bare, mode);
  return (await describe(trend, event.registry, event.repository, bare, image, mode, guess)).point;
}

/**
 * Registry storage accounting for one platform image in this repository. A digest this
 * repository already holds (a new tag, a re-delivery) was accounted when it arrived.
 */
async function account(
  event: PushEvent,
  deps: IngestDeps,
  existing: ImageRecord | undefined,
  image: PlatformImage,
  liveBytes: () => Promise<number>,
): Promise<Registration> {
  const prior = existing && !existing.deletedAt ? existing.platforms.find((e) => !isFailure(e) && e.digest === image.digest) : undefined;
  if (prior && !isFailure(prior) && prior.newRegistryBytes !== undefined) {
    const live = await liveBytes();
    return { newRegistryBytes: prior.newRegistryBytes, registryBytesBefore: live - prior.newRegistryBytes, registryBytesAfter: live };
  }
  return deps.blobs.register(event.registry, event.repository, image.digest, blobsOf(image), event.timestamp);
}

async function resolve(digest: string, resolver: ContentResolver) {
  const root = await resolver.manifest(digest);
  if (root.kind === 'unsupported') return { root, platforms: [], entries: [] };
  if (root.kind === 'image') {
    const image = await resolver.platformImage(digest, root);
    return { root, platforms: [image], entries: [platformSummary(image)] };
  }
  const children = root.manifests.filter((m) => !m.attestation);
  const known = await resolver.knownManifests(children.map((c) => c.digest));
  const results = await Promise.all(
    children.map(async (child): Promise<PlatformImage | PlatformEntry> => {
      const failure = (error: string, errorStatus?: number): PlatformEntry => ({
        digest: child.digest,
        ...(child.platform ? { platform: child.platform } : {}),
        error,
        ...(errorStatus ? { errorStatus } : {}),
      });
      try {
        const m = await resolver.manifest(child.digest, known);
        if (m.kind === 'index') return failure('nested image indexes are not supported');
        if (m.kind === 'unsupported') return failure(m.reason);
        return await resolver.platformImage(child.digest, m, child.platform);
      } catch (e) {
        if (e instanceof PermanentError) return failure(e.message, e.status);
        throw e;
      }
    }),
  );
  const platforms = results.filter((r): r is PlatformImage => 'layers' in r);
  const entries = results.map((r) => ('layers' in r ? platformSummary(r) : r));
  return { root, platforms, entries };
}

async function recordImage(
  event: PushEvent,
  deps: IngestDeps,
  fields: Pick<ImageRecord, 'mediaType' | 'kind' | 'status' | 'platforms'> & Partial<Pick<ImageRecord, 'reason' | 'errorStatus'>>,
  first?: ImageRead,
): Promise<ImageRecord> {
  const observed: ImageRecord = {
    registry: event.registry,
    repository: event.repository,
    digest: event.digest,
    ...fields,
    tags: event.tag ? [event.tag] : [],
    firstPushedAt: event.timestamp,
    lastPushedAt: event.timestamp,
  };
  const basis = first?.remembered ? accountingOf(first.record) : undefined;
  return deps.images.update(
    event.registry,
    event.repository,
    event.digest,
    (existing) => {
      // This event's accounting was made from a remembered record; another instance changed
      // what it depends on since (a delete, the platforms): the queue runs the event again.
      if (basis !== undefined && accountingOf(existing) !== basis) throw new TransientError(`the image record of ${event.digest} changed under this event`);
      return mergeImage(existing, observed);
    },
    first,
  );
}

/** What a push's storage accounting and "has a point" read from the image record. */
function accountingOf(record: ImageRecord | undefined): string {
  if (!record) return 'none';
  const platforms = record.platforms.map((e) => (isFailure(e) ? [e.digest] : [e.digest, e.newRegistryBytes ?? null, e.pointed ?? false]));
  return JSON.stringify([record.deletedAt ?? null, platforms]);
}

/**
 * Build tools that make reproducible images stamp `created` with the epoch (SOURCE_DATE_EPOCH=0);
 * a time before registries existed says nothing about when the image was pushed.
 */
const EARLIEST_PLAUSIBLE_CREATED = Date.parse('2013-01-01T00:00:00Z');

/**
 * A listed event whose registry gave no time for the tag (`discovered`) is stamped with its
 * image's config `created` when the config has a plausible one: the newest among platforms
 * (an index's images are built together), never later than the discovery itself.
 */
export function withConfigTime(event: PushEvent, platforms: PlatformImage[]): PushEvent {
  if (event.pushedAtSource !== 'discovered' || event.source !== 'backfill') return event;
  const discovered = Date.parse(event.timestamp);
  let best: number | undefined;
  for (const p of platforms) {
    const t = p.created ? Date.parse(p.created) : NaN;
    if (Number.isNaN(t) || t < EARLIEST_PLAUSIBLE_CREATED || t > discovered) continue;
    if (best === undefined || t > best) best = t;
  }
  return best === undefined ? event : { ...event, timestamp: new Date(best).toISOString(), pushedAtSource: 'config' };
}
