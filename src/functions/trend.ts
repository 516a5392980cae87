import { registerReadApi } from '../http/readApi';
import { continuationToken } from '../http/params';
import { TrendQuery, type TrendAnswer } from '../http/contract/trend';
import { json, problem } from '../http/responses';
import { getRuntime } from '../runtime';
import { withContent } from '../services/contentView';
import { getTrend } from '../services/queries';

registerReadApi('trend', TrendQuery, async (q) => {
  if (q.since && q.until && q.since > q.until) return problem(400, 'since must not be after until');
  const { continuationToken: after, content, ...rest } = q;
  const runtime = getRuntime();
  const result = await getTrend(runtime, { ...rest, after });
  if (!result.known) return problem(404, `repository ${q.repository} of registry ${q.registry} is not tracked`);
  const records =
    content === 'true'
      ? await runtime.layers.images(
          q.registry,
          result.points.map((p) => p.digest),
        )
      : undefined;
  return json(200, {
    registry: q.registry,
    repository: q.repository,
    points: records ? result.points.map((p) => withContent(p, records.get(p.digest))) : result.points,
    continuationToken: result.after ? continuationToken(result.after) : null,
  } satisfies TrendAnswer);
});
