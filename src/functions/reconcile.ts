import { app } from '@azure/functions';
import { getConfig } from '../config';
import { getRuntime } from '../runtime';
import { reconcileTick } from '../services/listing';

// The schedules are read here, not as %RECONCILE_SCHEDULE%, so they have defaults when the app setting is absent.
app.timer('reconcile', {
  schedule: getConfig().RECONCILE_SCHEDULE,
  handler: async (_timer, context) => {
    for (const line of await reconcileTick(getRuntime().listingDeps, 'light')) context.info(`reconcile: ${line}`);
  },
});

app.timer('reconcileFull', {
  schedule: getConfig().RECONCILE_FULL_SCHEDULE,
  handler: async (_timer, context) => {
    for (const line of await reconcileTick(getRuntime().listingDeps, 'full')) context.info(`reconcile (full): ${line}`);
  },
});
