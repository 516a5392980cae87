import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { composeFilesystem, layerChanges } from '../../src/core/filesystem';
import { listDirectory } from '../../src/core/fileTree';
import type { ComposedFilesystem, FileEntry, LayerIndex } from '../../src/core/layerIndex';

const file = (path: string, size: number, mode = 0o644): FileEntry => ({ path, type: 'file', size, mode });
const dir = (path: string, mode = 0o755): FileEntry => ({ path, type: 'dir', size: 0, mode });
const whiteout = (path: string): FileEntry => ({ path, type: 'whiteout', size: 0, mode: 0 });
const opaque = (path: string): FileEntry => ({ path, type: 'opaque', size: 0, mode: 0 });
const symlink = (path: string, linkTarget: string, size = 0): FileEntry => ({ path, type: 'symlink', size, mode: 0o777, linkTarget });
const hardlink = (path: string, linkTarget: string): FileEntry => ({ path, type: 'hardlink', size: 0, mode: 0o755, linkTarget });
const layer = (entries: FileEntry[], uncompressedBytes = 10_240): Pick<LayerIndex, 'entries' | 'uncompressedBytes'> => ({ entries, uncompressedBytes });

/** path → [type, size, layer], the part of `files` most tests check. */
const shape = (fs: ComposedFilesystem) => Object.fromEntries([...fs.files].map(([p, e]) => [p, [e.type, e.size, e.layer]]));

describe('composeFilesystem', () => {
  it('composes nothing from no layers: empty, and dive scores it 1', () => {
    const fs = composeFilesystem([]);
    expect(fs.files.size).toBe(0);
    expect(fs).toMatchObject({ onDiskBytes: 0, shippedBytes: 0, wastedBytes: 0, wasted: [], efficiency: 1, diveWastedBytes: 0 });
  });

  it('creates implied parent directories (mode 0o755, the layer that implied them) and sums shipped tar bytes', () => {
    const fs = composeFilesystem([layer([file('usr/bin/app', 100)], 2048), layer([file('usr/bin/tool', 30)], 1536)]);
    expect(shape(fs)).toEqual({ usr: ['dir', 0, 0], 'usr/bin': ['dir', 0, 0], 'usr/bin/app': ['file', 100, 0], 'usr/bin/tool': ['file', 30, 1] });
    expect(fs.files.get('usr')).toEqual({ path: 'usr', type: 'dir', size: 0, mode: 0o755, layer: 0 });
    expect(fs.onDiskBytes).toBe(130);
    expect(fs.shippedBytes).toBe(2048 + 1536);
    expect(fs.wastedBytes).toBe(0);
  });

  it('a file replaced in a later layer: the earlier version is wasted (replaced by layer 1), only it, not the kept copy as dive counts', () => {
    const fs = composeFilesystem([layer([dir('etc'), file('etc/app.conf', 100)]), layer([dir('etc'), file('etc/app.conf', 150)])]);
    expect(fs.files.get('etc/app.conf')).toMatchObject({ type: 'file', size: 150, layer: 1 });
    expect(fs.onDiskBytes).toBe(150);
    expect(fs.wasted).toEqual([{ path: 'etc/app.conf', layer: 0, bytes: 100, by: 'replaced', byLayer: 1 }]);
    expect(fs.wastedBytes).toBe(100);
    // dive: etc/app.conf visited in both layers, cumulative 100 + 150 = 250, min 100 → 100 / 250; its wasted is the 250 (dive#684).
    expect(fs.efficiency).toBeCloseTo(0.4, 12);
    expect(fs.diveWastedBytes).toBe(250);
  });

  it('a directory deleted by a whiteout in a later layer: everything under it is wasted (deleted by that layer)', () => {
    const fs = composeFilesystem([
      layer([dir('opt'), dir('opt/app'), file('opt/app/a', 10), dir('opt/app/lib'), file('opt/app/lib/b', 20), file('opt/keep', 5)]),
      layer([dir('opt'), whiteout('opt/app')]),
    ]);
    expect(Object.keys(shape(fs)).sort()).toEqual(['opt', 'opt/keep']);
    expect(fs.onDiskBytes).toBe(5);
    expect(fs.wasted).toEqual(
      expect.arrayContaining([
        { path: 'opt/app/a', layer: 0, bytes: 10, by: 'deleted', byLayer: 1 },
        { path: 'opt/app/lib/b', layer: 0, bytes: 20, by: 'deleted', byLayer: 1 },
      ]),
    );
    expect(fs.wasted).toHaveLength(2);
    expect(fs.wastedBytes).toBe(30);
  });

  it('an opaque directory hides every lower child but keeps its own layer entries, wherever the marker sits in the tar', () => {
    const lower = layer([dir('etc'), file('etc/a', 10), dir('etc/sub'), file('etc/sub/b', 20), file('top', 1)]);
    for (const upper of [
      [dir('etc'), opaque('etc'), file('etc/c', 7)],
      [dir('etc'), file('etc/c', 7), opaque('etc')],
    ]) {
      const fs = composeFilesystem([lower, layer(upper)]);
      expect(shape(fs)).toEqual({ etc: ['dir', 0, 1], 'etc/c': ['file', 7, 1], top: ['file', 1, 0] });
      expect(fs.onDiskBytes).toBe(8);
      expect(fs.wastedBytes).toBe(30);
      expect(fs.wasted.map((w) => [w.path, w.by, w.byLayer]).sort()).toEqual([
        ['etc/a', 'deleted', 1],
        ['etc/sub/b', 'deleted', 1],
      ]);
    }
  });

  it('hardlinks share their target inode: counted once, size 0 on the link', () => {
    const fs = composeFilesystem([layer([dir('bin'), file('bin/busybox', 1000), hardlink('bin/sh', 'bin/busybox'), hardlink('bin/ls', 'bin/busybox')])]);
    expect(fs.onDiskBytes).toBe(1000);
    expect(fs.files.get('bin/sh')).toEqual({ path: 'bin/sh', type: 'hardlink', size: 0, mode: 0o755, layer: 0, linkTarget: 'bin/busybox' });
    expect(listDirectory(fs, 'bin')).toMatchObject({ ok: true, size: 1000, files: 3 });
  });

  it('a hardlink keeps its content when the target path is deleted (not wasted); the first remaining path in code-unit order becomes the regular file', () => {
    const base = layer([dir('bin'), file('bin/busybox', 1000), hardlink('bin/sh', 'bin/busybox'), hardlink('bin/ls', 'bin/busybox')]);
    const fs = composeFilesystem([base, layer([whiteout('bin/busybox')])]);
    expect(fs.onDiskBytes).toBe(1000);
    expect(fs.wasted).toEqual([]);
    expect(fs.files.get('bin/ls')).toMatchObject({ type: 'file', size: 1000, layer: 0 });
    expect(fs.files.get('bin/sh')).toMatchObject({ type: 'hardlink', size: 0, linkTarget: 'bin/ls' });

    // Once the last path goes, the content is wasted once, as the version shipped at bin/busybox in layer 0.
    const gone = composeFilesystem([base, layer([whiteout('bin/busybox')]), layer([whiteout('bin/ls'), whiteout('bin/sh')])]);
    expect(gone.onDiskBytes).toBe(0);
    expect(gone.wasted).toEqual([{ path: 'bin/busybox', layer: 0, bytes: 1000, by: 'deleted', byLayer: 2 }]);
  });

  it('a hardlink binds the inode its target held when extracted: replacing the target later keeps the old content on disk too', () => {
    const fs = composeFilesystem([layer([file('a', 1000), hardlink('b', 'a')]), layer([file('a', 1200)])]);
    // 1200 (new a) + 1000 (old inode, still linked at b)
    expect(fs.onDiskBytes).toBe(2200);
    expect(fs.wasted).toEqual([]);
    expect(shape(fs)).toEqual({ a: ['file', 1200, 1], b: ['file', 1000, 0] });
  });

  it('a hardlink whose target is missing or not a regular file stays a size-0 hardlink', () => {
    const fs = composeFilesystem([layer([dir('d'), hardlink('x', 'missing'), hardlink('y', 'd')])]);
    expect(shape(fs)).toEqual({ d: ['dir', 0, 0], x: ['hardlink', 0, 0], y: ['hardlink', 0, 0] });
    expect(fs.files.get('x')?.linkTarget).toBe('missing');
    expect(fs.onDiskBytes).toBe(0);
  });

  it('symlinks count 0 bytes (whatever size the index says) and keep their target as written', () => {
    const fs = composeFilesystem([layer([dir('usr/lib'), file('usr/lib/libz.so.1.3', 500), symlink('usr/lib/libz.so.1', 'libz.so.1.3', 11)])]);
    expect(fs.files.get('usr/lib/libz.so.1')).toMatchObject({ type: 'symlink', size: 0, linkTarget: 'libz.so.1.3' });
    expect(fs.onDiskBytes).toBe(500);
  });

  it('an empty layer (ENV, WORKDIR on an existing dir) changes nothing but the shipped bytes', () => {
    const one = composeFilesystem([layer([file('a', 10)], 2048)]);
    const two = composeFilesystem([layer([file('a', 10)], 2048), layer([], 1024)]);
    expect(shape(two)).toEqual(shape(one));
    expect(two).toMatchObject({ onDiskBytes: 10, wastedBytes: 0, shippedBytes: 3072, efficiency: one.efficiency, diveWastedBytes: 0 });
  });

  it('a path repeated within one tar: the later header wins and the earlier copy, shipped too, is wasted by the same layer', () => {
    const fs = composeFilesystem([layer([file('a', 100), file('a', 60)])]);
    expect(fs.files.get('a')).toMatchObject({ size: 60, layer: 0 });
    expect(fs.onDiskBytes).toBe(60);
    expect(fs.wasted).toEqual([{ path: 'a', layer: 0, bytes: 100, by: 'replaced', byLayer: 0 }]);
  });

  it('a file replaced by a directory, with or without a header for the directory', () => {
    for (const upper of [[dir('x', 0o700), file('x/y', 5)], [file('x/y', 5)]]) {
      const fs = composeFilesystem([layer([file('x', 40)]), layer(upper)]);
      expect(shape(fs)).toEqual({ x: ['dir', 0, 1], 'x/y': ['file', 5, 1] });
      expect(fs.onDiskBytes).toBe(5);
      expect(fs.wasted).toEqual([{ path: 'x', layer: 0, bytes: 40, by: 'replaced', byLayer: 1 }]);
    }
  });

  it('a directory replaced by a file: its subtree goes too (deleted, not written again)', () => {
    const fs = composeFilesystem([layer([dir('x'), file('x/a', 10), dir('x/d'), file('x/d/b', 20)]), layer([file('x', 3)])]);
    expect(shape(fs)).toEqual({ x: ['file', 3, 1] });
    expect(fs.onDiskBytes).toBe(3);
    expect(fs.wasted.map((w) => [w.path, w.bytes, w.by, w.byLayer]).sort()).toEqual([
      ['x/a', 10, 'deleted', 1],
      ['x/d/b', 20, 'deleted', 1],
    ]);
  });

  it('a whiteout of a path that does not exist below has no effect', () => {
    const lower = layer([dir('etc'), file('etc/a', 10)]);
    const base = composeFilesystem([lower]);
    for (const w of [whiteout('ghost'), whiteout('etc/ghost'), whiteout('etc/a/inside-a-file')]) {
      const fs = composeFilesystem([lower, layer([w])]);
      expect(shape(fs)).toEqual(shape(base));
      expect(fs).toMatchObject({ onDiskBytes: 10, wastedBytes: 0 });
    }
  });

  it('a whiteout in a directory that does not exist creates the directory, as extractors do before handling the entry', () => {
    const fs = composeFilesystem([layer([file('a', 1)]), layer([whiteout('var/cache/x')])]);
    expect(shape(fs)).toEqual({ a: ['file', 1, 0], var: ['dir', 0, 1], 'var/cache': ['dir', 0, 1] });
  });

  it('whiteouts apply to lower layers only: a whiteout and a new entry at its path in one layer keep the new entry', () => {
    const lower = layer([dir('app'), file('app/old', 50)]);
    const recreated = composeFilesystem([lower, layer([whiteout('app'), dir('app'), file('app/new', 70)])]);
    expect(shape(recreated)).toEqual({ app: ['dir', 0, 1], 'app/new': ['file', 70, 1] });
    expect(recreated.wasted).toEqual([{ path: 'app/old', layer: 0, bytes: 50, by: 'deleted', byLayer: 1 }]);

    const sameLayer = composeFilesystem([lower, layer([file('app/new', 70), whiteout('app/new')])]);
    expect(sameLayer.onDiskBytes).toBe(50 + 70);
    expect(sameLayer.wasted).toEqual([]);
  });

  it('a directory header over a directory replaces its attributes and keeps its children', () => {
    const fs = composeFilesystem([layer([dir('etc'), file('etc/a', 1)]), layer([dir('etc', 0o700)])]);
    expect(fs.files.get('etc')).toMatchObject({ type: 'dir', mode: 0o700, layer: 1 });
    expect(fs.files.get('etc/a')).toMatchObject({ type: 'file', size: 1, layer: 0 });
  });

  it('composes 100,000 entries correctly (figures by construction, not timed)', () => {
    // Layer 0: 100 directories × 1,000 files of 10 bytes. Layer 1: whiteouts for d0..d49, d50's files rewritten at 20 bytes.
    const base: FileEntry[] = [];
    for (let d = 0; d < 100; d++) {
      base.push(dir(`data/d${d}`));
      for (let f = 0; f < 1000; f++) base.push(file(`data/d${d}/f${f}`, 10));
    }
    const upper: FileEntry[] = [];
    for (let d = 0; d < 50; d++) upper.push(whiteout(`data/d${d}`));
    for (let f = 0; f < 1000; f++) upper.push(file(`data/d50/f${f}`, 20));
    const fs = composeFilesystem([layer(base, 60_000_000), layer(upper, 1_000_000)]);

    expect(base).toHaveLength(100_100);
    // 50 dirs × 1,000 × 10 − 1,000 × 10 (d50's old versions) + 1,000 × 20
    expect(fs.onDiskBytes).toBe(510_000);
    // 50 × 1,000 × 10 deleted + 1,000 × 10 replaced
    expect(fs.wastedBytes).toBe(510_000);
    expect(fs.wasted.filter((w) => w.by === 'deleted')).toHaveLength(50_000);
    expect(fs.wasted.filter((w) => w.by === 'replaced')).toHaveLength(1000);
    // data + 50 dirs + 50,000 files
    expect(fs.files.size).toBe(1 + 50 + 50_000);
    expect(fs.shippedBytes).toBe(61_000_000);
    // dive: Σ min = 100,000 × 10 + 50 whiteouts × 10,000 (each an explicit dir's subtree); Σ cumulative adds d50's 1,000 × 20 → 1,500,000 / 1,520,000.
    expect(fs.efficiency).toBeCloseTo(1_500_000 / 1_520_000, 12);
    // dive wasted: d50's 1,000 files visited twice, 10 + 20 each.
    expect(fs.diveWastedBytes).toBe(30_000);
    const data = listDirectory(fs, 'data');
    expect(data).toMatchObject({ ok: true, size: 510_000, files: 50_000, total: 50 });
    expect(data.ok && data.children.slice(0, 2).map((c) => [c.name, c.size, c.files, c.layer])).toEqual([
      ['d50', 20_000, 1000, 1],
      ['d51', 10_000, 1000, 0],
    ]);
  });
});

describe('layerChanges', () => {
  const layers = [
    layer([
      dir('etc'),
      file('etc/app.conf', 100),
      file('etc/hosts', 5),
      dir('var'),
      dir('var/cache'),
      file('var/cache/a', 300),
      file('var/cache/b', 200),
      dir('opt'),
      file('opt/x', 40),
      dir('lib'),
      file('lib/old.so', 70),
      dir('srv'),
      file('srv/s', 9),
    ]),
    layer([
      dir('etc'), // the parent header every tar repeats: not a change
      file('etc/app.conf', 160), // changed 100 → 160
      whiteout('var/cache'), // removed 500 bytes, 2 files
      whiteout('ghost'), // nothing to remove: not listed
      file('opt/x', 40), // written again, same size: still a change
      file('lib', 1), // a directory replaced by a file: lib/old.so removed
      dir('srv', 0o700), // same directory, new mode: a change
      opaque('srv'), // srv/s removed
      file('new/bin', 25), // added, with its implied parent
    ]),
  ];

  it('lists what the layer added, changed and removed against the filesystem below it, with bytes', () => {
    const c = layerChanges(layers, 1);
    expect(c.layer).toBe(1);
    expect(c.added).toEqual([
      { path: 'new/bin', type: 'file', size: 25 },
      { path: 'new', type: 'dir', size: 0 },
    ]);
    expect(c.changed).toEqual([
      { path: 'etc/app.conf', type: 'file', typeBefore: 'file', sizeBefore: 100, sizeAfter: 160 },
      { path: 'lib', type: 'file', typeBefore: 'dir', sizeBefore: 0, sizeAfter: 1 },
      { path: 'opt/x', type: 'file', typeBefore: 'file', sizeBefore: 40, sizeAfter: 40 },
      { path: 'srv', type: 'dir', typeBefore: 'dir', sizeBefore: 0, sizeAfter: 0 },
    ]);
    expect(c.removed).toEqual([
      { path: 'var/cache', by: 'whiteout', type: 'dir', bytes: 500, files: 2 },
      { path: 'lib', by: 'replaced', type: 'dir', bytes: 70, files: 1 },
      { path: 'srv', by: 'opaque', type: 'dir', bytes: 9, files: 1 },
    ]);
    expect(c).toMatchObject({ addedBytes: 25, removedBytes: 579, changedDeltaBytes: 61 });
    // before: 100 + 5 + 300 + 200 + 40 + 70 + 9 = 724; after: 160 + 5 + 40 + 1 + 25 = 231
    expect(c.netBytes).toBe(231 - 724);
    expect(c.netBytes).toBe(c.addedBytes + c.changedDeltaBytes - c.removedBytes);
    expect(c.wasted.map((w) => [w.path, w.bytes, w.by]).sort()).toEqual([
      ['etc/app.conf', 100, 'replaced'],
      ['lib/old.so', 70, 'deleted'],
      ['opt/x', 40, 'replaced'],
      ['srv/s', 9, 'deleted'],
      ['var/cache/a', 300, 'deleted'],
      ['var/cache/b', 200, 'deleted'],
    ]);
  });

  it('layer 0 adds everything it holds', () => {
    const c = layerChanges(layers, 0);
    expect(c.added).toHaveLength(13);
    expect(c).toMatchObject({ changed: [], removed: [], addedBytes: 724, removedBytes: 0, netBytes: 724 });
  });

  it('a whiteout whose directory the layer creates again: what went is in removed, what came in added', () => {
    const c = layerChanges([layer([dir('app'), file('app/old', 50)]), layer([whiteout('app'), dir('app'), file('app/new', 70)])], 1);
    expect(c.removed).toEqual([{ path: 'app', by: 'whiteout', type: 'dir', bytes: 50, files: 1 }]);
    expect(c.added).toEqual([{ path: 'app/new', type: 'file', size: 70 }]);
    expect(c.changed).toEqual([]); // app: a directory again, same mode
    expect(c.netBytes).toBe(20);
  });

  it('rejects a layer that is not in the stack', () => {
    expect(() => layerChanges(layers, 2)).toThrow(RangeError);
    expect(() => layerChanges(layers, -1)).toThrow(RangeError);
  });
});

// Random stacks over a small namespace, so that paths collide, nest, replace each other and get deleted.
const NAMES = ['a', 'b', 'c'];
const pathArb = fc.array(fc.constantFrom(...NAMES), { minLength: 1, maxLength: 3 }).map((s) => s.join('/'));
const entryArb: fc.Arbitrary<FileEntry> = fc.oneof(
  { weight: 5, arbitrary: fc.tuple(pathArb, fc.integer({ min: 0, max: 1000 })).map(([p, s]) => file(p, s)) },
  { weight: 2, arbitrary: pathArb.map((p) => dir(p)) },
  { weight: 2, arbitrary: pathArb.map((p) => whiteout(p)) },
  { weight: 1, arbitrary: pathArb.map((p) => opaque(p)) },
  { weight: 1, arbitrary: fc.tuple(pathArb, pathArb).map(([p, t]) => symlink(p, t)) },
  { weight: 2, arbitrary: fc.tuple(pathArb, pathArb).map(([p, t]) => hardlink(p, t)) },
);
const stackArb = fc.array(
  fc.array(entryArb, { maxLength: 12 }).map((entries) => layer(entries, 512)),
  { minLength: 1, maxLength: 5 },
);
const shippedFileBytes = (layers: Array<Pick<LayerIndex, 'entries'>>) =>
  layers.flatMap((l) => l.entries).reduce((s, e) => s + (e.type === 'file' ? e.size : 0), 0);

describe('composeFilesystem properties', () => {
  it('every regular-file version shipped is either on disk or wasted, exactly once (hardlinks included)', () => {
    fc.assert(
      fc.property(stackArb, (layers) => {
        const fs = composeFilesystem(layers);
        expect(fs.onDiskBytes + fs.wastedBytes).toBe(shippedFileBytes(layers));
        expect(fs.wastedBytes).toBe(fs.wasted.reduce((s, w) => s + w.bytes, 0));
        for (const w of fs.wasted) expect(w.byLayer).toBeGreaterThanOrEqual(w.layer);
      }),
      { numRuns: 500 },
    );
  });

  it('onDiskBytes is Σ of the regular files in `files`; every other entry is 0 bytes; every parent is a directory in `files`', () => {
    fc.assert(
      fc.property(stackArb, (layers) => {
        const fs = composeFilesystem(layers);
        let sum = 0;
        for (const [path, e] of fs.files) {
          expect(e.path).toBe(path);
          if (e.type === 'file') sum += e.size;
          else expect(e.size).toBe(0);
          const parent = path.includes('/') ? path.slice(0, path.lastIndexOf('/')) : undefined;
          if (parent !== undefined) expect(fs.files.get(parent)?.type).toBe('dir');
        }
        expect(fs.onDiskBytes).toBe(sum);
        const root = listDirectory(fs, '/');
        expect(root.ok && root.size).toBe(fs.onDiskBytes);
      }),
      { numRuns: 500 },
    );
  });

  it("dive's efficiency is at most 1, and in [0, 1] whenever every whiteout deletes something that exists below it", () => {
    fc.assert(
      fc.property(stackArb, (layers) => {
        const fs = composeFilesystem(layers);
        expect(fs.efficiency).toBeLessThanOrEqual(1);
        const everyWhiteoutHits = layers.every((l, i) => {
          const below = composeFilesystem(layers.slice(0, i)).files;
          return l.entries.every((e) => e.type !== 'whiteout' || below.has(e.path));
        });
        if (everyWhiteoutHits) expect(fs.efficiency).toBeGreaterThanOrEqual(0);
      }),
      { numRuns: 500 },
    );
  });

  it("each layer's changes add up to the change of onDiskBytes it made", () => {
    fc.assert(
      fc.property(stackArb, (layers) => {
        for (let i = 0; i < layers.length; i++) {
          const c = layerChanges(layers, i);
          const net = composeFilesystem(layers.slice(0, i + 1)).onDiskBytes - composeFilesystem(layers.slice(0, i)).onDiskBytes;
          expect(c.netBytes).toBe(net);
          expect(c.addedBytes + c.changedDeltaBytes - c.removedBytes).toBe(net);
        }
      }),
      { numRuns: 300 },
    );
  });
});
