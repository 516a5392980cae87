import { app } from '@azure/functions';
import { getConfig } from '../config';
import { getRuntime } from '../runtime';
import { resendDue } from '../services/alerts';

// The schedule is read here, not as %ALERT_RESEND_SCHEDULE%, so it has a default when the app setting is absent.
app.timer('resendAlerts', {
  schedule: getConfig().ALERT_RESEND_SCHEDULE,
  handler: async (_timer, context) => {
    const result = await resendDue(getRuntime().alertDeps);
    if (result.due > 0) context.info(`re-sent alerts: ${result.due} due, ${result.sent} sent, ${result.failed} failed`);
  },
});
