import { diveEfficiency } from './diveEfficiency';
import type { ComposedFilesystem, FileEntry, FinalEntry, LayerIndex, ShippedNotKept } from './layerIndex';

/**
 * An image's filesystem composed from its layers' file indexes, with OCI image-spec layer
 * semantics (opencontainers/image-spec layer.md, "Applying Changesets" and "Whiteouts"):
 *
 * - A layer's whiteouts and opaque markers apply to the layers below it only, wherever they sit
 *   in the tar, so they are applied before any of the layer's other entries.
 * - An entry over an existing path replaces it, unless both are directories (then only the
 *   attributes change); replacing a directory removes everything under it.
 * - A path repeated within one tar: the later header wins, as on extraction.
 * - Parents exist even without an entry (extractors create them with mode 0o755), also for a
 *   whiteout or opaque marker, whose directory the extractor creates before handling it. A
 *   non-directory in the way of an entry's parent is replaced by the directory (real extractors
 *   fail there; the entry says a directory is meant). A marker under a non-directory does
 *   nothing: it has nothing to delete, and replacing a file for it would invent a change.
 *
 * Hardlinks share their target's inode: the content is one file however many paths name it,
 * and it stays on disk (not wasted) while any of them remains. In `files` each inode appears
 * once as a regular file carrying its size, the regular-file path while it exists, otherwise
 * the first remaining hardlink path in code-unit order (as a tar of the final filesystem would
 * write it); its other paths are hardlinks of size 0 to it. So Σ `file` sizes = onDiskBytes, and
 * any roll-up over paths counts each inode once. A hardlink whose target was not a regular file
 * when it was extracted (missing, a directory, a symlink) stays a size-0 hardlink.
 *
 * Wasted bytes are every regular-file version shipped and gone from the final filesystem,
 * counted once per inode when its last path goes, with the layer that did it: `replaced` when
 * that path was written again (within the same tar too: the earlier copy was shipped), `deleted`
 * when a whiteout, an opaque directory, or a replacement of a directory above removed it.
 * Σ of every regular-file version shipped = onDiskBytes + wastedBytes, exactly.
 */

type NodeType = FinalEntry['type'];

interface Inode {
  size: number;
  /** Where and in which layer the content was shipped. */
  path: string;
  layer: number;
  links: number;
}

interface Node {
  path: string;
  type: NodeType;
  mode: number;
  layer: number;
  linkTarget?: string;
  inode?: Inode;
  /** A directory's children (their paths are the names). */
  children?: Set<Node>;
}

const IMPLIED_DIR_MODE = 0o755;

const parentOf = (path: string): string => {
  const k = path.lastIndexOf('/');
  return k < 0 ? '' : path.slice(0, k);
};

interface Snapshot {
  files: Map<string, FinalEntry>;
  onDiskBytes: number;
}

class Composer {
  private readonly root: Node = { path: '', type: 'dir', mode: IMPLIED_DIR_MODE, layer: -1, children: new Set() };
  private readonly nodes = new Map<string, Node>([['', this.root]]);
  readonly wasted: ShippedNotKept[] = [];
  /** Hardlinks bound to an inode: while there are none, every inode has one path and the snapshot needs no grouping. */
  private links = 0;

  apply(entries: readonly FileEntry[], layer: number): void {
    for (const e of entries) {
      if (e.type === 'whiteout') {
        const node = this.nodes.get(e.path);
        if (node && node !== this.root) this.remove(node, 'deleted', layer);
      } else if (e.type === 'opaque') {
        const dir = this.nodes.get(e.path);
        if (dir?.children) for (const child of [...dir.children]) this.remove(child, 'deleted', layer);
      }
    }
    for (const e of entries) {
      if (e.type === 'whiteout') this.ensureDir(parentOf(e.path), layer, false);
      else if (e.type === 'opaque') this.ensureDir(e.path, layer, false);
      else this.put(e, layer);
    }
  }

  /** The directory at path, created with its missing parents; a non-directory in the way is replaced, unless only a marker needs it. */
  private ensureDir(path: string, layer: number, replace: boolean): Node | undefined {
    const existing = this.nodes.get(path);
    if (existing?.type === 'dir') return existing;
    if (existing) {
      if (!replace) return undefined;
      this.remove(existing, 'replaced', layer);
    }
    const parent = this.ensureDir(parentOf(path), layer, replace);
    if (!parent) return undefined;
    return this.insert(parent, { path, type: 'dir', mode: IMPLIED_DIR_MODE, layer, children: new Set() });
  }

  private put(e: FileEntry, layer: number): void {
    const parent = this.ensureDir(parentOf(e.path), layer, true)!;
    const existing = this.nodes.get(e.path);
    if (existing?.type === 'dir' && e.type === 'dir') {
      existing.mode = e.mode;
      existing.layer = layer;
      return;
    }
    if (existing) this.remove(existing, 'replaced', layer);
    const type = e.type as NodeType;
    const node: Node = { path: e.path, type, mode: e.mode, layer };
    if (e.linkTarget !== undefined && (type === 'symlink' || type === 'hardlink')) node.linkTarget = e.linkTarget;
    if (type === 'dir') node.children = new Set();
    else if (type === 'file') node.inode = { size: e.size, path: e.path, layer, links: 1 };
    else if (type === 'hardlink' && e.linkTarget !== undefined) {
      // Resolved now, not at the end: link(2) binds the inode the target path holds at extraction.
      const inode = this.nodes.get(e.linkTarget)?.inode;
      if (inode) {
        node.inode = inode;
        inode.links++;
        this.links++;
      }
    }
    this.insert(parent, node);
  }

  private insert(parent: Node, node: Node): Node {
    parent.children!.add(node);
    this.nodes.set(node.path, node);
    return node;
  }

  /** Removes a node and its subtree: the node itself goes `by`, what was beneath it is `deleted`. */
  private remove(node: Node, by: ShippedNotKept['by'], byLayer: number): void {
    this.nodes.get(parentOf(node.path))!.children!.delete(node);
    const stack = [node];
    while (stack.length > 0) {
      const n = stack.pop()!;
      this.nodes.delete(n.path);
      if (n.type === 'hardlink' && n.inode) this.links--;
      if (n.inode && --n.inode.links === 0) {
        const { path, layer, size } = n.inode;
        this.wasted.push({ path, layer, bytes: size, by: n === node ? by : 'deleted', byLayer });
      }
      if (n.children) for (const c of n.children) stack.push(c);
    }
  }

  snapshot(): Snapshot {
    const canonical = new Map<Inode, Node>();
    if (this.links > 0) {
      for (const n of this.nodes.values()) {
        if (!n.inode) continue;
        const c = canonical.get(n.inode);
        if (!c || (c.type !== 'file' && (n.type === 'file' || n.path < c.path))) canonical.set(n.inode, n);
      }
    }
    const files = new Map<string, FinalEntry>();
    let onDiskBytes = 0;
    for (const n of this.nodes.values()) {
      if (n === this.root) continue;
      let entry: FinalEntry;
      if (n.inode && (this.links === 0 || canonical.get(n.inode) === n)) {
        entry = { path: n.path, type: 'file', size: n.inode.size, mode: n.mode, layer: n.layer };
        onDiskBytes += n.inode.size;
      } else if (n.inode) {
        const written = n.linkTarget !== undefined && this.nodes.get(n.linkTarget)?.inode === n.inode;
        entry = { path: n.path, type: 'hardlink', size: 0, mode: n.mode, layer: n.layer, linkTarget: written ? n.linkTarget! : canonical.get(n.inode)!.path };
      } else {
        entry = { path: n.path, type: n.type, size: 0, mode: n.mode, layer: n.layer };
        if (n.linkTarget !== undefined) entry.linkTarget = n.linkTarget;
      }
      files.set(n.path, entry);
    }
    return { files, onDiskBytes };
  }
}

export function composeFilesystem(layers: ReadonlyArray<Pick<LayerIndex, 'entries' | 'uncompressedBytes'>>): ComposedFilesystem {
  const composer = new Composer();
  layers.forEach((l, i) => composer.apply(l.entries, i));
  const { files, onDiskBytes } = composer.snapshot();
  const dive = diveEfficiency(layers);
  return {
    files,
    onDiskBytes,
    shippedBytes: layers.reduce((s, l) => s + l.uncompressedBytes, 0),
    wastedBytes: composer.wasted.reduce((s, w) => s + w.bytes, 0),
    wasted: composer.wasted,
    efficiency: dive.efficiency,
    diveWastedBytes: dive.wastedBytes,
  };
}

/** A path layer i wrote that the filesystem below it did not have. Sizes are the path's own: a directory's files are listed themselves. */
export interface PathAdded {
  path: string;
  type: NodeType;
  size: number;
}

/** A path of the filesystem below that layer i wrote again (or whose size changed, see `layerChanges`). */
export interface PathChanged {
  path: string;
  type: NodeType;
  typeBefore: NodeType;
  sizeBefore: number;
  sizeAfter: number;
}

/** What layer i removed from the filesystem below, one record per whiteout, opaque directory or replaced directory. */
export interface PathRemoved {
  /** The whiteout's path, the opaque directory, or the path whose replacement removed what was beneath it. */
  path: string;
  by: 'whiteout' | 'opaque' | 'replaced';
  /** The path's type below (an opaque directory: `dir`). */
  type: NodeType;
  /** Σ regular-file bytes removed (each inode once, at its canonical path). */
  bytes: number;
  /** Non-directory paths removed. */
  files: number;
}

export interface LayerChanges {
  layer: number;
  added: PathAdded[];
  changed: PathChanged[];
  removed: PathRemoved[];
  addedBytes: number;
  removedBytes: number;
  /** Σ (sizeAfter − sizeBefore) over `changed`. */
  changedDeltaBytes: number;
  /** onDiskBytes after layer i − before it = addedBytes + changedDeltaBytes − removedBytes. */
  netBytes: number;
  /** Shipped file versions layer i replaced or deleted (from any layer, its own repeats included). */
  wasted: ShippedNotKept[];
}

const bySizeThenPath = <T extends { path: string }>(size: (t: T) => number) => {
  return (a: T, b: T): number => size(b) - size(a) || (a.path < b.path ? -1 : a.path > b.path ? 1 : 0);
};

/**
 * What layer i did to the filesystem composed from layers 0..i-1, path by path (all lists
 * largest first). `changed` holds the paths layer i wrote again, except a directory header
 * over a directory with the same mode (every tar repeats its parents' headers), plus any path
 * whose size changed without being written (a hardlink that became the inode's regular-file
 * path because layer i removed the one it linked to), so that netBytes always adds up.
 * A whiteout of a path that did not exist removes nothing and is not listed. When the layer
 * writes a whiteout's path again, the path itself is compared like any path written over
 * (`changed` if it differs) and what was beneath it and is gone is in `removed`.
 */
export function layerChanges(layers: ReadonlyArray<Pick<LayerIndex, 'entries'>>, i: number): LayerChanges {
  if (!Number.isInteger(i) || i < 0 || i >= layers.length) throw new RangeError(`layer ${i} is not in 0..${layers.length - 1}`);
  const composer = new Composer();
  for (let k = 0; k < i; k++) composer.apply(layers[k]!.entries, k);
  const before = composer.snapshot();
  const wastedBefore = composer.wasted.length;
  composer.apply(layers[i]!.entries, i);
  const after = composer.snapshot();

  const added: PathAdded[] = [];
  const changed: PathChanged[] = [];
  for (const [path, a] of after.files) {
    const b = before.files.get(path);
    if (!b) added.push({ path, type: a.type, size: a.size });
    else if (a.type !== b.type || a.size !== b.size || (a.layer === i && (a.type !== 'dir' || a.mode !== b.mode))) {
      changed.push({ path, type: a.type, typeBefore: b.type, sizeBefore: b.size, sizeAfter: a.size });
    }
  }

  const whiteouts = new Set<string>();
  const opaques = new Set<string>();
  for (const e of layers[i]!.entries) {
    if (e.type === 'whiteout') whiteouts.add(e.path);
    else if (e.type === 'opaque') opaques.add(e.path);
  }
  const removed = new Map<string, PathRemoved>();
  const record = (path: string, by: PathRemoved['by'], gone: FinalEntry): void => {
    let r = removed.get(path);
    if (!r) removed.set(path, (r = { path, by, type: by === 'opaque' ? 'dir' : (before.files.get(path)?.type ?? 'dir'), bytes: 0, files: 0 }));
    r.bytes += gone.size;
    if (gone.type !== 'dir') r.files++;
  };
  for (const [path, b] of before.files) {
    if (after.files.has(path)) continue;
    // The nearest cause up the path: a whiteout of it or an ancestor, an opaque ancestor, an ancestor now a non-directory.
    let cause: [string, PathRemoved['by']] = [path, 'replaced'];
    for (let p = path; ; p = parentOf(p)) {
      if (whiteouts.has(p)) cause = [p, 'whiteout'];
      else if (p !== path && opaques.has(p)) cause = [p, 'opaque'];
      else if (p !== path && after.files.has(p) && after.files.get(p)!.type !== 'dir') cause = [p, 'replaced'];
      else if (p !== '') continue;
      break;
    }
    record(cause[0], cause[1], b);
  }

  const sum = <T>(xs: T[], f: (x: T) => number): number => xs.reduce((s, x) => s + f(x), 0);
  const removedList = [...removed.values()];
  return {
    layer: i,
    added: added.sort(bySizeThenPath((x) => x.size)),
    changed: changed.sort(bySizeThenPath((x) => Math.abs(x.sizeAfter - x.sizeBefore))),
    removed: removedList.sort(bySizeThenPath((x) => x.bytes)),
    addedBytes: sum(added, (x) => x.size),
    removedBytes: sum(removedList, (x) => x.bytes),
    changedDeltaBytes: sum(changed, (x) => x.sizeAfter - x.sizeBefore),
    netBytes: after.onDiskBytes - before.onDiskBytes,
    wasted: composer.wasted.slice(wastedBefore),
  };
}
