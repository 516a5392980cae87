import { z } from 'zod';
import type { ParsedManifest } from './manifest';
import type { PlatformImage } from './sizing';

/** What the service knows about one manifest digest in one repository. */

export interface PlatformSummary {
  digest: string;
  platform: string;
  sizeBytes: number;
  configSizeBytes: number;
  layerCount: number;
  foreignLayerCount: number;
  /** Bytes this platform manifest brought into the registry when it arrived in this repository. */
  newRegistryBytes?: number;
  /** A trend point of this platform digest exists in this repository (so a later tag of it brought no new bytes). Absent on records written before it was kept. */
  pointed?: true;
}

export interface PlatformFailure {
  digest: string;
  platform?: string;
  error: string;
  errorStatus?: number;
}

export type PlatformEntry = PlatformSummary | PlatformFailure;

/**
 * `retrying`: a transient failure (registry 5xx, timeout); the queue will try again.
 * `failed`: the last attempt failed too; the event is kept with the failures for a replay.
 * `deleted`: only a delete of this digest was seen so far (it may arrive before its push).
 */
export const IMAGE_STATUSES = ['ok', 'partial', 'unsupported', 'error', 'retrying', 'failed', 'deleted'] as const;
export type ImageStatus = (typeof IMAGE_STATUSES)[number];

export interface ImageRecord {
  registry: string;
  repository: string;
  digest: string;
  mediaType: string;
  kind: 'image' | 'index' | 'unknown';
  status: ImageStatus;
  /** Why the image is unsupported or failed, in words a person can act on. */
  reason?: string;
  errorStatus?: number;
  /** Delivery attempt (the queue's dequeue count) of the last transient failure. */
  attempt?: number;
  tags: string[];
  firstPushedAt: string;
  lastPushedAt: string;
  platforms: PlatformEntry[];
  deletedAt?: string;
}

const Whole = z.number().int().nonnegative();

export const PlatformSummarySchema = z.object({
  digest: z.string(),
  platform: z.string(),
  sizeBytes: Whole,
  configSizeBytes: Whole,
  layerCount: Whole,
  foreignLayerCount: Whole,
  newRegistryBytes: Whole.optional(),
  pointed: z.literal(true).optional(),
}) satisfies z.ZodType<PlatformSummary>;

export const PlatformFailureSchema = z.object({
  digest: z.string(),
  platform: z.string().optional(),
  error: z.string(),
  errorStatus: z.number().int().optional(),
}) satisfies z.ZodType<PlatformFailure>;

export const ImageRecordSchema = z.object({
  registry: z.string(),
  repository: z.string(),
  digest: z.string(),
  mediaType: z.string(),
  kind: z.enum(['image', 'index', 'unknown']),
  status: z.enum(IMAGE_STATUSES),
  reason: z.string().optional(),
  errorStatus: z.number().int().optional(),
  attempt: z.number().int().optional(),
  tags: z.array(z.string()),
  firstPushedAt: z.string(),
  lastPushedAt: z.string(),
  platforms: z.array(z.union([PlatformSummarySchema, PlatformFailureSchema])),
  deletedAt: z.string().optional(),
}) satisfies z.ZodType<ImageRecord>;

export function isFailure(p: PlatformEntry): p is PlatformFailure {
  return 'error' in p;
}

/**
 * Folds a new observation into what is stored: tags accumulate, the first push time
 * stays the earliest seen, and a later successful processing replaces an earlier
 * failure. A push after a delete revives the image.
 */
export function mergeImage(existing: ImageRecord | undefined, update: ImageRecord): ImageRecord {
  if (!existing) return update;
  if (existing.status === 'deleted') {
    // Only a delete was known: the push is the first real record, deleted unless it came after.
    const { deletedAt: _d, ...rest } = update;
    return { ...rest, ...(existing.deletedAt && update.lastPushedAt <= existing.deletedAt ? { deletedAt: existing.deletedAt } : {}) };
  }
  const tags = [...new Set([...existing.tags, ...update.tags])].sort();
  const firstPushedAt = existing.firstPushedAt < update.firstPushedAt ? existing.firstPushedAt : update.firstPushedAt;
  const lastPushedAt = existing.lastPushedAt > update.lastPushedAt ? existing.lastPushedAt : update.lastPushedAt;
  const revived = existing.deletedAt && update.lastPushedAt > existing.deletedAt;
  const { deletedAt: _dropped, ...rest } = update;
  // Points are never removed: a platform that had one keeps saying so.
  const pointed = new Set(existing.platforms.flatMap((e) => (!isFailure(e) && e.pointed ? [e.digest] : [])));
  return {
    ...rest,
    platforms: update.platforms.map((e) => (!isFailure(e) && !e.pointed && pointed.has(e.digest) ? { ...e, pointed: true as const } : e)),
    tags,
    firstPushedAt,
    lastPushedAt,
    ...(existing.deletedAt && !revived ? { deletedAt: existing.deletedAt } : {}),
  };
}

/** What a delete at `at` makes of the stored record: a push after it wins; a later delete moves the mark. */
export function deleteImage(existing: ImageRecord | undefined, at: string, subject: Pick<ImageRecord, 'registry' | 'repository' | 'digest'>): ImageRecord {
  if (!existing) {
    return {
      ...subject,
      mediaType: 'unknown',
      kind: 'unknown',
      status: 'deleted',
      tags: [],
      firstPushedAt: at,
      lastPushedAt: at,
      platforms: [],
      deletedAt: at,
    };
  }
  if (existing.status !== 'deleted' && existing.lastPushedAt > at) return existing;
  return { ...existing, deletedAt: existing.deletedAt && existing.deletedAt > at ? existing.deletedAt : at };
}

/** Whether the record says this manifest was deleted at or after `at` (a push at `at` is not live). */
export function deletedSince(record: ImageRecord | undefined, at: string): boolean {
  return !!record?.deletedAt && record.deletedAt >= at;
}

/**
 * A push whose processing failed (transiently, or for good on the last attempt): noted
 * where people look. A record that is already complete is left alone; a record of a
 * delete seen first keeps its mark.
 */
export function withFailedAttempt(
  existing: ImageRecord | undefined,
  event: Pick<ImageRecord, 'registry' | 'repository' | 'digest'> & { tag?: string; mediaType?: string; timestamp: string },
  failure: { reason: string; status?: number; attempt: number; final: boolean },
): ImageRecord {
  if (existing && existing.status !== 'retrying' && existing.status !== 'failed' && existing.status !== 'deleted') return existing;
  return {
    registry: event.registry,
    repository: event.repository,
    digest: event.digest,
    mediaType: existing?.mediaType ?? event.mediaType ?? 'unknown',
    kind: existing?.kind ?? 'unknown',
    status: failure.final ? 'failed' : 'retrying',
    reason: failure.final ? `gave up after ${failure.attempt} attempts: ${failure.reason}` : failure.reason,
    ...(failure.status ? { errorStatus: failure.status } : {}),
    attempt: failure.attempt,
    tags: [...new Set([...(existing?.tags ?? []), ...(event.tag ? [event.tag] : [])])].sort(),
    firstPushedAt: existing?.firstPushedAt ?? event.timestamp,
    lastPushedAt: event.timestamp,
    platforms: [],
    ...(existing?.deletedAt ? { deletedAt: existing.deletedAt } : {}),
  };
}

export function platformSummary(p: PlatformImage): PlatformSummary {
  return {
    digest: p.digest,
    platform: p.platform,
    sizeBytes: p.sizeBytes,
    configSizeBytes: p.config.sizeBytes,
    layerCount: p.layerCount,
    foreignLayerCount: p.foreignLayerCount,
  };
}

/** A push's status from what could be read: every platform, some (partial), none, or nothing sizeable at all. */
export function pushStatus(root: ParsedManifest, entries: PlatformEntry[]): { status: ImageStatus; reason?: string } {
  if (root.kind === 'unsupported') return { status: 'unsupported', reason: root.reason };
  const failures = entries.filter(isFailure).length;
  if (failures === 0) return { status: 'ok' };
  return { status: failures < entries.length ? 'partial' : 'error', reason: `${failures} of ${entries.length} platform manifests could not be read` };
}
