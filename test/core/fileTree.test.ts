import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { composeFilesystem } from '../../src/core/filesystem';
import { diffFilesystems, listDirectory } from '../../src/core/fileTree';
import { normalizePath } from '../../src/core/layerIndex';
import type { FileEntry, FinalEntry } from '../../src/core/layerIndex';

const MB = 1_000_000;
const file = (path: string, size: number, mode = 0o644): FileEntry => ({ path, type: 'file', size, mode });
const dir = (path: string): FileEntry => ({ path, type: 'dir', size: 0, mode: 0o755 });
const whiteout = (path: string): FileEntry => ({ path, type: 'whiteout', size: 0, mode: 0 });
const symlink = (path: string, linkTarget: string): FileEntry => ({ path, type: 'symlink', size: 0, mode: 0o777, linkTarget });
const hardlink = (path: string, linkTarget: string): FileEntry => ({ path, type: 'hardlink', size: 0, mode: 0o755, linkTarget });
const compose = (...layers: FileEntry[][]) => composeFilesystem(layers.map((entries) => ({ entries, uncompressedBytes: 0 })));

describe('normalizePath', () => {
  it.each([
    ['/usr/lib/', 'usr/lib'],
    ['usr/lib', 'usr/lib'],
    ['./usr//lib/.', 'usr/lib'],
    ['usr/bin/../lib', 'usr/lib'],
    ['/', ''],
    ['', ''],
    ['.', ''],
    ['../..', ''],
  ])('%j → %j', (input, expected) => expect(normalizePath(input)).toBe(expected));
});

describe('listDirectory', () => {
  const fs = compose(
    [
      dir('usr'),
      dir('usr/lib'),
      file('usr/lib/libc.so', 2000),
      file('usr/lib/libm.so', 500),
      symlink('usr/lib/libc.so.6', 'libc.so'),
      dir('usr/bin'),
      file('usr/bin/bash', 1200),
      hardlink('usr/bin/sh', 'usr/bin/bash'),
      dir('etc'),
      file('etc/passwd', 10),
      dir('tmp'),
    ],
    [dir('usr'), dir('usr/lib'), file('usr/lib/libnew.so', 300), hardlink('usr/lib/bash-link', 'usr/bin/bash')],
    [file('etc/hostname', 5)],
  );

  it('lists the root: each child rolled up (Σ regular-file bytes, non-directory count, latest layer beneath), largest first', () => {
    expect(listDirectory(fs, '/')).toEqual({
      ok: true,
      path: '',
      // 2000 + 500 + 1200 + 300 + 10 + 5: bash once, though three paths name it
      size: 4015,
      files: 9,
      layer: 2,
      total: 3,
      children: [
        // usr: libc.so, libm.so, libc.so.6, libnew.so, bash-link, bash, sh; its own header is layer 1
        { name: 'usr', path: 'usr', type: 'dir', size: 4000, files: 7, layer: 1, mode: 0o755 },
        // etc's header is layer 0, etc/hostname layer 2
        { name: 'etc', path: 'etc', type: 'dir', size: 15, files: 2, layer: 2, mode: 0o755 },
        { name: 'tmp', path: 'tmp', type: 'dir', size: 0, files: 0, layer: 0, mode: 0o755 },
      ],
    });
  });

  it('lists a directory with files, symlinks and hardlinks: ties by name, a hardlink to content elsewhere adds 0', () => {
    const lib = listDirectory(fs, 'usr/lib');
    expect(lib).toMatchObject({ ok: true, path: 'usr/lib', size: 2800, files: 5, layer: 1 });
    expect(lib.ok && lib.children.map((c) => [c.name, c.type, c.size, c.layer, c.linkTarget])).toEqual([
      ['libc.so', 'file', 2000, 0, undefined],
      ['libm.so', 'file', 500, 0, undefined],
      ['libnew.so', 'file', 300, 1, undefined],
      ['bash-link', 'hardlink', 0, 1, 'usr/bin/bash'],
      ['libc.so.6', 'symlink', 0, 0, 'libc.so'],
    ]);
    expect(listDirectory(fs, 'usr/bin')).toMatchObject({ ok: true, size: 1200, files: 2 });
  });

  it("normalises the argument: '/usr/lib/', 'usr/lib', './usr//lib/.' are the same directory; '/' and '' the root", () => {
    const expected = listDirectory(fs, 'usr/lib');
    for (const p of ['/usr/lib/', './usr//lib/.', 'usr/bin/../lib']) expect(listDirectory(fs, p)).toEqual(expected);
    expect(listDirectory(fs, '')).toEqual(listDirectory(fs, '/'));
  });

  it('says why it cannot list: a path that does not exist, or one that is not a directory (symlinks are not followed)', () => {
    expect(listDirectory(fs, 'nope')).toEqual({ ok: false, path: 'nope', reason: 'not-found' });
    expect(listDirectory(fs, '/usr/lib/nope/')).toEqual({ ok: false, path: 'usr/lib/nope', reason: 'not-found' });
    expect(listDirectory(fs, 'etc/passwd')).toEqual({ ok: false, path: 'etc/passwd', reason: 'not-a-directory' });
    expect(listDirectory(fs, 'usr/lib/libc.so.6')).toEqual({ ok: false, path: 'usr/lib/libc.so.6', reason: 'not-a-directory' });
    expect(listDirectory(fs, 'usr/lib/libc.so.6/x')).toMatchObject({ ok: false, reason: 'not-found' });
  });

  it('returns at most `limit` children and says how many there are', () => {
    const top = listDirectory(fs, '/', { limit: 1 });
    expect(top.ok && [top.total, top.children.map((c) => c.name)]).toEqual([3, ['usr']]);
  });

  it('lists an empty root, and a files map without entries for parent directories', () => {
    expect(listDirectory(compose(), '/')).toEqual({ ok: true, path: '', size: 0, files: 0, layer: undefined, total: 0, children: [] });
    const files = new Map<string, FinalEntry>([['a/b/c', { path: 'a/b/c', type: 'file', size: 7, mode: 0o644, layer: 3 }]]);
    const a = listDirectory({ files }, 'a');
    expect(a.ok && a.children).toEqual([{ name: 'b', path: 'a/b', type: 'dir', size: 7, files: 1, layer: 3, mode: 0o755 }]);
  });

  it('rolls up consistently on random stacks: a directory is the sum of its children', () => {
    const names = fc.constantFrom('a', 'b', 'c');
    const path = fc.array(names, { minLength: 1, maxLength: 3 }).map((s) => s.join('/'));
    const entry: fc.Arbitrary<FileEntry> = fc.oneof(
      fc.tuple(path, fc.integer({ min: 0, max: 100 })).map(([p, n]) => file(p, n)),
      path.map(dir),
      path.map(whiteout),
      fc.tuple(path, path).map(([p, t]) => hardlink(p, t)),
    );
    fc.assert(
      fc.property(fc.array(fc.array(entry, { maxLength: 10 }), { minLength: 1, maxLength: 4 }), (layers) => {
        const composed = compose(...layers);
        const check = (p: string): void => {
          const listing = listDirectory(composed, p);
          if (!listing.ok) throw new Error(`${p}: ${listing.reason}`);
          expect(listing.size).toBe(listing.children.reduce((s, c) => s + c.size, 0));
          expect(listing.files).toBe(listing.children.reduce((s, c) => s + (c.type === 'dir' ? c.files : 1), 0));
          for (const c of listing.children) if (c.type === 'dir') check(c.path);
        };
        check('/');
        expect(listDirectory(composed, '/').ok && listDirectory(composed, '/')).toMatchObject({ size: composed.onDiskBytes });
      }),
      { numRuns: 300 },
    );
  });
});

describe('diffFilesystems', () => {
  const before = compose([
    file('usr/lib/gcc/12/cc1', 100 * MB),
    file('usr/lib/libstdc++.so', 2 * MB),
    file('usr/share/doc/a', MB),
    file('opt/old/big', 50 * MB),
    file('etc/conf', 1000),
  ]);
  const after = compose(
    [file('usr/lib/libstdc++.so', 2 * MB), file('usr/share/doc/a', MB, 0o600), file('etc/conf', 1000)],
    [file('usr/lib/gcc/12/cc1', 150 * MB), file('usr/lib/gcc/12/cc1plus', 120 * MB), file('usr/lib/gcc/13/lto1', 10 * MB), file('app/config', MB)],
    [file('etc/conf', 800), file('app/server', 5 * MB)],
  );

  it('lists directories rolled up where the change spreads out, and the files, each with the layer that wrote it', () => {
    const diff = diffFilesystems(before, after, { top: 10 });
    // before: 100 + 2 + 1 + 50 MB + 1000; after: 2 + 1 + 150 + 120 + 10 + 1 + 5 MB + 800
    expect(diff).toMatchObject({ beforeBytes: 153 * MB + 1000, afterBytes: 289 * MB + 800, deltaBytes: 136 * MB - 200 });
    // usr/lib/gcc: 12 (+170) and 13 (+10) both changed; usr/lib and usr only through gcc, so they are left out.
    expect(diff.grown).toEqual([
      { path: 'usr/lib/gcc', type: 'dir', change: 'grown', beforeBytes: 100 * MB, afterBytes: 280 * MB, deltaBytes: 180 * MB, layer: 1 },
      { path: 'usr/lib/gcc/12', type: 'dir', change: 'grown', beforeBytes: 100 * MB, afterBytes: 270 * MB, deltaBytes: 170 * MB, layer: 1 },
      { path: 'usr/lib/gcc/12/cc1', type: 'file', change: 'grown', beforeBytes: 100 * MB, afterBytes: 150 * MB, deltaBytes: 50 * MB, layer: 1 },
    ]);
    // app: config (layer 1, 1 MB) and server (layer 2, 5 MB): the layer that wrote most of it is 2. usr/lib/gcc/13 holds only lto1.
    expect(diff.added.map((c) => [c.path, c.type, c.deltaBytes, c.layer])).toEqual([
      ['usr/lib/gcc/12/cc1plus', 'file', 120 * MB, 1],
      ['usr/lib/gcc/13/lto1', 'file', 10 * MB, 1],
      ['app', 'dir', 6 * MB, 2],
      ['app/server', 'file', 5 * MB, 2],
      ['app/config', 'file', MB, 1],
    ]);
    // Not in `after`: no layer of it wrote it.
    expect(diff.removed).toEqual([{ path: 'opt/old/big', type: 'file', change: 'removed', beforeBytes: 50 * MB, afterBytes: 0, deltaBytes: -50 * MB }]);
    expect(diff.shrunk).toEqual([{ path: 'etc/conf', type: 'file', change: 'shrunk', beforeBytes: 1000, afterBytes: 800, deltaBytes: -200, layer: 2 }]);
    expect(diff.totals).toEqual({
      added: { count: 4, bytes: 136 * MB },
      removed: { count: 1, bytes: 50 * MB },
      grown: { count: 1, bytes: 50 * MB },
      shrunk: { count: 1, bytes: 200 },
      // usr/share/doc/a: same size, mode 0o644 → 0o600
      modified: 1,
    });
    const t = diff.totals;
    expect(t.added.bytes - t.removed.bytes + t.grown.bytes - t.shrunk.bytes).toBe(diff.deltaBytes);
  });

  it('keeps the top N of each list', () => {
    const diff = diffFilesystems(before, after, { top: 2 });
    expect(diff.grown.map((c) => c.path)).toEqual(['usr/lib/gcc', 'usr/lib/gcc/12']);
    expect(diff.added.map((c) => c.path)).toEqual(['usr/lib/gcc/12/cc1plus', 'usr/lib/gcc/13/lto1']);
    expect(diffFilesystems(before, after, { top: 0 }).grown).toEqual([]);
    expect(() => diffFilesystems(before, after, { top: -1 })).toThrow(RangeError);
  });

  it('lists every changed directory without collapse', () => {
    const diff = diffFilesystems(before, after, { top: 10, collapse: false });
    expect(diff.grown.map((c) => [c.path, c.deltaBytes])).toEqual([
      ['usr', 180 * MB],
      ['usr/lib', 180 * MB],
      ['usr/lib/gcc', 180 * MB],
      ['usr/lib/gcc/12', 170 * MB],
      ['usr/lib/gcc/12/cc1', 50 * MB],
    ]);
    expect(diff.removed.map((c) => c.path)).toEqual(['opt', 'opt/old', 'opt/old/big']);
    expect(diff.shrunk.map((c) => c.path)).toEqual(['etc', 'etc/conf']);
  });

  it("adds up on random pairs of images: the file totals give the change of on-disk bytes, and every list entry's delta is after − before", () => {
    const path = fc.array(fc.constantFrom('a', 'b', 'c'), { minLength: 1, maxLength: 3 }).map((s) => s.join('/'));
    const entry: fc.Arbitrary<FileEntry> = fc.oneof(
      fc.tuple(path, fc.integer({ min: 0, max: 100 }), fc.constantFrom(0o644, 0o755)).map(([p, n, m]) => file(p, n, m)),
      path.map(dir),
      path.map(whiteout),
      fc.tuple(path, path).map(([p, t]) => symlink(p, t)),
      fc.tuple(path, path).map(([p, t]) => hardlink(p, t)),
    );
    const image = fc.array(fc.array(entry, { maxLength: 8 }), { minLength: 1, maxLength: 3 }).map((layers) => compose(...layers));
    fc.assert(
      fc.property(image, image, (x, y) => {
        const diff = diffFilesystems(x, y, { top: 1000, collapse: false });
        const t = diff.totals;
        expect(diff.deltaBytes).toBe(y.onDiskBytes - x.onDiskBytes);
        expect(t.added.bytes - t.removed.bytes + t.grown.bytes - t.shrunk.bytes).toBe(diff.deltaBytes);
        for (const c of [...diff.added, ...diff.removed, ...diff.grown, ...diff.shrunk]) expect(c.deltaBytes).toBe(c.afterBytes - c.beforeBytes);
      }),
      { numRuns: 300 },
    );
  });

  it('finds nothing between a filesystem and itself', () => {
    const diff = diffFilesystems(after, after, { top: 10 });
    expect(diff).toMatchObject({ deltaBytes: 0, added: [], removed: [], grown: [], shrunk: [] });
    expect(diff.totals.modified).toBe(0);
  });
});
