import { describe, expect, it } from 'vitest';
import { applyHistory, parseImageConfig, shortenStep } from '../../src/core/imageConfig';
import type { Layer } from '../../src/core/manifest';

const layer = (n: number, size: number): Layer => ({ digest: `sha256:${String(n).padStart(64, '0')}`, mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', sizeBytes: size, foreign: false });

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
    });
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
