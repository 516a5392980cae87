import { z } from 'zod';

/**
 * What one layer's tar holds, as read from its headers: the file index the content
 * analysis keeps per layer digest, and what an image's filesystem is composed from.
 *
 * Paths are normalised to the form the image's filesystem shows them: relative to the root,
 * no leading `./` or `/`, no trailing `/`, `.`/`..` segments resolved ("usr/lib/libc.so.6").
 * The root directory itself is never an entry.
 */

/**
 * A member name, or an API argument, in the contract's form, as extraction resolves it:
 * '/usr/lib/', './usr//lib/.' and 'usr/lib' are 'usr/lib'; '/', '' and '.' are the root
 * (''); '..' is resolved and never climbs above the root.
 */
export function normalizePath(path: string): string {
  const out: string[] = [];
  for (const segment of path.split('/')) {
    if (segment === '' || segment === '.') continue;
    if (segment === '..') out.pop();
    else out.push(segment);
  }
  return out.join('/');
}

export const FILE_TYPES = ['file', 'dir', 'symlink', 'hardlink', 'whiteout', 'opaque', 'other'] as const;
export type FileType = (typeof FILE_TYPES)[number];

export const FileEntrySchema = z.object({
  /**
   * For `whiteout`, the path the whiteout deletes (`etc/foo` for the tar entry `etc/.wh.foo`);
   * for `opaque`, the directory whose lower contents are hidden (`etc` for `etc/.wh..wh..opq`).
   */
  path: z.string().min(1),
  type: z.enum(FILE_TYPES),
  /** Content bytes: a regular file's size; 0 for everything else (a hardlink shares its target's bytes). */
  size: z.number().int().nonnegative(),
  /** Permission and special bits as the header states them (e.g. 0o755). */
  mode: z.number().int().nonnegative(),
  /** A symlink's target as written, or a hardlink's target path (normalised like `path`). */
  linkTarget: z.string().optional(),
});
export type FileEntry = z.infer<typeof FileEntrySchema>;

/** A layer read to its end: the index, and what the uncompressed stream measured. */
export interface LayerIndex {
  /** In archive order; a path may repeat within one layer (the later header wins, as on extraction). */
  entries: FileEntry[];
  /** Bytes of the uncompressed tar stream. */
  uncompressedBytes: number;
  /** `sha256:<hex>` of the uncompressed tar stream: what the config's `rootfs.diff_ids[i]` must say. */
  diffId: string;
}

/** A layer that was not read counts as empty, so every other layer (and what names it by position) keeps its place. */
export const EMPTY_INDEX: LayerIndex = { entries: [], uncompressedBytes: 0, diffId: '' };

/** A path of an image's final filesystem, and the layer (0-based, in manifest order) that last wrote it. */
export interface FinalEntry {
  path: string;
  type: Exclude<FileType, 'whiteout' | 'opaque'>;
  size: number;
  mode: number;
  linkTarget?: string;
  layer: number;
}

/** A file version the image ships (in layer `layer`) that its final filesystem does not contain. */
export interface ShippedNotKept {
  path: string;
  layer: number;
  bytes: number;
  /** Written again by a later layer, or deleted by a whiteout (or an opaque directory) in a later layer. */
  by: 'replaced' | 'deleted';
  /** The later layer that replaced or deleted it. */
  byLayer: number;
}

/** An image's layers applied in order, whiteouts and opaque directories included. */
export interface ComposedFilesystem {
  /** The final filesystem by path, directories included. */
  files: Map<string, FinalEntry>;
  /** Σ sizes of the final filesystem's regular files, each inode once (hardlinks add nothing). */
  onDiskBytes: number;
  /** Σ of the layers' uncompressed tar bytes: what a pull decompresses. */
  shippedBytes: number;
  /** Σ bytes of file versions shipped but not in the final filesystem (this service's figure). */
  wastedBytes: number;
  wasted: ShippedNotKept[];
  /** dive's efficiency score (dive/filetree/efficiency.go): Σ smallest size per path / Σ cumulative size per path; 1 when nothing is counted. */
  efficiency: number;
  /** dive's "wasted bytes": cumulative size of every path seen in two or more layers, the kept copy included (dive#684). */
  diveWastedBytes: number;
}
