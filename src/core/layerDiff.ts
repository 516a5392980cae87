import type { Layer } from './manifest';
import { baseLayerCount } from './baseLayers';
import type { PlatformImage } from './sizing';

/**
 * What changed between two platform images, in bytes and in Dockerfile steps. Layers are
 * compared by digest (content), steps by their `created_by` text, so a step whose output
 * changed shows as one step with a before and after size rather than a removal and an
 * addition.
 */

export interface StepDelta {
  /** The Dockerfile step, or `layer #n` when the images carry no usable history. */
  step: string;
  change: 'added' | 'removed' | 'changed' | 'unchanged';
  beforeBytes: number;
  afterBytes: number;
  deltaBytes: number;
  beforeDigest?: string;
  afterDigest?: string;
}

export interface BaseChange {
  /** Leading layers identical in both images. */
  commonPrefixLayers: number;
  commonPrefixBytes: number;
  /** Leading layers inherited from the base image, when the history tells (see `baseLayerCount`). */
  baseLayers: number | null;
  changed: boolean;
  reason: string;
}

export interface LayerDiff {
  sizeDeltaBytes: number;
  /** Bytes of layers in `to` that `from` does not have: what a node holding `from` must download. */
  addedBytes: number;
  removedBytes: number;
  reusedBytes: number;
  layerCountDelta: number;
  added: Layer[];
  removed: Layer[];
  shared: Layer[];
  steps: StepDelta[];
  base: BaseChange;
}

export { baseLayerCount } from './baseLayers';

function partition(from: Layer[], to: Layer[]) {
  // Multiset by digest: an image may hold the same (e.g. empty) layer twice.
  const remaining = new Map<string, number>();
  for (const l of from) remaining.set(l.digest, (remaining.get(l.digest) ?? 0) + 1);
  const added: Layer[] = [];
  const shared: Layer[] = [];
  for (const l of to) {
    const n = remaining.get(l.digest) ?? 0;
    if (n > 0) {
      remaining.set(l.digest, n - 1);
      shared.push(l);
    } else added.push(l);
  }
  const removed: Layer[] = [];
  for (const l of [...from].reverse()) {
    const n = remaining.get(l.digest) ?? 0;
    if (n > 0) {
      remaining.set(l.digest, n - 1);
      removed.unshift(l);
    }
  }
  return { added, removed, shared };
}

/**
 * Pairs steps by their text with a longest-common-subsequence alignment, so an inserted
 * or deleted step does not shift every later pairing. Without history on both sides the
 * keys are positions, which pairs layer n with layer n.
 */
export function alignSteps(from: Layer[], to: Layer[]): StepDelta[] {
  const withHistory = from.every((l) => l.createdBy) && to.every((l) => l.createdBy);
  const key = (l: Layer, i: number) => (withHistory ? l.createdBy! : `layer #${i + 1}`);
  const a = from.map(key);
  const b = to.map(key);
  const lcs: number[][] = Array.from({ length: a.length + 1 }, () => new Array<number>(b.length + 1).fill(0));
  for (let i = a.length - 1; i >= 0; i--) {
    for (let j = b.length - 1; j >= 0; j--) {
      lcs[i]![j] = a[i] === b[j] ? lcs[i + 1]![j + 1]! + 1 : Math.max(lcs[i + 1]![j]!, lcs[i]![j + 1]!);
    }
  }
  const steps: StepDelta[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    if (i < a.length && j < b.length && a[i] === b[j]) {
      const before = from[i]!;
      const after = to[j]!;
      steps.push({
        step: a[i]!,
        change: before.digest === after.digest ? 'unchanged' : 'changed',
        beforeBytes: before.sizeBytes,
        afterBytes: after.sizeBytes,
        deltaBytes: after.sizeBytes - before.sizeBytes,
        beforeDigest: before.digest,
        afterDigest: after.digest,
      });
      i++;
      j++;
    } else if (j < b.length && (i >= a.length || lcs[i]![j + 1]! >= lcs[i + 1]![j]!)) {
      const after = to[j]!;
      steps.push({ step: b[j]!, change: 'added', beforeBytes: 0, afterBytes: after.sizeBytes, deltaBytes: after.sizeBytes, afterDigest: after.digest });
      j++;
    } else {
      const before = from[i]!;
      steps.push({ step: a[i]!, change: 'removed', beforeBytes: before.sizeBytes, afterBytes: 0, deltaBytes: -before.sizeBytes, beforeDigest: before.digest });
      i++;
    }
  }
  return steps;
}

export function baseChange(from: Pick<PlatformImage, 'created' | 'layers'>, to: Pick<PlatformImage, 'created' | 'layers'>): BaseChange {
  let k = 0;
  let bytes = 0;
  while (k < from.layers.length && k < to.layers.length && from.layers[k]!.digest === to.layers[k]!.digest) bytes += from.layers[k++]!.sizeBytes;
  const fromBase = baseLayerCount(from);
  const toBase = baseLayerCount(to);
  const known = fromBase !== null || toBase !== null;
  const baseLayers = known ? Math.max(fromBase ?? 0, toBase ?? 0) : null;
  if (from.layers.length === 0 || to.layers.length === 0) {
    return { commonPrefixLayers: k, commonPrefixBytes: bytes, baseLayers, changed: false, reason: 'an image without layers has no base' };
  }
  // Without timestamps only the first layer is surely the base's: FROM always provides it.
  const region = baseLayers ?? 1;
  const changed = k < region;
  const reason = changed
    ? `layer ${k + 1} differs within the ${region} base layer${region === 1 ? '' : 's'}${known ? '' : ' (no history timestamps: only the first layer is known to be the base)'}`
    : `${k === 1 ? 'the first layer is' : `the first ${k} layers are`} identical, covering the base (${region} layer${region === 1 ? '' : 's'})`;
  return { commonPrefixLayers: k, commonPrefixBytes: bytes, baseLayers, changed, reason };
}

export function diffImages(from: PlatformImage, to: PlatformImage): LayerDiff {
  const { added, removed, shared } = partition(from.layers, to.layers);
  const sum = (ls: Layer[]) => ls.reduce((s, l) => s + l.sizeBytes, 0);
  return {
    sizeDeltaBytes: to.sizeBytes - from.sizeBytes,
    addedBytes: sum(added),
    removedBytes: sum(removed),
    reusedBytes: sum(shared),
    layerCountDelta: to.layerCount - from.layerCount,
    added,
    removed,
    shared,
    steps: alignSteps(from.layers, to.layers),
    base: baseChange(from, to),
  };
}
