import { describe, expect, expectTypeOf, it } from 'vitest';
import type { z } from 'zod';
import { applyHistory, parseImageConfig, shortenStep, StoredConfigSchema, type StoredConfig } from '../../src/core/imageConfig';
import type { Layer } from '../../src/core/manifest';

const layer = (n: number, size: number): Layer => ({
  digest: `sha256:${String(n).padStart(64, '0')}`,
  mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip',
  sizeBytes: size,
  foreign: false,
});

describe('parseImageConfig', () => {
  it('keeps os, architecture, variant, created and the steps of non-empty history entries', () => {
    const config = {
      architecture: 'arm64',
      os: 'linux',
      variant: 'v8',
      created: '2026-11-01T10:00:00Z',
      rootfs: { type: 'layers', diff_ids: ['sha256:a', 'sha256:b'] },
      history: [
        { created_by: '/bin/sh -c #(nop) ADD file:abc in / ' },
        { created_by: '/bin/sh -c #(nop)  CMD ["sh"]', empty_layer: true },
        { created_by: 'RUN /bin/sh -c npm ci # buildkit', comment: 'buildkit.dockerfile.v0', created: '2026-11-02T00:00:00Z' },
        { created_by: 'ENV A=b', empty_layer: true },
      ],
    };
    expect(parseImageConfig(JSON.stringify(config))).toEqual({
      os: 'linux',
      architecture: 'arm64',
      variant: 'v8',
      created: '2026-11-01T10:00:00Z',
      layerHistory: [{ createdBy: 'ADD file:abc in /' }, { createdBy: 'RUN /bin/sh -c npm ci # buildkit', created: '2026-11-02T00:00:00Z' }],
      diffIds: ['sha256:a', 'sha256:b'],
    });
  });

  it('gives a squashed layer the content steps before the metadata entry that carries it, never CMD', () => {
    // buildah bud without --layers, as recorded by buildah 1.28 here (hashes shortened in the test only where irrelevant).
    const hash = '57e7f12ce6d4ac168ac46ae0f27f12d719d33b78bfbe66f60515668543c3ac04';
    const history = [
      { created_by: `/bin/sh -c #(nop) COPY file:${hash} in /usr/local/bin/greeter `, empty_layer: true },
      { created_by: '/bin/sh -c #(nop) COPY file:bbc289087bb09cf11e806d6c3338e32d7294054b8439eb951216e07b18929f49 in /data/ ', empty_layer: true },
      { created_by: '/bin/sh -c #(nop) ENV A=1', empty_layer: true },
      { created_by: '/bin/sh -c #(nop) CMD ["/usr/local/bin/greeter"]', created: '2026-12-02T09:43:32Z' },
    ];
    expect(parseImageConfig(JSON.stringify({ history }))).toEqual({
      layerHistory: [
        {
          createdBy: 'COPY file in /usr/local/bin/greeter + COPY file in /data/',
          steps: ['COPY file in /usr/local/bin/greeter', 'COPY file in /data/'],
          created: '2026-12-02T09:43:32Z',
        },
      ],
    });
    // One squashed step keeps its own name; a metadata entry with nothing before it is unattributed.
    expect(parseImageConfig(JSON.stringify({ history: [history[0], history[3]] }))).toMatchObject({
      layerHistory: [{ createdBy: 'COPY file in /usr/local/bin/greeter' }],
    });
    expect(parseImageConfig(JSON.stringify({ history: [{ created_by: 'LABEL a=b' }] }))).toEqual({ layerHistory: [{ unattributed: true }] });
    // BuildKit records WORKDIR with the layer that makes the directory.
    expect(parseImageConfig(JSON.stringify({ history: [{ created_by: 'WORKDIR /app', comment: 'buildkit.dockerfile.v0' }] }))).toEqual({
      layerHistory: [{ createdBy: 'WORKDIR /app' }],
    });
  });

  it('names COPY/ADD steps without the source hash, so one Dockerfile line is one step across builds', () => {
    for (const kind of ['file', 'dir', 'multi']) {
      expect(shortenStep(`/bin/sh -c #(nop) COPY ${kind}:${'a'.repeat(64)} in /usr/local/bin/greeter `)).toBe(`COPY ${kind} in /usr/local/bin/greeter`);
    }
    expect(shortenStep(`/bin/sh -c #(nop) ADD file:${'0'.repeat(64)} in / `)).toBe('ADD file in /');
    // Not a builder hash: left alone.
    expect(shortenStep('COPY file:abc in /x')).toBe('COPY file:abc in /x');
  });

  it('has no layer history when the config has none, and reports bad JSON', () => {
    expect(parseImageConfig('{"os":"linux","architecture":"amd64"}')).toEqual({ os: 'linux', architecture: 'amd64' });
    expect(parseImageConfig('nope')).toEqual({ error: 'image config is not valid JSON' });
    expect(parseImageConfig('{"history": 3}')).toMatchObject({ error: expect.stringMatching(/^malformed image config/) });
  });

  it('shortens long steps and collapses whitespace', () => {
    expect(shortenStep('RUN  a \n  && b')).toBe('RUN a && b');
    const long = shortenStep('RUN ' + 'x'.repeat(5000));
    expect(long).toHaveLength(1000);
    expect(long.endsWith('…')).toBe(true);
  });
});

describe('applyHistory', () => {
  const layers = [layer(1, 10), layer(2, 20)];

  it('pairs the n-th layer-making step with layers[n] when counts match', () => {
    const r = applyHistory(layers, [{ createdBy: 'ADD rootfs', created: '2026-01-01T00:00:00Z' }, { createdBy: 'RUN npm ci' }]);
    expect(r.history).toBe('matched');
    expect(r.layers.map((l) => l.createdBy)).toEqual(['ADD rootfs', 'RUN npm ci']);
    expect(r.layers.map((l) => l.createdAt)).toEqual(['2026-01-01T00:00:00Z', undefined]);
  });

  it('attributes nothing when the counts differ', () => {
    const r = applyHistory(layers, [{ createdBy: 'only one' }]);
    expect(r.history).toBe('mismatched');
    expect(r.layers.every((l) => l.createdBy === undefined)).toBe(true);
  });

  it('attributes nothing without history, and leaves steps without created_by empty', () => {
    expect(applyHistory(layers, undefined)).toEqual({ layers, history: 'absent' });
    const r = applyHistory(layers, [{}, { createdBy: 'RUN x' }]);
    expect(r.layers.map((l) => l.createdBy)).toEqual([undefined, 'RUN x']);
  });
});

describe('StoredConfigSchema', () => {
  it('describes StoredConfig field for field, so reading through it drops nothing', () => {
    expectTypeOf<z.output<typeof StoredConfigSchema>>().toEqualTypeOf<StoredConfig>();
  });

  it('reads back a summary and an error unchanged (an error is not taken for an empty summary)', () => {
    const summary = parseImageConfig(
      JSON.stringify({ os: 'linux', architecture: 'amd64', rootfs: { diff_ids: ['sha256:1'] }, history: [{ created_by: 'CMD ["x"]' }] }),
    );
    const error = parseImageConfig('not json');
    expect(error).toEqual({ error: 'image config is not valid JSON' });
    for (const c of [summary, error]) expect(StoredConfigSchema.parse(c)).toEqual(c);
    expect(StoredConfigSchema.safeParse({ os: 'linux', layerHistory: [{ unattributed: false }] }).success).toBe(false);
  });
});
