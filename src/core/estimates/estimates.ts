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

export function imageForEstimate(image: Pick<PlatformImage, 'sizeBytes' | 'config' | 'layers'>): ImageForEstimate {
  return { sizeBytes: image.sizeBytes, configSizeBytes: image.config.sizeBytes, layers: image.layers };
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
 * @param baseline the image this one replaces (usually the previous push of the tag):
 *   what restarted App Service workers and AKS nodes that ran it already hold
 */
export function estimatePull(image: ImageForEstimate, baseline: ImageForEstimate | undefined, sku: Sku, params: PullModelParams): PullEstimates {
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
