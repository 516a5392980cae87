import type { EffectivePolicy } from '../core/policy';
import { withError } from '../core/repository';
import type { RegistryEvent } from '../core/events';
import { withFailedAttempt, type ImageRecord, type ImageStatus } from '../core/image';
import type { PlatformImage } from '../core/sizing';
import type { BlobUse, Registration } from '../core/storage';
import type { ContentStore, RegistryReader } from './contentResolver';
import type { PointEstimates, PointRef, TrendPoint } from '../core/trend';
import { ingestDelete } from './deleteEvent';
import { ingestPush } from './push';
import type { PointStore, SummaryStore } from './trendPoints';

/** A read of an image record that a later `update` may start from instead of reading it again. */
export interface ImageRead {
  record: ImageRecord | undefined;
  /** Known without reading that no record is stored: `update` creates one (and reads it, should one exist after all). */
  absent?: true;
  /** Remembered from an earlier event, not read by this one: another instance may have changed it since (the update then finds out). */
  remembered?: true;
}

export interface ImageStore {
  get(registry: string, repository: string, digest: string): Promise<ImageRecord | undefined>;
  read(registry: string, repository: string, digest: string): Promise<ImageRead>;
  /** `first`: this event's own earlier `read`, used for the first attempt (a conflict reads again). */
  update(
    registry: string,
    repository: string,
    digest: string,
    change: (existing: ImageRecord | undefined) => ImageRecord,
    first?: ImageRead,
  ): Promise<ImageRecord>;
}

/** The registry's storage accounting: each blob once, references per manifest, live bytes. */
export interface BlobLedger {
  register(registry: string, repository: string, manifestDigest: string, blobs: BlobUse[], at: string): Promise<Registration>;
  /** A manifest's references (or a repository's, without a digest) made before `at` are dead; blobs nothing live uses become reclaimable. */
  release(registry: string, repository: string, manifestDigest: string | undefined, at: string): Promise<{ references: number; reclaimableBytes: number }>;
  liveBytes(registry: string): Promise<number>;
}

export interface IngestDeps {
  content: ContentStore;
  images: ImageStore;
  points: PointStore;
  repositories: SummaryStore;
  blobs: BlobLedger;
  registry: RegistryReader;
  /** The alert policy of a repository (thresholds, baseline mode, route). */
  policyFor: (registry: string, repository: string) => Promise<EffectivePolicy>;
  /** Cost and pull-time estimates for a new point; absent, points carry none. */
  estimate?: (input: EstimateInput) => PointEstimates;
  /**
   * Called for every point of a tagged push that a rule could fire on under the policy
   * read for the push (`mayFind`), re-deliveries included, and for every point whose
   * description changed: alerting must be idempotent, so that a retry after a failure in
   * it still alerts (once).
   */
  onPoint?: (ref: PointRef) => Promise<void>;
  /**
   * Called for each platform image of a push that has no image record yet (a first push,
   * or a retry of one that failed before its record was written): queues the reading of
   * its layers, which is idempotent. Absent: no content analysis.
   */
  onNewImage?: (registry: string, repository: string, image: PlatformImage, listed: boolean) => Promise<void>;
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
  /** Later points whose comparison changed because this event's point landed. */
  pointsRedescribed: number;
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
  return event.action === 'delete' ? ingestDelete(event, deps) : ingestPush(event, deps);
}

/**
 * Before a failure is rethrown for the queue to retry (a transient one, or a stored
 * record that does not validate), note it where people look. On the last attempt
 * (`final`) the record says `failed`: the event is kept with the failures for a replay,
 * and the repository shows the reason. A record that is already complete is left alone.
 */
export async function recordTransientFailure(
  event: RegistryEvent,
  deps: Pick<IngestDeps, 'images' | 'repositories'>,
  error: Error,
  attempt: number,
  final = false,
): Promise<void> {
  if (event.action !== 'push') return;
  const failure = {
    reason: error.message,
    attempt,
    final,
    ...((error as { status?: number }).status ? { status: (error as { status?: number }).status } : {}),
  };
  // The repository first: an image record that does not validate must not keep the reason off the repository too.
  if (final) await noteError(event, deps, `${event.tag ? `${event.tag}: ` : ''}gave up after ${attempt} attempts: ${error.message}`);
  await deps.images.update(event.registry, event.repository, event.digest, (existing) => withFailedAttempt(existing, event, failure));
}

export async function noteError(event: RegistryEvent, deps: Pick<IngestDeps, 'repositories'>, message: string): Promise<void> {
  await deps.repositories.update(event.registry, event.repository, event.timestamp, (s) =>
    withError(s, { at: event.timestamp, ...(event.digest ? { digest: event.digest } : {}), message }),
  );
}
