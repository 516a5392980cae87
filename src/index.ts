/**
 * The app's entry (package.json `main`). Configuration is validated first, so a bad
 * setting stops the worker at start-up with a message naming it, before any function
 * is registered or invoked.
 */
import './startup';
import { app } from '@azure/functions';

// Streamed requests reach a handler before their body has been read, so the webhooks
// refuse a missing secret or an oversized Content-Length without the host holding the
// body first, and read at most their limit (http/body.ts). Needs host 4.28+.
app.setup({ enableHttpStream: true });
import './functions/webhooks';
import './functions/eventGridWebhook';
import './functions/processRegistryEvent';
import './functions/processPoisonedEvent';
import './functions/failures';
import './functions/trend';
import './functions/image';
import './functions/files';
import './functions/repositories';
import './functions/compare';
import './functions/storage';
import './functions/estimate';
import './functions/policy';
import './functions/alerts';
import './functions/evaluateAlert';
import './functions/deliverAlert';
import './functions/resendAlerts';
import './functions/analyzeContent';
import './functions/analyzeLayer';
import './functions/backfill';
import './functions/listingUnit';
import './functions/reconcile';
import './functions/ui';
import './functions/openapi';
