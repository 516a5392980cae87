import type { FileEntry, LayerIndex } from './layerIndex';

/**
 * dive's image efficiency score and "potential wasted space", computed as dive computes them,
 * so the figures match what a team sees in `dive --ci` (lowestEfficiency, highestWastedBytes).
 *
 * A port of `Efficiency` in wagoodman/dive dive/filetree/efficiency.go (read at commit
 * 07ce9a283720ca41b6edf4e049855ff251325e15; identical logic at 6b659d9ef47c6bf8af9c704b166de0e1438db5cc),
 * with the parts of dive/filetree/file_tree.go (AddPath, Stack, StackTreeRange, GetNode),
 * file_node.go (VisitDepthChildFirst, IsWhiteout, IsLeaf, Path) and
 * dive/image/docker/image_archive.go (one tree per layer tar, one AddPath per header) it relies on:
 *
 * 1. Each layer is a tree of its tar's headers. Only its leaves are visited: a directory that
 *    has children in that layer is not counted, an empty one is (with its header size, 0).
 *    A path repeated in one tar is one node carrying the last header.
 * 2. Per path (a whiteout `.wh.x` counts under `x`): CumulativeSize = Σ sizes of its visits,
 *    minDiscoveredSize = the smallest; score = Σ min / Σ cumulative, 1.0 when Σ cumulative is 0.
 * 3. A whiteout's size is looked up in the lower layers stacked dive's way: a directory's node
 *    and everything under it summed (directory headers are 0); anything else, 0. So deleting a
 *    file lowers the score by its size (its min becomes 0), deleting a directory adds its size
 *    to both sides. "Directory" is the latest header's flag: a directory that only appeared as
 *    a parent of other entries has an empty FileInfo, IsDir false, and its deletion counts 0
 *    (dive's own TestEfficency relies on that: 0.75).
 * 4. A whiteout whose path is not in that stacked tree makes the visitor return an error: the
 *    path's entry stays with minDiscoveredSize -1 (it enters Σ min as -1) and the rest of that
 *    layer's leaves, in dive's visiting order, are never visited.
 * 5. Opaque markers (`.wh..wh..opq`) are never added to a tree: dive ignores them, in the score
 *    and when stacking (the lower children stay in its stacked tree).
 * 6. Stacking replaces a node's payload and keeps its children, so a file written over a
 *    directory keeps the directory's children in dive's stacked tree.
 * 7. "Wasted" is Σ CumulativeSize over the paths visited twice or more, the kept copy included
 *    (image/analysis.go; dive#684, fixes #685/#696 unmerged when read).
 *
 * The stacked tree is built once and stacked layer by layer instead of re-stacked per whiteout
 * (dive's O(layers × whiteouts)); the result is the same because the trees never change.
 */

export interface DiveInefficiency {
  /** In the contract's form (no leading `/`). */
  path: string;
  /** How many layers visited the path (2 or more). */
  count: number;
  cumulativeSize: number;
}

export interface DiveEfficiency {
  efficiency: number;
  wastedBytes: number;
  /** Largest cumulative size first (dive sorts ascending and shows the list from the end). */
  inefficiencies: DiveInefficiency[];
}

const WHITEOUT_PREFIX = '.wh.';
const DOUBLE_WHITEOUT_PREFIX = '.wh..wh..';
const OPAQUE = '.wh..wh..opq';

/** A node's FileInfo as far as the score reads it; a node created only as a parent gets FileInfo{} (0, not a directory). */
interface DiveNode {
  size: number;
  isDir: boolean;
  /** Named `.wh.*`: stands for the path it deletes. */
  whiteout: boolean;
  /** Literal paths of the children (whiteout nodes keep their `.wh.` names). */
  children?: string[];
}

/** Nodes by literal path; the root is ''. */
type Tree = Map<string, DiveNode>;

interface PathData {
  cumulative: number;
  min: number;
  count: number;
}

const parentOf = (path: string): string => {
  const k = path.lastIndexOf('/');
  return k < 0 ? '' : path.slice(0, k);
};
const nameOf = (path: string): string => path.slice(path.lastIndexOf('/') + 1);
const join = (parent: string, name: string): string => (parent === '' ? name : `${parent}/${name}`);
const isLeaf = (node: DiveNode): boolean => node.children === undefined || node.children.length === 0;

/** Go's sort.Strings order (UTF-8 bytes): UTF-16 code units, except surrogates sort above U+E000–U+FFFF. */
function compareGoStrings(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let k = 0; k < n; k++) {
    let x = a.charCodeAt(k);
    let y = b.charCodeAt(k);
    if (x !== y) {
      if (x >= 0xd800 && y >= 0xd800) {
        x = x >= 0xe000 ? x - 0x800 : x + 0x2000;
        y = y >= 0xe000 ? y - 0x800 : y + 0x2000;
      }
      return x - y;
    }
  }
  return a.length - b.length;
}

const byGoName = (paths: readonly string[]): string[] => [...paths].sort((a, b) => compareGoStrings(nameOf(a), nameOf(b)));

function newTree(): Tree {
  return new Map([['', { size: 0, isDir: false, whiteout: false }]]);
}

/**
 * FileTree.AddPath: missing parents are created with an empty FileInfo, a node named
 * `.wh..wh..*` is never created (nor anything beneath it), an existing node gets the new
 * payload and keeps its children.
 */
function addPath(tree: Tree, path: string, size: number, isDir: boolean): void {
  const existing = tree.get(path);
  if (existing) {
    existing.size = size;
    existing.isDir = isDir;
    return;
  }
  const k = path.lastIndexOf('/');
  const parentPath = k < 0 ? '' : path.slice(0, k);
  let parent = tree.get(parentPath);
  if (!parent) {
    addPath(tree, parentPath, 0, false);
    parent = tree.get(parentPath);
    if (!parent) return;
  }
  if (path.startsWith(DOUBLE_WHITEOUT_PREFIX, k + 1)) return;
  tree.set(path, { size, isDir, whiteout: path.startsWith(WHITEOUT_PREFIX, k + 1) });
  (parent.children ??= []).push(path);
}

/** FileTree.RemovePath; a missing path is dive's "path does not exist" failure, which Stack only logs. */
function removePath(tree: Tree, path: string): void {
  if (path === '' || !tree.has(path)) return;
  const siblings = tree.get(parentOf(path))!.children!;
  siblings.splice(siblings.indexOf(path), 1);
  const stack = [path];
  while (stack.length > 0) {
    const p = stack.pop()!;
    const children = tree.get(p)!.children;
    if (children) for (const c of children) stack.push(c);
    tree.delete(p);
  }
}

/** One layer's tree as dive's tar reader builds it: one AddPath per header, in archive order. */
function layerTree(entries: readonly FileEntry[]): Tree {
  const tree = newTree();
  for (const e of entries) {
    if (e.type === 'opaque') {
      // AddPath creates the parents, then refuses the `.wh..wh..opq` node itself.
      addPath(tree, join(e.path, OPAQUE), 0, false);
    } else if (e.type === 'whiteout') {
      addPath(tree, join(parentOf(e.path), WHITEOUT_PREFIX + nameOf(e.path)), e.size, false);
    } else {
      addPath(tree, e.path, e.size, e.type === 'dir');
    }
  }
  return tree;
}

function copyTree(tree: Tree): Tree {
  const copy: Tree = new Map();
  for (const [p, n] of tree) copy.set(p, { size: n.size, isDir: n.isDir, whiteout: n.whiteout, ...(n.children ? { children: [...n.children] } : {}) });
  return copy;
}

/** FileNode.Path(): a whiteout node stands for the path it deletes. */
function visitedPath(literal: string, node: DiveNode): string {
  if (!node.whiteout) return literal;
  const k = literal.lastIndexOf('/');
  return k < 0 ? literal.slice(WHITEOUT_PREFIX.length) : literal.slice(0, k + 1) + literal.slice(k + 1 + WHITEOUT_PREFIX.length);
}

/** What a leaf contributes, or undefined when GetNode fails on the stacked tree (the visitor's error). */
function leafSize(literal: string, node: DiveNode, stacked: Tree): number | undefined {
  if (!node.whiteout) return node.size;
  const path = visitedPath(literal, node);
  const previous = stacked.get(path);
  if (!previous) return undefined;
  if (!previous.isDir) return 0;
  let size = 0;
  const stack = [path];
  while (stack.length > 0) {
    const n = stacked.get(stack.pop()!)!;
    size += n.size;
    if (n.children) for (const c of n.children) stack.push(c);
  }
  return size;
}

/** Post-order, children in Go string order, as VisitDepthChildFirst walks. */
function sortedLeaves(tree: Tree): string[] {
  const out: string[] = [];
  const walk = (path: string): void => {
    const node = tree.get(path)!;
    if (!isLeaf(node)) for (const c of byGoName(node.children!)) walk(c);
    else if (path !== '') out.push(path);
  };
  walk('');
  return out;
}

function visitLayer(tree: Tree, stacked: Tree, data: Map<string, PathData>): void {
  const visit = (literal: string, node: DiveNode): boolean => {
    const path = visitedPath(literal, node);
    let d = data.get(path);
    if (!d) data.set(path, (d = { cumulative: 0, min: -1, count: 0 }));
    const size = leafSize(literal, node, stacked);
    if (size === undefined) return false;
    d.cumulative += size;
    if (d.min < 0 || size < d.min) d.min = size;
    d.count++;
    return true;
  };
  let fails = false;
  for (const [p, n] of tree) if (n.whiteout && !stacked.has(visitedPath(p, n))) fails = true;
  // Only a failing whiteout makes the order matter (it ends the layer's walk), so only then pay for dive's sort.
  if (fails) {
    for (const p of sortedLeaves(tree)) if (!visit(p, tree.get(p)!)) return;
  } else {
    for (const [p, n] of tree) if (p !== '' && isLeaf(n)) visit(p, n);
  }
}

/**
 * FileTree.Stack: every node of the upper tree, post-order, a whiteout removing its path and
 * anything else added. Sibling order only matters where a whiteout `.wh.x` and `x` share a
 * directory (what was added before the whiteout is removed with it), so only directories
 * holding a whiteout are sorted, and a layer without whiteouts is added in any order.
 */
function stack(lower: Tree, upper: Tree): void {
  if (![...upper.values()].some((n) => n.whiteout)) {
    for (const [p, n] of upper) if (p !== '') addPath(lower, p, n.size, n.isDir);
    return;
  }
  const walk = (path: string): void => {
    const node = upper.get(path)!;
    if (!isLeaf(node)) {
      const children = node.children!.some((c) => upper.get(c)!.whiteout) ? byGoName(node.children!) : node.children!;
      for (const c of children) walk(c);
    }
    if (path === '') return;
    if (node.whiteout) removePath(lower, visitedPath(path, node));
    else addPath(lower, path, node.size, node.isDir);
  };
  walk('');
}

export function diveEfficiency(layers: ReadonlyArray<Pick<LayerIndex, 'entries'>>): DiveEfficiency {
  const data = new Map<string, PathData>();
  if (layers.length > 0) {
    const first = layerTree(layers[0]!.entries);
    // StackTreeRange(trees, 0, i-1) starts from a copy of trees[0] and stacks trees[0..i-1] on it: for
    // layer 0 the copy alone, afterwards trees[0] once more, then each later layer. Stacking a tree
    // on its own copy changes nothing unless it holds whiteouts, so only then is the copy made.
    const selfDeleting = [...first.values()].some((n) => n.whiteout);
    const stacked = selfDeleting ? copyTree(first) : first;
    layers.forEach((layer, i) => {
      const tree = i === 0 ? first : layerTree(layer.entries);
      visitLayer(tree, stacked, data);
      if (i > 0 || selfDeleting) stack(stacked, tree);
    });
  }
  let minimum = 0;
  let discovered = 0;
  let wastedBytes = 0;
  const inefficiencies: DiveInefficiency[] = [];
  for (const [path, d] of data) {
    minimum += d.min;
    discovered += d.cumulative;
    if (d.count >= 2) {
      wastedBytes += d.cumulative;
      inefficiencies.push({ path, count: d.count, cumulativeSize: d.cumulative });
    }
  }
  inefficiencies.sort((a, b) => b.cumulativeSize - a.cumulativeSize || (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  return { efficiency: discovered === 0 ? 1 : minimum / discovered, wastedBytes, inefficiencies };
}
