import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { diveEfficiency } from '../../src/core/diveEfficiency';
import { composeFilesystem } from '../../src/core/filesystem';
import type { FileEntry } from '../../src/core/layerIndex';

// One test per rule of dive's Efficiency (wagoodman/dive dive/filetree/efficiency.go); the figures are worked out by hand.
const file = (path: string, size: number): FileEntry => ({ path, type: 'file', size, mode: 0o644 });
const dir = (path: string): FileEntry => ({ path, type: 'dir', size: 0, mode: 0o755 });
const whiteout = (path: string): FileEntry => ({ path, type: 'whiteout', size: 0, mode: 0 });
const opaque = (path: string): FileEntry => ({ path, type: 'opaque', size: 0, mode: 0 });
const hardlink = (path: string, linkTarget: string): FileEntry => ({ path, type: 'hardlink', size: 0, mode: 0o644, linkTarget });
const stack = (...layers: FileEntry[][]) => layers.map((entries) => ({ entries }));

describe('diveEfficiency', () => {
  it("reproduces dive's own TestEfficency: 0.75, nginx.conf 7000 (a whiteout of a directory no header declared counts 0)", () => {
    const result = diveEfficiency(
      stack(
        [file('etc/nginx/nginx.conf', 2000), file('etc/nginx/public', 3000)],
        [file('etc/nginx/nginx.conf', 5000), file('etc/athing', 10000)],
        [whiteout('etc/nginx')],
      ),
    );
    // Σ min = 2000 + 3000 + 10000 + 0 (etc/nginx) = 15000; Σ cumulative = 7000 + 3000 + 10000 + 0 = 20000.
    expect(result.efficiency).toBe(0.75);
    expect(result.inefficiencies).toEqual([{ path: 'etc/nginx/nginx.conf', count: 2, cumulativeSize: 7000 }]);
    expect(result.wastedBytes).toBe(7000);
  });

  it("reproduces dive's TestEfficency_ScratchImage: a lone 0-byte file scores 1", () => {
    expect(diveEfficiency(stack([file('nothing', 0)], [], []))).toEqual({ efficiency: 1, wastedBytes: 0, inefficiencies: [] });
  });

  it('scores 1 when nothing is counted: no layers, or only 0-byte paths', () => {
    expect(diveEfficiency([]).efficiency).toBe(1);
    expect(diveEfficiency(stack([dir('tmp')], [dir('tmp')])).efficiency).toBe(1);
  });

  it('visits only the leaves of each layer: a directory with children in that layer is no path; an empty one is, with 0 bytes', () => {
    // etc has children in both layers: never counted. tmp is empty in both: a path seen twice, 0 bytes (dive's "2  0 B  /root" lines).
    const result = diveEfficiency(stack([dir('etc'), file('etc/a', 100), dir('tmp')], [dir('etc'), file('etc/b', 50), dir('tmp')]));
    expect(result.efficiency).toBe(1); // (100 + 50 + 0) / (100 + 50 + 0)
    expect(result.inefficiencies).toEqual([{ path: 'tmp', count: 2, cumulativeSize: 0 }]);
    expect(result.wastedBytes).toBe(0);
  });

  it('sums every version of a path as its cumulative size and keeps the smallest; wasted is the cumulative size, kept copy included', () => {
    const layers = stack([file('a', 100)], [file('a', 300)], [file('a', 200)], [file('b', 400)]);
    const result = diveEfficiency(layers);
    // a: cumulative 600, min 100; b: 400 / 400 → (100 + 400) / (600 + 400)
    expect(result.efficiency).toBe(0.5);
    expect(result.wastedBytes).toBe(600);
    // This service's figure: the two versions not kept, 100 + 300.
    expect(composeFilesystem(layers.map((l) => ({ ...l, uncompressedBytes: 0 }))).wastedBytes).toBe(400);
  });

  it("a whiteout of a file counts 0: the file's min becomes 0, its size stays in the cumulative", () => {
    const result = diveEfficiency(stack([file('a', 100), file('b', 300)], [whiteout('a')]));
    // a: 100 + 0, min 0; b: 300 / 300 → 300 / 400
    expect(result.efficiency).toBe(0.75);
    expect(result.inefficiencies).toEqual([{ path: 'a', count: 2, cumulativeSize: 100 }]);
  });

  it("a whiteout of a directory counts the directory's whole subtree under the directory's own path, on both sides", () => {
    const result = diveEfficiency(stack([dir('app'), file('app/x', 100), file('app/y', 200), file('keep', 100)], [whiteout('app')]));
    // app (a leaf of layer 1 only): 300 / 300; x, y, keep as shipped → (300 + 100 + 200 + 100) / same
    expect(result.efficiency).toBe(1);
    expect(result.inefficiencies).toEqual([]);
  });

  it("whether a whiteout's path is a directory is the latest header's word: a later layer naming it only as a parent makes it not one", () => {
    const base = [dir('etc'), dir('etc/nginx'), file('etc/nginx/nginx.conf', 2000), file('etc/nginx/public', 3000)];
    // Layer 1 declares etc/nginx again: the whiteout counts nginx.conf 5000 + public 3000 = 8000 under etc/nginx.
    const declared = diveEfficiency(
      stack(base, [dir('etc'), dir('etc/nginx'), file('etc/nginx/nginx.conf', 5000), file('etc/athing', 10000)], [whiteout('etc/nginx')]),
    );
    // Σ min = 2000 + 3000 + 10000 + 8000; Σ cumulative = 7000 + 3000 + 10000 + 8000
    expect(declared.efficiency).toBe(23000 / 28000);
    // Layer 1 writes into etc/nginx without its header: dive's stacked node gets an empty FileInfo and the whiteout counts 0.
    const implied = diveEfficiency(stack(base, [file('etc/nginx/nginx.conf', 5000), file('etc/athing', 10000)], [whiteout('etc/nginx')]));
    expect(implied.efficiency).toBe(15000 / 20000);
  });

  it('a whiteout of a path missing below enters Σ min as -1 and ends its layer: the leaves after it in Go string order are never visited', () => {
    // Layer 1 in dive's order: `.wh.ghost` (fails) before `zz`, which is never visited: Σ min = 100 − 1, Σ cumulative = 100.
    expect(diveEfficiency(stack([file('a', 100)], [whiteout('ghost'), file('zz', 50)])).efficiency).toBe(99 / 100);
    // `-a` sorts before `.wh.ghost` ('-' < '.'), so it is visited: Σ min = 100 + 50 − 1, Σ cumulative = 150.
    expect(diveEfficiency(stack([file('a', 100)], [whiteout('ghost'), file('-a', 50)])).efficiency).toBe(149 / 150);
    // A later visit of the path replaces the -1 (min < 0 is "not yet seen"): ghost 10 / 10, zz still unvisited → 110 / 110.
    expect(diveEfficiency(stack([file('a', 100)], [whiteout('ghost'), file('zz', 50)], [file('ghost', 10)])).efficiency).toBe(1);
    // So dive's score can even go below 0: a: 1 + 0, min 0; ghost: -1 → -1 / 1.
    expect(diveEfficiency(stack([file('a', 1)], [file('a', 0)], [whiteout('ghost')])).efficiency).toBe(-1);
  });

  it('ignores opaque markers: the lower children stay in its tree, and the opaque directory alone in a layer is a 0-byte leaf', () => {
    // Layer 1 re-creates etc with c: etc is no leaf there; a, b, c counted once each.
    const result = diveEfficiency(stack([dir('etc'), file('etc/a', 100), file('etc/b', 200)], [dir('etc'), opaque('etc'), file('etc/c', 50)]));
    expect(result).toEqual({ efficiency: 1, wastedBytes: 0, inefficiencies: [] });
    // Layer 1 is only the marker: etc is a leaf (0 bytes). Layer 2 deletes etc/a, which dive still has: a's min becomes 0.
    // Σ min = 0 (a) + 200 (b) + 0 (etc); Σ cumulative = 100 + 200 + 0.
    const later = diveEfficiency(stack([dir('etc'), file('etc/a', 100), file('etc/b', 200)], [opaque('etc')], [whiteout('etc/a')]));
    expect(later.efficiency).toBe(200 / 300);
  });

  it('counts a path repeated within one tar once, with the last header', () => {
    expect(diveEfficiency(stack([file('a', 100), file('a', 60)]))).toEqual({ efficiency: 1, wastedBytes: 0, inefficiencies: [] });
  });

  it("keeps a directory's children when a file is written over it, so a later whiteout of one still finds it", () => {
    // Layer 1's x is a leaf: 5 / 5. Layer 2 deletes x/a, still in dive's tree as a file: a is 100 + 0, min 0 → 5 / 105.
    const result = diveEfficiency(stack([dir('x'), file('x/a', 100)], [file('x', 5)], [whiteout('x/a')]));
    expect(result.efficiency).toBe(5 / 105);
    expect(result.inefficiencies).toEqual([{ path: 'x/a', count: 2, cumulativeSize: 100 }]);
  });

  it('counts hardlinks as their 0-byte headers', () => {
    expect(diveEfficiency(stack([file('a', 100), hardlink('b', 'a')], [hardlink('b', 'a')]))).toEqual({
      efficiency: 1,
      wastedBytes: 0,
      inefficiencies: [{ path: 'b', count: 2, cumulativeSize: 0 }],
    });
  });

  it('resolves a whiteout in the first layer against that layer itself (StackTreeRange starts from a copy of it)', () => {
    // Layer 0 holds a and .wh.a: the lookup finds a (a file) → 0; a is 10 + 0, min 0.
    expect(diveEfficiency(stack([file('a', 10), whiteout('a')])).efficiency).toBe(0);
  });

  it('lists inefficiencies largest first', () => {
    const result = diveEfficiency(stack([file('s', 1), file('l', 10)], [file('s', 2), file('l', 20)]));
    expect(result.inefficiencies.map((x) => [x.path, x.cumulativeSize])).toEqual([
      ['l', 30],
      ['s', 3],
    ]);
  });
});

/**
 * A literal port of dive's Go (efficiency.go, file_tree.go, file_node.go), re-stacking the lower layers for every
 * whiteout as StackTreeRange does: slow, and the reference the implementation's shortcuts are checked against.
 */
interface GoNode {
  name: string;
  parent?: GoNode;
  info: { size: number; isDir: boolean };
  children: Map<string, GoNode>;
}
const goNode = (name: string, parent?: GoNode, info = { size: 0, isDir: false }): GoNode => ({
  name,
  info,
  children: new Map(),
  ...(parent ? { parent } : {}),
});
const goSorted = (node: GoNode) => [...node.children.keys()].sort(); // ASCII names: code-unit order is Go's byte order
function goPath(node: GoNode): string {
  const names: string[] = [];
  for (let n: GoNode | undefined = node; n?.parent; n = n.parent) names.unshift(n === node ? n.name.replace(/^\.wh\./, '') : n.name);
  return names.join('/');
}
function goAddPath(root: GoNode, path: string, info: GoNode['info']): void {
  const names = path.split('/').filter((n) => n !== '');
  let node = root;
  for (const [idx, name] of names.entries()) {
    const existing = node.children.get(name);
    if (existing) node = existing;
    else {
      if (name.startsWith('.wh..wh..')) return;
      const child = goNode(name, node);
      node.children.set(name, child);
      node = child;
    }
    if (idx === names.length - 1) node.info = info;
  }
}
function goGetNode(root: GoNode, path: string): GoNode | undefined {
  let node: GoNode | undefined = root;
  for (const name of path.split('/').filter((n) => n !== '')) node = node?.children.get(name);
  return node;
}
function goVisit(node: GoNode, visitor: (n: GoNode) => boolean, evaluator?: (n: GoNode) => boolean): boolean {
  for (const name of goSorted(node)) if (!goVisit(node.children.get(name)!, visitor, evaluator)) return false;
  if (!node.parent) return true;
  return evaluator && !evaluator(node) ? true : visitor(node);
}
function goCopy(node: GoNode, parent?: GoNode): GoNode {
  const copy = goNode(node.name, parent, node.info);
  for (const [name, child] of node.children) copy.children.set(name, goCopy(child, copy));
  return copy;
}
function goStack(lower: GoNode, upper: GoNode): void {
  goVisit(upper, (node) => {
    if (node.name.startsWith('.wh.')) {
      const target = goGetNode(lower, goPath(node));
      if (target?.parent) target.parent.children.delete(target.name);
    } else goAddPath(lower, goPath(node), node.info);
    return true;
  });
}
function goEfficiency(layers: Array<{ entries: FileEntry[] }>): { efficiency: number; wastedBytes: number } {
  const trees = layers.map(({ entries }) => {
    const root = goNode('');
    for (const e of entries) {
      const parent = e.path.includes('/') ? e.path.slice(0, e.path.lastIndexOf('/')) + '/' : '';
      if (e.type === 'opaque') goAddPath(root, `${e.path}/.wh..wh..opq`, { size: 0, isDir: false });
      else if (e.type === 'whiteout') goAddPath(root, `${parent}.wh.${e.path.slice(parent.length)}`, { size: e.size, isDir: false });
      else goAddPath(root, e.path, { size: e.size, isDir: e.type === 'dir' });
    }
    return root;
  });
  const data = new Map<string, { cumulative: number; min: number; count: number }>();
  trees.forEach((tree, current) => {
    goVisit(
      tree,
      (node) => {
        const path = goPath(node);
        if (!data.has(path)) data.set(path, { cumulative: 0, min: -1, count: 0 });
        const d = data.get(path)!;
        let size = 0;
        if (node.name.startsWith('.wh.')) {
          const stacked = goCopy(trees[0]!);
          for (let i = 0; i <= current - 1; i++) goStack(stacked, trees[i]!);
          const previous = goGetNode(stacked, path);
          if (!previous) return false;
          // VisitDepthChildFirst(sizer, nil): the node itself and everything beneath it.
          if (previous.info.isDir) goVisit(previous, (n) => ((size += n.info.size), true));
        } else size = node.info.size;
        d.cumulative += size;
        if (d.min < 0 || size < d.min) d.min = size;
        d.count++;
        return true;
      },
      (node) => node.children.size === 0,
    );
  });
  let min = 0;
  let cumulative = 0;
  let wastedBytes = 0;
  for (const d of data.values()) {
    min += d.min;
    cumulative += d.cumulative;
    if (d.count >= 2) wastedBytes += d.cumulative;
  }
  return { efficiency: cumulative === 0 ? 1 : min / cumulative, wastedBytes };
}

describe('diveEfficiency against a literal port of dive', () => {
  const segment = fc.constantFrom('a', 'b', '-c');
  const path = fc.array(segment, { minLength: 1, maxLength: 3 }).map((s) => s.join('/'));
  const entry: fc.Arbitrary<FileEntry> = fc.oneof(
    { weight: 4, arbitrary: fc.tuple(path, fc.integer({ min: 0, max: 1000 })).map(([p, n]) => file(p, n)) },
    { weight: 3, arbitrary: path.map(dir) },
    { weight: 3, arbitrary: path.map(whiteout) },
    { weight: 1, arbitrary: path.map(opaque) },
    { weight: 1, arbitrary: fc.tuple(path, path).map(([p, t]) => hardlink(p, t)) },
  );
  const layers = fc.array(
    fc.array(entry, { maxLength: 10 }).map((entries) => ({ entries })),
    { minLength: 1, maxLength: 5 },
  );

  it('gives the same score and wasted bytes on random stacks', () => {
    fc.assert(
      fc.property(layers, (stack) => {
        const { efficiency, wastedBytes } = diveEfficiency(stack);
        expect({ efficiency, wastedBytes }).toEqual(goEfficiency(stack));
      }),
      { numRuns: 2000 },
    );
  });
});
