import { app } from '@azure/functions';
import { getConfig } from '../config';
import { BackfillQuery, BackfillStatusQuery, type BackfillStarted, type BackfillStatus } from '../http/contract/backfill';
import { handle } from '../http/handler';
import { signedIn } from '../http/signIn';
import { parseQuery } from '../http/query';
import { json, problem } from '../http/responses';
import { getRuntime } from '../runtime';
import { ListingRefused, reconcileSummary, runProgress, startRun } from '../services/listing';

app.http('backfill', {
  methods: ['GET'],
  route: 'backfill',
  authLevel: getConfig().API_AUTH_LEVEL,
  handler: handle(
    signedIn(async (request) => {
      const runtime = getRuntime();
      const { registry } = parseQuery(request, BackfillStatusQuery);
      const [backfill, reconcile] = await Promise.all([
        runProgress(runtime.listingDeps, registry, 'backfill'),
        reconcileSummary(runtime.listingDeps, registry),
      ]);
      if (!backfill && !reconcile) return problem(404, `no backfill of ${registry} was started; POST /api/backfill?registry=${registry} starts one`);
      return json(200, { registry, backfill: backfill ?? null, reconcile: reconcile ?? null } satisfies BackfillStatus);
    }),
  ),
});

// A start lists a whole registry and queues an event per tag: a write, under the write auth level.
app.http('backfillStart', {
  methods: ['POST'],
  route: 'backfill',
  authLevel: getConfig().API_WRITE_AUTH_LEVEL,
  handler: handle(
    signedIn(async (request) => {
      const runtime = getRuntime();
      const q = parseQuery(request, BackfillQuery);
      try {
        const result = await startRun(runtime.listingDeps, q.registry, 'backfill', q.repository ? { scope: q.repository } : {});
        if ('running' in result) return problem(409, `a backfill of ${q.registry} is running`, { backfill: result.running });
        return json(202, { registry: q.registry, backfill: result.started } satisfies BackfillStarted);
      } catch (e) {
        if (e instanceof ListingRefused) return problem(e.status, e.message);
        throw e;
      }
    }),
  ),
});
