import { registerReadApi } from '../http/readApi';
import { StorageQuery, type StorageAnswer } from '../http/contract/storage';
import { json, problem } from '../http/responses';
import { getRuntime } from '../runtime';
import { getStorage } from '../services/storageQuery';

registerReadApi('storage', StorageQuery, async (q) => {
  const storage = await getStorage(getRuntime(), q.registry, q.days);
  if (!storage) return problem(404, `no storage recorded for registry ${q.registry}`);
  return json(200, { registry: q.registry, ...storage } satisfies StorageAnswer);
});
