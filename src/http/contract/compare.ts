import { z } from 'zod';
import { FILE_TYPES } from '../../core/layerIndex';
import type { BaseChange, StepDelta } from '../../core/layerDiff';
import { digestParam, limitParam, platformParam, registryParam, repositoryParam } from '../params';
import { BadRequestSchema } from './errors';
import { PlatformChoiceSchema } from './files';
import type { Operation } from './operation';
import { component, described } from './registry';

export const CompareQuery = z.object({
  registry: registryParam,
  repository: repositoryParam,
  from: described(digestParam, 'The image compared from (a platform manifest, or an index with `platform`).'),
  to: described(digestParam, 'The image compared to.'),
  platform: described(platformParam.optional(), 'The platform, when `from` or `to` is an index of several.'),
  /** Paths per list of the file-level diff. */
  top: described(limitParam(20, 200), 'Paths per list of the file-level diff: an integer from 1 to 200; 20 when absent.'),
});

const Bytes = z.number().int().nonnegative();
const Delta = z.number().int();

const SideSchema = z.object({
  digest: z.string(),
  indexDigest: z.string().optional(),
  platform: z.string(),
  sizeBytes: Bytes,
  configSizeBytes: Bytes,
  layerCount: Bytes,
  /** The config's `created`, or null when it has none. */
  created: z.string().nullable(),
});

const LayerViewSchema = z.object({ digest: z.string(), mediaType: z.string(), sizeBytes: Bytes, createdBy: z.string().nullable(), foreign: z.boolean() });

export const StepDeltaSchema = z.object({
  /** The Dockerfile step, or `layer #n` when the images carry no usable history. */
  step: z.string(),
  change: z.enum(['added', 'removed', 'changed', 'unchanged']),
  beforeBytes: Bytes,
  afterBytes: Bytes,
  deltaBytes: Delta,
  beforeDigest: z.string().optional(),
  afterDigest: z.string().optional(),
}) satisfies z.ZodType<StepDelta>;

export const BaseChangeSchema = z.object({
  commonPrefixLayers: Bytes,
  commonPrefixBytes: Bytes,
  /** Leading layers inherited from the base image, when the history timestamps tell. */
  baseLayers: Bytes.nullable(),
  changed: z.boolean(),
  reason: z.string(),
}) satisfies z.ZodType<BaseChange>;

const PathChangeSchema = z.object({
  path: z.string(),
  type: z.enum(FILE_TYPES).exclude(['whiteout', 'opaque']),
  beforeBytes: Bytes,
  afterBytes: Bytes,
  deltaBytes: Delta,
  /** The 0-based layer of `to` that wrote it; absent for what `to` no longer has. */
  layer: Bytes.optional(),
  step: z.string().optional(),
});

const Tally = z.object({ count: Bytes, bytes: Bytes });

const FileDiffSchema = z.discriminatedUnion('status', [
  z.object({ status: z.literal('not requested') }),
  z.object({ status: z.literal('pending') }),
  z.object({
    status: z.literal('done'),
    complete: z.boolean(),
    onDiskDeltaBytes: Delta,
    added: z.array(PathChangeSchema),
    removed: z.array(PathChangeSchema),
    grown: z.array(PathChangeSchema),
    shrunk: z.array(PathChangeSchema),
    /** Over every file, not only the top ones; `modified`: same size, another type, mode or link target. */
    totals: z.object({ added: Tally, removed: Tally, grown: Tally, shrunk: Tally, modified: Bytes }),
  }),
]);

export const ComparisonSchema = component(
  'Comparison',
  z.object({
    registry: z.string(),
    repository: z.string(),
    from: SideSchema,
    to: SideSchema,
    sizeDeltaBytes: Delta,
    /** null when `from` has no bytes to compare with. */
    sizeDeltaPercent: z.number().nullable(),
    addedBytes: Bytes,
    removedBytes: Bytes,
    sharedBytes: Bytes,
    layerCountDelta: Delta,
    layers: z.object({ added: z.array(LayerViewSchema), removed: z.array(LayerViewSchema), shared: z.array(LayerViewSchema) }),
    steps: z.array(StepDeltaSchema),
    base: BaseChangeSchema,
    /** The file-level diff, once both images' contents are read. */
    files: FileDiffSchema,
  }),
  'Two stored images of a repository compared: bytes and layers added, removed and shared, each Dockerfile step before and after, whether the base changed, and once both contents are read the files that changed most.',
);
export type Comparison = z.infer<typeof ComparisonSchema>;

export const compareOperation: Operation = {
  functionName: 'compare',
  operationId: 'compareImages',
  method: 'GET',
  route: 'compare',
  access: 'read',
  tag: 'Images',
  summary: 'Any two stored images of a repository compared',
  query: CompareQuery,
  answers: {
    200: { description: 'The comparison.', body: ComparisonSchema },
    400: {
      description: 'A parameter does not validate, or an index of several platforms was named without `platform`.',
      body: z.union([BadRequestSchema, PlatformChoiceSchema]),
    },
    404: { description: 'An image, or its platform, is not recorded.', body: PlatformChoiceSchema },
  },
};
