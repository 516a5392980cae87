import { app } from '@azure/functions';
import { getConfig } from '../config';
import { FailuresQuery, ReplayQuery, type FailuresAnswer, type ReplayAnswer } from '../http/contract/failures';
import { handle } from '../http/handler';
import { signedIn } from '../http/signIn';
import { parseQuery } from '../http/query';
import { json } from '../http/responses';
import { registerReadApi } from '../http/readApi';
import { getRuntime } from '../runtime';
import { listFailures, replay } from '../services/failures';

registerReadApi('failures', FailuresQuery, async (q) =>
  json(200, { registry: q.registry ?? null, failures: await listFailures(getRuntime().failureDeps, q.registry, q.limit) } satisfies FailuresAnswer),
);

app.http('replayFailures', {
  methods: ['POST'],
  route: 'failures/replay',
  authLevel: getConfig().API_WRITE_AUTH_LEVEL,
  handler: handle(
    signedIn(async (request) => {
      const q = parseQuery(request, ReplayQuery);
      const result = await replay(getRuntime().failureDeps, q.registry, q.id);
      return json(result.replayed.length > 0 ? 202 : 200, { registry: q.registry, ...result } satisfies ReplayAnswer);
    }),
  ),
});
