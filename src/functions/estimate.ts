import { registerReadApi } from '../http/readApi';
import { EstimateQuery, type EstimateAnswer } from '../http/contract/estimate';
import { json, problem } from '../http/responses';
import { getRuntime } from '../runtime';
import { whatIf } from '../services/whatIf';

const IDENTIFYING = new Set(['registry', 'repository', 'digest', 'platform', 'baseline', 'code']);

// Parameters other than the identifying ones are what-if overrides (validated by whatIf).
registerReadApi('estimate', EstimateQuery, async (q, request) => {
  const overrides = Object.fromEntries([...request.query.entries()].filter(([k]) => !IDENTIFYING.has(k)));
  const result = await whatIf(getRuntime(), q, overrides);
  if (!result.ok) return problem(result.status, result.error, result.details ?? {});
  return json(200, { registry: q.registry, repository: q.repository, ...result.body } satisfies EstimateAnswer);
});
