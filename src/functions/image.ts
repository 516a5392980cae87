import { registerReadApi } from '../http/readApi';
import { ImageQuery, type ImageDetail } from '../http/contract/image';
import { json, problem } from '../http/responses';
import { getRuntime } from '../runtime';
import { getImageDetail } from '../services/queries';

registerReadApi('image', ImageQuery, async (q) => {
  const image = await getImageDetail(getRuntime(), q.registry, q.repository, q.digest);
  if (!image) return problem(404, `no image ${q.digest} recorded in ${q.registry}/${q.repository}`);
  return json(200, { registry: q.registry, repository: q.repository, ...image } satisfies ImageDetail);
});
