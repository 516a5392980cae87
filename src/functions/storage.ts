import { app } from '@azure/functions';
import { z } from 'zod';
import { getConfig } from '../config';
import { handle } from '../http/handler';
import { limitParam, registryParam } from '../http/params';
import { parseQuery } from '../http/query';
import { json, problem } from '../http/responses';
import { getRuntime } from '../runtime';
import { getStorage } from '../services/storageQuery';

const StorageQuery = z.object({ registry: registryParam, days: limitParam(30, 365) });

app.http('storage', {
  methods: ['GET'],
  route: 'storage',
  authLevel: getConfig().API_AUTH_LEVEL,
  handler: handle(async (request) => {
    const q = parseQuery(request, StorageQuery);
    const storage = await getStorage(getRuntime(), q.registry, q.days);
    if (!storage) return problem(404, `no storage recorded for registry ${q.registry}`);
    return json(200, { registry: q.registry, ...storage });
  }),
});
