/**
 * Ingest against in-memory stores: the service's own rules (requests per push, the
 * summary rebuilt from stored points, baselines under any delivery order) in
 * milliseconds, without a registry or Azurite. The same behaviours are also driven end
 * to end in test/integration.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ingest } from '../../src/services/ingest';
import { makeImage, type Image } from '../integration/support/images';
import { at, push, REGISTRY, world } from './world';

describe('ingest (in-memory stores)', () => {
  it('records a new image in 2 registry requests and a known digest under a new tag in none', async () => {
    const { deps, registry, publish } = world();
    const image = makeImage({ layers: [2000, 3000] });
    publish(image);

    const first = await ingest(push('team/api', image, 'v1', 0), deps);
    expect(first).toMatchObject({ action: 'push', status: 'ok', platforms: 1, registryRequests: 2 });
    expect(first.pointsAdded).toHaveLength(1);
    expect(first.pointsAdded[0]).toMatchObject({ tag: 'v1', digest: image.manifest.digest, sizeBytes: image.totalSize, layerCount: 2, sizeDeltaBytes: null });
    expect(registry.requests).toBe(2);

    const again = await ingest(push('team/api', image, 'stable', 1), deps);
    expect(again.registryRequests).toBe(0);
    expect(registry.requests).toBe(2);
    const summary = await deps.repositories.get(REGISTRY, 'team/api');
    expect(summary?.latestByPlatform['linux/amd64']).toMatchObject({ tag: 'stable', pushedAt: at(1) });
    expect((await deps.images.get(REGISTRY, 'team/api', image.manifest.digest))?.tags).toEqual(['stable', 'v1']);
  });

  it('queues an evaluation only for points a rule could fire on, and for every point described anew', async () => {
    const { deps, publish } = world({ growthPercent: 10, growthBytes: 0 });
    const evaluated: string[] = [];
    const withHook = { ...deps, onPoint: async (ref: { tag: string }) => void evaluated.push(ref.tag) };
    const [small, between, same, grown] = [10_000, 10_050, 10_100, 20_000].map((n) => makeImage({ layers: [n] })) as [Image, Image, Image, Image];
    [small, between, same, grown].forEach(publish);

    await ingest(push('team/quiet', small, 'v1', 0), withHook); // a first push under every threshold
    await ingest(push('team/quiet', same, 'v2', 2), withHook); // +1%: under growthPercent
    expect(evaluated).toEqual([]);
    await ingest(push('team/quiet', grown, 'v3', 4), withHook); // +98% on v2
    expect(evaluated).toEqual(['v3']);
    // An earlier push (quiet itself) delivered last: v2 is compared with it now, so v2 is evaluated again, whatever it says.
    await ingest(push('team/quiet', between, 'v1b', 1), withHook);
    expect(evaluated).toEqual(['v3', 'v2']);
  });

  it('asks for the content of each platform image it has no record of, once, alongside the point', async () => {
    const { deps, publish } = world();
    const requested: string[] = [];
    const withHook = {
      ...deps,
      onNewImage: async (_r: string, repository: string, image: { digest: string; diffIds?: string[] }) => void requested.push(`${repository}@${image.digest}`),
    };
    const image = makeImage({ layers: [2000, 3000] });
    publish(image);

    await ingest(push('team/api', image, 'v1', 0), withHook);
    expect(requested).toEqual([`team/api@${image.manifest.digest}`]);
    // A new tag of the same digest, and a re-delivery: the record exists, nothing is asked again.
    await ingest(push('team/api', image, 'stable', 1), withHook);
    await ingest(push('team/api', image, 'v1', 0), withHook);
    expect(requested).toHaveLength(1);
    // Another repository holding the same digest has its own record: the request is made (the analysis dedupes by layer).
    await ingest(push('team/other', image, 'v1', 2), withHook);
    expect(requested).toEqual([`team/api@${image.manifest.digest}`, `team/other@${image.manifest.digest}`]);
  });

  it('asks again on a retry of a push that failed before its image record, and fails the event when the request cannot be queued', async () => {
    const { deps, publish } = world();
    const image = makeImage({ layers: [2000] });
    publish(image);
    let sends = 0;
    const failing = {
      ...deps,
      onNewImage: async () => {
        sends++;
        throw new Error('queue down');
      },
    };
    await expect(ingest(push('team/api', image, 'v1', 0), failing)).rejects.toThrow('queue down');
    expect(await deps.images.get(REGISTRY, 'team/api', image.manifest.digest)).toBeUndefined();
    const working = { ...deps, onNewImage: async () => void sends++ };
    await ingest(push('team/api', image, 'v1', 0), working);
    expect(sends).toBe(2);
    expect((await deps.images.get(REGISTRY, 'team/api', image.manifest.digest))?.tags).toEqual(['v1']);
  });

  it('rebuilds a lost repository summary from the stored points when the event is delivered again', async () => {
    const { deps, publish } = world();
    const image = makeImage({ layers: [1000] });
    publish(image);
    const event = push('team/lost', image, 'v1', 0);
    await ingest(event, deps);
    // As after a crash between writing the point and the summary.
    deps.repositories.rows.rows.clear();

    const redelivered = await ingest(event, deps);
    expect(redelivered.pointsAdded).toHaveLength(0);
    expect((await deps.repositories.get(REGISTRY, 'team/lost'))?.latestByPlatform['linux/amd64']).toMatchObject({ tag: 'v1', digest: image.manifest.digest });
  });

  it('compares every point with the previous push, whatever the delivery order and concurrency', async () => {
    const images = Array.from({ length: 12 }, (_, i) => makeImage({ layers: [500 + 100 * i] }));
    const events = images.map((image, i) => push('team/order', image, `v${i}`, i));
    const expected = events.map((_, i) => (i === 0 ? undefined : images[i - 1]!.manifest.digest));

    await fc.assert(
      fc.asyncProperty(fc.shuffledSubarray(events, { minLength: events.length }), fc.integer({ min: 1, max: 6 }), async (order, concurrency) => {
        const { deps, publish } = world();
        images.forEach(publish);
        const queue = [...order];
        await Promise.all(
          Array.from({ length: concurrency }, async () => {
            for (let e = queue.shift(); e; e = queue.shift()) await ingest(e, deps);
          }),
        );
        const points = deps.points.all(REGISTRY, 'team/order');
        expect(points.map((p) => p.baselineDigest)).toEqual(expected);
        expect(points.map((p) => p.sizeDeltaBytes)).toEqual(images.map((img, i) => (i === 0 ? null : img.totalSize - images[i - 1]!.totalSize)));
        expect((await deps.repositories.get(REGISTRY, 'team/order'))?.latestByPlatform['linux/amd64']?.tag).toBe('v11');
      }),
      { numRuns: 25, seed: 9 },
    );
  });

  it('in sameTag mode compares a tag only with its own earlier pushes', async () => {
    const { deps, publish } = world({ baselineMode: 'sameTag' });
    const a1 = makeImage({ layers: [1000] });
    const b1 = makeImage({ layers: [5000] });
    const a2 = makeImage({ layers: [1500] });
    [a1, b1, a2].forEach(publish);
    await ingest(push('team/tags', a1, 'main', 0), deps);
    await ingest(push('team/tags', b1, 'dev', 1), deps);
    await ingest(push('team/tags', a2, 'main', 2), deps);
    const points = deps.points.all(REGISTRY, 'team/tags');
    expect(points.map((p) => [p.tag, p.baselineDigest])).toEqual([
      ['main', undefined],
      ['dev', undefined],
      ['main', a1.manifest.digest],
    ]);
  });

  /**
   * A push writes the summary's newest point without reading the points again, before its
   * image record; a delete of that image marks the record, then the points, then rebuilds
   * the summary from them. Under any interleaving the summary ends as the points say.
   */
  it('ends with the summary the points give, however a push and a delete of its image interleave (property)', async () => {
    const base = makeImage({ layers: [700] });
    const next = makeImage({ layers: [900] });
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 0, max: 80 }), fc.integer({ min: 0, max: 80 }), fc.boolean(), async (pushDelay, deleteDelay, deleteLater) => {
        const { deps, publish } = world();
        [base, next].forEach(publish);
        await ingest(push('team/race', base, 'v1', 0), deps);
        const wait = async (n: number) => {
          for (let i = 0; i < n; i++) await new Promise<void>((r) => setImmediate(r));
        };
        const del = {
          id: 'del',
          source: 'acr' as const,
          action: 'delete' as const,
          registry: REGISTRY,
          repository: 'team/race',
          digest: next.manifest.digest,
          timestamp: at(deleteLater ? 2 : 1),
        };
        await Promise.all([
          (async () => {
            await wait(pushDelay);
            await ingest(push('team/race', next, 'v2', 1), deps);
          })(),
          (async () => {
            await wait(deleteDelay);
            await ingest(del, deps);
          })(),
        ]);
        const live = deps.points
          .all(REGISTRY, 'team/race')
          .filter((p) => !p.deletedAt)
          .sort((a, b) => (a.pushedAt < b.pushedAt ? 1 : -1))[0];
        const summary = await deps.repositories.get(REGISTRY, 'team/race');
        expect(summary?.latestByPlatform['linux/amd64']).toMatchObject({ tag: live!.tag, digest: live!.digest });
      }),
      { numRuns: 200, seed: 11 },
    );
  });
});
