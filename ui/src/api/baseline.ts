import { getJson, limiter } from './client';
import type { AlertRecord, TrendPage } from './types';

const cache = new Map<string, Promise<string | null>>();
const queue = limiter(4);

/**
 * The digest an alert's image was compared with: the baseline of its trend point. An
 * alert records the image, not its baseline, so this reads the one point it is about
 * (its repository, platform and push time: a range of one instant). Null for a first
 * push, which has none.
 */
export function alertBaseline(a: Pick<AlertRecord, 'registry' | 'repository' | 'platform' | 'pushedAt' | 'digest' | 'tag'>): Promise<string | null> {
  const key = `${a.registry}\n${a.repository}\n${a.platform}\n${a.pushedAt}\n${a.digest}\n${a.tag}`;
  let found = cache.get(key);
  if (!found) {
    found = queue(() =>
      getJson<TrendPage>('trend', { registry: a.registry, repository: a.repository, platform: a.platform, since: a.pushedAt, until: a.pushedAt, limit: 100 }),
    ).then((t) => t.points.find((p) => p.digest === a.digest && p.tag === a.tag)?.baselineDigest ?? null);
    found.catch(() => cache.delete(key));
    cache.set(key, found);
  }
  return found;
}
