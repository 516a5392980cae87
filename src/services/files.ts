import type { ImageContentRecord } from '../core/contentAnalysis';
import { composeFilesystem, layerChanges } from '../core/filesystem';
import { diffFilesystems, listDirectory, type FilesystemDiff } from '../core/fileTree';
import { EMPTY_INDEX, normalizePath, type LayerIndex } from '../core/layerIndex';
import { readIndexes, type ContentAnalysisStore, type LayerIndexStore } from './contentAnalysis';
import type { DirectoryListing, LayerChanges } from '../http/contract/files';
import { findPlatformImage, type QueryStores } from './queries';

/**
 * An image's final filesystem from the registry, one directory level per call (dive's
 * tree view, without pulling the image), or what one layer added, changed and removed.
 * Composed on demand from the layers' file indexes: nothing per path is stored per image.
 */

export interface FilesDeps extends QueryStores {
  layers: Pick<ContentAnalysisStore, 'image' | 'layers'>;
  indexes: Pick<LayerIndexStore, 'get'>;
}

export interface FilesQuery {
  registry: string;
  repository: string;
  digest: string;
  platform?: string;
  path?: string;
  layer?: string;
  limit: number;
}

type Failure = { ok: false; status: 400 | 404 | 409; error: string; details?: Record<string, unknown> };

/** What the API answers besides the registry and repository it was asked about. */
type Listed = Omit<DirectoryListing, 'registry' | 'repository'> | Omit<LayerChanges, 'registry' | 'repository'>;

export async function listFiles(deps: FilesDeps, q: FilesQuery): Promise<{ ok: true; body: Listed } | Failure> {
  const found = await findPlatformImage(deps, q.registry, q.repository, q.digest, q.platform);
  if (!found.ok) return { ok: false, status: found.status, error: found.error, ...(found.platforms ? { details: { platforms: found.platforms } } : {}) };
  const image = found.image;
  const record = await deps.layers.image(q.registry, image.digest);
  if (!record) return { ok: false, status: 404, error: `the content of ${image.digest} was never analyzed (LAYER_ANALYSIS off, or pushed before it was on)` };
  if (record.status !== 'done')
    return { ok: false, status: 409, error: `the content of ${image.digest} is still being analyzed`, details: { contentStatus: record.status } };
  const indexes = await indexesOf(deps, q.registry, record);
  const head = { digest: image.digest, platform: image.platform, complete: record.summary?.complete ?? false };
  if (q.layer) {
    const i = record.layers.findIndex((l) => l.digest === q.layer);
    if (i < 0)
      return { ok: false, status: 404, error: `image ${image.digest} has no layer ${q.layer}`, details: { layers: record.layers.map((l) => l.digest) } };
    const changes = layerChanges(indexes, i);
    const prefix = normalizePath(q.path ?? '');
    const within = (p: string) => prefix === '' || p === prefix || p.startsWith(`${prefix}/`);
    const added = changes.added.filter((a) => within(a.path));
    const changed = changes.changed.filter((c) => within(c.path));
    const removed = changes.removed.filter((r) => within(r.path));
    return {
      ok: true,
      body: {
        ...head,
        path: `/${prefix}`,
        layer: { index: i, digest: q.layer, ...(record.layers[i]!.step ? { step: record.layers[i]!.step } : {}) },
        addedBytes: changes.addedBytes,
        removedBytes: changes.removedBytes,
        netBytes: changes.netBytes,
        totals: { added: added.length, changed: changed.length, removed: removed.length },
        added: added.slice(0, q.limit).map((a) => ({ path: a.path, type: a.type, sizeBytes: a.size })),
        changed: changed
          .slice(0, q.limit)
          .map((c) => ({ path: c.path, type: c.type, typeBefore: c.typeBefore, beforeBytes: c.sizeBefore, afterBytes: c.sizeAfter })),
        removed: removed.slice(0, q.limit).map((r) => ({ path: r.path, by: r.by, type: r.type, bytes: r.bytes, files: r.files })),
      },
    };
  }
  const listing = listDirectory(composeFilesystem(indexes), q.path ?? '', { limit: q.limit });
  if (!listing.ok) {
    return listing.reason === 'not-found'
      ? { ok: false, status: 404, error: `/${listing.path} is not in the final filesystem of ${image.digest}` }
      : { ok: false, status: 400, error: `/${listing.path} is a file, not a directory: list its parent` };
  }
  const step = (layer: number | undefined) => (layer === undefined ? undefined : record.layers[layer]?.step);
  return {
    ok: true,
    body: {
      ...head,
      path: `/${listing.path}`,
      sizeBytes: listing.size,
      files: listing.files,
      total: listing.total,
      entries: listing.children.map((c) => ({
        name: c.name,
        path: `/${c.path}`,
        type: c.type,
        sizeBytes: c.size,
        files: c.files,
        layer: c.layer,
        ...(step(c.layer) ? { step: step(c.layer) } : {}),
        mode: c.mode,
        ...(c.linkTarget !== undefined ? { linkTarget: c.linkTarget } : {}),
      })),
    },
  };
}

/** An image's analyzed content: its record and its layers' indexes, or why there is none (yet). */
export async function contentOf(
  deps: Pick<FilesDeps, 'layers' | 'indexes'>,
  registry: string,
  digest: string,
): Promise<{ ok: true; record: ImageContentRecord; indexes: LayerIndex[] } | Failure> {
  const record = await deps.layers.image(registry, digest);
  if (!record) return { ok: false, status: 404, error: `the content of ${digest} was never analyzed (LAYER_ANALYSIS off, or pushed before it was on)` };
  if (record.status !== 'done')
    return { ok: false, status: 409, error: `the content of ${digest} is still being analyzed`, details: { contentStatus: record.status } };
  return { ok: true, record, indexes: await indexesOf(deps, registry, record) };
}

/** Two analyzed images' file-level difference (top N per list), with both records for the steps; or why not (yet). */
export async function diffContents(
  deps: Pick<FilesDeps, 'layers' | 'indexes'>,
  registry: string,
  from: string,
  to: string,
  top: number,
): Promise<{ ok: true; diff: FilesystemDiff; before: ImageContentRecord; after: ImageContentRecord } | Failure> {
  const [a, b] = await Promise.all([contentOf(deps, registry, from), contentOf(deps, registry, to)]);
  // Still being read wins over never read: asking again later will help.
  if (!a.ok || !b.ok) return [a, b].find((x): x is Failure => !x.ok && x.status === 409) ?? (a.ok ? (b as Failure) : a);
  return { ok: true, diff: diffFilesystems(composeFilesystem(a.indexes), composeFilesystem(b.indexes), { top }), before: a.record, after: b.record };
}

/** The layers' indexes in manifest order; a layer not analyzed counts as empty, as in the summary. */
async function indexesOf(deps: Pick<FilesDeps, 'layers' | 'indexes'>, registry: string, record: ImageContentRecord): Promise<LayerIndex[]> {
  const rows = await deps.layers.layers(
    registry,
    record.layers.map((l) => l.digest),
  );
  const read = await readIndexes(deps.indexes, registry, record.layers, rows);
  return record.layers.map((l) => read.get(l.digest) ?? EMPTY_INDEX);
}
