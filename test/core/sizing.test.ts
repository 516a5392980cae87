import { describe, expect, it } from 'vitest';
import type { ImageManifest } from '../../src/core/manifest';
import { buildPlatformImage, imageSizeBytes } from '../../src/core/sizing';

const manifest = (layerSizes: number[], configSize = 1234): ImageManifest => ({
  kind: 'image',
  mediaType: 'application/vnd.oci.image.manifest.v1+json',
  config: { digest: 'sha256:c', mediaType: 'application/vnd.oci.image.config.v1+json', sizeBytes: configSize },
  layers: layerSizes.map((s, i) => ({ digest: `sha256:${i}`, mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', sizeBytes: s, foreign: i === 0 })),
});

describe('sizing', () => {
  it('is config size plus the sum of the compressed layer sizes', () => {
    expect(imageSizeBytes(manifest([100, 200, 300], 7))).toBe(607);
    expect(imageSizeBytes(manifest([], 2))).toBe(2);
  });

  it('is exact beyond 2 GiB and 4 GiB', () => {
    expect(imageSizeBytes(manifest([2 ** 31, 2 ** 32, 1], 10))).toBe(2 ** 31 + 2 ** 32 + 11);
  });

  it('refuses a total that JavaScript numbers cannot hold exactly', () => {
    expect(() => imageSizeBytes(manifest([Number.MAX_SAFE_INTEGER, 1]))).toThrow(RangeError);
  });

  it('builds a platform image: index platform first, config platform next, unknown last', () => {
    const m = manifest([10, 20]);
    const config = {
      os: 'linux',
      architecture: 'arm',
      variant: 'v7',
      created: '2026-01-01T00:00:00Z',
      layerHistory: [{ createdBy: 'ADD a' }, { createdBy: 'RUN b' }],
    };
    const fromConfig = buildPlatformImage('sha256:m', m, config);
    expect(fromConfig).toMatchObject({
      digest: 'sha256:m',
      platform: 'linux/arm/v7',
      sizeBytes: 1264,
      layerCount: 2,
      foreignLayerCount: 1,
      history: 'matched',
      created: '2026-01-01T00:00:00Z',
    });
    expect(fromConfig.layers.map((l) => l.createdBy)).toEqual(['ADD a', 'RUN b']);
    expect(buildPlatformImage('sha256:m', m, config, 'linux/arm64').platform).toBe('linux/arm64');
    expect(buildPlatformImage('sha256:m', m, undefined).platform).toBe('unknown');
    expect(buildPlatformImage('sha256:m', m, undefined).history).toBe('absent');
  });
});
