import { z } from 'zod';
import { FILE_TYPES } from '../../core/layerIndex';
import { digestParam, limitParam, platformParam, registryParam, repositoryParam } from '../params';
import { BadRequestSchema, ErrorSchema } from './errors';
import type { Operation } from './operation';
import { component, described } from './registry';

export const FilesQuery = z.object({
  registry: registryParam,
  repository: repositoryParam,
  digest: digestParam,
  platform: described(platformParam.optional(), 'The platform, when `digest` names an index of several.'),
  path: described(
    z.string().max(4096, { message: 'must be at most 4096 characters', abort: true }).optional(),
    'The directory to list (the root when absent), e.g. `/usr/lib`.',
  ),
  layer: described(digestParam.optional(), 'A layer digest of the image: what that layer added, changed and removed under `path`.'),
  limit: limitParam(100, 1000),
});

const Bytes = z.number().int().nonnegative();
/** What the final filesystem holds: whiteouts and opaque markers are gone once the layers are composed. */
const EntryTypeSchema = z.enum(FILE_TYPES).exclude(['whiteout', 'opaque']);

const ImageHead = {
  registry: z.string(),
  repository: z.string(),
  /** The platform manifest listed (the index's, when `digest` named an index). */
  digest: z.string(),
  platform: z.string(),
  /** Every layer was read: otherwise the layers not read count as empty. */
  complete: z.boolean(),
  path: z.string(),
};

export const DirectoryListingSchema = component(
  'DirectoryListing',
  z.object({
    ...ImageHead,
    /** Σ regular-file bytes beneath the directory. */
    sizeBytes: Bytes,
    files: Bytes,
    /** Children of the directory, before `limit`. */
    total: Bytes,
    entries: z.array(
      z.object({
        name: z.string(),
        path: z.string(),
        type: EntryTypeSchema,
        sizeBytes: Bytes,
        files: Bytes,
        /** The 0-based layer that last wrote it (or anything beneath it); -1 for a directory no layer names. */
        layer: z.number().int().min(-1),
        step: z.string().optional(),
        mode: Bytes,
        linkTarget: z.string().optional(),
      }),
    ),
  }),
  "One directory of an image's final filesystem, largest entries first (dive's tree view, a level per call).",
);
export type DirectoryListing = z.infer<typeof DirectoryListingSchema>;

export const LayerChangesSchema = component(
  'LayerChanges',
  z.object({
    ...ImageHead,
    layer: z.object({ index: Bytes, digest: z.string(), step: z.string().optional() }),
    addedBytes: Bytes,
    removedBytes: Bytes,
    /** On-disk bytes after the layer minus before it. */
    netBytes: z.number().int(),
    /** How many paths of each list there are under `path`, before `limit`. */
    totals: z.object({ added: Bytes, changed: Bytes, removed: Bytes }),
    added: z.array(z.object({ path: z.string(), type: EntryTypeSchema, sizeBytes: Bytes })),
    changed: z.array(z.object({ path: z.string(), type: EntryTypeSchema, typeBefore: EntryTypeSchema, beforeBytes: Bytes, afterBytes: Bytes })),
    removed: z.array(z.object({ path: z.string(), by: z.enum(['whiteout', 'opaque', 'replaced']), type: EntryTypeSchema, bytes: Bytes, files: Bytes })),
  }),
  'What one layer did to the filesystem below it, under `path`: paths added, changed and removed, with their byte totals.',
);
export type LayerChanges = z.infer<typeof LayerChangesSchema>;

export const FilesAnswerSchema = z.union([DirectoryListingSchema, LayerChangesSchema]);
export type FilesAnswer = z.infer<typeof FilesAnswerSchema>;

/** An index without `platform`, or a platform it does not have: the platforms it has. */
export const PlatformChoiceSchema = component(
  'PlatformChoice',
  z.object({ error: z.string(), platforms: z.array(z.string()).optional() }).loose(),
  'The image could not be chosen: `platforms` lists what an index holds, to pass as `platform`.',
);

export const filesOperation: Operation = {
  functionName: 'files',
  operationId: 'listFiles',
  method: 'GET',
  route: 'files',
  access: 'read',
  tag: 'Images',
  summary: "An image's files, one directory at a time, or what one layer changed",
  description: "Composed on demand from the layers' file indexes, without pulling the image.",
  query: FilesQuery,
  answers: {
    200: { description: "The directory listing, or with `layer` the layer's changes.", body: FilesAnswerSchema },
    400: {
      description: 'A parameter does not validate, `path` is a file, or `digest` is an index of several platforms and `platform` is missing.',
      body: z.union([BadRequestSchema, PlatformChoiceSchema]),
    },
    404: {
      description: 'No such image, platform, path or layer, or the content was never analyzed.',
      body: PlatformChoiceSchema.extend({ layers: z.array(z.string()).optional() }).loose(),
    },
    409: {
      description: 'The content is still being read; ask again later.',
      body: ErrorSchema.extend({ contentStatus: z.string() }).loose(),
    },
  },
};
