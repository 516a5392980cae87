import { app } from '@azure/functions';
import { eventGridValidationCode, normalizeEventGridDelivery } from '../core/events';
import { readJsonBody } from '../http/body';
import { handle } from '../http/handler';
import { json, problem } from '../http/responses';
import { MAX_HANDSHAKE_BYTES, type EventGridValidation } from '../http/contract/webhooks';
import { acceptWebhook } from '../http/webhook';
import { getRuntime } from '../runtime';

// Event Grid's durable alternative to ACR webhooks: it retries for 24 h, so a storage
// outage answered with 503 is delivered later instead of lost.
app.http('eventGridWebhook', {
  methods: ['POST', 'OPTIONS'],
  route: 'webhooks/eventgrid',
  authLevel: 'anonymous',
  handler: handle(async (request, context) => {
    // CloudEvents abuse protection (CloudEvents HTTP webhook spec, section 4): before the
    // first delivery Event Grid asks whether this endpoint accepts events from it. Echoing
    // the origin stores nothing, so it needs no secret.
    if (request.method === 'OPTIONS') {
      const origin = request.headers.get('webhook-request-origin');
      if (!origin) return problem(400, 'OPTIONS here is the CloudEvents abuse-protection handshake: the WebHook-Request-Origin header is required');
      context.info(`answered the CloudEvents webhook handshake for ${JSON.stringify(origin.slice(0, 200))}`);
      return { status: 200, headers: { 'webhook-allowed-origin': origin, 'webhook-allowed-rate': '*', allow: 'POST, OPTIONS' } };
    }
    // The handshake only echoes Event Grid's code back; it stores nothing, so it needs no
    // secret, and being unauthenticated it reads no more than a validation event needs.
    if (request.headers.get('aeg-event-type') === 'SubscriptionValidation') {
      const code = eventGridValidationCode(await readJsonBody(request, MAX_HANDSHAKE_BYTES));
      if (!code) return problem(400, 'not a subscription validation event');
      context.info('answered the Event Grid subscription validation handshake');
      return json(200, { validationResponse: code } satisfies EventGridValidation);
    }
    return acceptWebhook(request, context, getRuntime(), (body) => normalizeEventGridDelivery(body, request.headers.get('content-type')));
  }),
});
