import { createHash } from 'node:crypto';
import { once } from 'node:events';
import type { Duplex } from 'node:stream';
import { finished } from 'node:stream/promises';
import * as zlib from 'node:zlib';
import { Decompress } from 'fzstd';
import { Parser, type ReadEntry } from 'tar';
import { PermanentError } from './errors';
import { normalizePath, type FileEntry, type LayerIndex } from './layerIndex';
import { MediaType, isForeignLayer } from './mediaTypes';

/**
 * Reads a layer blob's tar headers as the blob streams in: the file index, the diff ID and
 * the uncompressed size, with file contents hashed and dropped, never kept, so memory
 * follows the number of entries and not the layer's size.
 */

export type TarCompression = 'gzip' | 'zstd' | 'none';

const LAYER_COMPRESSION: ReadonlyMap<string, TarCompression> = new Map([
  ['application/vnd.oci.image.layer.v1.tar', 'none'],
  ['application/vnd.oci.image.layer.v1.tar+gzip', 'gzip'],
  ['application/vnd.oci.image.layer.v1.tar+zstd', 'zstd'],
  // Docker's schema 2 only names the gzip one; containerd and containers/image also write
  // and read the uncompressed one, and BuildKit labels zstd layers this way under Docker media types.
  ['application/vnd.docker.image.rootfs.diff.tar', 'none'],
  ['application/vnd.docker.image.rootfs.diff.tar.gzip', 'gzip'],
  ['application/vnd.docker.image.rootfs.diff.tar.zstd', 'zstd'],
]);

/** containerd's uncompressed variant of the foreign layer, which `isForeignLayer` does not name. */
const DOCKER_FOREIGN_TAR = MediaType.dockerForeignLayer.replace(/\.gzip$/, '');

/**
 * How a layer's blob is compressed, or why it is not read: foreign layers are usually served
 * from elsewhere (Windows base layers from Microsoft), not by the registry the service reads.
 * Exact media types only, unlike `mediaTypes.layerCompression`, which estimates by suffix: a
 * type this cannot name (encrypted, squashfs) must not be fed to a tar reader.
 */
export function analyzability(mediaType: string): { compression: TarCompression } | { notAnalyzed: string } {
  if (isForeignLayer(mediaType) || mediaType === DOCKER_FOREIGN_TAR) return { notAnalyzed: `a foreign (non-distributable) layer: ${mediaType}` };
  const compression = LAYER_COMPRESSION.get(mediaType);
  return compression ? { compression } : { notAnalyzed: `unknown layer media type ${mediaType}` };
}

/** The layer's bytes are not a (complete) tar in the stated compression: retrying reads the same bytes. */
export class CorruptLayerError extends PermanentError {
  override readonly name = 'CorruptLayerError';
  constructor(
    message: string,
    readonly compression: TarCompression,
    /** Uncompressed bytes read when the damage showed. */
    readonly uncompressedBytes: number,
    options?: { cause?: unknown },
  ) {
    super(message, undefined, options);
  }
}

/** The layer's index would pass a limit set so that a hostile layer cannot exhaust memory. */
export class LayerLimitError extends PermanentError {
  override readonly name = 'LayerLimitError';
  constructor(
    readonly limit: 'maxEntries' | 'maxPathChars',
    readonly value: number,
  ) {
    super(`layer index exceeds ${limit} (${value}): ${limit === 'maxEntries' ? 'more entries' : 'more path characters'} than this service indexes`);
  }
}

/** A decompressor fed compressed chunks; hands each decompressed chunk to the sink before `write` settles, or soon after. */
interface Decoder {
  write(chunk: Uint8Array): Promise<void>;
  end(): Promise<void>;
  destroy(): void;
}
type OpenDecoder = (sink: (chunk: Uint8Array) => void) => Decoder;

export interface ZstdChoice {
  readonly implementation: 'node:zlib' | 'fzstd';
  readonly open: OpenDecoder;
}

/**
 * Node's own zstd where the runtime has it (native, and faster), the pure-JS fzstd where it
 * does not: `zlib.createZstdDecompress` exists from Node 22.15 / 23.8. Takes any object so
 * tests can offer a `node:zlib` with or without it.
 */
export function chooseZstd(zlibLike: object): ZstdChoice {
  const create: unknown = (zlibLike as { createZstdDecompress?: unknown }).createZstdDecompress;
  if (typeof create === 'function') return { implementation: 'node:zlib', open: (sink) => streamDecoder((create as () => Duplex).call(zlibLike), sink) };
  return { implementation: 'fzstd', open: fzstdDecoder };
}

const DEFAULT_ZSTD = chooseZstd(zlib);

export interface ReadLayerOptions {
  /** Index entries allowed before the read is refused (LayerLimitError). */
  maxEntries?: number;
  /** Characters of paths and link targets allowed in the index, for the same reason. */
  maxPathChars?: number;
  /** The zstd implementation; `chooseZstd(node:zlib)` unless a test picks one. */
  zstd?: ZstdChoice;
}

const DEFAULT_MAX_ENTRIES = 1_000_000;
const DEFAULT_MAX_PATH_CHARS = 128 * 1024 * 1024;

/**
 * Reads `source` (the blob's bytes) to its end. Rejects with CorruptLayerError when the bytes
 * are not a complete tar in `compression`, LayerLimitError past a limit, and with the source's
 * own error, unchanged, when the source fails (a network error may well be transient).
 */
export async function readLayer(source: AsyncIterable<Uint8Array>, compression: TarCompression, options: ReadLayerOptions = {}): Promise<LayerIndex> {
  const index = new TarIndex(compression, options.maxEntries ?? DEFAULT_MAX_ENTRIES, options.maxPathChars ?? DEFAULT_MAX_PATH_CHARS);
  const sink = (chunk: Uint8Array) => index.write(chunk);
  const decoder: Decoder =
    compression === 'none'
      ? { write: async (chunk) => sink(chunk), end: async () => {}, destroy: () => {} }
      : compression === 'gzip'
        ? streamDecoder(zlib.createGunzip({ chunkSize: 64 * 1024 }), sink)
        : (options.zstd ?? DEFAULT_ZSTD).open(sink);
  const decoded = async (step: () => Promise<void>) => {
    try {
      await step();
    } catch (e) {
      throw (
        index.failure ??
        new CorruptLayerError(`not a valid ${compression} stream: ${String((e as Error)?.message ?? e)}`, compression, index.bytes, { cause: e })
      );
    }
    if (index.failure) throw index.failure;
  };
  try {
    // Errors of the source come out of the loop head, not out of `decoded`, so they pass unwrapped.
    for await (const chunk of source) await decoded(() => decoder.write(chunk));
    await decoded(() => decoder.end());
    index.end();
    if (index.failure) throw index.failure;
    return index.result();
  } finally {
    decoder.destroy();
  }
}

/** A Node zlib-style Transform, its output taken in flowing mode so it never queues, its input paced by `drain`. */
function streamDecoder(stream: Duplex, sink: (chunk: Uint8Array) => void): Decoder {
  let error: Error | undefined;
  stream.on('error', (e: Error) => (error ??= e));
  stream.on('data', sink);
  return {
    async write(chunk) {
      if (error) throw error;
      if (!stream.write(chunk)) await once(stream, 'drain');
    },
    async end() {
      if (error) throw error;
      stream.end();
      await finished(stream);
    },
    destroy: () => stream.destroy(),
  };
}

/**
 * fzstd decodes synchronously inside `push` and hands out every block as it goes; the sink
 * takes them synchronously too, so one small compressed chunk that expands to gigabytes is
 * hashed and dropped block by block rather than queued.
 */
function fzstdDecoder(sink: (chunk: Uint8Array) => void): Decoder {
  const decompress = new Decompress((chunk) => sink(chunk));
  return {
    write: async (chunk) => void decompress.push(chunk),
    end: async () => void decompress.push(new Uint8Array(0), true),
    destroy: () => {},
  };
}

const BLOCK = 512;

/** The uncompressed tar stream: hashed and counted whole, its headers parsed up to the end-of-archive marker. */
class TarIndex {
  readonly entries: FileEntry[] = [];
  bytes = 0;
  failure: Error | undefined;
  private readonly hash = createHash('sha256');
  private readonly parser: Parser;
  private pathChars = 0;
  private sawEof = false;
  /** The first bytes, held back until two are known (see `write`). */
  private head: Buffer | undefined = Buffer.alloc(0);

  constructor(
    private readonly compression: TarCompression,
    private readonly maxEntries: number,
    private readonly maxPathChars: number,
  ) {
    // The filter refuses every entry, so node-tar skips bodies in place instead of streaming
    // them through an entry object; refused and unsupported entries alike come out as
    // `ignoredEntry`, with their headers. brotli/zstd off: the bytes arrive decompressed.
    this.parser = new Parser({ filter: () => false, brotli: false, zstd: false });
    this.parser.on('ignoredEntry', (entry: ReadEntry) => this.add(entry));
    this.parser.on('eof', () => (this.sawEof = true));
    // Not strict mode: that would reject an empty archive ("Unrecognized archive format"
    // once the stream ends), and every warning here is damage anyway, so the first one ends the read.
    this.parser.on('warn', (code: string, message: string) => this.corrupt(`not a valid tar: ${code} ${message}`));
    this.parser.on('error', (e: Error) => this.corrupt(`not a valid tar: ${e.message}`, e));
  }

  /** Never throws: it runs inside zlib's `data` events, where a throw would escape the read. */
  write(chunk: Uint8Array): void {
    if (this.failure) return;
    try {
      this.consume(chunk);
    } catch (e) {
      this.corrupt(`not a valid tar: ${(e as Error).message}`, e);
    }
  }

  private consume(chunk: Uint8Array): void {
    this.hash.update(chunk);
    this.bytes += chunk.length;
    // Past the end-of-archive marker the rest is padding to hash, and node-tar would buffer it.
    if (this.sawEof) return;
    let buf = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    if (this.head) {
      // node-tar gunzips a stream that starts with gzip's magic, so a doubly compressed (or
      // mislabelled) layer would be indexed from bytes other than those hashed.
      buf = Buffer.concat([this.head, buf]);
      if (buf.length < 2) return void (this.head = buf);
      this.head = undefined;
      if (buf[0] === 0x1f && buf[1] === 0x8b) return this.corrupt('not a tar: the decompressed stream is gzip (compressed twice, or a wrong media type)');
    }
    this.parser.write(buf);
  }

  end(): void {
    if (this.failure || this.sawEof || this.bytes === 0) return;
    // Like Go's archive/tar, a stream that stops at a header boundary without the marker is
    // accepted; node-tar reports a cut entry body but not a cut header, hence the length test.
    if (!this.head) this.parser.end();
    if (this.bytes % BLOCK !== 0) this.corrupt(`truncated tar: ${this.bytes} bytes is not a whole number of ${BLOCK}-byte blocks`);
  }

  result(): LayerIndex {
    return { entries: this.entries, uncompressedBytes: this.bytes, diffId: `sha256:${this.hash.digest('hex')}` };
  }

  private add(entry: ReadEntry): void {
    if (this.failure) return;
    // An extended header past node-tar's 1 MiB is dropped, and the next entry would be
    // listed under its short name; Go's archive/tar refuses those too.
    if (entry.meta) return this.corrupt(`tar extended header of ${entry.size} bytes exceeds the 1 MiB allowed`);
    const fileEntry = toFileEntry(entry);
    if (!fileEntry) return;
    if (this.entries.length >= this.maxEntries) return this.fail(new LayerLimitError('maxEntries', this.maxEntries));
    this.pathChars += fileEntry.path.length + (fileEntry.linkTarget?.length ?? 0);
    if (this.pathChars > this.maxPathChars) return this.fail(new LayerLimitError('maxPathChars', this.maxPathChars));
    this.entries.push(fileEntry);
  }

  private corrupt(message: string, cause?: unknown): void {
    this.fail(new CorruptLayerError(message, this.compression, this.bytes, { cause }));
  }

  private fail(error: Error): void {
    this.failure ??= error;
  }
}

const WHITEOUT = '.wh.';
const OPAQUE = '.wh..wh..opq';

function toFileEntry(entry: ReadEntry): FileEntry | undefined {
  const path = normalizePath(entry.path);
  const mode = entry.mode ?? 0;
  const slash = path.lastIndexOf('/');
  const dir = path.slice(0, slash + 1);
  const base = path.slice(slash + 1);
  if (base === OPAQUE) {
    // The root made opaque has no path to carry in the index; overlayfs cannot produce one.
    return dir ? { path: dir.slice(0, -1), type: 'opaque', size: 0, mode } : undefined;
  }
  const deleted = base.startsWith(WHITEOUT) ? base.slice(WHITEOUT.length) : '';
  if (deleted && deleted !== '.' && deleted !== '..') return { path: dir + deleted, type: 'whiteout', size: 0, mode };
  if (!path) return undefined; // the root directory itself
  switch (entry.type) {
    case 'File':
    case 'OldFile':
    case 'ContiguousFile':
    case 'SparseFile': // GNU sparse: the bytes stored, not the apparent size (node-tar does not expose that)
      return { path, type: 'file', size: entry.size, mode };
    case 'Directory':
      return { path, type: 'dir', size: 0, mode };
    case 'SymbolicLink':
      return { path, type: 'symlink', size: 0, mode, linkTarget: entry.linkpath ?? '' };
    case 'Link':
      return { path, type: 'hardlink', size: 0, mode, linkTarget: normalizePath(entry.linkpath ?? '') };
    default:
      return { path, type: 'other', size: 0, mode };
  }
}
