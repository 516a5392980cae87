import { z } from 'zod';
import { registerReadApi } from '../http/readApi';
import { digestParam, limitParam, platformParam, registryParam, repositoryParam } from '../http/params';
import { json, problem } from '../http/responses';
import { getRuntime } from '../runtime';
import { listFiles } from '../services/files';

const FilesQuery = z.object({
  registry: registryParam,
  repository: repositoryParam,
  digest: digestParam,
  platform: platformParam.optional(),
  path: z.string().max(4096, { message: 'must be at most 4096 characters', abort: true }).optional(),
  layer: digestParam.optional(),
  limit: limitParam(100, 1000),
});

registerReadApi('files', FilesQuery, async (q) => {
  const runtime = getRuntime();
  const result = await listFiles({ ...runtime, indexes: runtime.contentDeps.indexes }, q);
  if (!result.ok) return problem(result.status, result.error, result.details);
  return json(200, { registry: q.registry, repository: q.repository, ...result.body });
});
