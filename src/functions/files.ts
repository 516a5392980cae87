import { registerReadApi } from '../http/readApi';
import { FilesQuery, type FilesAnswer } from '../http/contract/files';
import { json, problem } from '../http/responses';
import { getRuntime } from '../runtime';
import { listFiles } from '../services/files';

registerReadApi('files', FilesQuery, async (q) => {
  const runtime = getRuntime();
  const result = await listFiles({ ...runtime, indexes: runtime.contentDeps.indexes }, q);
  if (!result.ok) return problem(result.status, result.error, result.details);
  return json(200, { registry: q.registry, repository: q.repository, ...result.body } satisfies FilesAnswer);
});
