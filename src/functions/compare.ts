import { registerReadApi } from '../http/readApi';
import { CompareQuery, type Comparison } from '../http/contract/compare';
import { json, problem } from '../http/responses';
import { getRuntime } from '../runtime';
import { compareImages } from '../services/compare';

registerReadApi('compare', CompareQuery, async (q) => {
  const runtime = getRuntime();
  const result = await compareImages({ ...runtime, indexes: runtime.contentDeps.indexes }, q.registry, q.repository, q.from, q.to, q.platform, q.top);
  if (!result.ok) {
    const { ok: _ok, status, error, ...details } = result;
    return problem(status, error, details);
  }
  const { ok: _ok, ...body } = result;
  return json(200, { registry: q.registry, repository: q.repository, ...body } satisfies Comparison);
});
