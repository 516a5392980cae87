import { app, type InvocationContext } from '@azure/functions';
import { TransientError } from '../core/errors';
import { RegistryEventSchema } from '../core/events';
import { EVENTS_QUEUE, STORAGE_CONNECTION } from '../names';
import { getRuntime } from '../runtime';
import { ingest, recordTransientFailure } from '../services/ingest';

app.storageQueue('processRegistryEvent', {
  queueName: EVENTS_QUEUE,
  connection: STORAGE_CONNECTION,
  handler: async (message: unknown, context: InvocationContext) => {
    const parsed = RegistryEventSchema.safeParse(message);
    if (!parsed.success) {
      // Retrying cannot fix it; throwing lets the host move it to the poison queue where it can be inspected.
      throw new Error(`message is not a registry event: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
    }
    const event = parsed.data;
    const what = `${event.action} ${event.registry}/${event.repository}${event.tag ? `:${event.tag}` : ''}${event.digest ? `@${event.digest}` : ''} (event ${event.id})`;
    const runtime = getRuntime();
    try {
      const outcome = await ingest(event, runtime);
      context.info(
        `${what}: ${outcome.status}, ${outcome.platforms} platform(s), ${outcome.pointsAdded.length} new point(s), ${outcome.pointsRedescribed} later point(s) re-described, ${outcome.registryRequests} registry request(s)` +
          (outcome.reason ? `; ${outcome.reason}` : ''),
      );
    } catch (e) {
      const attempt = Number(context.triggerMetadata?.dequeueCount ?? 1);
      context.warn(`${what}: attempt ${attempt} failed, the queue will retry: ${(e as Error).message}`);
      if (e instanceof TransientError) await recordTransientFailure(event, runtime, e, attempt).catch(() => undefined);
      throw e;
    }
  },
});
