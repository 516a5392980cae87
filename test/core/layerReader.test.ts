import { createHash, randomBytes } from 'node:crypto';
import { chmodSync, linkSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import * as zlib from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PermanentError, TransientError } from '../../src/core/errors';
import type { FileEntry } from '../../src/core/layerIndex';
import { CorruptLayerError, LayerLimitError, chooseZstd, analyzability, readLayer, type TarCompression } from '../../src/core/layerReader';
import { chunksOf, chunksOfBytes, compress, digestOf, digestOfFile, gnuTar, listTar, pad, rawTar, sh, ustarHeader, type Listed } from '../support/tarFixtures';

const FZSTD = chooseZstd({});
/** Test labels that say which zstd decoder ran: the tests below pass FZSTD explicitly. */
const COMPRESSIONS = [
  ['none', 'none'],
  ['gzip', 'gzip'],
  ['zstd (fzstd)', 'zstd'],
] as const;
const hasZlibZstd = typeof (zlib as { createZstdDecompress?: unknown }).createZstdDecompress === 'function';

/** Decided while tests are collected, so the char device case can be skipped by name. */
const CHAR_DEVICE = (() => {
  const dir = mkdtempSync(join(tmpdir(), 'mknod-probe-'));
  try {
    sh('mknod', [join(dir, 'probe'), 'c', '1', '3']);
    return true;
  } catch {
    return false; // not root, or no CAP_MKNOD
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
})();

let work: string;
beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'layer-reader-'));
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** Reads a file on disk as a layer of the given compression; zstd through fzstd unless told otherwise. */
const readFile = (file: string, compression: TarCompression, chunkSize?: number) => readLayer(chunksOf(file, chunkSize), compression, { zstd: FZSTD });

describe('analyzability', () => {
  it.each([
    ['application/vnd.oci.image.layer.v1.tar', 'none'],
    ['application/vnd.oci.image.layer.v1.tar+gzip', 'gzip'],
    ['application/vnd.oci.image.layer.v1.tar+zstd', 'zstd'],
    ['application/vnd.docker.image.rootfs.diff.tar.gzip', 'gzip'],
    ['application/vnd.docker.image.rootfs.diff.tar', 'none'],
    ['application/vnd.docker.image.rootfs.diff.tar.zstd', 'zstd'],
  ])('%s is read as %s', (mediaType, compression) => {
    expect(analyzability(mediaType)).toEqual({ compression });
  });

  it.each([
    'application/vnd.oci.image.layer.nondistributable.v1.tar',
    'application/vnd.oci.image.layer.nondistributable.v1.tar+gzip',
    'application/vnd.oci.image.layer.nondistributable.v1.tar+zstd',
    'application/vnd.docker.image.rootfs.foreign.diff.tar.gzip',
    'application/vnd.docker.image.rootfs.foreign.diff.tar',
  ])('%s is not analysed: foreign', (mediaType) => {
    expect(analyzability(mediaType)).toEqual({ notAnalyzed: `a foreign (non-distributable) layer: ${mediaType}` });
  });

  it.each(['application/vnd.oci.image.layer.v1.tar+gzip+encrypted', 'application/vnd.oci.image.config.v1+json', 'application/octet-stream', ''])(
    '%j is not analysed: unknown',
    (mediaType) => {
      expect(analyzability(mediaType)).toEqual({ notAnalyzed: `unknown layer media type ${mediaType}` });
    },
  );
});

/** What the reader must say of a member GNU tar lists, per the contract: the expectation side, kept apart from the reader. */
function expectedEntry(l: Listed): FileEntry | undefined {
  const path = l.path.replace(/^\.\//, '').replace(/\/$/, '');
  if (path === '.' || path === '') return undefined;
  const base = { path, size: 0, mode: l.mode };
  switch (l.kind) {
    case '-':
      return { ...base, type: 'file', size: l.size };
    case 'd':
      return { ...base, type: 'dir' };
    case 'l':
      return { ...base, type: 'symlink', linkTarget: l.linkTarget };
    case 'h':
      return { ...base, type: 'hardlink', linkTarget: l.linkTarget!.replace(/^\.\//, '') };
    default:
      return { ...base, type: 'other' };
  }
}

describe('readLayer on layers GNU tar wrote', () => {
  const long100 = `deep/${'a'.repeat(60)}/${'b'.repeat(60)}/over-100.txt`;
  const long255 = `deep/${'c'.repeat(120)}/${'d'.repeat(120)}/${'e'.repeat(40)}-over-255.txt`;
  let tree: string;

  beforeAll(() => {
    tree = join(work, 'tree');
    const file = (path: string, content: string | Buffer, mode = 0o644) => {
      mkdirSync(join(tree, path, '..'), { recursive: true });
      writeFileSync(join(tree, path), content);
      chmodSync(join(tree, path), mode);
    };
    file('etc/passwd', 'root:x:0:0:root:/root:/bin/sh\n');
    file('etc/.wh.motd', ''); // deletes etc/motd of a lower layer
    file('var/cache/apt/.wh..wh..opq', ''); // hides var/cache/apt's lower contents
    file('bin/busybox', randomBytes(123_457), 0o755);
    symlinkSync('busybox', join(tree, 'bin/sh'));
    linkSync(join(tree, 'bin/busybox'), join(tree, 'bin/ls'));
    file('usr/bin/sudo', 'x', 0o4755);
    file('empty', '');
    file('block-512', Buffer.alloc(512, 1));
    file('block-513', Buffer.alloc(513, 2));
    file(long100, 'long');
    file(long255, 'longer');
    symlinkSync(`../${long255}`, join(tree, 'deep/long-target-link'));
    linkSync(join(tree, long255), join(tree, 'deep/long-hardlink'));
    mkdirSync(join(tree, 'tmp'));
    chmodSync(join(tree, 'tmp'), 0o1777);
    sh('mkfifo', [join(tree, 'fifo')]);
    if (CHAR_DEVICE) {
      mkdirSync(join(tree, 'dev'));
      sh('mknod', [join(tree, 'dev/null'), 'c', '1', '3']);
    }
  });

  describe.each(['gnu', 'pax'] as const)('--format=%s', (format) => {
    let tar: string;
    let listed: Listed[];
    let expected: FileEntry[];
    beforeAll(() => {
      tar = gnuTar(tree, join(work, `tree-${format}.tar`), format);
      listed = listTar(tar);
      // GNU tar lists the whiteout markers as the plain files they are; the contract reads them.
      expected = listed.flatMap((l) => {
        const e = expectedEntry(l);
        if (e?.path === 'etc/.wh.motd') return [{ ...e, path: 'etc/motd', type: 'whiteout' as const, size: 0 }];
        if (e?.path === 'var/cache/apt/.wh..wh..opq') return [{ ...e, path: 'var/cache/apt', type: 'opaque' as const, size: 0 }];
        return e ? [e] : [];
      });
    });

    it('the fixture holds what the tests rely on (per GNU tar’s own listing)', () => {
      const paths = listed.map((l) => l.path);
      expect(paths).toContain('./');
      expect(paths).toContain(`./${long100}`);
      expect(paths).toContain(`./${long255}`);
      expect(long100.length).toBeGreaterThan(100);
      expect(long255.length).toBeGreaterThan(255);
      expect(listed.find((l) => l.path === './deep/long-target-link')?.linkTarget?.length).toBeGreaterThan(100);
      expect(listed.find((l) => l.path === './deep/long-hardlink')?.kind).toBe('h');
      expect(listed.find((l) => l.path === './bin/ls')?.kind).toBe('h');
      expect(listed.find((l) => l.path === './fifo')?.kind).toBe('p');
      if (CHAR_DEVICE) expect(listed.find((l) => l.path === './dev/null')?.kind).toBe('c');
    });

    it.each(COMPRESSIONS)('%s: entries match tar --list, diffId and size match the tar file', async (_label, compression) => {
      const file = compression === 'none' ? tar : compress(tar, compression);
      // 777-byte chunks: headers and bodies straddle chunk boundaries.
      const index = await readFile(file, compression, 777);
      expect(index.entries).toEqual(expected);
      expect(index).toMatchObject(digestOfFile(tar));
    });

    it('maps each kind of member as the contract says', async () => {
      const index = await readFile(tar, 'none');
      const byPath = new Map(index.entries.map((e) => [e.path, e]));
      expect(byPath.has('')).toBe(false);
      expect(index.entries.some((e) => e.path.startsWith('./') || e.path.endsWith('/'))).toBe(false);
      expect(byPath.get('bin/busybox')).toEqual({ path: 'bin/busybox', type: 'file', size: 123_457, mode: 0o755 });
      expect(byPath.get('bin/sh')).toMatchObject({ type: 'symlink', linkTarget: 'busybox', size: 0 });
      expect(byPath.get('bin/ls')).toMatchObject({ type: 'hardlink', linkTarget: 'bin/busybox', size: 0 });
      expect(byPath.get('usr/bin/sudo')).toMatchObject({ type: 'file', mode: 0o4755 });
      expect(byPath.get('tmp')).toMatchObject({ type: 'dir', mode: 0o1777 });
      expect(byPath.get('etc/motd')).toMatchObject({ type: 'whiteout', size: 0 });
      expect(byPath.get('var/cache/apt')).toMatchObject({ type: 'opaque' });
      expect(byPath.get(long255)).toMatchObject({ type: 'file', size: 6 });
      expect(byPath.get('deep/long-target-link')).toMatchObject({ type: 'symlink', linkTarget: `../${long255}` });
      expect(byPath.get('deep/long-hardlink')).toMatchObject({ type: 'hardlink', linkTarget: long255 });
      expect(byPath.get('fifo')).toMatchObject({ type: 'other', size: 0 });
    });

    it.runIf(CHAR_DEVICE)('a char device (made with mknod, as root) is `other`', async () => {
      const index = await readFile(tar, 'none');
      const listedNull = listed.find((l) => l.path === './dev/null')!;
      expect(listedNull.kind).toBe('c');
      expect(index.entries.find((e) => e.path === 'dev/null')).toEqual({ path: 'dev/null', type: 'other', size: 0, mode: listedNull.mode });
    });
  });
});

describe('readLayer on empty layers', () => {
  let empty: string;
  beforeAll(() => {
    empty = join(work, 'empty.tar');
    sh('tar', ['-cf', empty, '-T', '/dev/null']); // GNU tar: a 10 KiB record of zeros
  });

  it.each(COMPRESSIONS)('%s: GNU tar’s empty archive gives no entries and its digest', async (_label, compression) => {
    const file = compression === 'none' ? empty : compress(empty, compression);
    const index = await readFile(file, compression);
    expect(index).toEqual({ entries: [], ...digestOfFile(empty) });
    expect(index.uncompressedBytes).toBe(10_240);
  });

  it('the two zero blocks alone are Docker’s empty layer (moby’s DigestSHA256EmptyTar)', async () => {
    const index = await readLayer(chunksOfBytes(zlib.gzipSync(Buffer.alloc(1024))), 'gzip');
    expect(index).toEqual({ entries: [], uncompressedBytes: 1024, diffId: 'sha256:5f70bf18a086007016e948b04aed3b82103a36bea41755b6cddfaf10ace3c6ef' });
  });

  it('a gzip stream of zero bytes, and a zero-byte source, are empty layers, as Go’s archive/tar reads them', async () => {
    const nothing = { entries: [], uncompressedBytes: 0, diffId: `sha256:${createHash('sha256').digest('hex')}` };
    expect(await readLayer(chunksOfBytes(zlib.gzipSync(Buffer.alloc(0))), 'gzip')).toEqual(nothing);
    expect(await readLayer(chunksOfBytes(new Uint8Array(0)), 'none')).toEqual(nothing);
  });
});

describe('readLayer path normalisation (members GNU tar will not write, in a hand-built ustar)', () => {
  const body = Buffer.from('data');
  const layer = rawTar([
    { name: './', type: '5', mode: 0o755 },
    { name: '/', type: '5' },
    { name: '/abs/file', type: '0', body },
    { name: './a/./b/../c', type: '0', body },
    { name: '../../escape', type: '0', body },
    { name: 'dir//double/', type: '5', mode: 0o700 },
    { name: 'old-style-dir/', type: '0' },
    { name: 'hl', type: '1', linkname: './a/x/../c' },
    { name: 'sl', type: '2', linkname: '../../outside/./x' },
    { name: '.wh.gone', type: '0' },
    { name: './.wh..wh..opq', type: '0' },
    { name: 'x/.wh.', type: '0' },
    { name: 'x/.wh...', type: '0' },
    { name: 'twice', type: '0', body },
    { name: 'twice', type: '0', body: Buffer.from('again') },
  ]);

  it('strips ./ and /, resolves . and .. inside the root, drops the root, keeps repeats in order', async () => {
    const index = await readLayer(chunksOfBytes(layer, 100), 'none');
    expect(index.entries).toEqual([
      { path: 'abs/file', type: 'file', size: 4, mode: 0o644 },
      { path: 'a/c', type: 'file', size: 4, mode: 0o644 },
      { path: 'escape', type: 'file', size: 4, mode: 0o644 },
      { path: 'dir/double', type: 'dir', size: 0, mode: 0o700 },
      { path: 'old-style-dir', type: 'dir', size: 0, mode: 0o644 },
      { path: 'hl', type: 'hardlink', size: 0, mode: 0o644, linkTarget: 'a/c' },
      // A symlink's target is what the link says, resolved later against its directory.
      { path: 'sl', type: 'symlink', size: 0, mode: 0o644, linkTarget: '../../outside/./x' },
      { path: 'gone', type: 'whiteout', size: 0, mode: 0o644 },
      // `./.wh..wh..opq` (the root made opaque) has no path to carry: dropped (see toFileEntry).
      // `.wh.` and `.wh...` name nothing to delete: kept as the plain files they are.
      { path: 'x/.wh.', type: 'file', size: 0, mode: 0o644 },
      { path: 'x/.wh...', type: 'file', size: 0, mode: 0o644 },
      { path: 'twice', type: 'file', size: 4, mode: 0o644 },
      { path: 'twice', type: 'file', size: 5, mode: 0o644 },
    ]);
    expect(index).toMatchObject(digestOf(layer));
  });

  it('the hand-built archive is one GNU tar reads (the fixture writer is sound)', () => {
    const file = join(work, 'raw.tar');
    writeFileSync(file, layer);
    expect(listTar(file).map((l) => l.path)).toContain('./a/./b/../c');
  });
});

describe('readLayer on damaged, unusual and failing streams', () => {
  let tar: string;
  let tarBytes: Buffer;
  beforeAll(() => {
    const dir = join(work, 'err');
    mkdirSync(join(dir, 'files'), { recursive: true });
    writeFileSync(join(dir, 'files/big.bin'), randomBytes(100_000));
    for (let i = 0; i < 20; i++) writeFileSync(join(dir, `files/f${i}`), `file ${i}`);
    tar = gnuTar(dir, join(work, 'err.tar'), 'gnu');
    tarBytes = readFileSync(tar);
  });

  const rejectsCorrupt = async (source: AsyncIterable<Uint8Array>, compression: TarCompression, message: RegExp) => {
    const error: unknown = await readLayer(source, compression, { zstd: FZSTD }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(CorruptLayerError);
    expect(error).toBeInstanceOf(PermanentError);
    expect(error).toMatchObject({ name: 'CorruptLayerError', compression, message: expect.stringMatching(message) });
    return error as CorruptLayerError;
  };

  it('gzip cut in half, and gzip missing only its 8-byte trailer: corrupt', async () => {
    const gz = readFileSync(compress(tar, 'gzip'));
    await rejectsCorrupt(chunksOfBytes(gz.subarray(0, gz.length >> 1)), 'gzip', /unexpected end of file/);
    await rejectsCorrupt(chunksOfBytes(gz.subarray(0, gz.length - 8)), 'gzip', /unexpected end of file/);
  });

  it('zstd (fzstd) cut in half, and missing its last 3 bytes: corrupt', async () => {
    const zst = readFileSync(compress(tar, 'zstd'));
    await rejectsCorrupt(chunksOfBytes(zst.subarray(0, zst.length >> 1)), 'zstd', /unexpected EOF/);
    await rejectsCorrupt(chunksOfBytes(zst.subarray(0, zst.length - 3)), 'zstd', /unexpected EOF/);
  });

  it('an uncompressed tar cut inside a file body, at a block boundary and off one: corrupt', async () => {
    // Only header-only directories (`./`, `./files/`) precede big.bin, one 512-byte header each.
    const bodyStart = listTar(tar).findIndex((l) => l.path === './files/big.bin') * 512 + 512;
    const atBlock = await rejectsCorrupt(chunksOfBytes(tarBytes.subarray(0, bodyStart + 51_200)), 'none', /Truncated input/);
    expect(atBlock.uncompressedBytes).toBe(bodyStart + 51_200);
    await rejectsCorrupt(chunksOfBytes(tarBytes.subarray(0, bodyStart + 51_201)), 'none', /Truncated input/);
  });

  it('an uncompressed tar cut inside a header: corrupt (node-tar alone would end quietly there)', async () => {
    const layer = rawTar([
      { name: 'a', type: '0', body: Buffer.from('a') },
      { name: 'b', type: '0', body: Buffer.from('b') },
    ]);
    await rejectsCorrupt(chunksOfBytes(layer.subarray(0, 1024 + 300)), 'none', /not a whole number of 512-byte blocks/);
  });

  it('a tar that stops at a header boundary without the end-of-archive marker is accepted, as Go’s archive/tar does', async () => {
    const layer = rawTar([{ name: 'a', type: '0', body: Buffer.from('a') }]).subarray(0, 1024);
    const index = await readLayer(chunksOfBytes(layer), 'none');
    expect(index).toEqual({ entries: [{ path: 'a', type: 'file', size: 1, mode: 0o644 }], ...digestOf(layer) });
  });

  it.each(COMPRESSIONS)('garbage read as %s: corrupt', async (_label, compression) => {
    await rejectsCorrupt(
      chunksOfBytes(randomBytes(100_000)),
      compression,
      compression === 'none' ? /not a (valid )?tar/ : new RegExp(`not a valid ${compression}`),
    );
  });

  it('a multi-member gzip (what `cat a.gz b.gz` makes) reads as one stream; trailing zeros after it are tolerated', async () => {
    const half = tarBytes.length >> 1;
    const members = Buffer.concat([zlib.gzipSync(tarBytes.subarray(0, half)), zlib.gzipSync(tarBytes.subarray(half))]);
    const expected = await readLayer(chunksOfBytes(tarBytes), 'none');
    expect(await readLayer(chunksOfBytes(members, 1000), 'gzip')).toEqual(expected);
    expect(await readLayer(chunksOfBytes(Buffer.concat([zlib.gzipSync(tarBytes), Buffer.alloc(100)])), 'gzip')).toEqual(expected);
  });

  it('gzip followed by garbage: corrupt', async () => {
    await rejectsCorrupt(chunksOfBytes(Buffer.concat([zlib.gzipSync(tarBytes), Buffer.from('not gzip at all')])), 'gzip', /not a valid gzip stream/);
  });

  it('valid gzip of something that is not a tar: corrupt', async () => {
    await rejectsCorrupt(chunksOfBytes(zlib.gzipSync(Buffer.from('hello world\n'.repeat(1000)))), 'gzip', /not a valid tar/);
  });

  it('a layer gzipped twice (or an uncompressed media type on a gzip blob): corrupt, not indexed from the inner tar', async () => {
    const twice = zlib.gzipSync(zlib.gzipSync(tarBytes));
    await rejectsCorrupt(chunksOfBytes(twice), 'gzip', /decompressed stream is gzip/);
    await rejectsCorrupt(chunksOfBytes(zlib.gzipSync(tarBytes), 1), 'none', /decompressed stream is gzip/);
  });

  it.each(COMPRESSIONS)('%s: an error thrown by the source mid-stream comes out unchanged, not as corrupt', async (_label, compression) => {
    const bytes = readFileSync(compression === 'none' ? tar : compress(tar, compression));
    for (const boom of [new TransientError('socket hang up', 503), Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' })]) {
      async function* failing() {
        yield bytes.subarray(0, bytes.length >> 1);
        throw boom;
      }
      await expect(readLayer(failing(), compression, { zstd: FZSTD })).rejects.toBe(boom);
    }
  });

  it('maxEntries: at the limit it reads, past it it rejects naming the limit, and stops reading the source', async () => {
    const entries = listTar(tar).length - 1; // less the root `./`
    await expect(readLayer(chunksOf(tar), 'none', { maxEntries: entries })).resolves.toMatchObject({ entries: expect.any(Array) });
    let chunks = 0;
    let closed = false;
    async function* counted() {
      try {
        for await (const c of chunksOfBytes(tarBytes, 512)) {
          chunks++;
          yield c;
        }
      } finally {
        closed = true;
      }
    }
    const error: unknown = await readLayer(counted(), 'none', { maxEntries: 3 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LayerLimitError);
    expect(error).toBeInstanceOf(PermanentError);
    expect(error).toMatchObject({ limit: 'maxEntries', value: 3, message: expect.stringContaining('maxEntries (3)') });
    expect(chunks).toBeLessThan(tarBytes.length / 512);
    expect(closed).toBe(true);
  });

  it('maxPathChars: rejects naming the limit', async () => {
    await expect(readLayer(chunksOf(tar), 'none', { maxPathChars: 20 })).rejects.toMatchObject({ name: 'LayerLimitError', limit: 'maxPathChars', value: 20 });
  });
});

describe('zstd implementation choice', () => {
  it('node:zlib when the runtime has createZstdDecompress (Node ≥ 22.15), fzstd when not; this runtime decides the default', () => {
    expect(chooseZstd({ createZstdDecompress: () => new PassThrough() }).implementation).toBe('node:zlib');
    expect(chooseZstd({}).implementation).toBe('fzstd');
    expect(chooseZstd(zlib).implementation).toBe(hasZlibZstd ? 'node:zlib' : 'fzstd');
  });

  const layer = rawTar([
    { name: 'dir/', type: '5', mode: 0o755 },
    { name: 'dir/file', type: '0', body: randomBytes(5000) },
  ]);

  it('the node:zlib path drives whatever stream createZstdDecompress returns (a PassThrough here: wiring only, no zstd decoding)', async () => {
    let created = 0;
    const choice = chooseZstd({ createZstdDecompress: () => (created++, new PassThrough()) });
    const index = await readLayer(chunksOfBytes(layer, 1000), 'zstd', { zstd: choice });
    expect(created).toBe(1);
    expect(index).toEqual({
      entries: [expect.objectContaining({ path: 'dir' }), expect.objectContaining({ path: 'dir/file', size: 5000 })],
      ...digestOf(layer),
    });
  });

  it.runIf(hasZlibZstd)('node:zlib decodes a real zstd layer (runs only on Node ≥ 22.15)', async () => {
    const file = join(work, 'zlib-zstd.tar');
    writeFileSync(file, layer);
    const index = await readLayer(chunksOf(compress(file, 'zstd')), 'zstd', { zstd: chooseZstd(zlib) });
    expect(index).toEqual(await readLayer(chunksOfBytes(layer), 'none'));
  });
});

describe('readLayer memory', () => {
  const SIZE = 256 * 1024 * 1024;
  const ZEROS = Buffer.alloc(1024 * 1024);

  /** A one-file layer, generated as it is read: header, SIZE zero bytes from one reused buffer, padding, end marker. */
  async function* zeroLayer(sample?: () => void): AsyncGenerator<Uint8Array> {
    yield ustarHeader({ name: 'zeros.bin', type: '0', size: SIZE });
    for (let sent = 0; sent < SIZE; sent += ZEROS.length) {
      if (sample && sent % (16 * ZEROS.length) === 0) sample();
      yield ZEROS.subarray(0, Math.min(ZEROS.length, SIZE - sent));
    }
    yield Buffer.alloc(pad(SIZE) + 1024);
  }

  it('a 256 MiB file streams through gzip with memory far below its size, and the right diffId and size', async () => {
    const expectedHash = createHash('sha256');
    let expectedBytes = 0;
    for await (const c of zeroLayer()) {
      expectedHash.update(c);
      expectedBytes += c.length;
    }

    const used = () => {
      const m = process.memoryUsage();
      return m.heapUsed + m.arrayBuffers;
    };
    const baseline = used();
    let peak = 0;
    const gzip = zlib.createGzip({ level: 1 });
    const compressing = pipeline(Readable.from(zeroLayer(() => (peak = Math.max(peak, used() - baseline)))), gzip);
    const started = performance.now();
    const [index] = await Promise.all([readLayer(gzip, 'gzip'), compressing]);
    const seconds = (performance.now() - started) / 1000;

    expect(index).toEqual({
      entries: [{ path: 'zeros.bin', type: 'file', size: SIZE, mode: 0o644 }],
      uncompressedBytes: expectedBytes,
      diffId: `sha256:${expectedHash.digest('hex')}`,
    });
    expect(expectedBytes).toBe(512 + SIZE + 1024);
    // Buffering the content would add 256 MiB; a quarter of it leaves room for garbage not yet collected.
    expect(peak).toBeLessThan(SIZE / 4);
    console.info(
      `readLayer: 256 MiB gzip layer in ${seconds.toFixed(2)} s (${(SIZE / 2 ** 20 / seconds).toFixed(0)} MiB/s, gzip included), peak +${(peak / 2 ** 20).toFixed(1)} MiB`,
    );
  });
});
