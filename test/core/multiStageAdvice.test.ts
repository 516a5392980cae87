import { describe, expect, it } from 'vitest';
import { estimatePull, type ImageForEstimate } from '../../src/core/estimates/estimates';
import { DEFAULT_PRICES, DEFAULT_REGISTRY_PROFILE, imageMonthlyStorageCost, type RegistryProfile } from '../../src/core/estimates/pricing';
import { DEFAULT_PULL_MODEL } from '../../src/core/estimates/pullModel';
import { findingsOf, type ContentFinding, type LayerForFindings } from '../../src/core/findings';
import type { FinalEntry, ShippedNotKept } from '../../src/core/layerIndex';
import { adviceOf, imageWithout, multiStageAdvice, savingsOf, type SavingsContext } from '../../src/core/multiStageAdvice';

const GZIP = 'application/vnd.oci.image.layer.v1.tar+gzip';
const MIB = 1024 * 1024;

const LAYERS: LayerForFindings[] = [
  { compressedBytes: 29_000_000, uncompressedBytes: 80_000_000, step: 'ADD file:4b1be1de in / ' },
  { compressedBytes: 80_000_000, uncompressedBytes: 250_000_000, step: 'RUN /bin/sh -c apt-get update && apt-get install -y build-essential # buildkit' },
  { compressedBytes: 30_000_000, uncompressedBytes: 100_000_000, step: 'RUN /bin/sh -c npm install # buildkit' },
  { compressedBytes: 1_000, uncompressedBytes: 10_240, step: 'RUN /bin/sh -c rm -rf /tmp/build # buildkit' },
];
const CONFIG_BYTES = 7_000;
const IMAGE: ImageForEstimate = {
  sizeBytes: LAYERS.reduce((sum, l) => sum + l.compressedBytes, CONFIG_BYTES),
  configSizeBytes: CONFIG_BYTES,
  layers: LAYERS.map((l, i) => ({ digest: `sha256:${i}`, sizeBytes: l.compressedBytes, mediaType: GZIP })),
};
const CTX: SavingsContext = { image: IMAGE, profile: DEFAULT_REGISTRY_PROFILE, prices: DEFAULT_PRICES, pullModel: DEFAULT_PULL_MODEL };

const file = (path: string, size: number, layer: number): FinalEntry => ({ path, type: 'file', size, mode: 0o644, layer });
const FILES: FinalEntry[] = [
  // 187 MiB of gcc
  file('usr/libexec/gcc/x86_64-linux-gnu/12/cc1', 196_083_712, 1),
  file('root/.npm/_cacache/content-v2/sha512/8a/0b/7f2e', 20_600_000, 2),
  file('app/.git/objects/pack/pack-5b3c1f.pack', 4_000_000, 2),
];
const WASTED: ShippedNotKept[] = [{ path: 'tmp/build/out.o', layer: 2, bytes: 10_000_000, by: 'deleted', byLayer: 3 }];
const FINDINGS = findingsOf({ files: new Map(FILES.map((e) => [e.path, e])), wasted: WASTED }, LAYERS);
const finding = (ruleId: string) => FINDINGS.find((f) => f.ruleId === ruleId)!;

/** What the models say directly: the image as pushed vs the same image with `bytes` fewer in layer `layer`. */
function modelDifference(layer: number, bytes: number, profile: RegistryProfile = DEFAULT_REGISTRY_PROFILE) {
  const after: ImageForEstimate = {
    sizeBytes: IMAGE.sizeBytes - bytes,
    configSizeBytes: CONFIG_BYTES,
    layers: IMAGE.layers.map((l, i) => (i === layer ? { ...l, sizeBytes: l.sizeBytes - bytes } : l)),
  };
  const before = estimatePull(IMAGE, undefined, profile.sku, DEFAULT_PULL_MODEL);
  const without = estimatePull(after, undefined, profile.sku, DEFAULT_PULL_MODEL);
  return {
    bytesPerPull: bytes,
    currency: 'USD',
    storageMonthly:
      imageMonthlyStorageCost(IMAGE.sizeBytes, profile, DEFAULT_PRICES).monthly - imageMonthlyStorageCost(after.sizeBytes, profile, DEFAULT_PRICES).monthly,
    coldStartSeconds: {
      aci: before.aci.coldStartSeconds - without.aci.coldStartSeconds,
      appService: before.appService.coldStartSeconds - without.appService.coldStartSeconds,
      aks: before.aks.coldStartSeconds - without.aks.coldStartSeconds,
    },
  };
}

describe('adviceOf: the sentence', () => {
  it('gcc: evidence, the multi-stage remedy and its savings', () => {
    // 196,083,712 × 0.32 = 62,746,788 compressed (59.8 MiB). ACI, Standard: 62,746,788 / 40 MB/s = 1.5687 s
    // download + 62,746,788 × 2.5 / 400 MB/s = 0.3922 s unpack → 1.96 s; 62,746,788 / 2^30 × 0.09125 = 0.0053 USD
    expect(adviceOf(finding('gcc'), CTX).text).toBe(
      'gcc and its support files (187 MiB on disk, 59.8 MiB compressed) were added by `RUN apt-get update && apt-get install -y build-essential` and are in the final image; ' +
        'a multi-stage build that copies only the build output would drop them: −59.8 MiB per pull, −0.0053 USD/month storage, −2.0 s ACI cold start.',
    );
  });

  it('npm cache: clean in the same RUN step, not multi-stage', () => {
    // 20,600,000 × 0.3 = 6,180,000: 0.1545 s download + 0.038625 s unpack = 0.193 s
    expect(adviceOf(finding('npm-cache'), CTX).text).toBe(
      'npm cache files (19.6 MiB on disk, 5.9 MiB compressed) were added by `RUN npm install` and are in the final image; ' +
        '`npm cache clean --force` in the same RUN step as the install (or a BuildKit cache mount) would drop them: −5.9 MiB per pull, −0.0005 USD/month storage, −0.2 s ACI cold start.',
    );
  });

  it('.git: .dockerignore', () => {
    expect(adviceOf(finding('vcs-metadata'), CTX).text).toContain(
      '; listing `.git` in `.dockerignore` (or `rm -rf .git` in the RUN step that cloned it) would drop them: ',
    );
  });

  it('deleted but shipped: names both steps', () => {
    expect(adviceOf(finding('deleted-but-shipped'), CTX).text).toBe(
      '1 file (9.5 MiB, 2.9 MiB compressed) was added by `RUN npm install` and deleted by `RUN rm -rf /tmp/build`: not in the final image, but every pull still downloads it; ' +
        'deleting them in the same RUN step that creates them (or building in a separate stage) would drop them: −2.9 MiB per pull, −0.0003 USD/month storage, −0.1 s ACI cold start.',
    );
  });

  it('a layer without a recorded step is named by its position', () => {
    const anonymous: ContentFinding = { ...finding('gcc') };
    delete anonymous.step;
    expect(adviceOf(anonymous, CTX).text).toContain('were added by layer 2 of 4 and are in the final image');
  });

  it('keeps backticks out of the quoted step, and shortens a long one', () => {
    const long: ContentFinding = { ...finding('gcc'), step: `RUN /bin/sh -c echo \`date\` && ${'apt-get install -y gcc '.repeat(10)}` };
    const quoted = /added by `([^`]*)`/.exec(adviceOf(long, CTX).text)![1]!;
    expect(quoted.startsWith("RUN echo 'date' && apt-get")).toBe(true);
    expect(quoted).toHaveLength(80);
    expect(quoted.endsWith('…')).toBe(true);
  });
});

describe('savingsOf: the existing models, as pushed vs without the finding', () => {
  it.each(['gcc', 'npm-cache', 'vcs-metadata', 'deleted-but-shipped'])('%s saves exactly what the models differ by', (ruleId) => {
    const f = finding(ruleId);
    expect(savingsOf(f, CTX)).toEqual(modelDifference(f.layer, f.compressedBytesEstimate));
  });

  it('gcc figures, by hand (Standard, defaults)', () => {
    const s = savingsOf(finding('gcc'), CTX);
    expect(s.bytesPerPull).toBe(62_746_788);
    expect(s.coldStartSeconds.aci).toBeCloseTo(62_746_788 / 40e6 + (62_746_788 * 2.5) / 400e6, 9);
    expect(s.coldStartSeconds.appService).toBeCloseTo(s.coldStartSeconds.aci, 9);
    // AKS downloads at min(100, 60 Standard) MB/s
    expect(s.coldStartSeconds.aks).toBeCloseTo(62_746_788 / 60e6 + (62_746_788 * 2.5) / 400e6, 9);
    expect(s.storageMonthly).toBeCloseTo((62_746_788 / 2 ** 30) * 0.003 * (730 / 24), 12);
  });

  it('follows the registry profile: two Premium replicas store the bytes twice', () => {
    const premium: RegistryProfile = { sku: 'Premium', replicas: 2 };
    const f = finding('gcc');
    const s = savingsOf(f, { ...CTX, profile: premium });
    expect(s).toEqual(modelDifference(f.layer, f.compressedBytesEstimate, premium));
    expect(s.storageMonthly).toBeCloseTo(2 * savingsOf(f, CTX).storageMonthly, 12);
  });

  it('never saves more than the layer holds', () => {
    const inflated: ContentFinding = { ...finding('gcc'), compressedBytesEstimate: 500_000_000 };
    expect(savingsOf(inflated, CTX)).toEqual(modelDifference(1, 80_000_000));
  });
});

describe('imageWithout', () => {
  it('takes the bytes off the layer and the image, keeping the layer and its digest', () => {
    const after = imageWithout(IMAGE, 2, 5 * MIB);
    expect(after.sizeBytes).toBe(IMAGE.sizeBytes - 5 * MIB);
    expect(after.layers[2]).toEqual({ digest: 'sha256:2', sizeBytes: 30_000_000 - 5 * MIB, mediaType: GZIP });
    expect(after.layers.filter((_, i) => i !== 2)).toEqual(IMAGE.layers.filter((_, i) => i !== 2));
    expect(IMAGE.layers[2]!.sizeBytes).toBe(30_000_000);
  });

  it('rejects a layer the image does not have, and negative bytes', () => {
    expect(() => imageWithout(IMAGE, 4, 1)).toThrow(/layer 4, but the image has 4 layers/);
    expect(() => imageWithout(IMAGE, 0, -1)).toThrow(RangeError);
  });
});

describe('multiStageAdvice', () => {
  it('advises on every finding, in the findings order', () => {
    const advice = multiStageAdvice(FINDINGS, CTX);
    expect(advice.map((a) => a.finding.ruleId)).toEqual(['gcc', 'npm-cache', 'deleted-but-shipped', 'vcs-metadata']);
    expect(advice[0]).toEqual(adviceOf(FINDINGS[0]!, CTX));
  });
});
