import { normalizePath, type ComposedFilesystem, type FinalEntry } from './layerIndex';

/**
 * Directory views of a composed filesystem: one level at a time with sizes rolled up (dive's
 * tree view, one level per call), and the difference between two images' filesystems.
 *
 * A directory's size is Σ of the regular-file sizes beneath it. composeFilesystem lists each
 * inode once as a regular file and its other paths as size-0 hardlinks, so counting `file`
 * entries only counts hardlinked content once. Symlinks are not followed (dive's view does not
 * follow them either): listing `lib` where `lib -> usr/lib` is "not a directory".
 */

type EntryType = FinalEntry['type'];

interface TreeNode {
  path: string;
  name: string;
  type: EntryType;
  mode: number;
  linkTarget?: string;
  /** Own size, then (after roll-up) Σ regular-file bytes at and beneath the path. */
  size: number;
  /** Non-directory paths at and beneath the path. */
  files: number;
  /** The last layer that wrote the path or anything beneath it; -1 for a parent no entry names (and an empty root). */
  layer: number;
  depth: number;
  parent?: TreeNode;
  children?: TreeNode[];
}

type TreeIndex = Map<string, TreeNode>;

const parentOf = (path: string): string => {
  const k = path.lastIndexOf('/');
  return k < 0 ? '' : path.slice(0, k);
};

// A composed filesystem is a value: its index is built once per `files` map, however many levels are listed.
const indexes = new WeakMap<Map<string, FinalEntry>, TreeIndex>();

function treeIndex(files: Map<string, FinalEntry>): TreeIndex {
  const cached = indexes.get(files);
  if (cached) return cached;
  const root: TreeNode = { path: '', name: '', type: 'dir', mode: 0o755, size: 0, files: 0, layer: -1, depth: 0 };
  const index: TreeIndex = new Map([['', root]]);
  const attach = (path: string): TreeNode => {
    let node = index.get(path);
    if (node) return node;
    const parent = attach(parentOf(path));
    node = { path, name: path.slice(path.lastIndexOf('/') + 1), type: 'dir', mode: 0o755, size: 0, files: 0, layer: -1, depth: parent.depth + 1, parent };
    (parent.children ??= []).push(node);
    index.set(path, node);
    return node;
  };
  for (const [path, e] of files) {
    if (path === '') continue;
    const node = attach(path);
    node.type = e.type;
    node.mode = e.mode;
    node.layer = e.layer;
    if (e.linkTarget !== undefined) node.linkTarget = e.linkTarget;
    node.size = e.type === 'file' ? e.size : 0;
    node.files = e.type === 'dir' ? 0 : 1;
  }
  // Deepest first, so each node has its whole subtree summed before it is added to its parent.
  const byDepth: TreeNode[][] = [];
  for (const node of index.values()) (byDepth[node.depth] ??= []).push(node);
  for (let d = byDepth.length - 1; d > 0; d--) {
    for (const node of byDepth[d] ?? []) {
      const parent = node.parent!;
      parent.size += node.size;
      parent.files += node.files;
      if (node.layer > parent.layer) parent.layer = node.layer;
    }
  }
  indexes.set(files, index);
  return index;
}

export interface DirectoryEntry {
  name: string;
  path: string;
  type: EntryType;
  /** A directory's Σ regular-file bytes beneath it; a file's size; 0 for the rest. */
  size: number;
  /** Non-directory paths beneath a directory; 1 for anything else. */
  files: number;
  /** The layer that last wrote it; for a directory, the latest layer that wrote it or anything beneath it. */
  layer: number;
  mode: number;
  linkTarget?: string;
}

export type DirectoryListing =
  | {
      ok: true;
      /** Normalised: '' is the root. */
      path: string;
      size: number;
      files: number;
      /** undefined for an empty root. */
      layer: number | undefined;
      /** Largest first, then by name; at most `limit`. */
      children: DirectoryEntry[];
      /** How many children the directory has (before `limit`). */
      total: number;
    }
  | { ok: false; path: string; reason: 'not-found' | 'not-a-directory' };

const compareText = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

export function listDirectory(fs: Pick<ComposedFilesystem, 'files'>, path: string, options: { limit?: number } = {}): DirectoryListing {
  const normalised = normalizePath(path);
  const node = treeIndex(fs.files).get(normalised);
  if (!node) return { ok: false, path: normalised, reason: 'not-found' };
  if (node.type !== 'dir') return { ok: false, path: normalised, reason: 'not-a-directory' };
  const children = [...(node.children ?? [])].sort((a, b) => b.size - a.size || compareText(a.name, b.name));
  const limit = options.limit ?? children.length;
  return {
    ok: true,
    path: normalised,
    size: node.size,
    files: node.files,
    layer: node.layer < 0 ? undefined : node.layer,
    total: children.length,
    children: children.slice(0, Math.max(0, limit)).map((c) => ({
      name: c.name,
      path: c.path,
      type: c.type,
      size: c.size,
      files: c.files,
      layer: c.layer,
      mode: c.mode,
      ...(c.linkTarget !== undefined ? { linkTarget: c.linkTarget } : {}),
    })),
  };
}

export interface PathChange {
  path: string;
  /** In `after`; for a removed path, in `before`. */
  type: EntryType;
  change: 'added' | 'removed' | 'grown' | 'shrunk';
  /** A directory's Σ regular-file bytes beneath it, a file's size. */
  beforeBytes: number;
  afterBytes: number;
  deltaBytes: number;
  /**
   * The layer of `after` that wrote it: a file's own; a directory's, the layer that wrote most of
   * the changed bytes beneath it still in `after`. undefined for what `after` no longer has.
   */
  layer?: number;
}

interface Tally {
  count: number;
  bytes: number;
}

export interface FilesystemDiff {
  beforeBytes: number;
  afterBytes: number;
  deltaBytes: number;
  /** Each the top N by |deltaBytes|, then by path; files and directories together. */
  added: PathChange[];
  removed: PathChange[];
  grown: PathChange[];
  shrunk: PathChange[];
  /**
   * Over non-directory paths, every one (not only the top N): afterBytes − beforeBytes =
   * added.bytes − removed.bytes + grown.bytes − shrunk.bytes. `modified`: same size, another
   * type, mode or link target (content is not compared: the indexes hold no digests).
   */
  totals: { added: Tally; removed: Tally; grown: Tally; shrunk: Tally; modified: number };
}

/**
 * File-level difference of two images' filesystems, directories rolled up so that "usr/lib/gcc
 * grew by 180 MB" is one line. With `collapse` (the default) a directory whose change is all in
 * one child is left out: the child, or the deepest directory where the change spreads out, says
 * the same more precisely, and the top N is not filled by the chain of its parents.
 */
export function diffFilesystems(
  before: Pick<ComposedFilesystem, 'files'>,
  after: Pick<ComposedFilesystem, 'files'>,
  options: { top: number; collapse?: boolean },
): FilesystemDiff {
  const { top, collapse = true } = options;
  if (!Number.isInteger(top) || top < 0) throw new RangeError(`top must be a non-negative integer, got ${top}`);
  const b = treeIndex(before.files);
  const a = treeIndex(after.files);
  const paths = new Set([...a.keys(), ...b.keys()]);
  paths.delete('');

  const totals = { added: { count: 0, bytes: 0 }, removed: { count: 0, bytes: 0 }, grown: { count: 0, bytes: 0 }, shrunk: { count: 0, bytes: 0 }, modified: 0 };
  const changedChildren = new Map<string, number>();
  const layerWeights = new Map<string, Map<number, number>>();
  for (const path of paths) {
    const x = b.get(path);
    const y = a.get(path);
    if ((y?.size ?? 0) !== (x?.size ?? 0)) changedChildren.set(parentOf(path), (changedChildren.get(parentOf(path)) ?? 0) + 1);
    const fileBefore = x && x.type !== 'dir' ? x : undefined;
    const fileAfter = y && y.type !== 'dir' ? y : undefined;
    if (!fileBefore && !fileAfter) continue;
    const delta = (fileAfter?.size ?? 0) - (fileBefore?.size ?? 0);
    if (!fileBefore) tally(totals.added, fileAfter!.size);
    else if (!fileAfter) tally(totals.removed, fileBefore.size);
    else if (delta > 0) tally(totals.grown, delta);
    else if (delta < 0) tally(totals.shrunk, -delta);
    else if (fileBefore.type !== fileAfter.type || fileBefore.mode !== fileAfter.mode || fileBefore.linkTarget !== fileAfter.linkTarget) totals.modified++;
    if (fileAfter && delta !== 0) {
      for (let p: TreeNode | undefined = fileAfter.parent; p && p.path !== ''; p = p.parent) {
        const weights = layerWeights.get(p.path) ?? new Map<number, number>();
        weights.set(fileAfter.layer, (weights.get(fileAfter.layer) ?? 0) + Math.abs(delta));
        layerWeights.set(p.path, weights);
      }
    }
  }

  const lists: Record<PathChange['change'], PathChange[]> = { added: [], removed: [], grown: [], shrunk: [] };
  for (const path of paths) {
    const x = b.get(path);
    const y = a.get(path);
    const beforeBytes = x?.size ?? 0;
    const afterBytes = y?.size ?? 0;
    const deltaBytes = afterBytes - beforeBytes;
    const change = !x ? 'added' : !y ? 'removed' : deltaBytes > 0 ? 'grown' : deltaBytes < 0 ? 'shrunk' : undefined;
    if (!change) continue;
    const type = (y ?? x)!.type;
    // Only where both sides are directories (or absent) is a directory's delta the sum of its children's.
    const dirOnly = (!x || x.type === 'dir') && (!y || y.type === 'dir');
    if (collapse && dirOnly && changedChildren.get(path) === 1) continue;
    const layer = !y ? undefined : y.type !== 'dir' ? y.layer : heaviest(layerWeights.get(path));
    lists[change].push({ path, type, change, beforeBytes, afterBytes, deltaBytes, ...(layer !== undefined ? { layer } : {}) });
  }
  const rank = (xs: PathChange[]): PathChange[] =>
    xs.sort((p, q) => Math.abs(q.deltaBytes) - Math.abs(p.deltaBytes) || compareText(p.path, q.path)).slice(0, top);
  const beforeBytes = b.get('')!.size;
  const afterBytes = a.get('')!.size;
  return {
    beforeBytes,
    afterBytes,
    deltaBytes: afterBytes - beforeBytes,
    added: rank(lists.added),
    removed: rank(lists.removed),
    grown: rank(lists.grown),
    shrunk: rank(lists.shrunk),
    totals,
  };
}

function tally(t: Tally, bytes: number): void {
  t.count++;
  t.bytes += bytes;
}

/** The layer with the most weight; on a tie the later one (it wrote last). */
function heaviest(weights: Map<number, number> | undefined): number | undefined {
  let best: number | undefined;
  let bestWeight = -1;
  for (const [layer, w] of weights ?? []) {
    if (w > bestWeight || (w === bestWeight && layer > best!)) {
      best = layer;
      bestWeight = w;
    }
  }
  return best;
}
