import type { PathChange } from '../core/fileTree';
import { diffImages } from '../core/layerDiff';
import type { Layer } from '../core/manifest';
import type { PlatformImage } from '../core/sizing';
import { diffContents, type FilesDeps } from './files';
import { findPlatformImage } from './queries';

type Stores = Parameters<typeof findPlatformImage>[0] & Partial<Pick<FilesDeps, 'layers' | 'indexes'>>;

/** Paths per list of the file-level diff. */
const TOP_PATHS = 20;

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
export async function compareImages(stores: Stores, registry: string, repository: string, from: string, to: string, platform?: string, top = TOP_PATHS) {
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
    files: await fileDiff(stores, registry, a.image.digest, b.image.digest, top),
  };
}

/**
 * What changed file by file, once both images' contents are read: files and directories
 * added, removed, grown and shrunk (top N by bytes, directories rolled up), each with the
 * step of `to` that wrote it. Until then, why not.
 */
async function fileDiff(stores: Stores, registry: string, from: string, to: string, top: number) {
  if (!stores.layers || !stores.indexes) return { status: 'not requested' as const };
  const d = await diffContents({ layers: stores.layers, indexes: stores.indexes }, registry, from, to, top);
  if (!d.ok) return { status: d.status === 409 ? ('pending' as const) : ('not requested' as const) };
  const { diff, before, after } = d;
  const step = (c: PathChange) => (c.layer === undefined ? undefined : after.layers[c.layer]?.step);
  const view = (c: PathChange) => ({
    path: `/${c.path}`,
    type: c.type,
    beforeBytes: c.beforeBytes,
    afterBytes: c.afterBytes,
    deltaBytes: c.deltaBytes,
    ...(c.layer !== undefined ? { layer: c.layer } : {}),
    ...(step(c) ? { step: step(c) } : {}),
  });
  return {
    status: 'done' as const,
    complete: (before.summary?.complete ?? false) && (after.summary?.complete ?? false),
    onDiskDeltaBytes: diff.deltaBytes,
    added: diff.added.map(view),
    removed: diff.removed.map(view),
    grown: diff.grown.map(view),
    shrunk: diff.shrunk.map(view),
    totals: diff.totals,
  };
}
