import { z } from 'zod';
import type { PlatformImage } from '../sizing';
import { imageMonthlyStorageCost, pushMarginalMonthlyCost, type PriceTable, type RegistryProfile, type Sku } from './pricing';
import { pullSeconds, type PullLayer, type PullModelParams, type Target } from './pullModel';

/**
 * What one image's size means on each target, given what each target keeps cached
 * between starts (facts in docs/estimates.md). Numbers are returned unrounded, so that
 * identities such as "nothing new to pull → start baseline exactly" hold; round for display.
 */

export interface ImageForEstimate {
  sizeBytes: number;
  configSizeBytes: number;
  layers: PullLayer[];
}

/**
 * Measured uncompressed layer sizes by layer digest: a map, a record, or layers as the
 * content summary lists them (`ContentSummary.layers`, where a layer not read has no size).
 */
export type MeasuredSizes = ReadonlyMap<string, number> | Readonly<Record<string, number>> | ReadonlyArray<MeasuredLayer>;
type MeasuredLayer = { digest: string; uncompressedBytes?: number };

function lookup(measured: MeasuredSizes): (digest: string) => number | undefined {
  // Array.isArray does not narrow a ReadonlyArray out of a union, hence the casts.
  if (Array.isArray(measured)) {
    const byDigest = new Map<string, number>();
    for (const l of measured as ReadonlyArray<MeasuredLayer>)
      if (l.uncompressedBytes !== undefined && !byDigest.has(l.digest)) byDigest.set(l.digest, l.uncompressedBytes);
    return (digest) => byDigest.get(digest);
  }
  if (measured instanceof Map) return (digest) => (measured as ReadonlyMap<string, number>).get(digest);
  const record = measured as Readonly<Record<string, number>>;
  // Own keys only, so that no digest-shaped key can reach Object.prototype.
  return (digest) => (Object.hasOwn(record, digest) ? record[digest] : undefined);
}

/**
 * The image with each layer's measured uncompressed size attached, by digest: a layer's
 * size is a property of its bytes, so a measurement made while reading one image holds for
 * every image that lists the same digest. Layers without a measurement keep what they had,
 * so the model falls back on its assumed ratio for them. Does not modify `image`.
 */
export function withMeasuredSizes(image: ImageForEstimate, measured: MeasuredSizes): ImageForEstimate {
  const sizeOf = lookup(measured);
  return {
    ...image,
    layers: image.layers.map((layer) => {
      const bytes = sizeOf(layer.digest);
      if (bytes === undefined) return layer;
      if (!Number.isFinite(bytes) || bytes < 0)
        throw new RangeError(`layer ${layer.digest} measured uncompressed size must be a finite number of bytes ≥ 0, got ${bytes}`);
      return { ...layer, uncompressedBytes: bytes };
    }),
  };
}

/**
 * @param measured uncompressed sizes of the layers the service has read; layers that
 *   already carry `uncompressedBytes` keep passing it through
 */
export function imageForEstimate(image: Pick<PlatformImage, 'sizeBytes' | 'config'> & { layers: PullLayer[] }, measured?: MeasuredSizes): ImageForEstimate {
  const base: ImageForEstimate = { sizeBytes: image.sizeBytes, configSizeBytes: image.config.sizeBytes, layers: image.layers };
  return measured ? withMeasuredSizes(base, measured) : base;
}

export interface PullEstimates {
  aci: { coldStartSeconds: number; coldStartDeltaSeconds: number | null };
  appService: { coldStartSeconds: number; restartSeconds: number; coldStartDeltaSeconds: number | null };
  aks: { coldStartSeconds: number; warmNodeSeconds: number; coldStartDeltaSeconds: number | null; serialImagePulls: boolean };
}

const Seconds = z.number();
const DeltaSeconds = z.number().nullable();

/** Pull estimates as stored with a trend point. */
export const PullEstimatesSchema = z.object({
  aci: z.object({ coldStartSeconds: Seconds, coldStartDeltaSeconds: DeltaSeconds }),
  appService: z.object({ coldStartSeconds: Seconds, restartSeconds: Seconds, coldStartDeltaSeconds: DeltaSeconds }),
  aks: z.object({ coldStartSeconds: Seconds, warmNodeSeconds: Seconds, coldStartDeltaSeconds: DeltaSeconds, serialImagePulls: z.boolean() }),
}) satisfies z.ZodType<PullEstimates>;

/** Daemonset images are almost always gzip; their mix is unknown anyway. */
const GZIP_LAYER = 'application/vnd.oci.image.layer.v1.tar+gzip';

/** Layers a host that ran `baseline` still has to fetch. */
function newLayers(image: ImageForEstimate, baseline: ImageForEstimate): PullLayer[] {
  const cached = new Set(baseline.layers.map((l) => l.digest));
  return image.layers.filter((l) => !cached.has(l.digest));
}

/** The whole image: the config blob rides along in the download, it is not a layer request of its own. */
function fullPullSeconds(image: ImageForEstimate, target: Target, sku: Sku, params: PullModelParams, otherBytes = 0): number {
  return pullSeconds(image.layers, target, sku, params, { extraDownloadBytes: image.configSizeBytes + otherBytes }).seconds;
}

/**
 * A partial pull leaves the config blob out: it is a few KB, and we cannot tell whether
 * it changed, so counting it would make "nothing new" cost a non-zero pull.
 */
function partialPullSeconds(image: ImageForEstimate, baseline: ImageForEstimate, target: Target, sku: Sku, params: PullModelParams): number {
  return pullSeconds(newLayers(image, baseline), target, sku, params).seconds;
}

/**
 * A new AKS node pulls its daemonset images too. Serially they come first and cost
 * their whole pull; in parallel they only compete for the node's bandwidth.
 */
function aksColdStartSeconds(image: ImageForEstimate, sku: Sku, params: PullModelParams): number {
  const start = params.targets.aks.startBaselineSeconds;
  const other = params.aks.otherImageBytesOnNewNode;
  if (!params.aks.serialImagePulls) return start + fullPullSeconds(image, 'aks', sku, params, other);
  const otherLayer: PullLayer = { digest: 'other-images-on-new-node', sizeBytes: other, mediaType: GZIP_LAYER };
  const otherSeconds = other > 0 ? pullSeconds([otherLayer], 'aks', sku, params).seconds : 0;
  return start + otherSeconds + fullPullSeconds(image, 'aks', sku, params);
}

function coldStarts(image: ImageForEstimate, sku: Sku, params: PullModelParams): Record<Target, number> {
  return {
    aci: params.targets.aci.startBaselineSeconds + fullPullSeconds(image, 'aci', sku, params),
    appService: params.targets.appService.startBaselineSeconds + fullPullSeconds(image, 'appService', sku, params),
    aks: aksColdStartSeconds(image, sku, params),
  };
}

/**
 * A layer both images list must cost the same on both sides, or the delta would report the
 * gap between a measured and an assumed size of one layer as a change of the image.
 */
function shareMeasurements(image: ImageForEstimate, baseline: ImageForEstimate): [ImageForEstimate, ImageForEstimate] {
  const all = [...image.layers, ...baseline.layers];
  if (!all.some((l) => l.uncompressedBytes !== undefined)) return [image, baseline];
  return [withMeasuredSizes(image, all), withMeasuredSizes(baseline, all)];
}

/**
 * @param baseline the image this one replaces (usually the previous push of the tag):
 *   what restarted App Service workers and AKS nodes that ran it already hold
 */
export function estimatePull(image: ImageForEstimate, baseline: ImageForEstimate | undefined, sku: Sku, params: PullModelParams): PullEstimates {
  if (!baseline) return estimates(image, undefined, sku, params);
  const [shared, sharedBaseline] = shareMeasurements(image, baseline);
  return estimates(shared, sharedBaseline, sku, params);
}

function estimates(image: ImageForEstimate, baseline: ImageForEstimate | undefined, sku: Sku, params: PullModelParams): PullEstimates {
  const cold = coldStarts(image, sku, params);
  const before = baseline ? coldStarts(baseline, sku, params) : undefined;
  const delta = (target: Target): number | null => (before ? cold[target] - before[target] : null);

  const restartSeconds = baseline
    ? params.targets.appService.startBaselineSeconds + partialPullSeconds(image, baseline, 'appService', sku, params)
    : cold.appService;
  // A node that is not new but never ran the baseline still has the daemonset images.
  const warmNodeSeconds =
    params.targets.aks.startBaselineSeconds + (baseline ? partialPullSeconds(image, baseline, 'aks', sku, params) : fullPullSeconds(image, 'aks', sku, params));

  return {
    aci: { coldStartSeconds: cold.aci, coldStartDeltaSeconds: delta('aci') },
    appService: { coldStartSeconds: cold.appService, restartSeconds, coldStartDeltaSeconds: delta('appService') },
    aks: { coldStartSeconds: cold.aks, warmNodeSeconds, coldStartDeltaSeconds: delta('aks'), serialImagePulls: params.aks.serialImagePulls },
  };
}

export interface CostEstimates {
  currency: string;
  /** The image's full footprint at the over-included rate (see imageMonthlyStorageCost). */
  imageMonthly: number;
  /** What the push actually added to the bill. */
  pushMarginalMonthly: number;
  withinIncluded: boolean;
  note: string;
}

/** Cost estimates as stored with a trend point. */
export const CostEstimatesSchema = z.object({
  currency: z.string(),
  imageMonthly: z.number(),
  pushMarginalMonthly: z.number(),
  withinIncluded: z.boolean(),
  note: z.string(),
}) satisfies z.ZodType<CostEstimates>;

/**
 * @param sizes.newRegistryBytes bytes the push added to the registry (layers it did not hold yet)
 * @param sizes.registryBytesBefore unique bytes the registry held before the push
 */
export function estimateCosts(
  sizes: { sizeBytes: number; newRegistryBytes: number; registryBytesBefore: number },
  profile: RegistryProfile,
  prices: PriceTable,
): CostEstimates {
  const image = imageMonthlyStorageCost(sizes.sizeBytes, profile, prices);
  const push = pushMarginalMonthlyCost(sizes.registryBytesBefore, sizes.newRegistryBytes, profile, prices);
  return {
    currency: prices.currency,
    imageMonthly: image.monthly,
    pushMarginalMonthly: push.monthly,
    withinIncluded: push.withinIncluded,
    note: push.note,
  };
}
