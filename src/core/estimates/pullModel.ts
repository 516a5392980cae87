import { z } from 'zod';
import { layerCompression } from '../mediaTypes';
import type { Sku } from './pricing';

/**
 * How long pulling some layers takes. Deliberately simple enough to redo by hand:
 * nobody publishes pull throughput for ACI, App Service or AKS, so the per-target
 * figures are assumptions meant to be calibrated (docs/estimates.md), and a model
 * nobody can follow could not be calibrated.
 */

export type Target = 'aci' | 'appService' | 'aks';
export const TARGETS: readonly Target[] = ['aci', 'appService', 'aks'];

export interface TargetParams {
  /** MB/s (10^6 bytes) the target downloads compressed layers at. Assumption. */
  throughputMBps: number;
  /** Layers downloaded at once. */
  parallelDownloads: number;
  /** Request round trips per layer (token, manifest of blob, redirect to storage). Assumption. */
  perLayerOverheadMs: number;
  /** Start time with the image already local: provisioning, container start. Assumption. */
  startBaselineSeconds: number;
}

export interface PullModelParams {
  /** Uncompressed / compressed, for layers whose uncompressed size has not been measured. Assumption. */
  compressionRatio: number;
  /** Uncompressed MB/s one core decompresses at. */
  decompressMBps: { gzip: number; zstd: number; unknown: number };
  /** MB/s the unpacked files are written at. Assumption. */
  extractMBps: number;
  /** ACR's documented minimum download bandwidth per SKU, MB/s. */
  skuDownloadMBps: Record<Sku, number>;
  targets: Record<Target, TargetParams>;
  aks: {
    /** kubelet `serializeImagePulls`: one image at a time per node. */
    serialImagePulls: boolean;
    /** Compressed bytes of the other images (daemonsets…) a new node pulls alongside. */
    otherImageBytesOnNewNode: number;
  };
}

export const DEFAULT_PULL_MODEL: PullModelParams = {
  compressionRatio: 2.5,
  decompressMBps: { gzip: 400, zstd: 1580, unknown: 400 },
  extractMBps: 500,
  skuDownloadMBps: { Basic: 30, Standard: 60, Premium: 100 },
  targets: {
    aci: { throughputMBps: 40, parallelDownloads: 3, perLayerOverheadMs: 200, startBaselineSeconds: 20 },
    appService: { throughputMBps: 40, parallelDownloads: 3, perLayerOverheadMs: 200, startBaselineSeconds: 30 },
    aks: { throughputMBps: 100, parallelDownloads: 3, perLayerOverheadMs: 100, startBaselineSeconds: 2 },
  },
  aks: { serialImagePulls: true, otherImageBytesOnNewNode: 0 },
};

const Rate = z.number().positive('must be a number > 0');
const NonNegative = z.number().nonnegative('must be a number ≥ 0');

const TargetOverrideSchema = z.strictObject({
  throughputMBps: Rate.optional(),
  parallelDownloads: z.number().int('must be a whole number').min(1, 'must be at least 1').optional(),
  perLayerOverheadMs: NonNegative.optional(),
  startBaselineSeconds: NonNegative.optional(),
});

export const PullModelOverrideSchema = z.strictObject({
  compressionRatio: z.number().min(1, 'must be at least 1 (use 1 for content that does not compress)').optional(),
  decompressMBps: z.strictObject({ gzip: Rate.optional(), zstd: Rate.optional(), unknown: Rate.optional() }).optional(),
  extractMBps: Rate.optional(),
  skuDownloadMBps: z.strictObject({ Basic: Rate.optional(), Standard: Rate.optional(), Premium: Rate.optional() }).optional(),
  targets: z
    .strictObject({ aci: TargetOverrideSchema.optional(), appService: TargetOverrideSchema.optional(), aks: TargetOverrideSchema.optional() })
    .optional(),
  aks: z
    .strictObject({
      serialImagePulls: z.boolean().optional(),
      otherImageBytesOnNewNode: z.number().int('must be a whole number of bytes').nonnegative('must be a number ≥ 0').optional(),
    })
    .optional(),
});
export type PullModelOverride = z.infer<typeof PullModelOverrideSchema>;

function mergeTarget(base: TargetParams, o: z.infer<typeof TargetOverrideSchema> | undefined): TargetParams {
  return {
    throughputMBps: o?.throughputMBps ?? base.throughputMBps,
    parallelDownloads: o?.parallelDownloads ?? base.parallelDownloads,
    perLayerOverheadMs: o?.perLayerOverheadMs ?? base.perLayerOverheadMs,
    startBaselineSeconds: o?.startBaselineSeconds ?? base.startBaselineSeconds,
  };
}

export function mergePullModel(base: PullModelParams, override: PullModelOverride | undefined): PullModelParams {
  const o = override;
  return {
    compressionRatio: o?.compressionRatio ?? base.compressionRatio,
    decompressMBps: {
      gzip: o?.decompressMBps?.gzip ?? base.decompressMBps.gzip,
      zstd: o?.decompressMBps?.zstd ?? base.decompressMBps.zstd,
      unknown: o?.decompressMBps?.unknown ?? base.decompressMBps.unknown,
    },
    extractMBps: o?.extractMBps ?? base.extractMBps,
    skuDownloadMBps: {
      Basic: o?.skuDownloadMBps?.Basic ?? base.skuDownloadMBps.Basic,
      Standard: o?.skuDownloadMBps?.Standard ?? base.skuDownloadMBps.Standard,
      Premium: o?.skuDownloadMBps?.Premium ?? base.skuDownloadMBps.Premium,
    },
    targets: {
      aci: mergeTarget(base.targets.aci, o?.targets?.aci),
      appService: mergeTarget(base.targets.appService, o?.targets?.appService),
      aks: mergeTarget(base.targets.aks, o?.targets?.aks),
    },
    aks: {
      serialImagePulls: o?.aks?.serialImagePulls ?? base.aks.serialImagePulls,
      otherImageBytesOnNewNode: o?.aks?.otherImageBytesOnNewNode ?? base.aks.otherImageBytesOnNewNode,
    },
  };
}

export interface PullLayer {
  digest: string;
  /** Compressed, as the manifest states it: what is downloaded. */
  sizeBytes: number;
  mediaType: string;
  /**
   * Bytes of the layer's uncompressed tar stream, once the service has read the layer
   * (LayerIndex.uncompressedBytes). Manifests do not record it, hence optional: without
   * it the unpack time falls back on `compressionRatio`.
   */
  uncompressedBytes?: number;
}

const MB = 1_000_000;

/** Uncompressed bytes per second this layer unpacks at: decompression and writing run as one stream, so the slower wins. */
function unpackRate(compression: ReturnType<typeof layerCompression>, params: PullModelParams): number {
  return compression === 'none' ? params.extractMBps : Math.min(params.decompressMBps[compression], params.extractMBps);
}

/**
 * @param options.extraDownloadBytes bytes that share the download but are not layer
 *   requests of their own: the config blob, or other images pulled in parallel
 */
export function pullSeconds(
  layers: PullLayer[],
  target: Target,
  sku: Sku,
  params: PullModelParams,
  options: { extraDownloadBytes?: number } = {},
): { seconds: number; downloadSeconds: number; overheadSeconds: number; unpackSeconds: number; bytes: number; layers: number } {
  const extra = options.extraDownloadBytes ?? 0;
  if (!Number.isFinite(extra) || extra < 0) throw new RangeError(`extraDownloadBytes must be a finite number ≥ 0, got ${extra}`);
  const t = params.targets[target];
  let layerBytes = 0;
  let unpackSeconds = 0;
  for (const layer of layers) {
    if (!Number.isFinite(layer.sizeBytes) || layer.sizeBytes < 0) {
      throw new RangeError(`layer ${layer.digest} size must be a finite number of bytes ≥ 0, got ${layer.sizeBytes}`);
    }
    if (layer.uncompressedBytes !== undefined && (!Number.isFinite(layer.uncompressedBytes) || layer.uncompressedBytes < 0)) {
      throw new RangeError(`layer ${layer.digest} uncompressed size must be a finite number of bytes ≥ 0, got ${layer.uncompressedBytes}`);
    }
    const compression = layerCompression(layer.mediaType);
    // A measurement replaces the assumed expansion only: it says how many bytes there are to write, not how fast they decompress.
    const uncompressed = layer.uncompressedBytes ?? (compression === 'none' ? layer.sizeBytes : layer.sizeBytes * params.compressionRatio);
    unpackSeconds += uncompressed / (unpackRate(compression, params) * MB);
    layerBytes += layer.sizeBytes;
  }
  if (layers.length === 0 && extra === 0) {
    return { seconds: 0, downloadSeconds: 0, overheadSeconds: 0, unpackSeconds: 0, bytes: 0, layers: 0 };
  }
  const bytes = layerBytes + extra;
  const effectiveMBps = Math.min(t.throughputMBps, params.skuDownloadMBps[sku]);
  const downloadSeconds = bytes / (effectiveMBps * MB);
  const overheadSeconds = (Math.ceil(layers.length / t.parallelDownloads) * t.perLayerOverheadMs) / 1000;
  return {
    seconds: overheadSeconds + downloadSeconds + unpackSeconds,
    downloadSeconds,
    overheadSeconds,
    unpackSeconds,
    bytes,
    layers: layers.length,
  };
}
