import { ApiError, getJson, getTrend } from './client';
import type { ImageAnswer } from './types';

/**
 * The platform images of a multi-platform push are recorded under their index's digest
 * (the image, compare, estimate and files APIs take the index and a platform), while
 * trend points, baselines and alerts name the platform manifest's digest. A link may
 * carry either: this finds what the APIs know it by.
 */
export interface StoredImage {
  /** The digest the APIs take: the image's own, or its index's. */
  digest: string;
  platform?: string;
  image: ImageAnswer;
}

const indexes = new Map<string, Promise<Map<string, { indexDigest?: string; platform: string }>>>();

/** Every point's digest → its index and platform, from the trend (of one platform when given). */
function indexMap(registry: string, repository: string, platform?: string) {
  const key = `${registry}\n${repository}\n${platform ?? ''}`;
  let found = indexes.get(key);
  if (!found) {
    found = getTrend({ registry, repository, platform }).then(
      (points) => new Map(points.map((p) => [p.digest, { indexDigest: p.indexDigest, platform: p.platform }])),
    );
    found.catch(() => indexes.delete(key));
    indexes.set(key, found);
  }
  return found;
}

export async function storedImage(registry: string, repository: string, digest: string, platform?: string): Promise<StoredImage> {
  try {
    return { digest, platform, image: await getJson<ImageAnswer>('image', { registry, repository, digest }) };
  } catch (e) {
    if (!(e instanceof ApiError && e.status === 404)) throw e;
    const point = (await indexMap(registry, repository, platform)).get(digest);
    if (!point?.indexDigest) throw e;
    return {
      digest: point.indexDigest,
      platform: point.platform,
      image: await getJson<ImageAnswer>('image', { registry, repository, digest: point.indexDigest }),
    };
  }
}

/** The digest of a point as the APIs take it, when the point is at hand. */
export function apiDigest(p: { digest: string; indexDigest?: string }): string {
  return p.indexDigest ?? p.digest;
}
