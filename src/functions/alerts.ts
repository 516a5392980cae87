import { registerReadApi } from '../http/readApi';
import { AlertsQuery, type AlertsAnswer } from '../http/contract/alerts';
import { json } from '../http/responses';
import { getRuntime } from '../runtime';
import { listAlerts } from '../services/alerts';

registerReadApi('alerts', AlertsQuery, async ({ registry, ...filters }) =>
  json(200, { registry, alerts: await listAlerts(getRuntime(), registry, filters) } satisfies AlertsAnswer),
);
