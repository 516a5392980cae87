/** Media types from the OCI image spec and Docker's manifest v2 schema 2 / manifest list. */
export const MediaType = {
  ociManifest: 'application/vnd.oci.image.manifest.v1+json',
  ociIndex: 'application/vnd.oci.image.index.v1+json',
  ociConfig: 'application/vnd.oci.image.config.v1+json',
  ociEmpty: 'application/vnd.oci.empty.v1+json',
  dockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
  dockerManifestList: 'application/vnd.docker.distribution.manifest.list.v2+json',
  dockerConfig: 'application/vnd.docker.container.image.v1+json',
  dockerSchema1: 'application/vnd.docker.distribution.manifest.v1+json',
  dockerSchema1Signed: 'application/vnd.docker.distribution.manifest.v1+prettyjws',
  dockerForeignLayer: 'application/vnd.docker.image.rootfs.foreign.diff.tar.gzip',
} as const;

export const IMAGE_MANIFEST_TYPES: ReadonlySet<string> = new Set([MediaType.ociManifest, MediaType.dockerManifest]);
export const INDEX_TYPES: ReadonlySet<string> = new Set([MediaType.ociIndex, MediaType.dockerManifestList]);
export const SCHEMA1_TYPES: ReadonlySet<string> = new Set([MediaType.dockerSchema1, MediaType.dockerSchema1Signed]);

/** Config media types that hold an image config (os, architecture, history) worth fetching. */
export const IMAGE_CONFIG_TYPES: ReadonlySet<string> = new Set([MediaType.ociConfig, MediaType.dockerConfig]);

export function isManifestMediaType(mediaType: string | undefined): boolean {
  return !!mediaType && (IMAGE_MANIFEST_TYPES.has(mediaType) || INDEX_TYPES.has(mediaType) || SCHEMA1_TYPES.has(mediaType));
}

/**
 * Foreign (Windows base) and non-distributable layers may live outside the registry,
 * but the client still downloads them, so they count in the size and get flagged.
 */
export function isForeignLayer(mediaType: string): boolean {
  return mediaType === MediaType.dockerForeignLayer || mediaType.includes('nondistributable');
}

export type LayerCompression = 'gzip' | 'zstd' | 'none' | 'unknown';

export function layerCompression(mediaType: string): LayerCompression {
  if (mediaType.endsWith('+gzip') || mediaType.endsWith('.tar.gzip')) return 'gzip';
  if (mediaType.endsWith('+zstd')) return 'zstd';
  if (mediaType.endsWith('.tar') || mediaType.endsWith('layer.v1.tar')) return 'none';
  return 'unknown';
}
