import { app } from '@azure/functions';
import { z } from 'zod';
import { getConfig } from '../config';
import { handle } from '../http/handler';
import { digestParam, platformParam, registryParam, repositoryParam } from '../http/params';
import { parseQuery } from '../http/query';
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

app.http('estimate', {
  methods: ['GET'],
  route: 'estimate',
  authLevel: getConfig().API_AUTH_LEVEL,
  handler: handle(async (request) => {
    const q = parseQuery(request, EstimateQuery.loose());
    const overrides = Object.fromEntries([...request.query.entries()].filter(([k]) => !IDENTIFYING.has(k)));
    const result = await whatIf(getRuntime(), q, overrides);
    if (!result.ok) return problem(result.status, result.error, result.details ?? {});
    return json(200, { registry: q.registry, repository: q.repository, ...result.body });
  }),
});
