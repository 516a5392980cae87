import { z } from 'zod';
import { LAYER_STATUSES } from '../../core/contentAnalysis';
import { ContentSummarySchema } from '../../core/contentSummary';
import { ImageRecordSchema, PlatformFailureSchema, PlatformSummarySchema } from '../../core/image';
import type { HistoryMatch } from '../../core/imageConfig';
import { LayerSchema } from '../../core/manifest';
import { digestParam, registryParam, repositoryParam } from '../params';
import { ErrorSchema } from './errors';
import type { Operation } from './operation';
import { component } from './registry';

export const ImageQuery = z.object({ registry: registryParam, repository: repositoryParam, digest: digestParam });

const Bytes = z.number().int().nonnegative();

const PendingLayerSchema = z.object({
  digest: z.string(),
  status: z.enum(LAYER_STATUSES),
  reason: z.string().optional(),
  compressedBytes: Bytes,
  uncompressedBytes: Bytes.optional(),
  fileCount: Bytes.optional(),
  step: z.string().optional(),
});

export const ImageContentViewSchema = component(
  'ImageContent',
  z.discriminatedUnion('status', [
    z.object({ status: z.literal('not requested') }),
    z.object({ status: z.literal('pending'), requestedAt: z.string(), layers: z.array(PendingLayerSchema) }),
    ContentSummarySchema.extend({ status: z.literal('done'), requestedAt: z.string(), completedAt: z.string().optional() }),
  ]),
  "A platform image's content: `not requested` (pushed while LAYER_ANALYSIS was off), `pending` with each layer's state, or `done` with the summary: on-disk and wasted bytes, dive's efficiency, findings.",
);
export type ImageContentView = z.infer<typeof ImageContentViewSchema>;

const HistoryMatchSchema = z.enum(['matched', 'absent', 'mismatched']) satisfies z.ZodType<HistoryMatch>;

/** A platform whose manifest and config are stored: what a pull of it downloads, layer by layer. */
const PlatformDetailSchema = PlatformSummarySchema.extend({
  mediaType: z.string(),
  os: z.string().optional(),
  architecture: z.string().optional(),
  variant: z.string().optional(),
  created: z.string().optional(),
  config: z.object({ digest: z.string(), mediaType: z.string(), sizeBytes: Bytes }),
  history: HistoryMatchSchema,
  layers: z.array(LayerSchema),
  content: ImageContentViewSchema.optional(),
});
export type PlatformDetail = z.infer<typeof PlatformDetailSchema>;

export const ImageDetailSchema = component(
  'ImageDetail',
  ImageRecordSchema.extend({
    platforms: z.array(z.union([PlatformDetailSchema, PlatformSummarySchema, PlatformFailureSchema])),
  }),
  'A stored image: its status, tags and push times, and per platform its sizes, config, layers (with the Dockerfile step of each) and content.',
);
export type ImageDetail = z.infer<typeof ImageDetailSchema>;

export const imageOperation: Operation = {
  functionName: 'image',
  operationId: 'getImage',
  method: 'GET',
  route: 'image',
  access: 'read',
  tag: 'Images',
  summary: 'A stored image, platform by platform',
  query: ImageQuery,
  answers: {
    200: { description: 'The image record with its platforms.', body: ImageDetailSchema },
    404: { description: 'No image of that digest is recorded in the repository.', body: ErrorSchema },
  },
};
