import { z } from 'zod';
import { ReconcileSummarySchema, RunProgressSchema } from '../../core/listing';
import { registryParam, repositoryPatternParam } from '../params';
import { ErrorSchema } from './errors';
import type { Operation } from './operation';
import { component, described } from './registry';

export const BackfillQuery = z.object({
  registry: registryParam,
  repository: described(repositoryPatternParam.optional(), 'Only the repositories this name or glob names (as in policies); the whole registry when absent.'),
});
export const BackfillStatusQuery = BackfillQuery.pick({ registry: true });

export const RunProgressComponent = component(
  'RunProgress',
  RunProgressSchema,
  'A backfill or reconcile run: `running`, `done` once every tag found is processed, or `failed` when its listing could not go on; its counts, registry requests and first errors.',
);

export const ReconcileSummaryComponent = component(
  'ReconcileSummary',
  ReconcileSummarySchema,
  'A reconciled registry: since when it is watched, what reconcile found that webhooks had missed, and its latest run.',
);

export const BackfillStatusSchema = component(
  'BackfillStatus',
  z.object({ registry: z.string(), backfill: RunProgressComponent.nullable(), reconcile: ReconcileSummaryComponent.nullable() }),
  "A registry's backfill (null when none ran) and reconcile (null until a whole-registry backfill finished).",
);
export type BackfillStatus = z.infer<typeof BackfillStatusSchema>;

export const BackfillStartedSchema = component('BackfillStarted', z.object({ registry: z.string(), backfill: RunProgressComponent }), 'The run just started.');
export type BackfillStarted = z.infer<typeof BackfillStartedSchema>;

export const backfillOperations: Operation[] = [
  {
    functionName: 'backfill',
    operationId: 'getBackfill',
    method: 'GET',
    route: 'backfill',
    access: 'read',
    tag: 'Registry',
    summary: "A registry's backfill and reconcile progress",
    query: BackfillStatusQuery,
    answers: {
      200: { description: 'The latest backfill and the reconcile state.', body: BackfillStatusSchema },
      404: { description: 'Neither a backfill nor a reconcile ever ran.', body: ErrorSchema },
    },
  },
  {
    functionName: 'backfillStart',
    operationId: 'startBackfill',
    method: 'POST',
    route: 'backfill',
    access: 'write',
    tag: 'Registry',
    summary: 'Starts a backfill of a registry, or of the repositories a glob names',
    description: 'Lists the registry and queues an event per tag, as pushes would have.',
    query: BackfillQuery,
    answers: {
      202: { description: 'The backfill started.', body: BackfillStartedSchema },
      403: { description: 'The registry is not in ALLOWED_REGISTRIES.', body: ErrorSchema },
      409: {
        description: 'A backfill of the registry is running: it is answered as `backfill`.',
        body: ErrorSchema.extend({ backfill: RunProgressComponent }).loose(),
      },
    },
  },
];
