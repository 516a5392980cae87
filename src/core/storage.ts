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
