import { z } from 'zod';
import { FoundSchema } from '../../core/listing';
import { PointBriefSchema, RepositorySummarySchema } from '../../core/repository';
import { keyContinuationParam, limitParam, registryParam } from '../params';
import type { Operation } from './operation';
import { component } from './registry';

export const RepositoriesQuery = z.object({
  registry: registryParam,
  limit: limitParam(1000, 1000),
  // Repository rows are keyed by the escaped name alone.
  continuationToken: keyContinuationParam('').optional(),
});

export const PointBriefComponent = component(
  'PointBrief',
  PointBriefSchema,
  'A trend point in brief: which image, when, how big, against which baseline. The whole point is in `GET /api/trend`.',
);

const RepositoryViewSchema = RepositorySummarySchema.omit({ registry: true }).extend({
  /** The newest point not deleted, across platforms. */
  latest: PointBriefComponent.nullable(),
});

export const RepositoriesAnswerSchema = component(
  'Repositories',
  z.object({
    registry: z.string(),
    repositories: z.array(RepositoryViewSchema),
    /** null on the last page. */
    continuationToken: z.string().nullable(),
    /** null until the registry is reconciled: what reconcile found that webhooks had missed, since it started watching. */
    reconcile: z
      .object({ since: z.string(), lastReconciledAt: z.string().nullable(), missed: FoundSchema.extend({ total: z.number().int().nonnegative() }) })
      .nullable(),
  }),
  "A page of a registry's tracked repositories in the order of their stored keys, each with its latest points and last error.",
);
export type RepositoriesAnswer = z.infer<typeof RepositoriesAnswerSchema>;

export const repositoriesOperation: Operation = {
  functionName: 'repositories',
  operationId: 'listRepositories',
  method: 'GET',
  route: 'repositories',
  access: 'read',
  tag: 'Trends',
  summary: "A registry's tracked repositories",
  query: RepositoriesQuery,
  answers: { 200: { description: 'A page of repositories; `continuationToken` is null on the last page.', body: RepositoriesAnswerSchema } },
};
