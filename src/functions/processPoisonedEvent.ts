import { app, type InvocationContext } from '@azure/functions';
import { EVENTS_POISON_QUEUE, STORAGE_CONNECTION } from '../names';
import { getRuntime } from '../runtime';
import { recordPoisoned } from '../services/failures';

// Everything the events trigger gave up on: kept as a failure (GET /api/failures) and
// marked on its image and repository, then removed from the poison queue.
app.storageQueue('processPoisonedEvent', {
  queueName: EVENTS_POISON_QUEUE,
  connection: STORAGE_CONNECTION,
  handler: async (message: unknown, context: InvocationContext) => {
    const runtime = getRuntime();
    const record = await recordPoisoned(runtime.failureDeps, message, Number(context.triggerMetadata?.dequeueCount ?? 0));
    context.warn(`failed event recorded (${record.kind}) under ${record.registry}, id ${record.id}: ${record.reason}`);
  },
});
