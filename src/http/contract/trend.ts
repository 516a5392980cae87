import { z } from 'zod';
import { TrendPointSchema } from '../../core/trend';
import { continuationParam, limitParam, platformParam, registryParam, repositoryParam, tagParam, timeParam } from '../params';
import { BadRequestSchema, ErrorSchema } from './errors';
import type { Operation } from './operation';
import { component, described } from './registry';

export const TrendQuery = z.object({
  registry: registryParam,
  repository: repositoryParam,
  tag: described(tagParam.optional(), 'Only the points of this tag.'),
  platform: described(platformParam.optional(), 'Only the points of this platform, e.g. `linux/amd64`.'),
  since: described(timeParam.optional(), 'Points pushed at or after this ISO 8601 time.'),
  until: described(timeParam.optional(), 'Points pushed at or before this ISO 8601 time.'),
  limit: limitParam(1000, 1000),
  continuationToken: continuationParam.optional(),
  /** `true`: each point with its image's content figures (one more lookup per 14 images of the page). */
  content: described(
    z.enum(['true', 'false'], { error: 'must be true or false' }).optional(),
    "`true`: each point also carries its image's content figures once its layers are read (one more table request per 14 images of the page).",
  ),
});

const Bytes = z.number().int().nonnegative();

export const PointContentSchema = component(
  'PointContent',
  z.discriminatedUnion('status', [
    z.object({ status: z.literal('not requested') }),
    z.object({ status: z.literal('pending') }),
    z.object({
      status: z.literal('done'),
      /** Every layer was read: otherwise the figures cover the layers read. */
      complete: z.boolean(),
      onDiskBytes: Bytes,
      wastedBytes: Bytes,
      shippedBytes: Bytes,
      efficiency: z.number(),
      /** How many findings the image has (they are listed by `GET /api/image`). */
      findings: Bytes,
    }),
  ]),
  "What is inside a point's image: `not requested` (layer analysis was off), `pending`, or `done` with its figures.",
);

export const TrendPointViewSchema = component(
  'TrendPointView',
  TrendPointSchema.extend({
    onDiskBytes: Bytes.optional(),
    wastedBytes: Bytes.optional(),
    content: PointContentSchema.optional(),
  }),
  'A trend point as `GET /api/trend` answers it; with `content=true`, its content figures beside it (`onDiskBytes` and `wastedBytes` once read).',
);

export const TrendAnswerSchema = component(
  'TrendAnswer',
  z.object({
    registry: z.string(),
    repository: z.string(),
    points: z.array(TrendPointViewSchema),
    /** null on the last page. */
    continuationToken: z.string().nullable(),
  }),
  "A page of a repository's trend, oldest point first; `continuationToken` is null on the last page.",
);
export type TrendAnswer = z.infer<typeof TrendAnswerSchema>;

export const trendOperation: Operation = {
  functionName: 'trend',
  operationId: 'getTrend',
  method: 'GET',
  route: 'trend',
  access: 'read',
  tag: 'Trends',
  summary: "A repository's size trend",
  description:
    'One point per (tag, platform manifest) pair, stamped with its first push, each compared with its baseline and carrying its cost and pull-time estimates. Each page is one table request; a page may hold fewer than `limit` points, and the last full page may be followed by an empty one.',
  query: TrendQuery,
  answers: {
    200: { description: 'A page of points, oldest first.', body: TrendAnswerSchema },
    400: { description: 'A query parameter does not validate (`problems` names each one), or `since` is after `until`.', body: BadRequestSchema },
    404: { description: 'The repository has neither a summary nor a point.', body: ErrorSchema },
  },
};
