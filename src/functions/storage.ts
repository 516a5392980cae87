import { z } from 'zod';
import { registerReadApi } from '../http/readApi';
import { limitParam, registryParam } from '../http/params';
import { json, problem } from '../http/responses';
import { getRuntime } from '../runtime';
import { getStorage } from '../services/storageQuery';

const StorageQuery = z.object({ registry: registryParam, days: limitParam(30, 365) });

registerReadApi('storage', StorageQuery, async (q) => {
  const storage = await getStorage(getRuntime(), q.registry, q.days);
  if (!storage) return problem(404, `no storage recorded for registry ${q.registry}`);
  return json(200, { registry: q.registry, ...storage });
});
