import { createHash } from 'node:crypto';
import { compareLink } from '../../src/core/links';
import type { AlertView } from '../../src/core/alert';
import { estimateCosts, estimatePull, imageForEstimate } from '../../src/core/estimates/estimates';
import { DEFAULT_PRICES, DEFAULT_REGISTRY_PROFILE, imageMonthlyStorageCost } from '../../src/core/estimates/pricing';
import { DEFAULT_PULL_MODEL } from '../../src/core/estimates/pullModel';
import { diffImages } from '../../src/core/layerDiff';
import type { Layer } from '../../src/core/manifest';
import { MediaType } from '../../src/core/mediaTypes';
import type { EffectivePolicy } from '../../src/core/policy';
import { evaluateRules } from '../../src/core/rules';
import type { PlatformImage } from '../../src/core/sizing';

/**
 * Alert views as the alert service assembles them, built from layer lists through the real
 * diff, rules and estimates, so the figures on a card agree with each other.
 */

const KB = 1000;
const MB = 1000 * KB;
const MIB = 1024 * 1024;

export const digestOf = (seed: string) => `sha256:${createHash('sha256').update(seed).digest('hex')}`;

/** Base image layers were built weeks before the image; the image's own steps at build time. */
const BASE_TIME = '2026-10-01T08:00:00Z';
const BUILD_TIME = '2026-11-20T11:58:00Z';

export const POLICY: EffectivePolicy = {
  growthPercent: 10,
  growthBytes: 20 * MIB,
  layerBytes: 100 * MIB,
  coldStartSeconds: 5,
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

interface LayerSpec {
  step: string;
  size: number;
  /** Content identity: equal keys in two images mean the same layer (same digest). */
  key?: string;
  base?: boolean;
  foreign?: boolean;
}

function layer(spec: LayerSpec): Layer {
  return {
    digest: digestOf(spec.key ?? `${spec.step}#${spec.size}`),
    mediaType: spec.foreign ? MediaType.dockerForeignLayer : 'application/vnd.oci.image.layer.v1.tar+gzip',
    sizeBytes: spec.size,
    foreign: spec.foreign ?? false,
    createdBy: spec.step,
    createdAt: spec.base ? BASE_TIME : BUILD_TIME,
  };
}

function image(name: string, specs: LayerSpec[], platform = 'linux/amd64'): PlatformImage {
  const layers = specs.map(layer);
  const config = { digest: digestOf(`${name}/config`), mediaType: MediaType.ociConfig, sizeBytes: 7 * KB };
  return {
    digest: digestOf(name),
    mediaType: MediaType.ociManifest,
    platform,
    created: '2026-11-20T12:00:00Z',
    config,
    layers,
    sizeBytes: config.sizeBytes + layers.reduce((s, l) => s + l.sizeBytes, 0),
    layerCount: layers.length,
    foreignLayerCount: layers.filter((l) => l.foreign).length,
    history: 'matched',
  };
}

interface Scenario {
  registry: string;
  repository: string;
  tag: string;
  before?: { tag: string; image: PlatformImage };
  after: PlatformImage;
  policy?: Partial<EffectivePolicy>;
  /** Unique bytes in the registry before the push: decides whether the push is billed. */
  registryBytesBefore: number;
  indexDigest?: string;
  compareUrl?: string;
}

export function alertView(s: Scenario): AlertView {
  const policy = { ...POLICY, ...s.policy };
  const before = s.before?.image;
  const diff = before ? diffImages(before, s.after) : undefined;
  const pull = estimatePull(imageForEstimate(s.after), before ? imageForEstimate(before) : undefined, DEFAULT_REGISTRY_PROFILE.sku, DEFAULT_PULL_MODEL);
  const addedLayers = diff ? diff.added : s.after.layers;
  const findings = evaluateRules(
    {
      sizeBytes: s.after.sizeBytes,
      ...(before ? { baseline: { sizeBytes: before.sizeBytes } } : {}),
      addedLayers,
      coldStartDeltaSeconds: pull.aci.coldStartDeltaSeconds,
    },
    policy,
  );
  const newRegistryBytes = addedLayers.reduce((sum, l) => sum + l.sizeBytes, 0) + s.after.config.sizeBytes;
  const costs = estimateCosts(
    { sizeBytes: s.after.sizeBytes, newRegistryBytes, registryBytesBefore: s.registryBytesBefore },
    DEFAULT_REGISTRY_PROFILE,
    DEFAULT_PRICES,
  );
  return {
    kind: findings.length > 0 && findings.every((f) => f.kind === 'improvement') ? 'improvement' : 'regression',
    registry: s.registry,
    repository: s.repository,
    tag: s.tag,
    platform: s.after.platform,
    digest: s.after.digest,
    ...(s.indexDigest ? { indexDigest: s.indexDigest } : {}),
    pushedAt: '2026-11-20T12:01:07Z',
    sizeBytes: s.after.sizeBytes,
    ...(before && s.before ? { baseline: { digest: before.digest, tag: s.before.tag, sizeBytes: before.sizeBytes } } : {}),
    findings,
    steps: diff?.steps ?? [],
    addedLayers,
    ...(diff ? { base: diff.base } : {}),
    cost: {
      currency: costs.currency,
      monthlyBefore: before ? imageMonthlyStorageCost(before.sizeBytes, DEFAULT_REGISTRY_PROFILE, DEFAULT_PRICES).monthly : null,
      monthlyAfter: costs.imageMonthly,
      pushMarginalMonthly: costs.pushMarginalMonthly,
      withinIncluded: costs.withinIncluded,
      note: costs.note,
    },
    pull,
    ...(s.compareUrl ? { compareUrl: s.compareUrl } : {}),
  };
}

function compareUrl(registry: string, repository: string, from: string, to: string): string {
  return compareLink('https://acr-size-tracker.azurewebsites.net', { registry, repository, from, to, platform: 'linux/amd64' });
}

/** node:20-bookworm-slim, as a Node service's Dockerfile starts FROM it. */
const NODE_BASE: LayerSpec[] = [
  { step: 'ADD file:4b1be1de1a1e5aa608c688cad2824587262081866180d7368feb79d33ca05953 in / ', size: 28_230 * KB, base: true },
  {
    step: 'RUN /bin/sh -c groupadd --gid 1000 node && useradd --uid 1000 --gid node --shell /bin/bash --create-home node # buildkit',
    size: 3 * KB,
    base: true,
  },
  {
    step: 'RUN /bin/sh -c ARCH= && dpkgArch="$(dpkg --print-architecture)" && case "${dpkgArch##*-}" in amd64) ARCH=\'x64\';; esac && curl -fsSLO --compressed "https://nodejs.org/dist/v$NODE_VERSION/node-v$NODE_VERSION-linux-$ARCH.tar.xz" && tar -xJf "node-v$NODE_VERSION-linux-$ARCH.tar.xz" -C /usr/local --strip-components=1 --no-same-owner # buildkit',
    size: 41_170 * KB,
    base: true,
  },
  {
    step: 'RUN /bin/sh -c set -ex && for key in 6A010C5166006599AA17F08146C2130DFD2497F5 ; do gpg --batch --keyserver hkps://keys.openpgp.org --recv-keys "$key" ; done && curl -fsSLO --compressed "https://yarnpkg.com/downloads/$YARN_VERSION/yarn-v$YARN_VERSION.tar.gz" # buildkit',
    size: 1_250 * KB,
    base: true,
  },
  { step: 'COPY docker-entrypoint.sh /usr/local/bin/ # buildkit', size: 450, base: true },
];

/** A Node API whose v2 added native build tools and image processing, lost its .dockerignore, and kept dev dependencies. */
export function regressionAlert(): AlertView {
  const own = (v: 1 | 2): LayerSpec[] => [
    { step: 'WORKDIR /app', size: 93, key: 'workdir' },
    v === 1
      ? {
          step: 'RUN /bin/sh -c apt-get update && apt-get install -y --no-install-recommends ca-certificates tini && rm -rf /var/lib/apt/lists/* # buildkit',
          size: 1_870 * KB,
        }
      : { step: 'RUN /bin/sh -c apt-get update && apt-get install -y python3 make g++ imagemagick libvips-dev # buildkit', size: 187_400 * KB },
    { step: 'RUN /bin/sh -c mkdir -p /app/logs /app/tmp && chown -R node:node /app # buildkit', size: 1 * KB, key: 'mkdir' },
    { step: 'COPY package.json package-lock.json .npmrc ./ # buildkit', size: v === 1 ? 118 * KB : 131 * KB },
    {
      step: v === 1 ? 'RUN |1 NODE_ENV=production /bin/sh -c npm ci --omit=dev # buildkit' : 'RUN |1 NODE_ENV=production /bin/sh -c npm ci # buildkit',
      size: v === 1 ? 58_300 * KB : 141_900 * KB,
    },
    { step: 'COPY . . # buildkit', size: v === 1 ? 3_120 * KB : 38_600 * KB },
    { step: 'RUN /bin/sh -c npm run build # buildkit', size: v === 1 ? 4_810 * KB : 5_020 * KB },
    { step: 'RUN /bin/sh -c npm prune --omit=dev # buildkit', size: v === 1 ? 12 * KB : 15 * KB },
    { step: 'COPY --chown=node:node config/ ./config/ # buildkit', size: 24 * KB, key: 'config' },
    { step: 'RUN /bin/sh -c chmod +x ./scripts/*.sh && ln -s /app/scripts/healthcheck.sh /usr/local/bin/healthcheck # buildkit', size: 2 * KB, key: 'chmod' },
  ];
  const registry = 'contosoprod.azurecr.io';
  const before = image('shop/api:v1', [...NODE_BASE, ...own(1)]);
  const after = image('shop/api:v2', [...NODE_BASE, ...own(2)]);
  return alertView({
    registry,
    repository: 'shop/api',
    tag: 'v2',
    before: { tag: 'v1', image: before },
    after,
    registryBytesBefore: 38 * 1024 * MIB,
    indexDigest: digestOf('shop/api:v2/index'),
    compareUrl: compareUrl(registry, 'shop/api', before.digest, after.digest),
  });
}

/** A Go service moved from a single golang stage to distroless with only the binary copied in. */
export function improvementAlert(): AlertView {
  const goBase: LayerSpec[] = [
    { step: 'ADD file:cbb5d1f9e1ad0c1ab1b6c1d7a6e5e2b0a8a27bcb5d5e0cf8e8e7b0f4f2a9d2c1 in / ', size: 49_580 * KB, base: true },
    {
      step: 'RUN /bin/sh -c set -eux; apt-get update; apt-get install -y --no-install-recommends ca-certificates curl gnupg netbase sq wget; rm -rf /var/lib/apt/lists/* # buildkit',
      size: 24_050 * KB,
      base: true,
    },
    {
      step: 'RUN /bin/sh -c set -ex; apt-get update; apt-get install -y --no-install-recommends git mercurial openssh-client subversion procps; rm -rf /var/lib/apt/lists/* # buildkit',
      size: 64_390 * KB,
      base: true,
    },
    {
      step: 'RUN /bin/sh -c set -eux; apt-get update; apt-get install -y --no-install-recommends g++ gcc libc6-dev make pkg-config; rm -rf /var/lib/apt/lists/* # buildkit',
      size: 92_280 * KB,
      base: true,
    },
    { step: 'COPY /target/ / # buildkit', size: 70_110 * KB, base: true },
    { step: 'RUN /bin/sh -c mkdir -p "$GOPATH/src" "$GOPATH/bin" && chmod -R 1777 "$GOPATH" # buildkit', size: 126, base: true },
  ];
  const distroless: LayerSpec[] = [
    { step: 'bazel build //base:static_debian12', size: 104 * KB, base: true },
    { step: 'bazel build //base:static_debian12 (tzdata)', size: 21 * KB, base: true },
    { step: 'bazel build //base:static_debian12 (ca-certificates)', size: 230 * KB, base: true },
  ];
  const before = image('shop/web:v2', [
    ...goBase,
    { step: 'WORKDIR /src', size: 93 },
    { step: 'COPY go.mod go.sum ./ # buildkit', size: 3 * KB, key: 'gomod' },
    { step: 'RUN /bin/sh -c go mod download # buildkit', size: 84_600 * KB },
    { step: 'COPY . . # buildkit', size: 6_240 * KB },
    { step: 'RUN /bin/sh -c CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o /app/server ./cmd/server # buildkit', size: 138_700 * KB },
    { step: 'RUN /bin/sh -c apt-get update && apt-get install -y --no-install-recommends tzdata && rm -rf /var/lib/apt/lists/* # buildkit', size: 2_110 * KB },
  ]);
  const after = image('shop/web:v3', [...distroless, { step: 'COPY /app/server /server # buildkit', size: 11_820 * KB }]);
  const registry = 'contosoprod.azurecr.io';
  return alertView({
    registry,
    repository: 'shop/web',
    tag: 'v3',
    before: { tag: 'v2', image: before },
    after,
    registryBytesBefore: 38 * 1024 * MIB,
    compareUrl: compareUrl(registry, 'shop/web', before.digest, after.digest),
  });
}

/** The first push of a Python inference image, already over its team's 1.5 GiB budget. */
export function firstPushBudgetAlert(): AlertView {
  const after = image('ml/inference:1.0.0', [
    { step: 'ADD file:9e3b0a7f6d0c4b1e8a2d5f7c9b1e3a5d7f9b1c3e5a7d9f1b3c5e7a9d1f3b5c7e in / ', size: 29_150 * KB, base: true },
    {
      step: 'RUN /bin/sh -c set -eux; apt-get update; apt-get install -y --no-install-recommends ca-certificates netbase tzdata; rm -rf /var/lib/apt/lists/* # buildkit',
      size: 3_510 * KB,
      base: true,
    },
    {
      step: 'RUN /bin/sh -c set -eux; savedAptMark="$(apt-mark showmanual)"; apt-get update; apt-get install -y --no-install-recommends dpkg-dev gcc libbz2-dev; ./configure --enable-optimizations; make -j "$(nproc)" # buildkit',
      size: 14_920 * KB,
      base: true,
    },
    {
      step: 'RUN /bin/sh -c set -eux; for src in idle3 pydoc3 python3 python3-config; do dst="$(echo "$src" | tr -d 3)"; ln -svT "$src" "/usr/local/bin/$dst"; done # buildkit',
      size: 1 * KB,
      base: true,
    },
    { step: 'WORKDIR /srv', size: 93 },
    { step: 'RUN /bin/sh -c apt-get update && apt-get install -y build-essential libgl1 libglib2.0-0 ffmpeg # buildkit', size: 318_600 * KB },
    { step: 'COPY requirements.txt . # buildkit', size: 2 * KB },
    { step: 'RUN /bin/sh -c pip install -r requirements.txt # buildkit', size: 1_342_000 * KB },
    { step: 'COPY models/ ./models/ # buildkit', size: 96_400 * KB },
    { step: 'COPY src/ ./src/ # buildkit', size: 410 * KB },
  ]);
  return alertView({
    registry: 'contosoml.azurecr.io',
    repository: 'ml/inference',
    tag: '1.0.0',
    after,
    policy: { budgetBytes: 1536 * MIB },
    // Basic includes 10 GiB; the profile's SKU decides, so stay over Standard's 100 GiB to show a billed push.
    registryBytesBefore: 101 * 1024 * MIB,
  });
}

/** The regression of regressionAlert() with what is inside: a compiler and apt lists left in the final image, and what grew. */
export function contentAlert(): AlertView {
  const view = regressionAlert();
  const step = 'RUN /bin/sh -c apt-get update && apt-get install -y build-essential # buildkit';
  return {
    ...view,
    content: {
      status: 'done',
      complete: true,
      onDiskBytes: 1_094 * MIB,
      wastedBytes: 212 * MIB,
      efficiency: 0.803,
      findings: [
        {
          label: 'gcc and its support files',
          advice: `gcc and its support files (187 MiB on disk, 59.8 MiB compressed) were added by \`${step}\` and are in the final image; a multi-stage build that copies only the build output would drop them: −59.8 MiB per pull, −0.0053 USD/month storage, −2.0 s ACI cold start.`,
        },
        {
          label: 'apt package lists',
          advice: `apt package lists (41.3 MiB on disk, 9.1 MiB compressed) were added by \`${step}\` and are in the final image; removing them in the same RUN step (rm -rf /var/lib/apt/lists/*) would drop them: −9.1 MiB per pull, −0.0008 USD/month storage, −0.3 s ACI cold start.`,
        },
      ],
      grown: [
        { path: '/usr/lib/gcc', deltaBytes: 180 * MIB, step },
        { path: '/var/lib/apt/lists', deltaBytes: 41 * MIB, step },
        { path: '/srv/app/node_modules', deltaBytes: 12 * MIB, step: 'RUN /bin/sh -c npm ci # buildkit' },
      ],
    },
  };
}

/**
 * A Windows image with 300 layers whose history lines are 5,000 characters of shell with
 * markdown characters, quotes, backslashes and non-ASCII text: far more than a card holds.
 */
export function pathologicalAlert(): AlertView {
  const longStep = (i: number) => {
    const chunk = `Remove-Item -Recurse C:\\temp\\*_cache_* ; echo "Schritt ${i}: größer ✓ 🚀" ; [x](y) **bold** _x_ `;
    return `cmd /S /C powershell -Command ${chunk.repeat(Math.ceil(5000 / chunk.length))}`.slice(0, 5000);
  };
  // The monthly Windows update replaced the base's second (foreign) layer.
  const windowsBase = (update: string, size: number): LayerSpec[] => [
    { step: 'Apply image 10.0.20348.2227', size: 1_380_000 * KB, base: true, foreign: true },
    { step: `Install update ${update}`, size, base: true, foreign: true },
  ];
  const own = (base: number, grow: number): LayerSpec[] => Array.from({ length: 298 }, (_, i) => ({ step: longStep(i), size: base + i * grow * KB }));
  const before = image('legacy/monolith:2024.11.1', [...windowsBase('10.0.20348.2322', 812_000 * KB), ...own(1 * MB, 1)], 'windows/amd64');
  const after = image('legacy/monolith:2024.11.2', [...windowsBase('10.0.20348.2340', 846_000 * KB), ...own(1.5 * MB, 12)], 'windows/amd64');
  const registry = 'contosolegacy.azurecr.io';
  return alertView({
    registry,
    repository: 'legacy/monolith',
    tag: '2024.11.2',
    before: { tag: '2024.11.1', image: before },
    after,
    registryBytesBefore: 460 * 1024 * MIB,
    compareUrl: compareUrl(registry, 'legacy/monolith', before.digest, after.digest),
  });
}
