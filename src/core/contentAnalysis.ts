import { z } from 'zod';
import { digestSchema } from './digest';
import { REPOSITORY } from './events';
import type { PlatformImage } from './sizing';
import { ContentSummarySchema } from './contentSummary';

/**
 * Content analysis: what is inside each layer (read once per registry and layer digest,
 * whatever repositories share it) and, once every layer of a platform image is read,
 * what the image's filesystem is made of. Its messages cross a queue, a trust boundary,
 * so they are schemas; its records are read back from storage, so they are schemas too.
 */

const loginServer = z
  .string()
  .min(1)
  .max(253)
  .regex(/^[a-z0-9]([a-z0-9.-]*[a-z0-9])?(:[0-9]{1,5})?$/, 'is not a login server');
const repository = z.string().max(256).regex(REPOSITORY, 'is not a repository name');
const bytes = z.number().int().nonnegative();

/** A layer as the manifest describes it, with the step the config history names for it. */
export const LayerRefSchema = z.strictObject({
  digest: digestSchema,
  mediaType: z.string().min(1).max(255),
  compressedBytes: bytes,
  /** `rootfs.diff_ids[i]` of the image's config: what the uncompressed stream must hash to. */
  diffId: z.string().max(200).optional(),
  step: z.string().max(1000).optional(),
});
export type LayerRef = z.infer<typeof LayerRefSchema>;

/**
 * `acrsize-content`: a platform image whose layers are to be read (once each) and its
 * filesystem composed. Only its name: its layers and their steps are read from stored
 * content by the handler, so the message stays far below the queue's 64 KiB however long
 * the image's Dockerfile steps are.
 */
export const ContentRequestMessage = z.strictObject({
  registry: loginServer,
  /** Where the blobs are read from: a registry serves a blob under any repository that references it. */
  repository,
  digest: digestSchema,
  /** Asked for by a backfill or reconcile: its layers are read under their shared request rate. */
  listed: z.literal(true).optional(),
});
export type ContentRequest = z.infer<typeof ContentRequestMessage>;

/** What a content request is about, from the stored platform image. */
export interface ContentSubject {
  configBytes: number;
  layers: LayerRef[];
}

/** `acrsize-layers`: one layer blob to read. */
export const LayerMessage = z.strictObject({
  registry: loginServer,
  repository,
  layer: LayerRefSchema.omit({ diffId: true, step: true }),
  listed: z.literal(true).optional(),
});
export type LayerWork = z.infer<typeof LayerMessage>;

export const LAYER_STATUSES = ['pending', 'done', 'not analyzed'] as const;

/** One layer blob of a registry: whether it has been read, and what reading it measured. */
export const LayerRecordSchema = z.object({
  digest: digestSchema,
  mediaType: z.string(),
  compressedBytes: bytes,
  status: z.enum(LAYER_STATUSES),
  /** Why a layer is not analyzed: a foreign layer, an unknown media type, over the size limit, corrupt. */
  reason: z.string().optional(),
  /** Permanent: reading it again gives the same answer (corrupt, too big, foreign); otherwise a later request retries it. */
  permanent: z.boolean().optional(),
  uncompressedBytes: bytes.optional(),
  fileCount: bytes.optional(),
  /** sha256 of the uncompressed stream, as measured. */
  diffId: z.string().optional(),
  analyzedAt: z.string().optional(),
});
export type LayerRecord = z.infer<typeof LayerRecordSchema>;

/** Seconds a pending layer may stay unclaimed-looking before another request queues it again (a lost message). */
export const LAYER_PENDING_STALE_MS = 15 * 60_000;

/**
 * What to do for a layer an image needs, given its record: read it (no record, or a
 * pending one whose message looks lost, or a transient failure recorded), or wait for it.
 */
export function layerNeedsWork(record: LayerRecord | undefined, pendingSince: string | undefined, now: Date): boolean {
  if (!record) return true;
  if (record.status === 'done') return false;
  if (record.status === 'not analyzed') return record.permanent !== true;
  return pendingSince === undefined || now.getTime() - new Date(pendingSince).getTime() > LAYER_PENDING_STALE_MS;
}

export const IMAGE_CONTENT_STATUSES = ['pending', 'done'] as const;

/** A platform image's content: the layers it is made of, then (done) its filesystem summary. */
export const ImageContentRecordSchema = z.object({
  digest: digestSchema,
  repository: z.string(),
  configBytes: bytes.optional(),
  layers: z.array(LayerRefSchema),
  status: z.enum(IMAGE_CONTENT_STATUSES),
  requestedAt: z.string(),
  completedAt: z.string().optional(),
  summary: ContentSummarySchema.optional(),
});
export type ImageContentRecord = z.infer<typeof ImageContentRecordSchema>;

/** The layers of a platform image as the content analysis keeps them, with their steps and diff IDs. */
export function contentSubjectOf(image: Pick<PlatformImage, 'layers' | 'diffIds' | 'config'>): ContentSubject {
  return {
    configBytes: image.config.sizeBytes,
    layers: image.layers.map((l, i) => ({
      digest: l.digest,
      mediaType: l.mediaType,
      compressedBytes: l.sizeBytes,
      ...(image.diffIds?.[i] ? { diffId: image.diffIds[i] } : {}),
      ...(l.createdBy ? { step: l.createdBy.slice(0, 1000) } : {}),
    })),
  };
}
