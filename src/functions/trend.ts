import { z } from 'zod';
import { registerReadApi } from '../http/readApi';
import { continuationParam, continuationToken, limitParam, platformParam, registryParam, repositoryParam, tagParam, timeParam } from '../http/params';
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

registerReadApi('trend', TrendQuery, async (q) => {
  if (q.since && q.until && q.since > q.until) return problem(400, 'since must not be after until');
  const { continuationToken: after, ...rest } = q;
  const result = await getTrend(getRuntime(), { ...rest, after });
  if (!result.known) return problem(404, `repository ${q.repository} of registry ${q.registry} is not tracked`);
  return json(200, {
    registry: q.registry,
    repository: q.repository,
    points: result.points,
    continuationToken: result.after ? continuationToken(result.after) : null,
  });
});
