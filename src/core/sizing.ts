import { applyHistory, type HistoryMatch, type ImageConfigSummary } from './imageConfig';
import { platformString, type ImageManifest, type Layer } from './manifest';

/** One runnable image for one platform: what a client pulls for `os/arch[/variant]`. */
export interface PlatformImage {
  digest: string;
  mediaType: string;
  platform: string;
  os?: string;
  architecture?: string;
  variant?: string;
  created?: string;
  artifactType?: string;
  config: { digest: string; mediaType: string; sizeBytes: number };
  layers: Layer[];
  /** config.size + Σ layers[].size: the compressed bytes a pull transfers. */
  sizeBytes: number;
  layerCount: number;
  foreignLayerCount: number;
  history: HistoryMatch;
  /** `rootfs.diff_ids` of the config: each layer's uncompressed digest, in layer order. */
  diffIds?: string[];
}

export const UNKNOWN_PLATFORM = 'unknown';

/** Compressed size as the manifest states it; sizes are never re-measured from blobs. */
export function imageSizeBytes(manifest: Pick<ImageManifest, 'config' | 'layers'>): number {
  const total = manifest.layers.reduce((sum, l) => sum + l.sizeBytes, manifest.config.sizeBytes);
  if (!Number.isSafeInteger(total)) throw new RangeError('image size exceeds 2^53 bytes');
  return total;
}

/**
 * @param indexPlatform the platform the index advertises, which is what clients select
 *   on; the config's own os/architecture fill in when there is no index
 */
export function buildPlatformImage(digest: string, manifest: ImageManifest, config: ImageConfigSummary | undefined, indexPlatform?: string): PlatformImage {
  const { layers, history } = applyHistory(manifest.layers, config?.layerHistory);
  const configPlatform =
    config?.os && config.architecture
      ? platformString({ os: config.os, architecture: config.architecture, ...(config.variant ? { variant: config.variant } : {}) })
      : undefined;
  return {
    digest,
    mediaType: manifest.mediaType,
    platform: indexPlatform ?? configPlatform ?? UNKNOWN_PLATFORM,
    ...(config?.os ? { os: config.os } : {}),
    ...(config?.architecture ? { architecture: config.architecture } : {}),
    ...(config?.variant ? { variant: config.variant } : {}),
    ...(config?.created ? { created: config.created } : {}),
    ...(manifest.artifactType ? { artifactType: manifest.artifactType } : {}),
    config: manifest.config,
    layers,
    sizeBytes: imageSizeBytes(manifest),
    layerCount: layers.length,
    foreignLayerCount: layers.filter((l) => l.foreign).length,
    history,
    ...(config?.diffIds ? { diffIds: config.diffIds } : {}),
  };
}
