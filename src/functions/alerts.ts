import { z } from 'zod';
import { ALERT_STATES } from '../core/alert';
import { oneOf } from '../core/validation';
import { registerReadApi } from '../http/readApi';
import { limitParam, registryParam, repositoryParam, timeParam } from '../http/params';
import { json } from '../http/responses';
import { getRuntime } from '../runtime';
import { listAlerts } from '../services/alerts';

const AlertsQuery = z.object({
  registry: registryParam,
  repository: repositoryParam.optional(),
  since: timeParam.optional(),
  state: oneOf(ALERT_STATES).optional(),
  limit: limitParam(100, 1000),
});

registerReadApi('alerts', AlertsQuery, async ({ registry, ...filters }) => json(200, { registry, alerts: await listAlerts(getRuntime(), registry, filters) }));
