import { estimateCosts, estimatePull } from '../../src/core/estimates/estimates';
import { DEFAULT_PRICES, DEFAULT_REGISTRY_PROFILE } from '../../src/core/estimates/pricing';
import { DEFAULT_PULL_MODEL } from '../../src/core/estimates/pullModel';
import type { TrendPoint } from '../../src/core/trend';

const image = {
  sizeBytes: 5 * 1024 ** 3,
  configSizeBytes: 1000,
  layers: [{ digest: 'sha256:l', sizeBytes: 5 * 1024 ** 3 - 1000, mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip' }],
};
const baseline = { ...image, sizeBytes: 1000 + 10, layers: [{ ...image.layers[0]!, digest: 'sha256:old', sizeBytes: 10 }] };

/** A trend point as ingest writes it: a baseline, its deltas, and real cost and pull estimates. */
export const samplePoint: TrendPoint = {
  pushedAt: '2026-11-02T00:00:00.000Z',
  tag: 'v2',
  digest: 'sha256:b',
  indexDigest: 'sha256:i',
  platform: 'linux/amd64',
  sizeBytes: image.sizeBytes,
  configSizeBytes: 1000,
  layerCount: 1,
  mediaType: 'application/vnd.oci.image.manifest.v1+json',
  eventId: 'e2',
  baselineDigest: 'sha256:a',
  baselineTag: 'v1',
  sizeDeltaBytes: image.sizeBytes - baseline.sizeBytes,
  addedBytes: image.layers[0]!.sizeBytes,
  removedBytes: 10,
  reusedBytes: 0,
  layerCountDelta: 0,
  baseChanged: false,
  newRegistryBytes: image.layers[0]!.sizeBytes,
  estimates: {
    cost: estimateCosts({ sizeBytes: image.sizeBytes, newRegistryBytes: image.sizeBytes, registryBytesBefore: 0 }, DEFAULT_REGISTRY_PROFILE, DEFAULT_PRICES),
    pull: estimatePull(image, baseline, 'Standard', DEFAULT_PULL_MODEL),
  },
};
