import type { PushEvent } from '../../src/core/events';
import type { EffectivePolicy } from '../../src/core/policy';
import type { IngestDeps } from '../../src/services/ingest';
import type { Image } from '../integration/support/images';
import { MemoryContent, MemoryImages, MemoryLedger, MemoryPoints, MemoryRegistry, MemorySummaries } from './memoryStores';

/** A registry and the service's stores, in memory, for service tests. */
export const REGISTRY = 'r.example.io';
export const POLICY: EffectivePolicy = {
  growthPercent: 10,
  growthBytes: 0,
  layerBytes: 1 << 30,
  coldStartSeconds: 60,
  budgetBytes: null,
  baselineMode: 'previous',
  muted: false,
  improvements: true,
  findingBytes: null,
  minEfficiency: null,
  wastedBytes: null,
  wastedPercent: null,
  newFinding: false,
  matchedPattern: null,
};

export function world(policy: Partial<EffectivePolicy> = {}) {
  const registry = new MemoryRegistry();
  const deps = {
    content: new MemoryContent(),
    images: new MemoryImages(),
    points: new MemoryPoints(),
    repositories: new MemorySummaries(),
    blobs: new MemoryLedger(),
    registry,
    policyFor: async () => ({ ...POLICY, ...policy }),
  } satisfies IngestDeps;
  /** The image's manifest and config in the registry, as after `docker push`. */
  const publish = (image: Image) => {
    registry.putManifest(image.manifest.mediaType, image.manifest.bytes, image.manifest.digest);
    registry.blobs.set(image.config.digest, image.config.bytes);
  };
  return { deps, registry, publish };
}

const T0 = Date.parse('2026-06-01T00:00:00.000Z');
export const at = (minute: number) => new Date(T0 + minute * 60_000).toISOString();

export const push = (repository: string, image: Image, tag: string, minute: number, id = `${tag}-${minute}`): PushEvent => ({
  id,
  source: 'acr',
  action: 'push',
  registry: REGISTRY,
  repository,
  tag,
  digest: image.manifest.digest,
  mediaType: image.manifest.mediaType,
  timestamp: at(minute),
});
