import { app, type InvocationContext } from '@azure/functions';
import { parseMessage, PointRefMessage } from '../core/alertMessages';
import { ALERTS_QUEUE, STORAGE_CONNECTION } from '../names';
import { getRuntime } from '../runtime';
import { evaluatePoint } from '../services/alerts';

// Runs the alert rules on a stored point once ALERT_SETTLE_SECONDS have passed.
app.storageQueue('evaluateAlert', {
  queueName: ALERTS_QUEUE,
  connection: STORAGE_CONNECTION,
  handler: async (message: unknown, context: InvocationContext) => {
    const runtime = getRuntime();
    // Throwing sends a bad message to the poison queue, where it can be inspected.
    const ref = parseMessage(PointRefMessage, message, runtime.config.ALLOWED_REGISTRIES, 'a point reference');
    const what = `alert evaluation ${ref.registry}/${ref.repository}:${ref.tag}@${ref.digest} ${ref.platform} (pushed ${ref.pushedAt})`;
    const result = await evaluatePoint(runtime.evaluationDeps, ref);
    switch (result.outcome) {
      case 'alerted':
        return context.info(`${what}: alerted (${result.alert.rules.join(', ')}), alert ${result.alert.id} ${result.alert.state}`);
      case 'alerted before':
        return context.info(`${what}: ${result.findings.map((f) => f.rule).join(', ')} already alerted for this image`);
      case 'unreadable':
        return context.warn(`${what}: not evaluated: ${result.reason}`);
      default:
        return context.info(`${what}: ${result.outcome}`);
    }
  },
});
