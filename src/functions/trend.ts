import { app } from '@azure/functions';
import { z } from 'zod';
import { getConfig } from '../config';
import { handle } from '../http/handler';
import { continuationParam, continuationToken, limitParam, platformParam, registryParam, repositoryParam, tagParam, timeParam } from '../http/params';
import { parseQuery } from '../http/query';
import { json, problem } from '../http/responses';
import { getRuntime } from '../runtime';
import { getTrend } from '../services/queries';

const TrendQuery = z.object({
  registry: registryParam,
  repository: repositoryParam,
  tag: tagParam.optional(),
  platform: platformParam.optional(),
  since: timeParam.optional(),
  until: timeParam.optional(),
  limit: limitParam(1000, 1000),
  continuationToken: continuationParam.optional(),
});

app.http('trend', {
  methods: ['GET'],
  route: 'trend',
  authLevel: getConfig().API_AUTH_LEVEL,
  handler: handle(async (request) => {
    const q = parseQuery(request, TrendQuery);
    if (q.since && q.until && q.since > q.until) return problem(400, 'since must not be after until');
    const result = await getTrend(getRuntime(), {
      registry: q.registry,
      repository: q.repository,
      limit: q.limit,
      ...(q.tag ? { tag: q.tag } : {}),
      ...(q.platform ? { platform: q.platform } : {}),
      ...(q.since ? { since: q.since } : {}),
      ...(q.until ? { until: q.until } : {}),
      ...(q.continuationToken ? { after: q.continuationToken } : {}),
    });
    if (!result.known) return problem(404, `repository ${q.repository} of registry ${q.registry} is not tracked`);
    return json(200, {
      registry: q.registry,
      repository: q.repository,
      points: result.points,
      continuationToken: result.after ? continuationToken(result.after) : null,
    });
  }),
});
