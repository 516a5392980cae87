import { app } from '@azure/functions';
import { z } from 'zod';
import { getConfig } from '../config';
import { handle } from '../http/handler';
import { limitParam, registryParam } from '../http/params';
import { parseQuery } from '../http/query';
import { json } from '../http/responses';
import { registerReadApi } from '../http/readApi';
import { getRuntime } from '../runtime';
import { listFailures, replay } from '../services/failures';

const FailuresQuery = z.object({ registry: registryParam.optional(), limit: limitParam(100, 1000) });

registerReadApi('failures', FailuresQuery, async (q) =>
  json(200, { registry: q.registry ?? null, failures: await listFailures(getRuntime().failureDeps, q.registry, q.limit) }),
);

const ReplayQuery = z.object({
  registry: registryParam,
  id: z
    .string()
    .regex(/^[0-9a-f]{32}$/, 'is not a failure id')
    .optional(),
});

app.http('replayFailures', {
  methods: ['POST'],
  route: 'failures/replay',
  authLevel: getConfig().API_WRITE_AUTH_LEVEL,
  handler: handle(async (request) => {
    const q = parseQuery(request, ReplayQuery);
    const result = await replay(getRuntime().failureDeps, q.registry, q.id);
    return json(result.replayed.length > 0 ? 202 : 200, { registry: q.registry, ...result });
  }),
});
