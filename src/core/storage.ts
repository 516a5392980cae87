import { z } from 'zod';

/**
 * Registry storage as ACR bills it: each blob (layer or config) once per registry,
 * shared across repositories, kept while any manifest references it.
 */

export interface StoredBlob {
  digest: string;
  sizeBytes: number;
  kind: 'layer' | 'config';
  firstSeenAt: string;
  /** The manifest and repository whose push first brought the blob into the registry. */
  introducedBy: string;
  introducedIn: string;
  /** Set when the last manifest referencing the blob was deleted. */
  reclaimableSince?: string;
}

export interface BlobReference {
  blobDigest: string;
  repository: string;
  manifestDigest: string;
  live: boolean;
  since: string;
  deletedAt?: string;
}

const Whole = z.number().int().nonnegative();

export const StoredBlobSchema = z.object({
  digest: z.string(),
  sizeBytes: Whole,
  kind: z.enum(['layer', 'config']),
  firstSeenAt: z.string(),
  introducedBy: z.string(),
  introducedIn: z.string(),
  reclaimableSince: z.string().optional(),
}) satisfies z.ZodType<StoredBlob>;

export const BlobReferenceSchema = z.object({
  blobDigest: z.string(),
  repository: z.string(),
  manifestDigest: z.string(),
  live: z.boolean(),
  since: z.string(),
  deletedAt: z.string().optional(),
}) satisfies z.ZodType<BlobReference>;

export interface BlobUse {
  digest: string;
  sizeBytes: number;
  kind: 'layer' | 'config';
}

/** The blobs a platform image occupies: its config and its layers, each digest once. */
export function blobsOf(image: { config: { digest: string; sizeBytes: number }; layers: { digest: string; sizeBytes: number }[] }): BlobUse[] {
  const seen = new Map<string, BlobUse>();
  seen.set(image.config.digest, { digest: image.config.digest, sizeBytes: image.config.sizeBytes, kind: 'config' });
  for (const l of image.layers) if (!seen.has(l.digest)) seen.set(l.digest, { digest: l.digest, sizeBytes: l.sizeBytes, kind: 'layer' });
  return [...seen.values()];
}

/** What a manifest's push brought into the registry: the blobs it was the first (or, after they became reclaimable, the next) to store. */
export function introducedBytes(blobs: StoredBlob[], repository: string, manifestDigest: string): number {
  return blobs.filter((b) => b.introducedBy === manifestDigest && b.introducedIn === repository).reduce((s, b) => s + b.sizeBytes, 0);
}

/**
 * A blob counted as live because `manifestDigest` (in `repository`) references it. A
 * reclaimable blob pushed again is new to the registry again: this manifest brought it back.
 */
export function countedFor<B extends StoredBlob>(blob: B, repository: string, manifestDigest: string): Omit<B, 'reclaimableSince'> {
  const { reclaimableSince, ...rest } = blob;
  return reclaimableSince ? { ...rest, introducedBy: manifestDigest, introducedIn: repository } : rest;
}

/** What registering a manifest's blobs did to the registry's storage. */
export interface Registration {
  /** Bytes this manifest (in this repository) brought into the registry: not stored before it. */
  newRegistryBytes: number;
  /** The registry's live bytes just before and after this manifest's new blobs were counted. */
  registryBytesBefore: number;
  registryBytesAfter: number;
}

/** Everything stored about a registry's blobs at one moment. */
export interface StorageSnapshot {
  blobs: StoredBlob[];
  references: BlobReference[];
  liveBytes: number;
}
