import { app } from '@azure/functions';
import { getConfig } from '../config';
import { getRuntime } from '../runtime';
import { resendDue } from '../services/alerts';

// A backstop: deliveries queue their own retries; this re-queues due alerts whose message was lost.
// The schedule is read here, not as %ALERT_RESEND_SCHEDULE%, so it has a default when the app setting is absent.
app.timer('resendAlerts', {
  schedule: getConfig().ALERT_RESEND_SCHEDULE,
  handler: async (_timer, context) => {
    const runtime = getRuntime();
    const result = await resendDue({ alerts: runtime.alerts, deliveries: runtime.deliveries, registries: runtime.config.ALLOWED_REGISTRIES });
    if (result.due > 0) context.info(`re-send timer: ${result.due} due alert(s) queued for delivery`);
  },
});
