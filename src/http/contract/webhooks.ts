import { z } from 'zod';
import {
  AcrWebhookSchema,
  CLOUDEVENTS_BATCH_CONTENT_TYPE,
  CLOUDEVENTS_CONTENT_TYPE,
  CloudEventSchema,
  DistributionEventSchema,
  EventGridEventSchema,
} from '../../core/events';
import { ErrorSchema, StorageUnavailableReasonSchema, StorageUnavailableSchema, TooLargeSchema } from './errors';
import type { Answer, Operation } from './operation';
import { component } from './registry';

/**
 * The registries' notifications: validated, checked against the secret and the
 * allow-list, and queued; nothing slow happens before the answer (ACR waits 5 s and
 * never retries).
 */

/** A webhook body over this is refused on its Content-Length, or once this much has been read. */
export const MAX_WEBHOOK_BYTES = 1024 * 1024;
/** An unauthenticated validation handshake is one small event. */
export const MAX_HANDSHAKE_BYTES = 64 * 1024;

const IgnoredSchema = z.object({ action: z.string(), reason: z.string(), id: z.string().optional() });

export const IgnoredAnswerSchema = component(
  'WebhookIgnored',
  z.object({ accepted: z.literal(0), ignored: z.array(IgnoredSchema), ping: z.literal('ok').optional() }),
  'Nothing to queue: every event was ignored (ping, charts, quarantine, tag deletes, pulls, mounts, blob events), each with why.',
);

export type WebhookIgnored = z.infer<typeof IgnoredAnswerSchema>;

export const AcceptedAnswerSchema = component(
  'WebhookAccepted',
  z.object({ accepted: z.number().int().positive(), ignored: z.array(IgnoredSchema).optional() }),
  'Every event was queued.',
);
export type WebhookAccepted = z.infer<typeof AcceptedAnswerSchema>;

export const NotQueuedSchema = component(
  'WebhookNotQueued',
  z
    .object({
      error: z.string(),
      reason: z.union([StorageUnavailableReasonSchema, z.literal('mixed')]),
      /** How many events were queued. */
      accepted: z.number().int().nonnegative(),
      /** Every event's outcome: `unknown` when the queue did not answer in time (it may have been queued). */
      events: z.array(z.object({ id: z.string(), outcome: z.enum(['queued', 'not_queued', 'unknown']), reason: z.string().optional() })),
      ignored: z.array(IgnoredSchema).optional(),
    })
    .loose(),
  'Some event was not queued, or may not have been: send the whole payload again (events already queued are processed once).',
);
export type WebhookNotQueued = z.infer<typeof NotQueuedSchema>;

export const EventGridValidationSchema = component(
  'EventGridValidation',
  z.object({ validationResponse: z.string() }),
  'The subscription validation handshake answered with its code.',
);
export type EventGridValidation = z.infer<typeof EventGridValidationSchema>;

export const RegistryRefusedSchema = component(
  'RegistryRefused',
  z.object({ error: z.string(), registries: z.array(z.string()) }).loose(),
  'An event names a registry not in ALLOWED_REGISTRIES; nothing was queued.',
);
export type RegistryRefused = z.infer<typeof RegistryRefusedSchema>;

/** What every webhook answers besides its own 2xx. */
const webhookAnswers: Partial<Record<number, Answer>> = {
  202: { description: 'Every event was queued (`accepted` of them).', body: AcceptedAnswerSchema },
  400: { description: 'Malformed JSON, the wrong shape, an unknown action, or a bad digest, repository, tag or time.', body: ErrorSchema },
  401: {
    description: 'The `Authorization: Bearer <WEBHOOK_SECRET>` header is missing or wrong; the body is not read.',
    body: ErrorSchema,
    headers: { 'WWW-Authenticate': '`Bearer`.' },
  },
  403: { description: 'An event names a registry not in ALLOWED_REGISTRIES.', body: RegistryRefusedSchema },
  413: { description: `The body is over ${MAX_WEBHOOK_BYTES} bytes (a validation handshake: over ${MAX_HANDSHAKE_BYTES}).`, body: TooLargeSchema },
  503: {
    description: 'Some event was not queued, or may not have been, or storage could not be reached: send it again.',
    body: z.union([NotQueuedSchema, StorageUnavailableSchema]),
    headers: { 'Retry-After': 'Seconds to wait before sending again.' },
  },
};

const webhookBase = { method: 'POST', access: 'webhook', tag: 'Webhooks' } as const;

export const webhookOperations: Operation[] = [
  {
    ...webhookBase,
    functionName: 'acrWebhook',
    operationId: 'acrWebhook',
    route: 'webhooks/acr',
    summary: 'Azure Container Registry webhook',
    description:
      'ACR webhook payloads: `push`, `delete`, `chart_push`, `chart_delete`, `quarantine`, `ping`. Only image pushes and manifest deletes are queued.',
    body: { description: `An ACR webhook payload, at most ${MAX_WEBHOOK_BYTES} bytes.`, required: true, content: { 'application/json': AcrWebhookSchema } },
    answers: { 200: { description: 'Nothing to queue (a ping, a chart, a quarantine, a tag delete).', body: IgnoredAnswerSchema }, ...webhookAnswers },
  },
  {
    ...webhookBase,
    functionName: 'distributionWebhook',
    operationId: 'distributionWebhook',
    route: 'webhooks/distribution',
    summary: 'CNCF Distribution notification endpoint',
    description: 'Notification envelopes of a Distribution registry; `pull`, `mount` and blob events are ignored.',
    body: {
      description: `A notification envelope, at most ${MAX_WEBHOOK_BYTES} bytes.`,
      required: true,
      content: { 'application/json': z.object({ events: z.array(DistributionEventSchema).max(1000) }) },
    },
    answers: { 200: { description: 'Nothing to queue (pulls, mounts, blob events, tag deletes).', body: IgnoredAnswerSchema }, ...webhookAnswers },
  },
  {
    ...webhookBase,
    functionName: 'eventGridWebhook',
    operationId: 'eventGridWebhook',
    route: 'webhooks/eventgrid',
    summary: 'Event Grid subscription endpoint (Event Grid schema or CloudEvents 1.0)',
    description:
      'ImagePushed and ImageDeleted of an ACR system topic, with the same Bearer secret as a delivery attribute. The subscription validation handshake (`aeg-event-type: SubscriptionValidation`) needs no secret and is answered with `validationResponse`. Event Grid retries a 503 for up to 24 hours.',
    headers: [{ name: 'aeg-event-type', required: false, description: '`SubscriptionValidation` for the subscription validation handshake.' }],
    body: {
      description: `Event Grid events (a JSON array), or CloudEvents (one event, or a batch), at most ${MAX_WEBHOOK_BYTES} bytes; a lone object carrying \`specversion\` sent as application/json is read as a CloudEvent.`,
      required: true,
      content: {
        'application/json': z.union([z.array(EventGridEventSchema).min(1).max(5000), CloudEventSchema]),
        [CLOUDEVENTS_CONTENT_TYPE]: CloudEventSchema,
        [CLOUDEVENTS_BATCH_CONTENT_TYPE]: z.array(CloudEventSchema).min(1).max(5000),
      },
    },
    answers: {
      200: {
        description: 'The validation handshake answered, or nothing to queue (event types not tracked, charts, tag deletes).',
        body: z.union([EventGridValidationSchema, IgnoredAnswerSchema]),
      },
      ...webhookAnswers,
    },
  },
  {
    ...webhookBase,
    method: 'OPTIONS',
    access: 'public',
    functionName: 'eventGridWebhook',
    operationId: 'eventGridHandshake',
    route: 'webhooks/eventgrid',
    summary: 'CloudEvents abuse-protection handshake',
    description:
      'Before the first CloudEvents delivery Event Grid asks whether this endpoint accepts its events; the origin is echoed. Needs no secret: it stores nothing.',
    headers: [{ name: 'WebHook-Request-Origin', required: true, description: 'The origin asking to deliver.' }],
    answers: {
      200: {
        description: 'The origin is allowed.',
        headers: { 'WebHook-Allowed-Origin': 'The origin that asked.', 'WebHook-Allowed-Rate': '`*`: any rate.', Allow: '`POST, OPTIONS`.' },
      },
      400: { description: 'The `WebHook-Request-Origin` header is missing.', body: ErrorSchema },
    },
  },
];
