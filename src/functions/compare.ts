import { app } from '@azure/functions';
import { z } from 'zod';
import { getConfig } from '../config';
import { handle } from '../http/handler';
import { digestParam, platformParam, registryParam, repositoryParam } from '../http/params';
import { parseQuery } from '../http/query';
import { json, problem } from '../http/responses';
import { getRuntime } from '../runtime';
import { compareImages } from '../services/compare';

const CompareQuery = z.object({
  registry: registryParam,
  repository: repositoryParam,
  from: digestParam,
  to: digestParam,
  platform: platformParam.optional(),
});

app.http('compare', {
  methods: ['GET'],
  route: 'compare',
  authLevel: getConfig().API_AUTH_LEVEL,
  handler: handle(async (request) => {
    const q = parseQuery(request, CompareQuery);
    const result = await compareImages(getRuntime(), q.registry, q.repository, q.from, q.to, q.platform);
    if (!result.ok) {
      const { ok: _ok, status, error, ...details } = result;
      return problem(status, error, details);
    }
    const { ok: _ok, ...body } = result;
    return json(200, { registry: q.registry, repository: q.repository, ...body });
  }),
});
