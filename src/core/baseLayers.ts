// A file of its own that imports nothing: the dashboard (ui/) marks the base image boundary with the same rule.

/** Base image layers predate the build; the build's own steps run within minutes of the config's `created`. */
export const BASE_AGE_MS = 10 * 60 * 1000;

/**
 * Leading layers whose history entry is older than the image's own creation by more than
 * BASE_AGE_MS. Unknown (null) without timestamps, and for reproducible builds that pin
 * every timestamp (SOURCE_DATE_EPOCH), where nothing is older than the image.
 */
export function baseLayerCount(image: { created?: string; layers: readonly { createdAt?: string }[] }): number | null {
  const created = image.created ? Date.parse(image.created) : NaN;
  if (Number.isNaN(created) || image.layers.length === 0 || image.layers.some((l) => !l.createdAt)) return null;
  let n = 0;
  while (n < image.layers.length && Date.parse(image.layers[n]!.createdAt!) < created - BASE_AGE_MS) n++;
  return n === 0 ? null : n;
}
