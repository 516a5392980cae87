import { compileRules, FINDING_RULES, type FindingCategory, type FindingRule, type Remedy } from './findingRules';
import type { ComposedFilesystem, FinalEntry, ShippedNotKept } from './layerIndex';

/**
 * What of an image's final filesystem does not belong in production (findingRules.ts), per
 * layer that put it there, and what the image ships only to delete it later. Pure: the
 * composed filesystem and the layers' sizes in, findings out.
 */

/** A layer as the findings need it, in manifest order (index = FinalEntry.layer). */
export interface LayerForFindings {
  compressedBytes: number;
  /** Bytes of its uncompressed tar stream (LayerIndex.uncompressedBytes). */
  uncompressedBytes: number;
  /** The history `created_by` that made it, when the config's history lines up. */
  step?: string;
}

interface FindingBase {
  /** The layer (0-based, manifest order) that put the files there. */
  layer: number;
  step?: string;
  /** Regular files and hardlinks (a hardlink is a file to whoever lists the directory). */
  fileCount: number;
  /**
   * ESTIMATE of the compressed bytes these files account for in their layer: their bytes ×
   * the layer's compressed / uncompressed ratio, i.e. as if they compressed like the layer as
   * a whole. Layers are compressed as one stream, so the files' own share is not measurable.
   */
  compressedBytesEstimate: number;
  /** The largest few, largest first. */
  samplePaths: string[];
  remedy: Remedy;
  /** The rule's clause ending in "would drop them". */
  advice: string;
}

/** Build-time files (a rule of findingRules.ts) in the final filesystem. */
export interface RuleFinding extends FindingBase {
  kind: 'rule';
  ruleId: string;
  category: FindingCategory;
  label: string;
  /** Σ sizes of the matched final regular files; hardlinks add nothing, nor files a hardlink outside the match still needs. */
  onDiskBytes: number;
}

export const DELETED_BUT_SHIPPED = 'deleted-but-shipped';

/** Files one layer ships and a later layer deletes: not in the final filesystem, still in every pull. */
export interface DeletedButShippedFinding extends FindingBase {
  kind: typeof DELETED_BUT_SHIPPED;
  ruleId: typeof DELETED_BUT_SHIPPED;
  label: string;
  /** Σ bytes of the deleted file versions, as shipped (uncompressed). */
  shippedBytes: number;
  /** The later layer whose whiteouts (or opaque directories) deleted them. */
  deletedByLayer: number;
  deletedByStep?: string;
}

export type ContentFinding = RuleFinding | DeletedButShippedFinding;

/** The uncompressed bytes a finding is about: on disk for a rule, shipped for a deletion. */
export function findingBytes(f: ContentFinding): number {
  return f.kind === 'rule' ? f.onDiskBytes : f.shippedBytes;
}

/**
 * Deleting a few files (a config, a lock) in a later step is normal; only this much shipped
 * for nothing is worth a line. The same noise floor as step growth in advice.ts.
 */
export const DEFAULT_MIN_DELETED_BYTES = 1024 * 1024;
const DEFAULT_SAMPLE_PATHS = 5;

export interface FindingsOptions {
  /** In claim order; FINDING_RULES by default. */
  rules?: readonly FindingRule[];
  minDeletedBytes?: number;
  samplePaths?: number;
}

function checkLayers(layers: readonly LayerForFindings[]): void {
  layers.forEach((l, i) => {
    for (const [name, v] of [
      ['compressedBytes', l.compressedBytes],
      ['uncompressedBytes', l.uncompressedBytes],
    ] as const) {
      if (!Number.isFinite(v) || v < 0) throw new RangeError(`layer ${i} ${name} must be a finite number of bytes ≥ 0, got ${v}`);
    }
  });
}

function layerAt(layers: readonly LayerForFindings[], index: number): LayerForFindings {
  const layer = layers[index];
  if (!layer) throw new RangeError(`the filesystem names layer ${index}, but only ${layers.length} layers were given`);
  return layer;
}

function compressedEstimate(bytes: number, layer: LayerForFindings): number {
  return layer.uncompressedBytes > 0 ? Math.round((bytes * layer.compressedBytes) / layer.uncompressedBytes) : 0;
}

function largest(items: { path: string; bytes: number }[], count: number): string[] {
  return [...items]
    .sort((a, b) => b.bytes - a.bytes || (a.path < b.path ? -1 : a.path > b.path ? 1 : 0))
    .slice(0, count)
    .map((i) => i.path);
}

interface Group {
  rule: FindingRule;
  layer: number;
  bytes: number;
  fileCount: number;
  files: { path: string; bytes: number }[];
}

/** Paths of the hardlinks pointing at each target path. */
function hardlinksByTarget(files: Iterable<FinalEntry>): Map<string, string[]> {
  const byTarget = new Map<string, string[]>();
  for (const e of files) {
    if (e.type !== 'hardlink' || !e.linkTarget) continue;
    const links = byTarget.get(e.linkTarget) ?? [];
    links.push(e.path);
    byTarget.set(e.linkTarget, links);
  }
  return byTarget;
}

function ruleFindings(
  fs: Pick<ComposedFilesystem, 'files'>,
  layers: readonly LayerForFindings[],
  rules: readonly FindingRule[],
  samples: number,
): RuleFinding[] {
  const entries = [...fs.files.values()];
  const compiled = compileRules(rules);
  const inForce = compiled.filter((r) => r.rule.match.requires === undefined || entries.some((e) => r.satisfies(e.path)));
  const claimedBy = new Map<string, FindingRule>();
  for (const e of entries) {
    if (e.type !== 'file' && e.type !== 'hardlink') continue;
    const rule = inForce.find((r) => r.claims(e.path))?.rule;
    if (rule) claimedBy.set(e.path, rule);
  }

  const links = hardlinksByTarget(entries);
  const groups = new Map<string, Group>();
  for (const e of entries) {
    const rule = claimedBy.get(e.path);
    if (!rule) continue;
    // Removing a file another, unmatched path hardlinks to frees nothing: the inode stays.
    const pinned = (links.get(e.path) ?? []).some((p) => claimedBy.get(p) !== rule);
    const bytes = e.type === 'file' && !pinned ? e.size : 0;
    const key = `${rule.id}\u0000${e.layer}`;
    const group = groups.get(key) ?? { rule, layer: e.layer, bytes: 0, fileCount: 0, files: [] };
    group.bytes += bytes;
    group.fileCount++;
    if (bytes > 0) group.files.push({ path: e.path, bytes });
    groups.set(key, group);
  }

  const findings: RuleFinding[] = [];
  for (const g of groups.values()) {
    if (g.bytes === 0 || g.bytes < (g.rule.minBytes ?? 0)) continue;
    const layer = layerAt(layers, g.layer);
    findings.push({
      kind: 'rule',
      ruleId: g.rule.id,
      category: g.rule.category,
      label: g.rule.label,
      onDiskBytes: g.bytes,
      fileCount: g.fileCount,
      compressedBytesEstimate: compressedEstimate(g.bytes, layer),
      layer: g.layer,
      ...(layer.step !== undefined ? { step: layer.step } : {}),
      samplePaths: largest(g.files, samples),
      remedy: g.rule.remedy,
      advice: g.rule.advice,
    });
  }
  return findings;
}

function deletedFindings(
  fs: Pick<ComposedFilesystem, 'wasted'>,
  layers: readonly LayerForFindings[],
  minBytes: number,
  samples: number,
): DeletedButShippedFinding[] {
  const groups = new Map<string, { layer: number; byLayer: number; entries: ShippedNotKept[] }>();
  for (const w of fs.wasted) {
    if (w.by !== 'deleted') continue;
    const key = `${w.layer}\u0000${w.byLayer}`;
    const group = groups.get(key) ?? { layer: w.layer, byLayer: w.byLayer, entries: [] };
    group.entries.push(w);
    groups.set(key, group);
  }
  const findings: DeletedButShippedFinding[] = [];
  for (const g of groups.values()) {
    const withContent = g.entries.filter((e) => e.bytes > 0);
    const bytes = withContent.reduce((sum, e) => sum + e.bytes, 0);
    if (bytes === 0 || bytes < minBytes) continue;
    const layer = layerAt(layers, g.layer);
    const by = layerAt(layers, g.byLayer);
    findings.push({
      kind: DELETED_BUT_SHIPPED,
      ruleId: DELETED_BUT_SHIPPED,
      label: 'files deleted in a later layer but still shipped',
      shippedBytes: bytes,
      // Directories and empty files deleted alongside are not what the pull pays for.
      fileCount: withContent.length,
      compressedBytesEstimate: compressedEstimate(bytes, layer),
      layer: g.layer,
      ...(layer.step !== undefined ? { step: layer.step } : {}),
      deletedByLayer: g.byLayer,
      ...(by.step !== undefined ? { deletedByStep: by.step } : {}),
      samplePaths: largest(
        withContent.map((e) => ({ path: e.path, bytes: e.bytes })),
        samples,
      ),
      remedy: 'same-step-cleanup',
      advice: 'deleting them in the same RUN step that creates them (or building in a separate stage) would drop them',
    });
  }
  return findings;
}

/**
 * One finding per (rule, layer that last wrote the matched files), from the final
 * filesystem only: a cache deleted by a later layer is not in it, and is reported by the
 * deleted-but-shipped finding of the layer pair instead. Largest first.
 *
 * @param layers the image's layers in manifest order, as the filesystem was composed from them
 */
export function findingsOf(
  fs: Pick<ComposedFilesystem, 'files' | 'wasted'>,
  layers: readonly LayerForFindings[],
  options: FindingsOptions = {},
): ContentFinding[] {
  checkLayers(layers);
  const samples = options.samplePaths ?? DEFAULT_SAMPLE_PATHS;
  const findings: ContentFinding[] = [
    ...ruleFindings(fs, layers, options.rules ?? FINDING_RULES, samples),
    ...deletedFindings(fs, layers, Math.max(1, options.minDeletedBytes ?? DEFAULT_MIN_DELETED_BYTES), samples),
  ];
  return findings.sort(
    (a, b) =>
      findingBytes(b) - findingBytes(a) ||
      b.compressedBytesEstimate - a.compressedBytesEstimate ||
      (a.ruleId < b.ruleId ? -1 : a.ruleId > b.ruleId ? 1 : 0) ||
      a.layer - b.layer,
  );
}
