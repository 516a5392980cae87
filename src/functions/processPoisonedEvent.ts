import { app, type InvocationContext } from '@azure/functions';
import { EVENTS_POISON_QUEUE, STORAGE_CONNECTION } from '../names';
import { getRuntime } from '../runtime';
import { recordPoisoned } from '../services/failures';
import { isListed, RegistryEventSchema } from '../core/events';
import { markProcessed } from '../services/listing';

// Everything the events trigger gave up on: kept as a failure (GET /api/failures) and
// marked on its image and repository, then removed from the poison queue.
app.storageQueue('processPoisonedEvent', {
  queueName: EVENTS_POISON_QUEUE,
  connection: STORAGE_CONNECTION,
  handler: async (message: unknown, context: InvocationContext) => {
    const runtime = getRuntime();
    const record = await recordPoisoned(runtime.failureDeps, message, Number(context.triggerMetadata?.dequeueCount ?? 0));
    // A backfill or reconcile waits for each of its events: this one is processed, as failed.
    const listed = RegistryEventSchema.safeParse(message);
    if (listed.success && listed.data.run && isListed(listed.data) && runtime.config.ALLOWED_REGISTRIES.includes(listed.data.registry))
      await markProcessed(runtime, listed.data, { action: listed.data.action, status: 'failed', pointsAdded: [], reason: record.reason });
    context.warn(`failed event recorded (${record.kind}) under ${record.registry}, id ${record.id}: ${record.reason}`);
  },
});
