import { app } from '@azure/functions';
import { z } from 'zod';
import { getConfig } from '../config';
import { handle } from '../http/handler';
import { limitParam, registryParam, repositoryParam, timeParam } from '../http/params';
import { parseQuery } from '../http/query';
import { json } from '../http/responses';
import { getRuntime } from '../runtime';

const AlertsQuery = z.object({
  registry: registryParam,
  repository: repositoryParam.optional(),
  since: timeParam.optional(),
  state: z.enum(['pending', 'sent', 'failed'], { error: 'must be pending, sent or failed' }).optional(),
  limit: limitParam(100, 1000),
});

app.http('alerts', {
  methods: ['GET'],
  route: 'alerts',
  authLevel: getConfig().API_AUTH_LEVEL,
  handler: handle(async (request) => {
    const q = parseQuery(request, AlertsQuery);
    const alerts = await getRuntime().alerts.list(q.registry, {
      limit: q.limit,
      ...(q.repository ? { repository: q.repository } : {}),
      ...(q.since ? { since: q.since } : {}),
      ...(q.state ? { state: q.state } : {}),
    });
    return json(200, { registry: q.registry, alerts });
  }),
});
