import type { RegistryReader } from '../adapters/registry';
import type { ContentTable } from '../adapters/tables/contentTable';
import type { ImageTable } from '../adapters/tables/imageTable';
import type { BlobTable, Registration } from '../adapters/tables/blobTable';
import type { PointTable } from '../adapters/tables/pointTable';
import type { EffectivePolicy } from '../core/policy';
import type { RepositoryTable } from '../adapters/tables/repositoryTable';
import { PermanentError } from '../core/errors';
import type { RegistryEvent } from '../core/events';
import { isFailure, mergeImage, type ImageRecord, type ImageStatus, type PlatformEntry } from '../core/image';
import type { ParsedManifest } from '../core/manifest';
import { withPoint } from '../core/repository';
import type { PlatformImage } from '../core/sizing';
import { diffImages, type LayerDiff } from '../core/layerDiff';
import { blobsOf } from '../core/storage';
import { pointFor, pointRefOf, type PointEstimates, type PointRef, type TrendPoint } from '../core/trend';
import { ContentResolver } from './contentResolver';

export interface IngestDeps {
  content: ContentTable;
  images: ImageTable;
  points: PointTable;
  repositories: RepositoryTable;
  blobs: BlobTable;
  registry: RegistryReader;
  /** The alert policy of a repository (thresholds, baseline mode, route). */
  policyFor: (registry: string, repository: string) => Promise<EffectivePolicy>;
  /** Cost and pull-time estimates for a new point; absent, points carry none. */
  estimate?: (input: EstimateInput) => PointEstimates;
  /**
   * Called whenever a point is stored, re-described or re-delivered: alerting must be
   * idempotent, so that a retry after a failure in it still alerts (once).
   */
  onPoint?: (ref: PointRef) => Promise<void>;
}

export interface EstimateInput {
  registry: string;
  image: PlatformImage;
  baseline?: PlatformImage;
  newRegistryBytes: number;
  registryBytesBefore: number;
}

export interface IngestOutcome {
  action: RegistryEvent['action'];
  status: ImageStatus | 'deleted' | 'unknown';
  platforms: number;
  pointsAdded: TrendPoint[];
  registryRequests: number;
  /** Delete events: bytes that no remaining manifest uses any more. */
  reclaimableBytes?: number;
  reason?: string;
}

/**
 * Processes one registry event. Transient failures throw (the queue retries the
 * message); permanent ones are recorded on the image and the repository, so they stay
 * visible in the API instead of circling through retries into the poison queue.
 */
export async function ingest(event: RegistryEvent, deps: IngestDeps): Promise<IngestOutcome> {
  if (event.action === 'delete') return recordDelete(event, deps);
  const digest = event.digest!;
  const resolver = new ContentResolver(deps.content, deps.registry, event.registry, event.repository);

  let resolved: { root: ParsedManifest; platforms: PlatformImage[]; entries: PlatformEntry[] };
  try {
    resolved = await resolve(digest, resolver);
  } catch (e) {
    if (!(e instanceof PermanentError)) throw e;
    await recordImage(event, deps, { mediaType: event.mediaType ?? 'unknown', kind: 'unknown', status: 'error', reason: e.message, ...(e.status ? { errorStatus: e.status } : {}), platforms: [] });
    await noteError(event, deps, e.message);
    return { action: 'push', status: 'error', platforms: 0, pointsAdded: [], registryRequests: resolver.registryRequests, reason: e.message };
  }

  const { root, platforms } = resolved;
  const existing = await deps.images.get(event.registry, event.repository, digest);
  const accounting = new Map<string, Registration>();
  // Read the registry's total once per event, and only if a known image needs it.
  let live: Promise<number> | undefined;
  const liveBytes = () => (live ??= deps.blobs.liveBytes(event.registry));
  for (const image of platforms) accounting.set(image.digest, await account(event, deps, existing, image, liveBytes));
  const entries = resolved.entries.map((e) => (isFailure(e) ? e : { ...e, newRegistryBytes: accounting.get(e.digest)?.newRegistryBytes ?? 0 }));
  const failures = entries.length - platforms.length;
  const status: ImageStatus =
    root.kind === 'unsupported' ? 'unsupported' : failures === 0 ? 'ok' : platforms.length > 0 ? 'partial' : 'error';
  const reason = root.kind === 'unsupported' ? root.reason : failures > 0 ? `${failures} of ${entries.length} platform manifests could not be read` : undefined;
  await recordImage(event, deps, {
    mediaType: root.mediaType,
    kind: root.kind === 'unsupported' ? 'unknown' : root.kind,
    status,
    ...(reason ? { reason } : {}),
    platforms: entries,
  });

  const pointsAdded: TrendPoint[] = [];
  if (event.tag && platforms.length > 0) {
    const push = { tag: event.tag, pushedAt: event.timestamp, eventId: event.id, ...(root.kind === 'index' ? { indexDigest: digest } : {}) };
    const policy = await deps.policyFor(event.registry, event.repository);
    for (const image of platforms) {
      const described = await describePoint(event, deps, resolver, push, image, accounting.get(image.digest)!, policy);
      if (await deps.points.add(event.registry, event.repository, described.point)) pointsAdded.push(described.point);
      await deps.onPoint?.(pointRefOf(event.registry, event.repository, described.point));
    }
  }
  if (reason) await noteError(event, deps, reason);
  else await deps.repositories.update(event.registry, event.repository, event.timestamp, (s) => pointsAdded.reduce(withPoint, s));

  return { action: 'push', status, platforms: platforms.length, pointsAdded, registryRequests: resolver.registryRequests, ...(reason ? { reason } : {}) };
}

/**
 * Registry storage accounting for one platform image in this repository. A digest this
 * repository already holds (a new tag, a re-delivery) was accounted when it arrived.
 */
async function account(
  event: RegistryEvent,
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

/**
 * The point for one platform of a tagged push, against its baseline. New registry bytes
 * belong to the digest's first point in the repository; a later tag of the same digest
 * stored nothing new.
 */
async function describePoint(
  event: RegistryEvent,
  deps: IngestDeps,
  resolver: ContentResolver,
  push: { tag: string; pushedAt: string; eventId: string; indexDigest?: string },
  image: PlatformImage,
  registration: Registration,
  policy: EffectivePolicy,
): Promise<{ point: TrendPoint; baseline?: PlatformImage; diff?: LayerDiff }> {
  const [seen, baselineRef] = await Promise.all([
    deps.points.hasPointFor(event.registry, event.repository, image.digest),
    deps.points.baselineFor(event.registry, event.repository, { platform: image.platform, pushedAt: push.pushedAt, digest: image.digest, tag: push.tag }, policy.baselineMode),
  ]);
  let baseline: PlatformImage | undefined;
  if (baselineRef) {
    const m = await resolver.manifest(baselineRef.digest);
    if (m.kind === 'image') baseline = await resolver.platformImage(baselineRef.digest, m, image.platform);
  }
  const newRegistryBytes = seen ? 0 : registration.newRegistryBytes;
  const estimates = deps.estimate?.({
    registry: event.registry,
    image,
    ...(baseline ? { baseline } : {}),
    newRegistryBytes,
    registryBytesBefore: Math.max(0, registration.registryBytesAfter - newRegistryBytes),
  });
  const diff = baseline ? diffImages(baseline, image) : undefined;
  const point = pointFor(push, image, {
    ...(baseline && baselineRef && diff ? { baseline: { digest: baselineRef.digest, tag: baselineRef.tag }, diff } : {}),
    newRegistryBytes,
    ...(estimates ? { estimates } : {}),
  });
  return { point, ...(baseline ? { baseline } : {}), ...(diff ? { diff } : {}) };
}

async function resolve(digest: string, resolver: ContentResolver) {
  const root = await resolver.manifest(digest);
  if (root.kind === 'unsupported') return { root, platforms: [], entries: [] };
  if (root.kind === 'image') {
    const image = await resolver.platformImage(digest, root);
    return { root, platforms: [image], entries: [summarize(image)] };
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
  const entries = results.map((r) => ('layers' in r ? summarize(r) : r));
  return { root, platforms, entries };
}

function summarize(p: PlatformImage): PlatformEntry {
  return {
    digest: p.digest,
    platform: p.platform,
    sizeBytes: p.sizeBytes,
    configSizeBytes: p.config.sizeBytes,
    layerCount: p.layerCount,
    foreignLayerCount: p.foreignLayerCount,
  };
}

async function recordImage(
  event: RegistryEvent,
  deps: IngestDeps,
  fields: Pick<ImageRecord, 'mediaType' | 'kind' | 'status' | 'platforms'> & Partial<Pick<ImageRecord, 'reason' | 'errorStatus'>>,
): Promise<void> {
  const observed: ImageRecord = {
    registry: event.registry,
    repository: event.repository,
    digest: event.digest!,
    ...fields,
    tags: event.tag ? [event.tag] : [],
    firstPushedAt: event.timestamp,
    lastPushedAt: event.timestamp,
  };
  await deps.images.update(event.registry, event.repository, event.digest!, (existing) => mergeImage(existing, observed));
}

async function noteError(event: RegistryEvent, deps: IngestDeps, message: string): Promise<void> {
  await deps.repositories.update(event.registry, event.repository, event.timestamp, (s) =>
    s.lastError && s.lastError.at > event.timestamp ? s : { ...s, lastError: { at: event.timestamp, ...(event.digest ? { digest: event.digest } : {}), message } },
  );
}

async function recordDelete(event: RegistryEvent, deps: IngestDeps): Promise<IngestOutcome> {
  const released = await deps.blobs.release(event.registry, event.repository, event.digest, event.timestamp);
  const outcome = {
    action: 'delete' as const,
    platforms: 0,
    pointsAdded: [],
    registryRequests: 0,
    reclaimableBytes: released.reclaimableBytes,
  };
  if (!event.digest) {
    await deps.repositories.update(event.registry, event.repository, event.timestamp, (s) => ({ ...s, deletedAt: event.timestamp }));
    return { ...outcome, status: 'deleted' };
  }
  const existing = await deps.images.get(event.registry, event.repository, event.digest);
  if (!existing) return { ...outcome, status: 'unknown', reason: 'delete of a manifest this service never recorded' };
  await deps.images.update(event.registry, event.repository, event.digest, (current) =>
    current ? { ...current, deletedAt: current.deletedAt && current.deletedAt < event.timestamp ? current.deletedAt : event.timestamp } : existing,
  );
  return { ...outcome, status: 'deleted' };
}

/**
 * Before a transient failure is rethrown for the queue to retry, note it where people
 * look: if every retry fails, the message ends in the poison queue and this record says
 * why. A record that is already complete is left alone.
 */
export async function recordTransientFailure(event: RegistryEvent, deps: Pick<IngestDeps, 'images'>, error: Error, attempt: number): Promise<void> {
  if (event.action !== 'push' || !event.digest) return;
  await deps.images.update(event.registry, event.repository, event.digest, (existing) => {
    if (existing && existing.status !== 'retrying') return existing;
    return {
      registry: event.registry,
      repository: event.repository,
      digest: event.digest!,
      mediaType: existing?.mediaType ?? event.mediaType ?? 'unknown',
      kind: existing?.kind ?? 'unknown',
      status: 'retrying',
      reason: error.message,
      ...((error as { status?: number }).status ? { errorStatus: (error as { status?: number }).status } : {}),
      attempt,
      tags: [...new Set([...(existing?.tags ?? []), ...(event.tag ? [event.tag] : [])])].sort(),
      firstPushedAt: existing?.firstPushedAt ?? event.timestamp,
      lastPushedAt: event.timestamp,
      platforms: [],
    };
  });
}
