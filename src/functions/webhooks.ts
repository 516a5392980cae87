import { app } from '@azure/functions';
import { normalizeAcrWebhook, normalizeDistributionEnvelope } from '../core/events';
import { handle } from '../http/handler';
import { acceptWebhook } from '../http/webhook';
import { getRuntime } from '../runtime';

// Anonymous at the Functions level: registries authenticate with WEBHOOK_SECRET instead,
// because ACR can send a custom header but cannot append a function key to its retries-free call.
app.http('acrWebhook', {
  methods: ['POST'],
  route: 'webhooks/acr',
  authLevel: 'anonymous',
  handler: handle((request, context) => acceptWebhook(request, context, getRuntime(), normalizeAcrWebhook)),
});

app.http('distributionWebhook', {
  methods: ['POST'],
  route: 'webhooks/distribution',
  authLevel: 'anonymous',
  handler: handle((request, context) => acceptWebhook(request, context, getRuntime(), normalizeDistributionEnvelope)),
});
