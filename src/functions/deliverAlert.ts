import { app, type InvocationContext } from '@azure/functions';
import { AlertRefMessage, parseMessage } from '../core/alertMessages';
import { DELIVERIES_QUEUE, STORAGE_CONNECTION } from '../names';
import { getRuntime } from '../runtime';
import { deliverOnce } from '../services/alerts';

// One attempt at one outbox alert; a retry is queued as a new, delayed message.
app.storageQueue('deliverAlert', {
  queueName: DELIVERIES_QUEUE,
  connection: STORAGE_CONNECTION,
  handler: async (message: unknown, context: InvocationContext) => {
    const runtime = getRuntime();
    const ref = parseMessage(AlertRefMessage, message, runtime.config.ALLOWED_REGISTRIES, 'an alert reference');
    const result = await deliverOnce(runtime.deliveryDeps, ref);
    if (result.outcome === 'skipped') {
      context.info(`alert delivery ${ref.registry} ${ref.rowKey}: skipped (not pending, not due yet, or being sent)`);
      return;
    }
    const r = result.record;
    if (result.outcome === 'deferred') {
      context.info(
        `alert delivery ${r.id} for ${r.repository}:${r.tag} ${r.platform}: deferred to ${r.nextAttemptAt}, its route has the most deliveries in flight already`,
      );
      return;
    }
    context.info(
      `alert delivery ${r.id} for ${r.repository}:${r.tag} ${r.platform}: ${r.state} after ${r.attempts} attempt(s)` +
        (r.state === 'pending' ? `, next at ${r.nextAttemptAt}` : '') +
        (r.state !== 'sent' && r.lastError ? `; ${r.lastError}` : ''),
    );
  },
});
