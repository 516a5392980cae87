/**
 * Layers made by the real GNU tar, gzip and zstd from a directory tree, and an
 * independent reading of them from `tar -tvf`: the figures the tests expect are worked
 * out from what tar itself lists, never from the code under test.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { makeConfig, makeManifest, sha256, MediaType, type Image, type Layer } from './images';

export type Compression = 'gzip' | 'zstd' | 'none';

/** One thing to create in a layer's directory tree, in order. */
export type TreeItem =
  | { file: string; bytes: number }
  | { dir: string }
  | { symlink: string; to: string }
  | { hardlink: string; to: string }
  /** `.wh.<name>` next to the path it deletes. */
  | { whiteout: string }
  /** `.wh..wh..opq` inside the directory whose lower contents it hides. */
  | { opaque: string };

const LAYER_TYPES: Record<Compression, string> = {
  gzip: MediaType.ociLayerGzip,
  zstd: 'application/vnd.oci.image.layer.v1.tar+zstd',
  none: 'application/vnd.oci.image.layer.v1.tar',
};

export interface BuiltLayer extends Layer {
  /** The uncompressed tar, for an independent reading. */
  tar: Buffer;
}

/** A real layer: the tree written to a temporary directory, archived by GNU tar, compressed by gzip or zstd. */
export function tarLayer(items: TreeItem[], compression: Compression, format: 'gnu' | 'pax' = 'gnu'): BuiltLayer {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'layer-'));
  try {
    const root = path.join(dir, 'root');
    fs.mkdirSync(root);
    for (const item of items) {
      const at = (p: string) => {
        const full = path.join(root, p);
        fs.mkdirSync(path.dirname(full), { recursive: true });
        return full;
      };
      // Contents differ per file, so no two files compress into each other.
      if ('file' in item) fs.writeFileSync(at(item.file), Buffer.alloc(item.bytes, item.file.length % 251));
      else if ('dir' in item) fs.mkdirSync(at(item.dir), { recursive: true });
      else if ('symlink' in item) fs.symlinkSync(item.to, at(item.symlink));
      else if ('hardlink' in item) fs.linkSync(path.join(root, item.to), at(item.hardlink));
      else if ('whiteout' in item) fs.writeFileSync(at(path.join(path.dirname(item.whiteout), `.wh.${path.basename(item.whiteout)}`)), '');
      else fs.writeFileSync(at(path.join(item.opaque, '.wh..wh..opq')), '');
    }
    const tarFile = path.join(dir, 'layer.tar');
    execFileSync('tar', [`--format=${format}`, '--sort=name', '--numeric-owner', '--owner=0', '--group=0', '--mtime=@0', '-C', root, '-cf', tarFile, '.']);
    const tar = fs.readFileSync(tarFile);
    const bytes =
      compression === 'gzip' ? execFileSync('gzip', ['-n', '-c', tarFile]) : compression === 'zstd' ? execFileSync('zstd', ['-q', '-c', tarFile]) : tar;
    return { mediaType: LAYER_TYPES[compression], bytes, digest: sha256(bytes), size: bytes.length, diffId: sha256(tar), uncompressedSize: tar.length, tar };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** A layer of arbitrary bytes under a layer media type: a truncated or mislabelled blob. */
export function rawLayer(bytes: Buffer, mediaType: string, diffId = sha256(bytes)): Layer {
  return { mediaType, bytes, digest: sha256(bytes), size: bytes.length, diffId, uncompressedSize: bytes.length };
}

/** An image of these layers, with one history step per layer and the config's diff_ids (overridable, for a mismatch). */
export function imageOf(layers: Layer[], opts: { steps?: string[]; diffIds?: string[] } = {}): Image {
  const history = layers.map((l, i) => ({ created_by: opts.steps?.[i] ?? `/bin/sh -c #(nop) ADD layer ${i}` }));
  const config = makeConfig({ architecture: 'amd64', os: 'linux', diffIds: opts.diffIds ?? layers.map((l) => l.diffId), history });
  const manifest = makeManifest({ format: 'oci', config, layers });
  return { manifest, config, layers, totalSize: layers.reduce((s, l) => s + l.size, config.size) };
}

export interface ListedEntry {
  path: string;
  type: 'file' | 'dir' | 'symlink' | 'hardlink' | 'other';
  size: number;
}

/** What `tar -tvf` says a tar holds: GNU tar's own reading of the archive. */
export function tarListing(tar: Buffer): ListedEntry[] {
  const out = execFileSync('tar', ['--numeric-owner', '-tvf', '-'], { input: tar, maxBuffer: 256 * 1024 * 1024 }).toString('utf8');
  return out
    .split('\n')
    .filter(Boolean)
    .map((line): ListedEntry => {
      // drwxr-xr-x 0/0               0 1970-01-01 00:00 ./usr/
      const m = /^(\S)\S{9}\s+\S+\s+(\d+)\s+\S+\s+\S+\s+(.*)$/.exec(line);
      if (!m) throw new Error(`unexpected tar -tv line: ${line}`);
      const [, kind, size, rest] = m;
      const name = rest!.replace(/ -> .*$/, '').replace(/ link to .*$/, '');
      const type: ListedEntry['type'] = kind === '-' ? 'file' : kind === 'd' ? 'dir' : kind === 'l' ? 'symlink' : kind === 'h' ? 'hardlink' : 'other';
      return { path: name.replace(/^\.\//, '').replace(/\/$/, ''), type, size: Number(size) };
    })
    .filter((e) => e.path !== '' && e.path !== '.');
}

export interface ExpectedFigures {
  onDiskBytes: number;
  wastedBytes: number;
  finalFiles: Map<string, { size: number; layer: number; type: ListedEntry['type'] }>;
}

const under = (p: string, dir: string) => p === dir || p.startsWith(`${dir}/`);
const parentOf = (p: string) => (path.posix.dirname(p) === '.' ? '' : path.posix.dirname(p));

/**
 * The image's figures from the listings alone, by the plain rules of image-spec layer.md:
 * a whiteout deletes the path and all beneath it from lower layers, an opaque marker
 * hides its directory's lower contents, a later entry replaces an earlier one. Wasted:
 * every regular-file version shipped that the final filesystem does not hold.
 */
export function expectedFigures(listings: ListedEntry[][]): ExpectedFigures {
  const final = new Map<string, { size: number; layer: number; type: ListedEntry['type'] }>();
  let wasted = 0;
  const drop = (match: (p: string) => boolean) => {
    for (const [p, e] of [...final]) {
      if (!match(p)) continue;
      if (e.type === 'file') wasted += e.size;
      final.delete(p);
    }
  };
  listings.forEach((entries, layer) => {
    const lower = new Set(final.keys());
    for (const e of entries) {
      const base = path.posix.basename(e.path);
      const parent = parentOf(e.path);
      if (base === '.wh..wh..opq') drop((p) => lower.has(p) && p !== parent && (parent === '' || p.startsWith(`${parent}/`)));
      else if (base.startsWith('.wh.')) drop((p) => lower.has(p) && under(p, parent ? `${parent}/${base.slice(4)}` : base.slice(4)));
      else {
        const previous = final.get(e.path);
        if (previous?.type === 'file') wasted += previous.size;
        if (e.type !== 'dir') drop((p) => p.startsWith(`${e.path}/`));
        final.set(e.path, { size: e.type === 'file' ? e.size : 0, layer, type: e.type });
      }
    }
  });
  let onDisk = 0;
  for (const e of final.values()) if (e.type === 'file') onDisk += e.size;
  return { onDiskBytes: onDisk, wastedBytes: wasted, finalFiles: final };
}

/**
 * dive's figures as dive/filetree/efficiency.go computes them, from the listings: every
 * leaf of every layer's tree (a file, a symlink, an empty directory, a whiteout) adds its
 * size to its path; a whiteout adds, when the path was a directory below it, the sizes of
 * everything beneath (0 for a file). dive stacks layers ignoring opaque markers. Score:
 * Σ smallest size per path / Σ cumulative size per path; wasted: Σ cumulative size of
 * paths seen in two or more layers.
 */
export function diveFigures(listings: ListedEntry[][]): { efficiency: number; wastedBytes: number } {
  const paths = new Map<string, { sum: number; min: number; seen: number }>();
  const stacked = new Map<string, number>();
  for (const entries of listings) {
    const names = entries.filter((e) => !path.posix.basename(e.path).startsWith('.wh..wh..')).map((e) => e.path);
    const leaves = names.filter((n) => !names.some((m) => m.startsWith(`${n}/`)));
    for (const leaf of leaves) {
      const e = entries.find((x) => x.path === leaf)!;
      const base = path.posix.basename(leaf);
      let target = leaf;
      let size = e.type === 'file' ? e.size : 0;
      if (base.startsWith('.wh.')) {
        target = parentOf(leaf) ? `${parentOf(leaf)}/${base.slice(4)}` : base.slice(4);
        const isDir = [...stacked.keys()].some((p) => p.startsWith(`${target}/`));
        size = isDir ? [...stacked].filter(([p]) => under(p, target)).reduce((s, [, n]) => s + n, 0) : 0;
      }
      const d = paths.get(target);
      if (d) Object.assign(d, { sum: d.sum + size, min: Math.min(d.min, size), seen: d.seen + 1 });
      else paths.set(target, { sum: size, min: size, seen: 1 });
    }
    for (const e of entries) {
      const base = path.posix.basename(e.path);
      if (base.startsWith('.wh..wh..')) continue;
      if (base.startsWith('.wh.')) {
        const target = parentOf(e.path) ? `${parentOf(e.path)}/${base.slice(4)}` : base.slice(4);
        for (const p of [...stacked.keys()]) if (under(p, target)) stacked.delete(p);
      } else stacked.set(e.path, e.type === 'file' ? e.size : 0);
    }
  }
  let min = 0;
  let sum = 0;
  let wasted = 0;
  for (const d of paths.values()) {
    min += d.min;
    sum += d.sum;
    if (d.seen >= 2) wasted += d.sum;
  }
  return { efficiency: sum === 0 ? 1 : min / sum, wastedBytes: wasted };
}
