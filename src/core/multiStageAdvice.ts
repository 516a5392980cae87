import { estimatePull, type ImageForEstimate } from './estimates/estimates';
import { imageMonthlyStorageCost, type PriceTable, type RegistryProfile } from './estimates/pricing';
import { TARGETS, type PullModelParams, type Target } from './estimates/pullModel';
import { findingBytes, type ContentFinding } from './findings';
import { formatBytes, formatDeltaBytes, formatDeltaSeconds, formatMoney, formatStep, shorten } from './format';

/**
 * A finding as a sentence with its evidence (sizes, the step that added the files) and what
 * acting on it saves, in the terms of the existing models: the same estimate functions run
 * on the image as pushed and on the image without the finding's compressed bytes.
 */

/** Everything the savings depend on besides the finding; the caller resolves it (config, registry SKU). */
export interface SavingsContext {
  /** The image as pushed; `layers[i]` is the finding's layer `i`. */
  image: ImageForEstimate;
  profile: RegistryProfile;
  prices: PriceTable;
  pullModel: PullModelParams;
}

export interface FindingSavings {
  /** Compressed bytes every pull would no longer download. */
  bytesPerPull: number;
  currency: string;
  /** Of the image's storage at the over-included rate (imageMonthlyStorageCost): "size in money". */
  storageMonthly: number;
  /** Cold start without a cached image, per target; positive = faster. */
  coldStartSeconds: Record<Target, number>;
}

export interface FindingAdvice {
  finding: ContentFinding;
  text: string;
  savings: FindingSavings;
}

/**
 * The image with `bytes` fewer compressed bytes in one layer. The layer is kept (with its
 * digest): dropping files seldom removes the step, so its per-layer overhead stays, which
 * keeps the saving on the conservative side.
 */
export function imageWithout(image: ImageForEstimate, layer: number, bytes: number): ImageForEstimate {
  const target = image.layers[layer];
  if (!target) throw new RangeError(`the finding names layer ${layer}, but the image has ${image.layers.length} layers`);
  if (!Number.isFinite(bytes) || bytes < 0) throw new RangeError(`bytes must be a finite number ≥ 0, got ${bytes}`);
  // An estimate above the layer's real size cannot save more than the layer.
  const removed = Math.min(bytes, target.sizeBytes);
  return {
    ...image,
    sizeBytes: image.sizeBytes - removed,
    layers: image.layers.map((l, i) => (i === layer ? { ...l, sizeBytes: l.sizeBytes - removed } : l)),
  };
}

/**
 * No baseline on either side: a saving is what every cold start of the image gains, not what
 * one push changed, and with no baseline every target pulls the whole image.
 */
export function savingsOf(finding: ContentFinding, ctx: SavingsContext): FindingSavings {
  const after = imageWithout(ctx.image, finding.layer, finding.compressedBytesEstimate);
  const pullBefore = estimatePull(ctx.image, undefined, ctx.profile.sku, ctx.pullModel);
  const pullAfter = estimatePull(after, undefined, ctx.profile.sku, ctx.pullModel);
  const storageBefore = imageMonthlyStorageCost(ctx.image.sizeBytes, ctx.profile, ctx.prices);
  const storageAfter = imageMonthlyStorageCost(after.sizeBytes, ctx.profile, ctx.prices);
  const coldStartSeconds = Object.fromEntries(TARGETS.map((t) => [t, pullBefore[t].coldStartSeconds - pullAfter[t].coldStartSeconds])) as Record<
    Target,
    number
  >;
  return {
    bytesPerPull: ctx.image.sizeBytes - after.sizeBytes,
    currency: storageBefore.currency,
    storageMonthly: storageBefore.monthly - storageAfter.monthly,
    coldStartSeconds,
  };
}

const STEP_CHARS = 80;

/** A step as its Dockerfile line, in backticks (which it must then not contain); a layer without history by its position. */
function stepName(step: string | undefined, layer: number, layerCount: number): string {
  if (step === undefined) return `layer ${layer + 1} of ${layerCount}`;
  return `\`${shorten(formatStep(step).replace(/`/g, "'"), STEP_CHARS)}\``;
}

function savingsText(s: FindingSavings): string {
  return `${formatDeltaBytes(-s.bytesPerPull)} per pull, ${formatMoney(-s.storageMonthly, s.currency)}/month storage, ${formatDeltaSeconds(-s.coldStartSeconds.aci)} ACI cold start`;
}

function evidence(finding: ContentFinding, layerCount: number): string {
  const added = stepName(finding.step, finding.layer, layerCount);
  const sizes = formatBytes(findingBytes(finding));
  const compressed = `${formatBytes(finding.compressedBytesEstimate)} compressed`;
  if (finding.kind === 'rule') return `${finding.label} (${sizes} on disk, ${compressed}) were added by ${added} and are in the final image`;
  const one = finding.fileCount === 1;
  const deleted = stepName(finding.deletedByStep, finding.deletedByLayer, layerCount);
  return `${finding.fileCount} ${one ? 'file' : 'files'} (${sizes}, ${compressed}) ${one ? 'was' : 'were'} added by ${added} and deleted by ${deleted}: not in the final image, but every pull still downloads ${one ? 'it' : 'them'}`;
}

export function adviceOf(finding: ContentFinding, ctx: SavingsContext): FindingAdvice {
  const savings = savingsOf(finding, ctx);
  return { finding, text: `${evidence(finding, ctx.image.layers.length)}; ${finding.advice}: ${savingsText(savings)}.`, savings };
}

/** In the findings' order (largest first). */
export function multiStageAdvice(findings: readonly ContentFinding[], ctx: SavingsContext): FindingAdvice[] {
  return findings.map((f) => adviceOf(f, ctx));
}
