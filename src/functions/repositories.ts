import { z } from 'zod';
import { registerReadApi } from '../http/readApi';
import { continuationToken, keyContinuationParam, limitParam, registryParam } from '../http/params';
import { json } from '../http/responses';
import { getRuntime } from '../runtime';
import { listRepositories } from '../services/queries';
import { reconcileSummary } from '../services/listing';

const RepositoriesQuery = z.object({
  registry: registryParam,
  limit: limitParam(1000, 1000),
  // Repository rows are keyed by the escaped name alone.
  continuationToken: keyContinuationParam('').optional(),
});

registerReadApi('repositories', RepositoriesQuery, async ({ registry, limit, continuationToken: after }) => {
  const runtime = getRuntime();
  const [page, reconcile] = await Promise.all([
    listRepositories(runtime, registry, { limit, ...(after ? { after } : {}) }),
    // How a team learns its webhooks are unreliable: what reconcile found that they had missed.
    reconcileSummary(runtime.listingDeps, registry),
  ]);
  return json(200, {
    registry,
    repositories: page.repositories,
    continuationToken: page.after ? continuationToken(page.after) : null,
    reconcile: reconcile ? { since: reconcile.since, lastReconciledAt: reconcile.lastReconciledAt ?? null, missed: reconcile.missed } : null,
  });
});
