import { app, type InvocationContext } from '@azure/functions';
import { StoredRecordError, TransientError } from '../core/errors';
import { boundQueuedEvent, isListed, RegistryEventSchema } from '../core/events';
import { EVENTS_QUEUE, STORAGE_CONNECTION } from '../names';
import { getRuntime } from '../runtime';
import { refusal } from '../services/failures';
import { ingest, recordTransientFailure } from '../services/ingest';
import { markProcessed } from '../services/listing';

app.storageQueue('processRegistryEvent', {
  queueName: EVENTS_QUEUE,
  connection: STORAGE_CONNECTION,
  handler: async (message: unknown, context: InvocationContext) => {
    const runtime = getRuntime();
    // The queue is a trust boundary: anyone with queue access can write to it. A message
    // that is not an event, or names a registry off the allow-list, goes to the poison
    // queue untouched; fetching from that host would hand it our identity's token.
    const refused = refusal(message, runtime.config.ALLOWED_REGISTRIES);
    if (refused) {
      context.warn(`message refused (${refused.kind}), sent to the poison queue: ${refused.reason}`);
      await runtime.poison.send(message);
      return;
    }
    // Times on the queue are claims too: a year-9999 push would stay `latest` for good.
    const enqueuedAt =
      typeof context.triggerMetadata?.insertionTime === 'string' ? new Date(context.triggerMetadata.insertionTime).toISOString() : new Date().toISOString();
    const event = boundQueuedEvent(RegistryEventSchema.parse(message), enqueuedAt, runtime.config.EVENT_MAX_AGE_HOURS * 3_600_000);
    const what = `${event.action} ${event.registry}/${event.repository}${event.tag ? `:${event.tag}` : ''}${event.digest ? `@${event.digest}` : ''} (event ${event.id})`;
    // What a backfill or reconcile queued reads the registry under their shared rate.
    const deps = isListed(event) ? { ...runtime, registry: runtime.listedRegistry } : runtime;
    try {
      const outcome = await ingest(event, deps);
      if (event.run && isListed(event)) await markProcessed(runtime, event, outcome);
      context.info(
        `${what}: ${outcome.status}, ${outcome.platforms} platform(s), ${outcome.pointsAdded.length} new point(s), ${outcome.pointsRedescribed} later point(s) re-described, ${outcome.registryRequests} registry request(s)` +
          (outcome.reason ? `; ${outcome.reason}` : ''),
      );
    } catch (e) {
      const attempt = Number(context.triggerMetadata?.dequeueCount ?? 1);
      context.warn(`${what}: attempt ${attempt} failed, the queue will retry: ${(e as Error).message}`);
      // A stored record that does not validate is retried like a transient failure (it may be repaired meanwhile), and noted the same way.
      if (e instanceof TransientError || e instanceof StoredRecordError) await recordTransientFailure(event, runtime, e, attempt).catch(() => undefined);
      throw e;
    }
  },
});
