import { diffImages } from '../core/layerDiff';
import type { Layer } from '../core/manifest';
import type { PlatformImage } from '../core/sizing';
import { findPlatformImage } from './queries';

type Stores = Parameters<typeof findPlatformImage>[0];

function side(image: PlatformImage, indexDigest?: string) {
  return {
    digest: image.digest,
    ...(indexDigest ? { indexDigest } : {}),
    platform: image.platform,
    sizeBytes: image.sizeBytes,
    configSizeBytes: image.config.sizeBytes,
    layerCount: image.layerCount,
    created: image.created ?? null,
  };
}

const layerView = (l: Layer) => ({ digest: l.digest, mediaType: l.mediaType, sizeBytes: l.sizeBytes, createdBy: l.createdBy ?? null, foreign: l.foreign });

/** Any two stored images of a repository, not only neighbours on the trend. */
export async function compareImages(stores: Stores, registry: string, repository: string, from: string, to: string, platform?: string) {
  const [a, b] = await Promise.all([
    findPlatformImage(stores, registry, repository, from, platform),
    findPlatformImage(stores, registry, repository, to, platform),
  ]);
  if (!a.ok) return { ok: false as const, status: a.status, error: `from: ${a.error}`, ...(a.platforms ? { platforms: a.platforms } : {}) };
  if (!b.ok) return { ok: false as const, status: b.status, error: `to: ${b.error}`, ...(b.platforms ? { platforms: b.platforms } : {}) };
  const d = diffImages(a.image, b.image);
  return {
    ok: true as const,
    from: side(a.image, a.indexDigest),
    to: side(b.image, b.indexDigest),
    sizeDeltaBytes: d.sizeDeltaBytes,
    sizeDeltaPercent: a.image.sizeBytes > 0 ? Math.round((d.sizeDeltaBytes / a.image.sizeBytes) * 10_000) / 100 : null,
    addedBytes: d.addedBytes,
    removedBytes: d.removedBytes,
    sharedBytes: d.reusedBytes,
    layerCountDelta: d.layerCountDelta,
    layers: { added: d.added.map(layerView), removed: d.removed.map(layerView), shared: d.shared.map(layerView) },
    steps: d.steps,
    base: d.base,
  };
}
