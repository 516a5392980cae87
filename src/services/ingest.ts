import type { RegistryReader } from '../adapters/registry';
import type { ContentTable } from '../adapters/tables/contentTable';
import type { BlobTable } from '../adapters/tables/blobTable';
import type { EffectivePolicy } from '../core/policy';
import type { RegistryEvent } from '../core/events';
import type { ImageRecord, ImageStatus } from '../core/image';
import type { PlatformImage } from '../core/sizing';
import type { PointEstimates, PointRef, TrendPoint } from '../core/trend';
import { ingestDelete } from './deleteEvent';
import { ingestPush } from './push';
import type { PointStore, SummaryStore } from './trendPoints';

export interface ImageStore {
  get(registry: string, repository: string, digest: string): Promise<ImageRecord | undefined>;
  update(registry: string, repository: string, digest: string, change: (existing: ImageRecord | undefined) => ImageRecord): Promise<ImageRecord>;
}

export interface IngestDeps {
  content: ContentTable;
  images: ImageStore;
  points: PointStore;
  repositories: SummaryStore;
  blobs: BlobTable;
  registry: RegistryReader;
  /** The alert policy of a repository (thresholds, baseline mode, route). */
  policyFor: (registry: string, repository: string) => Promise<EffectivePolicy>;
  /** Cost and pull-time estimates for a new point; absent, points carry none. */
  estimate?: (input: EstimateInput) => PointEstimates;
  /**
   * Called for every point of a tagged push, re-deliveries included, and for every later
   * point whose baseline changed: alerting must be idempotent, so that a retry after a
   * failure in it still alerts (once).
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
  return event.action === 'delete' ? ingestDelete(event, deps) : ingestPush({ ...event, action: 'push', digest: event.digest! }, deps);
}

/**
 * Before a transient failure is rethrown for the queue to retry, note it where people
 * look. On the last attempt (`final`) the record says `failed`: the event is kept with the
 * failures for a replay, and the repository shows the reason. A record that is already
 * complete is left alone.
 */
export async function recordTransientFailure(
  event: RegistryEvent,
  deps: Pick<IngestDeps, 'images' | 'repositories'>,
  error: Error,
  attempt: number,
  final = false,
): Promise<void> {
  if (event.action !== 'push' || !event.digest) return;
  const status = (error as { status?: number }).status;
  await deps.images.update(event.registry, event.repository, event.digest, (existing) => {
    if (existing && existing.status !== 'retrying' && existing.status !== 'failed' && existing.status !== 'deleted') return existing;
    return {
      registry: event.registry,
      repository: event.repository,
      digest: event.digest!,
      mediaType: existing?.mediaType ?? event.mediaType ?? 'unknown',
      kind: existing?.kind ?? 'unknown',
      status: final ? 'failed' : 'retrying',
      reason: final ? `gave up after ${attempt} attempts: ${error.message}` : error.message,
      ...(status ? { errorStatus: status } : {}),
      attempt,
      tags: [...new Set([...(existing?.tags ?? []), ...(event.tag ? [event.tag] : [])])].sort(),
      firstPushedAt: existing?.firstPushedAt ?? event.timestamp,
      lastPushedAt: event.timestamp,
      platforms: [],
      ...(existing?.deletedAt ? { deletedAt: existing.deletedAt } : {}),
    };
  });
  if (final) await noteError(event, deps, `${event.tag ? `${event.tag}: ` : ''}gave up after ${attempt} attempts: ${error.message}`);
}

export async function noteError(event: RegistryEvent, deps: Pick<IngestDeps, 'repositories'>, message: string): Promise<void> {
  await deps.repositories.update(event.registry, event.repository, event.timestamp, (s) =>
    s.lastError && s.lastError.at > event.timestamp ? s : { ...s, lastError: { at: event.timestamp, ...(event.digest ? { digest: event.digest } : {}), message } },
  );
}
