import { z } from 'zod';
import { registerReadApi } from '../http/readApi';
import { continuationToken, keyContinuationParam, limitParam, registryParam } from '../http/params';
import { json } from '../http/responses';
import { getRuntime } from '../runtime';
import { listRepositories } from '../services/queries';

const RepositoriesQuery = z.object({
  registry: registryParam,
  limit: limitParam(1000, 1000),
  // Repository rows are keyed by the escaped name alone.
  continuationToken: keyContinuationParam('').optional(),
});

registerReadApi('repositories', RepositoriesQuery, async ({ registry, limit, continuationToken: after }) => {
  const page = await listRepositories(getRuntime(), registry, { limit, ...(after ? { after } : {}) });
  return json(200, { registry, repositories: page.repositories, continuationToken: page.after ? continuationToken(page.after) : null });
});
