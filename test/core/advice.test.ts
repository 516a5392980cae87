import { describe, expect, it } from 'vitest';
import { MAX_ADVICE, adviceFor, type AdviceInput } from '../../src/core/advice';
import type { BaseChange, StepDelta } from '../../src/core/layerDiff';
import type { Layer } from '../../src/core/manifest';
import type { Finding } from '../../src/core/rules';
import { digestOf, firstPushBudgetAlert, improvementAlert, pathologicalAlert, regressionAlert } from '../support/sampleAlerts';

const MIB = 1024 * 1024;

const BASE_STEPS: StepDelta[] = [
  {
    step: 'ADD file:4b1be1de in / ',
    change: 'unchanged',
    beforeBytes: 28 * MIB,
    afterBytes: 28 * MIB,
    deltaBytes: 0,
    beforeDigest: digestOf('rootfs'),
    afterDigest: digestOf('rootfs'),
  },
  {
    step: 'RUN /bin/sh -c apt-get update && apt-get install -y curl # buildkit',
    change: 'unchanged',
    beforeBytes: 9 * MIB,
    afterBytes: 9 * MIB,
    deltaBytes: 0,
    beforeDigest: digestOf('base-curl'),
    afterDigest: digestOf('base-curl'),
  },
];
const UNCHANGED_BASE: BaseChange = {
  commonPrefixLayers: 2,
  commonPrefixBytes: 37 * MIB,
  baseLayers: 2,
  changed: false,
  reason: 'the first 2 layers are identical, covering the base (2 layers)',
};

function grown(step: string, beforeMiB: number, afterMiB: number): StepDelta {
  return {
    step,
    change: 'changed',
    beforeBytes: beforeMiB * MIB,
    afterBytes: afterMiB * MIB,
    deltaBytes: (afterMiB - beforeMiB) * MIB,
    beforeDigest: digestOf(`${step}@${beforeMiB}`),
    afterDigest: digestOf(`${step}@${afterMiB}`),
  };
}

function view(steps: StepDelta[], extra: Partial<AdviceInput> = {}): AdviceInput {
  return { kind: 'regression', steps: [...BASE_STEPS, ...steps], addedLayers: [], base: UNCHANGED_BASE, findings: [], ...extra };
}

const only = (step: string, before = 10, after = 60) => adviceFor(view([grown(step, before, after)]));

describe('adviceFor: grown steps', () => {
  it('tells an apt-get step to clean its package lists in the same RUN, naming the step', () => {
    const advice = only('RUN /bin/sh -c apt-get update && apt-get install -y imagemagick # buildkit');
    expect(advice).toEqual([
      '“RUN apt-get update && apt-get install -y imagemagick” grew +50.0 MiB: clean up in the same RUN (&& rm -rf /var/lib/apt/lists/*) and use --no-install-recommends.',
    ]);
  });

  it('asks only for what an apt-get step does not do yet', () => {
    const advice = only('RUN /bin/sh -c apt-get update && apt-get install -y imagemagick && rm -rf /var/lib/apt/lists/* # buildkit');
    expect(advice).toHaveLength(1);
    expect(advice[0]).toContain('use --no-install-recommends');
    expect(advice[0]).not.toContain('rm -rf');
  });

  it('says nothing about an apt-get step that already cleans up', () => {
    expect(only('RUN /bin/sh -c apt-get update && apt-get install -y --no-install-recommends imagemagick && rm -rf /var/lib/apt/lists/* # buildkit')).toEqual(
      [],
    );
    expect(only('RUN --mount=type=cache,target=/var/cache/apt apt-get install -y imagemagick')).toEqual([]);
  });

  it('tells apk to use --no-cache, and yum/dnf to clean all', () => {
    expect(only('RUN /bin/sh -c apk add curl git # buildkit')[0]).toContain('use apk add --no-cache');
    expect(only('RUN /bin/sh -c apk add --no-cache curl git # buildkit')).toEqual([]);
    expect(only('RUN /bin/sh -c dnf install -y nodejs # buildkit')[0]).toContain('(&& dnf clean all)');
    expect(only('RUN /bin/sh -c yum -y install httpd # buildkit')[0]).toContain('(&& yum clean all)');
    expect(only('RUN /bin/sh -c yum -y install httpd && yum clean all # buildkit')).toEqual([]);
  });

  it.each([
    ['RUN /bin/sh -c npm ci # buildkit', 'npm ci --omit=dev && npm cache clean --force'],
    ['RUN /bin/sh -c npm install # buildkit', 'npm ci --omit=dev && npm cache clean --force'],
    ['RUN /bin/sh -c npm ci --omit=dev # buildkit', '(npm cache clean --force)'],
    ['RUN /bin/sh -c yarn install --frozen-lockfile # buildkit', 'yarn install --production'],
    ['RUN /bin/sh -c pnpm install --frozen-lockfile # buildkit', 'pnpm install --prod'],
    ['RUN /bin/sh -c pip install -r requirements.txt # buildkit', 'pip install --no-cache-dir'],
    ['RUN /bin/sh -c poetry install # buildkit', 'poetry install --only main'],
    ['RUN /bin/sh -c bundle install # buildkit', "bundle config set without 'development test'"],
    ['RUN /bin/sh -c composer install # buildkit', 'composer install --no-dev'],
  ])('tells a grown dependency step %s to install lean or in a build stage', (step, tip) => {
    const advice = only(step);
    expect(advice).toHaveLength(1);
    expect(advice[0]).toContain('install production dependencies only, without the cache');
    expect(advice[0]).toContain(tip);
    expect(advice[0]).toContain('install in a build stage and COPY --from it only the result');
  });

  it('sends go and dotnet dependency downloads to a build stage, and leaves lean installs alone', () => {
    expect(only('RUN /bin/sh -c go mod download # buildkit')).toEqual([
      '“RUN go mod download” grew +50.0 MiB: install in a build stage and COPY --from it only the result.',
    ]);
    expect(only('RUN /bin/sh -c dotnet restore # buildkit')[0]).toContain('install in a build stage');
    expect(only('RUN /bin/sh -c pip install --no-cache-dir -r requirements.txt # buildkit')).toEqual([]);
    expect(only('RUN /bin/sh -c npm ci --omit=dev && npm cache clean --force # buildkit')).toEqual([]);
  });

  it.each([
    'RUN /bin/sh -c go build -o /app/server ./cmd/server # buildkit',
    'RUN /bin/sh -c cargo build --release # buildkit',
    'RUN /bin/sh -c mvn -B package -DskipTests # buildkit',
    'RUN /bin/sh -c ./gradlew bootJar # buildkit',
    'RUN /bin/sh -c dotnet publish -c Release -o /app # buildkit',
    'RUN /bin/sh -c make -j4 # buildkit',
    'RUN /bin/sh -c gcc -O2 -o /usr/local/bin/tool tool.c # buildkit',
    'RUN /bin/sh -c npm run build # buildkit',
  ])('sends the toolchain of %s to a separate stage', (step) => {
    const advice = only(step);
    expect(advice).toHaveLength(1);
    expect(advice[0]).toMatch(/^“RUN .*” grew \+50\.0 MiB: build in a separate stage and COPY --from it only the output/);
  });

  it.each(['COPY . . # buildkit', 'COPY --chown=node:node . /app # buildkit', 'ADD . /src', 'COPY dir:3f1c0b8e2a in /app '])(
    'points %s at .dockerignore',
    (step) => {
      expect(only(step)).toEqual([expect.stringContaining('check that .dockerignore excludes node_modules, .git, build output and test data')]);
    },
  );

  it('does not take a COPY of one folder or from a build stage for a context copy', () => {
    expect(only('COPY --from=build /app/dist ./dist # buildkit')).toEqual([]);
    expect(only('COPY src/ ./src/ # buildkit')).toEqual([]);
  });

  it('ignores growth under a mebibyte, shrinking steps, and steps of the base image', () => {
    expect(only('RUN /bin/sh -c apt-get install -y curl # buildkit', 10, 10.5)).toEqual([]);
    expect(only('RUN /bin/sh -c apt-get install -y curl # buildkit', 60, 10)).toEqual([]);
    const baseGrew = view([]);
    baseGrew.steps[1] = grown(BASE_STEPS[1]!.step, 9, 90);
    expect(adviceFor(baseGrew)).toEqual([]);
  });

  it('gives one item for a step several rules match, and each rule once, for its largest step', () => {
    const advice = adviceFor(
      view([
        grown('RUN /bin/sh -c apt-get update && apt-get install -y build-essential # buildkit', 10, 200),
        grown('RUN /bin/sh -c apt-get update && apt-get install -y libpq5 # buildkit', 10, 40),
      ]),
    );
    expect(advice).toHaveLength(1);
    expect(advice[0]).toMatch(/^“RUN apt-get update && apt-get install -y build-essential” grew \+190 MiB: clean up .*; build in a separate stage/);
  });

  it('shortens long steps to 60 characters', () => {
    const advice = only(`RUN /bin/sh -c apt-get update && apt-get install -y ${'libfoo-dev '.repeat(40)}# buildkit`);
    const quoted = /^“(.*)”/.exec(advice[0]!)![1]!;
    expect(quoted).toHaveLength(60);
    expect(quoted.endsWith('…')).toBe(true);
  });
});

describe('adviceFor: layers, base and improvements', () => {
  const largeLayer = (observed: number): Finding => ({ rule: 'largeLayer', kind: 'regression', summary: 'A new layer…', observed, threshold: 100 * MIB });
  const modelLayer: Layer = {
    digest: digestOf('models'),
    mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip',
    sizeBytes: 310 * MIB,
    foreign: false,
    createdBy: 'COPY models/ ./models/ # buildkit',
  };

  it('names the new layer over the limit', () => {
    const steps = [{ ...grown('COPY models/ ./models/ # buildkit', 0, 310), change: 'added' as const, afterDigest: modelLayer.digest }];
    const advice = adviceFor(view(steps, { addedLayers: [modelLayer], findings: [largeLayer(modelLayer.sizeBytes)] }));
    expect(advice).toEqual([
      'The new layer from “COPY models/ ./models/” is 310 MiB, over the 100 MiB limit: split what it adds, or build it in a separate stage and copy only the result.',
    ]);
  });

  it('names a layer without history by its digest', () => {
    const bare: Layer = { digest: digestOf('bare'), mediaType: modelLayer.mediaType, sizeBytes: 150 * MIB, foreign: false };
    expect(adviceFor(view([], { addedLayers: [bare], findings: [largeLayer(bare.sizeBytes)] }))).toEqual([
      expect.stringContaining(`layer sha256:${bare.digest.slice(7, 19)}`),
    ]);
  });

  it('does not repeat a large layer whose step already has advice', () => {
    const advice = adviceFor(regressionAlert());
    expect(advice.filter((a) => a.includes('over the 100 MiB limit'))).toEqual([]);
    expect(advice.filter((a) => a.includes('apt-get install -y python3'))).toHaveLength(1);
  });

  it('asks to pin FROM when the base changed in a regression, and names what the new base brought', () => {
    const advice = adviceFor(pathologicalAlert());
    expect(advice).toEqual([
      'The base image changed (layer 2 differs within the 2 base layers), bringing “Install update 10.0.20348.2340” of 807 MiB: pin FROM to a digest (FROM image@sha256:…) so base updates are deliberate, and check what the new base adds.',
    ]);
  });

  it('keeps the base advice when there is more to say than fits', () => {
    const steps = [
      grown('RUN /bin/sh -c apt-get install -y curl # buildkit', 10, 100),
      grown('RUN /bin/sh -c npm ci # buildkit', 10, 90),
      grown('RUN /bin/sh -c go build ./... # buildkit', 10, 80),
      grown('COPY . . # buildkit', 10, 70),
    ];
    const changed: BaseChange = { ...UNCHANGED_BASE, commonPrefixLayers: 0, changed: true, reason: 'layer 1 differs within the 2 base layers' };
    const advice = adviceFor(view(steps, { base: changed }));
    expect(advice).toHaveLength(MAX_ADVICE);
    expect(advice.map((a) => a.slice(0, 16))).toEqual(['“RUN apt-get ins', '“RUN npm ci” gre', '“RUN go build ./', 'The base image c']);
    expect(new Set(advice).size).toBe(advice.length);
  });

  it('praises an improvement with many fewer layers, naming the largest step that went', () => {
    expect(adviceFor(improvementAlert())).toEqual([
      '8 fewer layers (“RUN CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o /a…”, 132 MiB, is gone): looks like a multi-stage build or a slimmer base. Nice.',
    ]);
  });

  it('praises an improvement on a changed base, and does not ask to pin it', () => {
    const changed: BaseChange = { ...UNCHANGED_BASE, commonPrefixLayers: 0, changed: true, reason: 'layer 1 differs within the 2 base layers' };
    const advice = adviceFor({ ...view([]), kind: 'improvement', base: changed });
    expect(advice).toEqual(['A different base image: looks like a multi-stage build or a slimmer base. Nice.']);
  });

  it('uses the layers of a first push as its steps, leaving out the base image’s', () => {
    const advice = adviceFor(firstPushBudgetAlert());
    expect(advice).toHaveLength(2);
    expect(advice[0]).toMatch(/^“RUN pip install -r requirements.txt” adds 1.2 GiB: .*pip install --no-cache-dir/);
    expect(advice[1]).toMatch(/^“RUN apt-get update && apt-get install -y build-essential li…” adds 304 MiB: clean up .*; build in a separate stage/);
    // The python base's own apt-get and gcc steps are older than the build: not the team's to fix.
    expect(advice.join('\n')).not.toContain('savedAptMark');
  });
});

describe('adviceFor: nothing to say', () => {
  it('gives no advice when nothing points at a cause', () => {
    const steps = [grown('COPY src/ ./src/ # buildkit', 1, 30), grown('RUN /bin/sh -c ./scripts/generate-assets.sh # buildkit', 5, 40)];
    expect(adviceFor(view(steps, { findings: [{ rule: 'growth', kind: 'regression', summary: 'Grew', observed: 1, threshold: 1 }] }))).toEqual([]);
    expect(adviceFor({ kind: 'improvement', steps: [], addedLayers: [], findings: [] })).toEqual([]);
    expect(adviceFor({ kind: 'regression', steps: [], addedLayers: [], findings: [] })).toEqual([]);
  });
});
