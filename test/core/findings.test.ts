import { describe, expect, it } from 'vitest';
import type { FindingRule } from '../../src/core/findingRules';
import { DEFAULT_MIN_DELETED_BYTES, findingsOf, type LayerForFindings } from '../../src/core/findings';
import type { ComposedFilesystem, FinalEntry, ShippedNotKept } from '../../src/core/layerIndex';

const MIB = 1024 * 1024;

const file = (path: string, size: number, layer: number): FinalEntry => ({ path, type: 'file', size, mode: 0o644, layer });
const dir = (path: string, layer: number): FinalEntry => ({ path, type: 'dir', size: 0, mode: 0o755, layer });
const symlink = (path: string, linkTarget: string, layer: number): FinalEntry => ({ path, type: 'symlink', size: 0, mode: 0o777, linkTarget, layer });
const hardlink = (path: string, linkTarget: string, layer: number): FinalEntry => ({ path, type: 'hardlink', size: 0, mode: 0o755, linkTarget, layer });

function composed(entries: FinalEntry[], wasted: ShippedNotKept[] = []): Pick<ComposedFilesystem, 'files' | 'wasted'> {
  return { files: new Map(entries.map((e) => [e.path, e])), wasted };
}

/**
 * node:20-bookworm-like, built without multi-stage:
 *   0 the Debian rootfs (runtime libs only), 1 apt-get install build-essential (no cleanup),
 *   2 COPY . /app (no .dockerignore), 3 npm install (cache kept, a build dir in /tmp),
 *   4 a later RUN deleting /tmp/build and the downloaded .deb.
 */
const LAYERS: LayerForFindings[] = [
  { compressedBytes: 29_000_000, uncompressedBytes: 80_000_000, step: 'ADD file:4b1be1de in / ' },
  { compressedBytes: 80_000_000, uncompressedBytes: 250_000_000, step: 'RUN /bin/sh -c apt-get update && apt-get install -y build-essential # buildkit' },
  { compressedBytes: 6_000_000, uncompressedBytes: 12_000_000, step: 'COPY . /app # buildkit' },
  { compressedBytes: 30_000_000, uncompressedBytes: 100_000_000, step: 'RUN /bin/sh -c npm install # buildkit' },
  { compressedBytes: 1_000, uncompressedBytes: 10_240, step: 'RUN /bin/sh -c rm -rf /tmp/build /var/cache/apt/archives/*.deb # buildkit' },
];

const RUNTIME: FinalEntry[] = [
  dir('usr', 0),
  dir('usr/lib', 0),
  file('bin/bash', 1_265_648, 0),
  file('usr/lib/x86_64-linux-gnu/libc.so.6', 1_922_136, 0),
  file('usr/lib/x86_64-linux-gnu/libgcc_s.so.1', 125_312, 0),
  file('usr/lib/x86_64-linux-gnu/libstdc++.so.6.0.30', 2_190_440, 0),
  symlink('usr/lib/x86_64-linux-gnu/libstdc++.so.6', 'libstdc++.so.6.0.30', 0),
  file('var/lib/dpkg/info/libc6:amd64.list', 12_288, 0),
  file('var/lib/apt/lists/lock', 0, 0),
  dir('var/lib/apt/lists/partial', 0),
  file('usr/local/bin/node', 96_000_000, 0),
  file('usr/local/include/node/node.h', 52_000, 0),
];

const BUILD: FinalEntry[] = [
  file('usr/libexec/gcc/x86_64-linux-gnu/12/cc1', 33_612_296, 1),
  file('usr/libexec/gcc/x86_64-linux-gnu/12/lto1', 31_000_000, 1),
  file('usr/lib/gcc/x86_64-linux-gnu/12/libgcc.a', 4_900_000, 1),
  file('usr/lib/gcc/x86_64-linux-gnu/12/include/stddef.h', 14_000, 1),
  file('usr/bin/x86_64-linux-gnu-gcc-12', 1_000_000, 1),
  // a hardlink adds no bytes, but is a file
  hardlink('usr/bin/x86_64-linux-gnu-gcc-ar-12', 'usr/bin/x86_64-linux-gnu-gcc-12', 1),
  symlink('usr/bin/gcc', 'gcc-12', 1),
  symlink('usr/bin/gcc-12', 'x86_64-linux-gnu-gcc-12', 1),
  file('usr/libexec/gcc/x86_64-linux-gnu/12/cc1plus', 36_000_000, 1),
  file('usr/bin/x86_64-linux-gnu-g++-12', 1_000_000, 1),
  file('usr/include/c++/12/iostream', 3_000, 1),
  file('usr/include/stdio.h', 31_000, 1),
  file('usr/include/x86_64-linux-gnu/bits/libc-header-start.h', 300_000, 1),
  file('usr/bin/make', 260_000, 1),
  file('usr/share/doc/build-essential/copyright', 1_400, 1),
  file('var/lib/dpkg/info/build-essential.list', 600, 1),
  file('var/lib/apt/lists/deb.debian.org_debian_dists_bookworm_main_binary-amd64_Packages.lz4', 9_000_000, 1),
  file('var/lib/apt/lists/deb.debian.org_debian_dists_bookworm_InRelease', 151_000, 1),
];

const APP: FinalEntry[] = [
  file('app/package.json', 1_200, 2),
  file('app/.gitignore', 30, 2),
  file('app/.git/HEAD', 21, 2),
  file('app/.git/index', 40_000, 2),
  file('app/.git/objects/pack/pack-5b3c1f.pack', 4_000_000, 2),
  dir('app/.git/refs', 2),
  file('root/.npm/_cacache/content-v2/sha512/8a/0b/7f2e', 20_000_000, 3),
  file('root/.npm/_cacache/index-v5/1c/2d/3e4f', 600_000, 3),
  file('app/node_modules/express/index.js', 224, 3),
  file('app/node_modules/cacache/lib/index.js', 1_500, 3),
];

const WASTED: ShippedNotKept[] = [
  // a cache deleted later: the deleted-but-shipped finding, not the apt-cache rule
  { path: 'var/cache/apt/archives/gcc-12_12.2.0-14_amd64.deb', layer: 1, bytes: 19_000_000, by: 'deleted', byLayer: 4 },
  { path: 'tmp/build/out.o', layer: 3, bytes: 7_000_000, by: 'deleted', byLayer: 4 },
  { path: 'tmp/build/obj.o', layer: 3, bytes: 3_000_000, by: 'deleted', byLayer: 4 },
  { path: 'tmp/build', layer: 3, bytes: 0, by: 'deleted', byLayer: 4 },
  // replaced, not deleted: not this finding's
  { path: 'app/package.json', layer: 2, bytes: 50_000_000, by: 'replaced', byLayer: 3 },
];

const IMAGE = composed([...RUNTIME, ...BUILD, ...APP], WASTED);

describe('findingsOf: an image built without multi-stage', () => {
  const findings = findingsOf(IMAGE, LAYERS);
  const byRule = (id: string) => findings.filter((f) => f.ruleId === id);

  it('finds each build-time thing once, in the layer that put it there, largest first', () => {
    expect(findings.map((f) => [f.ruleId, f.layer])).toEqual([
      ['gcc', 1], // 70,526,296
      ['gpp', 1], // 37,003,000
      ['npm-cache', 3], // 20,600,000
      ['deleted-but-shipped', 1], // 19,000,000
      ['deleted-but-shipped', 3], // 10,000,000
      ['apt-lists', 1], // 9,151,000
      ['vcs-metadata', 2], // 4,040,021
      ['c-headers', 1], // 331,000
      ['make', 1], // 260,000
      ['build-essential', 1], // 2,000
    ]);
  });

  it('gcc: exact bytes, hardlinks counted as files but not bytes, symlinks neither', () => {
    const bytes = 33_612_296 + 31_000_000 + 4_900_000 + 14_000 + 1_000_000;
    expect(byRule('gcc')).toEqual([
      {
        kind: 'rule',
        ruleId: 'gcc',
        category: 'compiler',
        label: 'gcc and its support files',
        onDiskBytes: bytes,
        fileCount: 6,
        // 70,526,296 × 80,000,000 / 250,000,000
        compressedBytesEstimate: Math.round(bytes * 0.32),
        layer: 1,
        step: LAYERS[1]!.step,
        samplePaths: [
          'usr/libexec/gcc/x86_64-linux-gnu/12/cc1',
          'usr/libexec/gcc/x86_64-linux-gnu/12/lto1',
          'usr/lib/gcc/x86_64-linux-gnu/12/libgcc.a',
          'usr/bin/x86_64-linux-gnu-gcc-12',
          'usr/lib/gcc/x86_64-linux-gnu/12/include/stddef.h',
        ],
        remedy: 'multi-stage',
        advice: 'a multi-stage build that copies only the build output would drop them',
      },
    ]);
    expect(bytes).toBe(70_526_296);
  });

  it('g++ takes cc1plus and the C++ headers, so neither counts for gcc or the C headers too', () => {
    const [gpp] = byRule('gpp');
    expect(gpp).toMatchObject({ onDiskBytes: 36_000_000 + 1_000_000 + 3_000, fileCount: 3, compressedBytesEstimate: Math.round(37_003_000 * 0.32) });
    expect(byRule('c-headers')[0]).toMatchObject({ onDiskBytes: 331_000, fileCount: 2, layer: 1 });
  });

  it('apt lists: the package lists, not the lock or partial/ of the base layer', () => {
    expect(byRule('apt-lists')).toEqual([
      expect.objectContaining({
        category: 'package-index',
        onDiskBytes: 9_151_000,
        fileCount: 2,
        compressedBytesEstimate: Math.round(9_151_000 * 0.32),
        layer: 1,
        step: LAYERS[1]!.step,
        remedy: 'same-step-cleanup',
      }),
    ]);
  });

  it('npm cache: in the npm install layer, not the cacache package in node_modules', () => {
    expect(byRule('npm-cache')).toEqual([
      expect.objectContaining({
        onDiskBytes: 20_600_000,
        fileCount: 2,
        // 20,600,000 × 30,000,000 / 100,000,000
        compressedBytesEstimate: 6_180_000,
        layer: 3,
        step: 'RUN /bin/sh -c npm install # buildkit',
        samplePaths: ['root/.npm/_cacache/content-v2/sha512/8a/0b/7f2e', 'root/.npm/_cacache/index-v5/1c/2d/3e4f'],
      }),
    ]);
  });

  it('.git: in the COPY layer, without .gitignore', () => {
    expect(byRule('vcs-metadata')).toEqual([
      expect.objectContaining({
        category: 'vcs',
        onDiskBytes: 4_040_021,
        fileCount: 3,
        compressedBytesEstimate: Math.round(4_040_021 * 0.5),
        layer: 2,
        step: 'COPY . /app # buildkit',
        remedy: 'dockerignore',
      }),
    ]);
  });

  it('nothing for the base layer: libgcc_s, libstdc++, node and its headers are the runtime', () => {
    expect(findings.filter((f) => f.layer === 0)).toEqual([]);
  });
});

describe('findingsOf: files deleted in a later layer but still shipped', () => {
  const findings = findingsOf(IMAGE, LAYERS);
  const deleted = findings.filter((f) => f.kind === 'deleted-but-shipped');

  it('one per (layer that shipped them, layer that deleted them), with exact bytes', () => {
    expect(deleted).toEqual([
      {
        kind: 'deleted-but-shipped',
        ruleId: 'deleted-but-shipped',
        label: 'files deleted in a later layer but still shipped',
        shippedBytes: 19_000_000,
        fileCount: 1,
        compressedBytesEstimate: 6_080_000,
        layer: 1,
        step: LAYERS[1]!.step,
        deletedByLayer: 4,
        deletedByStep: LAYERS[4]!.step,
        samplePaths: ['var/cache/apt/archives/gcc-12_12.2.0-14_amd64.deb'],
        remedy: 'same-step-cleanup',
        advice: 'deleting them in the same RUN step that creates them (or building in a separate stage) would drop them',
      },
      expect.objectContaining({
        shippedBytes: 10_000_000,
        // the deleted directory carries no bytes and is not counted
        fileCount: 2,
        compressedBytesEstimate: 3_000_000,
        layer: 3,
        deletedByLayer: 4,
        samplePaths: ['tmp/build/out.o', 'tmp/build/obj.o'],
      }),
    ]);
  });

  it('a deleted cache is not also an apt-cache finding: only final files count for the rules', () => {
    expect(findings.some((f) => f.ruleId === 'apt-cache')).toBe(false);
  });

  it('ignores replaced files, and deletions below the minimum', () => {
    const small: ShippedNotKept[] = [{ path: 'etc/motd', layer: 1, bytes: 286, by: 'deleted', byLayer: 4 }];
    expect(findingsOf(composed([], small), LAYERS)).toEqual([]);
    expect(findingsOf(composed([], small), LAYERS, { minDeletedBytes: 1 })).toHaveLength(1);
    expect(findingsOf(composed([], WASTED.slice(4)), LAYERS)).toEqual([]);
    expect(DEFAULT_MIN_DELETED_BYTES).toBe(MIB);
  });
});

describe('findingsOf: a multi-stage image', () => {
  it('finds nothing in a runtime image that only copied the build output', () => {
    const runtime: FinalEntry[] = [
      ...RUNTIME,
      file('usr/share/dotnet/shared/Microsoft.NETCore.App/8.0.0/System.Private.CoreLib.dll', 15_000_000, 0),
      file('usr/share/dotnet/host/fxr/8.0.0/libhostfxr.so', 450_000, 0),
      file('opt/java/openjdk/lib/modules', 130_000_000, 0),
      file('opt/java/openjdk/bin/java', 12_000, 0),
      file('usr/lib/llvm-19/lib/libLLVM.so.1', 124_842_264, 0),
      file('app/server', 25_000_000, 1),
      file('app/.gitignore', 30, 1),
      file('app/node_modules/.pnpm/lodash@4.17.21/node_modules/lodash/lodash.js', 544_000, 1),
      file('app/.yarn/cache/lodash-npm-4.17.21-6382451519-eb835a2e51.zip', 1_800_000, 1),
    ];
    const layers = [LAYERS[0]!, { compressedBytes: 10_000_000, uncompressedBytes: 30_000_000, step: 'COPY --from=build /out /app # buildkit' }];
    expect(findingsOf(composed(runtime), layers)).toEqual([]);
  });
});

describe('findingsOf: rules and their data', () => {
  const layers: LayerForFindings[] = [{ compressedBytes: 1_000, uncompressedBytes: 4_000 }];

  it('applies a rule minimum per layer: apt lists below 1 MiB are no finding', () => {
    const small = composed([file('var/lib/apt/lists/deb.debian.org_debian_dists_bookworm_InRelease', 151_000, 0)]);
    expect(findingsOf(small, layers)).toEqual([]);
  });

  it('a rule with requires applies only with its evidence: usr/local/go without pkg/tool is not a toolchain', () => {
    const notToolchain = composed([file('usr/local/go/bin/app', 12_000_000, 0)]);
    expect(findingsOf(notToolchain, layers)).toEqual([]);
    const toolchain = composed([file('usr/local/go/bin/app', 12_000_000, 0), file('usr/local/go/pkg/tool/linux_amd64/compile', 20_000_000, 0)]);
    expect(findingsOf(toolchain, layers)).toEqual([expect.objectContaining({ ruleId: 'go-toolchain', onDiskBytes: 32_000_000, fileCount: 2 })]);
  });

  it('splits one rule by the layer that last wrote each file, and omits the step when there is none', () => {
    const fs = composed([file('root/.cache/pip/a', 2 * MIB, 0), file('root/.cache/pip/b', 3 * MIB, 1)]);
    const two: LayerForFindings[] = [layers[0]!, { compressedBytes: 500, uncompressedBytes: 1_000, step: 'RUN pip install -r requirements.txt' }];
    const found = findingsOf(fs, two);
    expect(found.map((f) => [f.layer, f.compressedBytesEstimate, f.step])).toEqual([
      [1, Math.round(3 * MIB * 0.5), 'RUN pip install -r requirements.txt'],
      [0, Math.round(2 * MIB * 0.25), undefined],
    ]);
    expect('step' in found[1]!).toBe(false);
  });

  it('counts no bytes for a cache file that a hardlink outside the cache still needs', () => {
    // pnpm hardlinks node_modules into its store: deleting the store frees nothing for these
    const fs = composed([
      file('root/.local/share/pnpm/store/v3/files/00/kept', 5 * MIB, 0),
      hardlink('app/node_modules/.pnpm/lodash@4.17.21/node_modules/lodash/lodash.js', 'root/.local/share/pnpm/store/v3/files/00/kept', 0),
      file('root/.local/share/pnpm/store/v3/files/01/unused', 2 * MIB, 0),
    ]);
    expect(findingsOf(fs, layers)).toEqual([expect.objectContaining({ ruleId: 'pnpm-store', onDiskBytes: 2 * MIB, fileCount: 2 })]);
  });

  it('takes extra rules as data', () => {
    const rule: FindingRule = {
      id: 'poetry-cache',
      category: 'package-cache',
      label: 'poetry cache files',
      match: { include: ['**/.cache/pypoetry/**'] },
      remedy: 'same-step-cleanup',
      advice: '`poetry install --no-cache` would drop them',
    };
    const fs = composed([file('root/.cache/pypoetry/cache/repositories/pypi/_http/a', 4_000, 0)]);
    expect(findingsOf(fs, layers, { rules: [rule] })).toEqual([
      expect.objectContaining({ ruleId: 'poetry-cache', onDiskBytes: 4_000, compressedBytesEstimate: 1_000 }),
    ]);
  });

  it('limits the sample paths', () => {
    const fs = composed([file('app/.git/a', 3, 0), file('app/.git/b', 2, 0), file('app/.git/c', 1, 0)]);
    expect(findingsOf(fs, layers, { samplePaths: 2 })[0]?.samplePaths).toEqual(['app/.git/a', 'app/.git/b']);
  });

  it('estimates 0 compressed bytes for a layer with no uncompressed size', () => {
    const fs = composed([file('app/.git/HEAD', 21, 0)]);
    expect(findingsOf(fs, [{ compressedBytes: 0, uncompressedBytes: 0 }])[0]?.compressedBytesEstimate).toBe(0);
  });

  it('rejects layers that do not match the filesystem, and bad sizes', () => {
    const fs = composed([file('app/.git/HEAD', 21, 3)]);
    expect(() => findingsOf(fs, layers)).toThrow(/layer 3, but only 1 layers/);
    expect(() => findingsOf(composed([]), [{ compressedBytes: -1, uncompressedBytes: 0 }])).toThrow(RangeError);
  });
});
