import { app } from '@azure/functions';
import { z } from 'zod';
import { getConfig } from '../config';
import { handle } from '../http/handler';
import { registryParam } from '../http/params';
import { parseQuery } from '../http/query';
import { json } from '../http/responses';
import { getRuntime } from '../runtime';
import { listRepositories } from '../services/queries';

const RepositoriesQuery = z.object({ registry: registryParam });

app.http('repositories', {
  methods: ['GET'],
  route: 'repositories',
  authLevel: getConfig().API_AUTH_LEVEL,
  handler: handle(async (request) => {
    const q = parseQuery(request, RepositoriesQuery);
    return json(200, { registry: q.registry, repositories: await listRepositories(getRuntime(), q.registry) });
  }),
});
