import { z } from 'zod';
import { FailureRecordSchema } from '../../core/failure';
import type { ReplayResult } from '../../services/failures';
import { limitParam, registryParam } from '../params';
import type { Operation } from './operation';
import { component, described } from './registry';

export const FailuresQuery = z.object({
  registry: described(registryParam.optional(), "Only this registry's failures (`-` for messages naming no readable registry); every registry's when absent."),
  limit: limitParam(100, 1000),
});

export const ReplayQuery = z.object({
  registry: registryParam,
  id: described(
    z
      .string()
      .regex(/^[0-9a-f]{32}$/, 'is not a failure id')
      .optional(),
    "Only this failure (its `id`); every one of the registry's when absent.",
  ),
});

export const FailureRecordComponent = component(
  'FailureRecord',
  FailureRecordSchema,
  'An event the service gave up on: `invalid` (the queue message is not an event), `refused` (a registry off ALLOWED_REGISTRIES, never contacted) or `exhausted` (every attempt failed), with the message as received.',
);

export const FailuresAnswerSchema = component(
  'Failures',
  z.object({ registry: z.string().nullable(), failures: z.array(FailureRecordComponent) }),
  'Events the service gave up on, newest first; `registry` is null when every registry is listed.',
);
export type FailuresAnswer = z.infer<typeof FailuresAnswerSchema>;

export const ReplayAnswerSchema = component(
  'Replay',
  z.object({
    registry: z.string(),
    replayed: z.array(z.object({ id: z.string(), eventId: z.string() })),
    skipped: z.array(z.object({ id: z.string(), reason: z.string() })),
  }) satisfies z.ZodType<ReplayResult & { registry: string }>,
  'What a replay queued again, and what it skipped and why (not an event, a registry not allowed, already replayed).',
);
export type ReplayAnswer = z.infer<typeof ReplayAnswerSchema>;

export const failureOperations: Operation[] = [
  {
    functionName: 'failures',
    operationId: 'listFailures',
    method: 'GET',
    route: 'failures',
    access: 'read',
    tag: 'Failures',
    summary: 'Events the service gave up on, newest first',
    query: FailuresQuery,
    answers: { 200: { description: 'At most `limit` failures.', body: FailuresAnswerSchema } },
  },
  {
    functionName: 'replayFailures',
    operationId: 'replayFailures',
    method: 'POST',
    route: 'failures/replay',
    access: 'write',
    tag: 'Failures',
    summary: "Queues a registry's failed events again",
    description: 'Once the cause is fixed. The allow-list is checked again: a refused event stays refused.',
    query: ReplayQuery,
    answers: {
      200: { description: 'Nothing was queued.', body: ReplayAnswerSchema },
      202: { description: 'Some events were queued again.', body: ReplayAnswerSchema },
    },
  },
];
