import { z } from 'zod';
import type { LayerRecord, LayerRef } from './contentAnalysis';
import type { PriceTable, RegistryProfile } from './estimates/pricing';
import type { PullModelParams } from './estimates/pullModel';
import { composeFilesystem } from './filesystem';
import { findingBytes, findingsOf, type ContentFinding } from './findings';
import { EMPTY_INDEX, type LayerIndex } from './layerIndex';
import { adviceOf } from './multiStageAdvice';

/**
 * A platform image's content as stored once its layers are read: what its filesystem is
 * made of, what it wastes, and what does not belong in it. Kept small (top lists, not
 * every path) so it fits the image's row; the full picture is composed on demand from
 * the layer indexes (/api/files).
 */

const bytes = z.number().int().nonnegative();

const SavingsSchema = z.object({
  bytesPerPull: z.number(),
  currency: z.string(),
  storageMonthly: z.number(),
  coldStartSeconds: z.object({ aci: z.number(), appService: z.number(), aks: z.number() }),
});

export const StoredFindingSchema = z.object({
  rule: z.string(),
  /** A findingRules.ts category, or `deleted` for files a later layer deletes but every pull still ships. */
  category: z.string(),
  label: z.string(),
  /** Σ sizes of the matched files of the final filesystem (for `deleted`: of the file versions shipped). */
  onDiskBytes: bytes,
  /** onDiskBytes × the layer's compressed/uncompressed ratio: an estimate, layers are compressed as a whole. */
  compressedBytes: bytes,
  fileCount: bytes,
  /** 0-based layer that put the files there, and its Dockerfile step when the history names it. */
  layer: z.number().int().nonnegative(),
  step: z.string().optional(),
  samplePaths: z.array(z.string()).max(10),
  remedy: z.string(),
  /** The evidence and what to do, with the saving in the service's own cost and pull models. */
  advice: z.string(),
  savings: SavingsSchema.optional(),
  /** For files deleted in a later layer: the layer that deleted them. */
  deletedByLayer: z.number().int().nonnegative().optional(),
});
export type StoredFinding = z.infer<typeof StoredFindingSchema>;

export const LayerContentSchema = z.object({
  digest: z.string(),
  status: z.enum(['done', 'not analyzed']),
  reason: z.string().optional(),
  compressedBytes: bytes,
  uncompressedBytes: bytes.optional(),
  fileCount: bytes.optional(),
  step: z.string().optional(),
  /** Bytes of the final filesystem's files this layer wrote last: what of it the image keeps. */
  keptBytes: bytes.optional(),
  /** Bytes this layer ships that the final filesystem does not contain. */
  wastedBytes: bytes.optional(),
});

export const WastedPathSchema = z.object({
  path: z.string(),
  bytes,
  layer: z.number().int().nonnegative(),
  by: z.enum(['replaced', 'deleted']),
  byLayer: z.number().int().nonnegative(),
});

export const DiffIdMismatchSchema = z.object({
  layer: z.number().int().nonnegative(),
  digest: z.string(),
  /** What the config's rootfs.diff_ids says. */
  expected: z.string(),
  /** What the uncompressed stream hashed to. */
  measured: z.string(),
});

export const ContentSummarySchema = z.object({
  /** Every layer was read: the figures are exact. Otherwise they cover the layers read, and are lower bounds. */
  complete: z.boolean(),
  onDiskBytes: bytes,
  /** Σ of the layers' uncompressed bytes: what a pull decompresses and extracts. */
  shippedBytes: bytes,
  wastedBytes: bytes,
  /** dive's efficiency score (1 = nothing duplicated or removed; below 0 only where dive itself goes there: a whiteout of a path it cannot find). */
  efficiency: z.number().max(1),
  /** dive's wasted-bytes figure (counts the kept copy too), so dive CI thresholds can be carried over. */
  diveWastedBytes: bytes,
  fileCount: bytes,
  layers: z.array(LayerContentSchema),
  findings: z.array(StoredFindingSchema).max(50),
  topWasted: z.array(WastedPathSchema).max(20),
  diffIdMismatches: z.array(DiffIdMismatchSchema),
});
export type ContentSummary = z.infer<typeof ContentSummarySchema>;

/** What the savings of advice are priced with: the registry's profile and the models' parameters. */
export interface SavingsModels {
  profile: RegistryProfile;
  prices: PriceTable;
  pullModel: PullModelParams;
}

export interface LayerRead {
  ref: LayerRef;
  record: LayerRecord;
  /** The file index of a layer read; absent for one not analyzed. */
  index?: LayerIndex;
}

const TOP_WASTED = 20;
/** Findings kept with the image (largest first): a row holds 1 MiB, and a card shows three. */
const MAX_FINDINGS = 50;

/**
 * The content of a platform image from its layers in manifest order. A layer that could
 * not be read counts as empty, so every other figure (and each finding's layer) keeps its
 * place; the summary then says it is not complete.
 */
export function summarizeContent(layers: readonly LayerRead[], models?: SavingsModels & { configBytes: number }): ContentSummary {
  const indexes = layers.map((l) => l.index ?? EMPTY_INDEX);
  const fs = composeFilesystem(indexes);
  const forFindings = layers.map((l, i) => ({
    compressedBytes: l.ref.compressedBytes,
    uncompressedBytes: indexes[i]!.uncompressedBytes,
    ...(l.ref.step ? { step: l.ref.step } : {}),
  }));
  const findings = findingsOf(fs, forFindings);
  const image = models && {
    sizeBytes: models.configBytes + layers.reduce((s, l) => s + l.ref.compressedBytes, 0),
    configSizeBytes: models.configBytes,
    layers: layers.map((l) => ({ digest: l.ref.digest, sizeBytes: l.ref.compressedBytes, mediaType: l.ref.mediaType })),
  };
  const kept = new Array<number>(layers.length).fill(0);
  for (const f of fs.files.values()) if (f.type === 'file') kept[f.layer]! += f.size;
  const wastedBy = new Array<number>(layers.length).fill(0);
  for (const w of fs.wasted) wastedBy[w.layer]! += w.bytes;
  return {
    complete: layers.every((l) => l.record.status === 'done'),
    onDiskBytes: fs.onDiskBytes,
    shippedBytes: fs.shippedBytes,
    wastedBytes: fs.wastedBytes,
    efficiency: fs.efficiency,
    diveWastedBytes: fs.diveWastedBytes,
    fileCount: fs.files.size,
    layers: layers.map((l, i) => ({
      digest: l.ref.digest,
      status: l.record.status === 'done' ? 'done' : 'not analyzed',
      ...(l.record.reason ? { reason: l.record.reason } : {}),
      compressedBytes: l.ref.compressedBytes,
      ...(l.index ? { uncompressedBytes: l.index.uncompressedBytes, fileCount: l.index.entries.length, keptBytes: kept[i]!, wastedBytes: wastedBy[i]! } : {}),
      ...(l.ref.step ? { step: l.ref.step } : {}),
    })),
    findings: findings.slice(0, MAX_FINDINGS).map((f) => stored(f, image && models ? { image, ...models } : undefined)),
    topWasted: [...fs.wasted].sort((a, b) => b.bytes - a.bytes || (a.path < b.path ? -1 : 1)).slice(0, TOP_WASTED),
    diffIdMismatches: layers.flatMap((l, i) =>
      l.index && l.ref.diffId && l.ref.diffId !== l.index.diffId ? [{ layer: i, digest: l.ref.digest, expected: l.ref.diffId, measured: l.index.diffId }] : [],
    ),
  };
}

function stored(f: ContentFinding, ctx: Parameters<typeof adviceOf>[1] | undefined): StoredFinding {
  const advice = ctx ? adviceOf(f, ctx) : undefined;
  return {
    rule: f.ruleId,
    category: f.kind === 'rule' ? f.category : 'deleted',
    label: f.label,
    onDiskBytes: findingBytes(f),
    compressedBytes: f.compressedBytesEstimate,
    fileCount: f.fileCount,
    layer: f.layer,
    ...(f.step ? { step: f.step } : {}),
    samplePaths: f.samplePaths.slice(0, 10),
    remedy: f.remedy,
    advice: advice?.text ?? f.advice,
    ...(advice ? { savings: advice.savings } : {}),
    ...(f.kind === 'rule' ? {} : { deletedByLayer: f.deletedByLayer }),
  };
}
