import { describe, expect, it } from 'vitest';
import { alignSteps, baseChange, baseLayerCount, diffImages } from '../../src/core/layerDiff';
import type { Layer } from '../../src/core/manifest';
import type { PlatformImage } from '../../src/core/sizing';

const MB = 1_000_000;
const layer = (digest: string, sizeBytes: number, createdBy?: string, createdAt?: string): Layer => ({
  digest: `sha256:${digest}`,
  mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip',
  sizeBytes,
  foreign: false,
  ...(createdBy ? { createdBy } : {}),
  ...(createdAt ? { createdAt } : {}),
});
const image = (layers: Layer[], created = '2026-11-20T12:00:00Z', configSize = 1000): PlatformImage => ({
  digest: 'sha256:img',
  mediaType: 'application/vnd.oci.image.manifest.v1+json',
  platform: 'linux/amd64',
  created,
  config: { digest: 'sha256:cfg', mediaType: 'application/vnd.oci.image.config.v1+json', sizeBytes: configSize },
  layers,
  sizeBytes: configSize + layers.reduce((s, l) => s + l.sizeBytes, 0),
  layerCount: layers.length,
  foreignLayerCount: 0,
  history: 'matched',
});

const OLD = '2026-10-01T00:00:00Z'; // base image build time
const NOW = '2026-11-20T11:59:00Z'; // this build

describe('diffImages', () => {
  const base = [layer('os', 30 * MB, 'ADD rootfs.tar.xz /', OLD), layer('node', 40 * MB, 'RUN install node', OLD)];
  const before = image([
    ...base,
    layer('pkg', 1 * MB, 'COPY package.json .', NOW),
    layer('deps1', 84 * MB, 'RUN npm ci', NOW),
    layer('app1', 2 * MB, 'COPY . .', NOW),
  ]);
  const after = image(
    [...base, layer('pkg', 1 * MB, 'COPY package.json .', NOW), layer('deps2', 212 * MB, 'RUN npm ci', NOW), layer('app2', 3 * MB, 'COPY . .', NOW)],
    '2026-11-20T12:00:00Z',
    1200,
  );

  it('splits bytes into added, removed and reused, and sizes add up', () => {
    const d = diffImages(before, after);
    expect(d.addedBytes).toBe(215 * MB);
    expect(d.removedBytes).toBe(86 * MB);
    expect(d.reusedBytes).toBe(71 * MB);
    expect(d.layerCountDelta).toBe(0);
    expect(d.sizeDeltaBytes).toBe(d.addedBytes - d.removedBytes + 200);
    expect(d.added.map((l) => l.digest)).toEqual(['sha256:deps2', 'sha256:app2']);
    expect(d.removed.map((l) => l.digest)).toEqual(['sha256:deps1', 'sha256:app1']);
  });

  it('attributes change to Dockerfile steps: RUN npm ci 84 MB → 212 MB', () => {
    const steps = diffImages(before, after).steps;
    expect(steps.find((s) => s.step === 'RUN npm ci')).toEqual({
      step: 'RUN npm ci',
      change: 'changed',
      beforeBytes: 84 * MB,
      afterBytes: 212 * MB,
      deltaBytes: 128 * MB,
      beforeDigest: 'sha256:deps1',
      afterDigest: 'sha256:deps2',
    });
    expect(steps.map((s) => s.change)).toEqual(['unchanged', 'unchanged', 'unchanged', 'changed', 'changed']);
  });

  it('keeps base layers unchanged when only the app layers moved', () => {
    expect(diffImages(before, after).base).toMatchObject({ commonPrefixLayers: 3, commonPrefixBytes: 71 * MB, baseLayers: 2, changed: false });
  });

  it('reports a changed base when a base layer differs, even with the first layer intact', () => {
    const rebased = image([base[0]!, layer('node22', 45 * MB, 'RUN install node', OLD), layer('pkg', 1 * MB, 'COPY package.json .', NOW)]);
    const b = diffImages(before, rebased).base;
    expect(b).toMatchObject({ commonPrefixLayers: 1, baseLayers: 2, changed: true });
    expect(b.reason).toMatch(/layer 2 differs within the 2 base layers/);
  });

  it('treats the first layer as the base when there are no timestamps', () => {
    const a = image([layer('a', 10), layer('b', 10)]);
    expect(baseChange(a, image([layer('x', 10), layer('b', 10)]))).toMatchObject({ baseLayers: null, changed: true });
    expect(baseChange(a, image([layer('a', 10), layer('y', 10)]))).toMatchObject({ baseLayers: null, changed: false, commonPrefixLayers: 1 });
  });

  it('counts a layer present twice only as often as it occurs', () => {
    const twice = image([layer('e', 32), layer('x', 100), layer('e', 32)]);
    const once = image([layer('e', 32), layer('x', 100)]);
    const d = diffImages(once, twice);
    expect(d.addedBytes).toBe(32);
    expect(d.reusedBytes).toBe(132);
    expect(diffImages(twice, once).removedBytes).toBe(32);
  });
});

describe('alignSteps', () => {
  it('keeps pairings after an inserted step', () => {
    const from = [layer('a', 1, 'FROM'), layer('b', 2, 'RUN apt-get'), layer('c', 3, 'COPY .')];
    const to = [layer('a', 1, 'FROM'), layer('n', 9, 'RUN curl'), layer('b', 2, 'RUN apt-get'), layer('c2', 4, 'COPY .')];
    expect(alignSteps(from, to).map((s) => [s.step, s.change, s.deltaBytes])).toEqual([
      ['FROM', 'unchanged', 0],
      ['RUN curl', 'added', 9],
      ['RUN apt-get', 'unchanged', 0],
      ['COPY .', 'changed', 1],
    ]);
  });

  it('reports removed steps, and pairs by position without history', () => {
    expect(alignSteps([layer('a', 1, 'A'), layer('b', 5, 'B')], [layer('a', 1, 'A')]).map((s) => [s.step, s.change, s.deltaBytes])).toEqual([
      ['A', 'unchanged', 0],
      ['B', 'removed', -5],
    ]);
    expect(alignSteps([layer('a', 1), layer('b', 5)], [layer('a', 1), layer('c', 7), layer('d', 1)]).map((s) => [s.step, s.change])).toEqual([
      ['layer #1', 'unchanged'],
      ['layer #2', 'changed'],
      ['layer #3', 'added'],
    ]);
  });
});

describe('baseLayerCount', () => {
  it('counts leading layers older than the build, and is unknown without timestamps or with pinned ones', () => {
    expect(baseLayerCount(image([layer('a', 1, 'x', OLD), layer('b', 1, 'y', OLD), layer('c', 1, 'z', NOW)]))).toBe(2);
    expect(baseLayerCount(image([layer('a', 1, 'x'), layer('b', 1, 'y')]))).toBeNull();
    const pinned = '2026-01-01T00:00:00Z';
    expect(baseLayerCount(image([layer('a', 1, 'x', pinned)], pinned))).toBeNull();
  });
});

describe('baseChange wording', () => {
  it('says "the first layer is" for one shared layer and "the first N layers are" for more', () => {
    const one = [layer('a', 10)];
    expect(baseChange(image([...one, layer('x', 1)]), image([...one, layer('y', 1)])).reason).toBe('the first layer is identical, covering the base (1 layer)');
    const two = [layer('a', 10), layer('b', 10)];
    expect(baseChange(image([...two, layer('x', 1)]), image([...two, layer('y', 1)])).reason).toBe(
      'the first 2 layers are identical, covering the base (1 layer)',
    );
  });
});
