import { app } from '@azure/functions';
import { z } from 'zod';
import { getConfig } from '../config';
import { handle } from '../http/handler';
import { digestParam, registryParam, repositoryParam } from '../http/params';
import { parseQuery } from '../http/query';
import { json, problem } from '../http/responses';
import { getRuntime } from '../runtime';
import { getImageDetail } from '../services/queries';

const ImageQuery = z.object({ registry: registryParam, repository: repositoryParam, digest: digestParam });

app.http('image', {
  methods: ['GET'],
  route: 'image',
  authLevel: getConfig().API_AUTH_LEVEL,
  handler: handle(async (request) => {
    const q = parseQuery(request, ImageQuery);
    const image = await getImageDetail(getRuntime(), q.registry, q.repository, q.digest);
    if (!image) return problem(404, `no image ${q.digest} recorded in ${q.registry}/${q.repository}`);
    return json(200, { registry: q.registry, repository: q.repository, ...image });
  }),
});
