import type { HttpRequest, HttpResponseInit, InvocationContext } from '@azure/functions';
import type { NormalizedNotification, RegistryEvent } from '../core/events';
import { InvalidNotificationError, withReceiveTime } from '../core/events';
import { escapeForLog } from '../core/logText';
import type { Runtime } from '../runtime';
import { hasBearerSecret } from './auth';
import { readJsonBody } from './body';
import type { EnqueueFailure, EnqueueOutcome } from '../adapters/eventQueue';
import { STORAGE_RETRY_AFTER_SECONDS } from './handler';
import { problem, json } from './responses';
import type { DetailsOf } from './contract/errors';
import { MAX_WEBHOOK_BYTES, type RegistryRefused, type WebhookAccepted, type WebhookIgnored, type WebhookNotQueued } from './contract/webhooks';

export { MAX_WEBHOOK_BYTES };

function describe(e: RegistryEvent): string {
  const replaced = e.reportedTimestamp ? ` (reported time ${e.reportedTimestamp} replaced by the receive time ${e.timestamp})` : '';
  return escapeForLog(`event ${e.id} ${e.action} ${e.registry}/${e.repository}${e.tag ? `:${e.tag}` : ''}${e.digest ? `@${e.digest}` : ''}${replaced}`);
}

/**
 * Validate, check the allow-list, enqueue, answer. Nothing slow happens here: ACR waits
 * 5 s for an answer and never retries, so the manifest work belongs to the queue trigger.
 */
export async function acceptWebhook(
  request: HttpRequest,
  context: InvocationContext,
  runtime: Pick<Runtime, 'config' | 'queue'>,
  normalize: (body: unknown) => NormalizedNotification,
): Promise<HttpResponseInit> {
  const receivedAt = new Date().toISOString();
  const secrets = [runtime.config.WEBHOOK_SECRET, ...(runtime.config.WEBHOOK_SECRET_PREVIOUS ? [runtime.config.WEBHOOK_SECRET_PREVIOUS] : [])];
  if (!hasBearerSecret(request, secrets)) {
    context.warn('webhook refused: missing or wrong Authorization header');
    return problem(401, 'missing or invalid Authorization header; expected "Authorization: Bearer <WEBHOOK_SECRET>"', {}, { 'www-authenticate': 'Bearer' });
  }
  const body = await readJsonBody(request, MAX_WEBHOOK_BYTES);
  let notification: NormalizedNotification;
  try {
    notification = normalize(body);
  } catch (e) {
    if (e instanceof InvalidNotificationError) return problem(400, e.message);
    throw e;
  }
  const maxAgeMs = runtime.config.EVENT_MAX_AGE_HOURS * 3_600_000;
  notification = { ...notification, events: notification.events.map((e) => withReceiveTime(e, receivedAt, maxAgeMs)) };
  // The payload names the registry; fetching from an unlisted host with our identity would hand it a token.
  const allowed = new Set(runtime.config.ALLOWED_REGISTRIES);
  const refused = [...new Set(notification.events.map((e) => e.registry).filter((r) => !allowed.has(r)))];
  if (refused.length > 0) {
    context.warn(`webhook refused: registry ${escapeForLog(refused.join(', '))} is not in ALLOWED_REGISTRIES`);
    return problem(403, `registry ${refused.join(', ')} is not allowed; add it to ALLOWED_REGISTRIES to track it`, {
      registries: refused,
    } satisfies DetailsOf<RegistryRefused>);
  }
  const ignored = notification.ignored.map((i) => ({ action: i.action, reason: i.reason, ...(i.id ? { id: i.id } : {}) }));
  if (notification.events.length === 0)
    return json(200, { accepted: 0, ignored, ...(notification.ping ? { ping: 'ok' as const } : {}) } satisfies WebhookIgnored);
  const outcomes = await runtime.queue.enqueue(notification.events);
  for (const o of outcomes) {
    if (o.outcome === 'queued') context.info(`queued ${describe(o.event)}`);
    else context.error(`could not queue ${describe(o.event)} (${o.outcome}): ${o.reason}`);
  }
  const accepted = outcomes.filter((o) => o.outcome === 'queued').length;
  if (accepted === outcomes.length) return json(202, { accepted, ...(ignored.length ? { ignored } : {}) } satisfies WebhookAccepted);
  return notQueued(outcomes, accepted, ignored);
}

/**
 * Some events were not queued (or may not have been): 503, so a sender that retries
 * (Event Grid, Distribution) delivers the whole payload again, with every event's outcome
 * in the body. Resending the events that were queued is harmless: processing is
 * idempotent per (tag, digest). The error says whether storage timed out, could not be
 * reached, or refused.
 */
function notQueued(outcomes: EnqueueOutcome[], accepted: number, ignored: { action: string; reason: string; id?: string }[]): HttpResponseInit {
  const failed = outcomes.filter((o): o is EnqueueFailure => o.outcome !== 'queued');
  const reasons = [...new Set(failed.map((o) => o.reason))];
  const kinds = [...new Set(failed.map((o) => o.error?.kind ?? 'timeout'))];
  const what =
    outcomes.length === 1
      ? 'the event was not queued'
      : accepted === 0
        ? `none of the ${outcomes.length} events was queued`
        : `${failed.length} of ${outcomes.length} events were not queued (${accepted} were)`;
  return problem(
    503,
    `${what}: ${reasons.slice(0, 3).join('; ')}; retry later (events already queued are processed once)`,
    {
      // At least one event failed, so there is at least one kind.
      reason: kinds.length === 1 ? kinds[0]! : 'mixed',
      accepted,
      events: outcomes.map((o) => (o.outcome === 'queued' ? { id: o.event.id, outcome: o.outcome } : { id: o.event.id, outcome: o.outcome, reason: o.reason })),
      ...(ignored.length ? { ignored } : {}),
    } satisfies DetailsOf<WebhookNotQueued>,
    { 'retry-after': String(STORAGE_RETRY_AFTER_SECONDS) },
  );
}
