import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream, readFileSync } from 'node:fs';

/**
 * Layers for the layer reader's tests, built with the real GNU tar, gzip and zstd where
 * possible, and described by `tar --list --verbose` rather than by the code under test.
 */

export function sh(command: string, args: string[], cwd?: string): string {
  return execFileSync(command, args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

/** `dir`'s contents as a layer tar: members named `./…` as `docker save` and BuildKit do, in name order so runs compare. */
export function gnuTar(dir: string, out: string, format: 'gnu' | 'pax'): string {
  sh('tar', [`--format=${format}`, '--sort=name', '--numeric-owner', '--owner=0', '--group=0', '-cf', out, '-C', dir, '.']);
  return out;
}

/** The compressed copy next to `file`, the original kept. */
export function compress(file: string, how: 'gzip' | 'zstd'): string {
  if (how === 'gzip') sh('gzip', ['-n', '-k', '-f', file]);
  else sh('zstd', ['-q', '-k', '-f', file, '-o', `${file}.zst`]);
  return how === 'gzip' ? `${file}.gz` : `${file}.zst`;
}

/** sha256 and length of a file, read by node:crypto, not by the reader. */
export function digestOf(bytes: Uint8Array): { diffId: string; uncompressedBytes: number } {
  return { diffId: `sha256:${createHash('sha256').update(bytes).digest('hex')}`, uncompressedBytes: bytes.length };
}

export const digestOfFile = (file: string) => digestOf(readFileSync(file));

/** A file as the reader meets a download: chunks of an arbitrary size, so headers straddle them. */
export function chunksOf(file: string, chunkSize = 64 * 1024): AsyncIterable<Uint8Array> {
  return createReadStream(file, { highWaterMark: chunkSize });
}

export async function* chunksOfBytes(bytes: Uint8Array, chunkSize = 64 * 1024): AsyncGenerator<Uint8Array> {
  for (let i = 0; i < bytes.length; i += chunkSize) yield bytes.subarray(i, i + chunkSize);
}

export interface Listed {
  /** The first character of `ls -l`'s mode column: `-`, `d`, `l`, `h` (hardlink), `c`, `b`, `p`. */
  kind: string;
  mode: number;
  size: number;
  path: string;
  linkTarget?: string;
}

/** GNU tar's own reading of the archive, one member per line, in archive order. Names must not hold spaces or ` -> `. */
export function listTar(file: string): Listed[] {
  const out = sh('tar', ['--list', '--verbose', '--numeric-owner', '--quoting-style=literal', '--full-time', '-f', file]);
  return out
    .split('\n')
    .filter(Boolean)
    .map((line) => {
      const m = /^(\S)(\S{9})\s+\d+\/\d+\s+(\S+)\s+\S+\s+\S+\s+(.*)$/.exec(line); // pax times are padded: "01:01:20.674345    ./a"
      if (!m) throw new Error(`unexpected tar listing line: ${line}`);
      const [, kind, perms, size, rest] = m as unknown as [string, string, string, string, string];
      const [path, linkTarget] = kind === 'l' ? rest.split(' -> ') : kind === 'h' ? rest.split(' link to ') : [rest];
      return { kind, mode: modeOf(perms), size: /^\d+$/.test(size) ? Number(size) : 0, path: path!, ...(linkTarget !== undefined ? { linkTarget } : {}) };
    });
}

/** `rwsr-xr-t` → 0o5755. */
function modeOf(perms: string): number {
  let mode = 0;
  for (let i = 0; i < 9; i++) {
    const c = perms[i]!;
    const bit = 1 << (8 - i);
    if (c === 'r' || c === 'w' || c === 'x' || c === 's' || c === 't') mode |= bit;
  }
  if (/[sS]/.test(perms[2]!)) mode |= 0o4000;
  if (/[sS]/.test(perms[5]!)) mode |= 0o2000;
  if (/[tT]/.test(perms[8]!)) mode |= 0o1000;
  return mode;
}

export interface RawMember {
  name: string;
  /** The ustar typeflag: '0' file, '1' hardlink, '2' symlink, '3' char device, '5' directory… */
  type: string;
  body?: Uint8Array;
  linkname?: string;
  mode?: number;
}

/**
 * A ustar archive written byte by byte, for member names GNU tar will not write (`..`,
 * a leading `/`, repeats). Names up to 100 bytes; no prefix field, no extended headers.
 */
export function rawTar(members: RawMember[]): Buffer {
  const blocks: Buffer[] = [];
  for (const m of members) {
    const body = m.body ?? new Uint8Array(0);
    blocks.push(ustarHeader({ name: m.name, type: m.type, size: body.length, linkname: m.linkname, mode: m.mode }));
    blocks.push(Buffer.from(body), Buffer.alloc(pad(body.length)));
  }
  blocks.push(Buffer.alloc(1024));
  return Buffer.concat(blocks);
}

export const pad = (size: number) => (512 - (size % 512)) % 512;

export function ustarHeader(h: { name: string; type: string; size: number; linkname?: string; mode?: number }): Buffer {
  const b = Buffer.alloc(512);
  const octal = (value: number, at: number, width: number) => b.write(value.toString(8).padStart(width - 1, '0') + '\0', at, width, 'ascii');
  if (Buffer.byteLength(h.name) > 100) throw new Error(`ustarHeader: name over 100 bytes: ${h.name}`);
  b.write(h.name, 0, 100, 'utf8');
  octal(h.mode ?? 0o644, 100, 8);
  octal(0, 108, 8);
  octal(0, 116, 8);
  // 12-byte size field: 11 octal digits hold up to 8 GiB, enough for the test layers.
  octal(h.size, 124, 12);
  octal(0, 136, 12);
  b.write(h.type, 156, 1, 'ascii');
  if (h.linkname) b.write(h.linkname, 157, 100, 'utf8');
  b.write('ustar\u000000', 257, 8, 'ascii');
  b.fill(0x20, 148, 156); // the checksum is summed with its own field as spaces
  let sum = 0;
  for (const byte of b) sum += byte;
  b.write(sum.toString(8).padStart(6, '0') + '\0 ', 148, 8, 'ascii');
  return b;
}
