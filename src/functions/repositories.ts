import { z } from 'zod';
import { registerReadApi } from '../http/readApi';
import { registryParam } from '../http/params';
import { json } from '../http/responses';
import { getRuntime } from '../runtime';
import { listRepositories } from '../services/queries';

const RepositoriesQuery = z.object({ registry: registryParam });

registerReadApi('repositories', RepositoriesQuery, async (q) =>
  json(200, { registry: q.registry, repositories: await listRepositories(getRuntime(), q.registry) }),
);
