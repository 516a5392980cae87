import type { ImageLayer } from '../api/types';
import { formatStep } from '../format';

/** Steps drawn as their own band; the rest are summed into one, so the chart stays readable. */
export const MAX_STEP_BANDS = 7;
export const OTHER_STEPS = 'Other steps';

export interface StepSeries {
  steps: string[];
  /** Per step, its bytes in each image (0 when the image has no such step). */
  values: number[][];
}

/** A layer's step as a person wrote it, or its position when the history names none. */
export function stepOf(layer: ImageLayer, index: number): string {
  return layer.createdBy ? formatStep(layer.createdBy) : `layer #${index + 1}`;
}

/**
 * Each image's compressed bytes per Dockerfile step, one column per image in push order.
 * Steps are matched by their text, as the compare API pairs them; a step that appears
 * twice in one image counts both layers. The largest steps (by their largest size) get
 * a band each, in the order they appear in the newest image.
 */
export function stepSeries(images: ImageLayer[][]): StepSeries {
  const perImage = images.map((layers) => {
    const m = new Map<string, number>();
    layers.forEach((l, i) => m.set(stepOf(l, i), (m.get(stepOf(l, i)) ?? 0) + l.sizeBytes));
    return m;
  });
  const peak = new Map<string, number>();
  for (const m of perImage) for (const [s, b] of m) peak.set(s, Math.max(peak.get(s) ?? 0, b));
  const order = new Map<string, number>();
  for (let i = perImage.length - 1, n = 0; i >= 0; i--) for (const s of perImage[i]!.keys()) if (!order.has(s)) order.set(s, n++);
  const top = [...peak.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, peak.size > MAX_STEP_BANDS + 1 ? MAX_STEP_BANDS : MAX_STEP_BANDS + 1)
    .map(([s]) => s)
    .sort((a, b) => order.get(a)! - order.get(b)!);
  const kept = new Set(top);
  const steps = peak.size > kept.size ? [...top, OTHER_STEPS] : top;
  const values = steps.map((step) =>
    perImage.map((m) => (step === OTHER_STEPS ? [...m].filter(([s]) => !kept.has(s)).reduce((sum, [, b]) => sum + b, 0) : (m.get(step) ?? 0))),
  );
  return { steps, values };
}
