import { z } from 'zod';
import { registerReadApi } from '../http/readApi';
import { digestParam, platformParam, registryParam, repositoryParam } from '../http/params';
import { json, problem } from '../http/responses';
import { getRuntime } from '../runtime';
import { whatIf } from '../services/whatIf';

const EstimateQuery = z.object({
  registry: registryParam,
  repository: repositoryParam,
  digest: digestParam,
  platform: platformParam.optional(),
  baseline: digestParam.optional(),
});
const IDENTIFYING = new Set(['registry', 'repository', 'digest', 'platform', 'baseline', 'code']);

// Parameters other than the identifying ones are what-if overrides (validated by whatIf).
registerReadApi('estimate', EstimateQuery.loose(), async (q, request) => {
  const overrides = Object.fromEntries([...request.query.entries()].filter(([k]) => !IDENTIFYING.has(k)));
  const result = await whatIf(getRuntime(), q, overrides);
  if (!result.ok) return problem(result.status, result.error, result.details ?? {});
  return json(200, { registry: q.registry, repository: q.repository, ...result.body });
});
