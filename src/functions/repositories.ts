import { registerReadApi } from '../http/readApi';
import { continuationToken } from '../http/params';
import { RepositoriesQuery, type RepositoriesAnswer } from '../http/contract/repositories';
import { json } from '../http/responses';
import { getRuntime } from '../runtime';
import { listRepositories } from '../services/queries';
import { reconcileSummary } from '../services/listing';

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
  } satisfies RepositoriesAnswer);
});
