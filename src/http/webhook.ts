import type { HttpRequest, HttpResponseInit, InvocationContext } from '@azure/functions';
import type { NormalizedNotification, RegistryEvent } from '../core/events';
import { InvalidNotificationError, withReceiveTime } from '../core/events';
import { escapeForLog } from '../core/logText';
import type { Runtime } from '../runtime';
import { hasBearerSecret } from './auth';
import { readJsonBody } from './body';
import { storageUnavailable } from './handler';
import { StorageUnavailableError } from '../adapters/storage';
import { problem, json } from './responses';

export const MAX_WEBHOOK_BYTES = 1024 * 1024;
/** An unauthenticated validation handshake is one small event. */
export const MAX_HANDSHAKE_BYTES = 64 * 1024;

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
    return problem(403, `registry ${refused.join(', ')} is not allowed; add it to ALLOWED_REGISTRIES to track it`, { registries: refused });
  }
  const ignored = notification.ignored.map((i) => ({ action: i.action, reason: i.reason, ...(i.id ? { id: i.id } : {}) }));
  if (notification.events.length === 0) return json(200, { accepted: 0, ignored, ...(notification.ping ? { ping: 'ok' } : {}) });
  try {
    await runtime.queue.enqueue(notification.events);
  } catch (e) {
    if (!(e instanceof StorageUnavailableError)) throw e;
    for (const event of notification.events) context.error(`could not queue ${describe(event)}: ${e.message}`);
    return storageUnavailable(e);
  }
  for (const event of notification.events) context.info(`queued ${describe(event)}`);
  return json(202, { accepted: notification.events.length, ...(ignored.length ? { ignored } : {}) });
}
