/**
 * Issue 8.1: every stored point compares with the point the baseline rule names, whatever
 * the delivery order and concurrency. The same 50 real pushes are delivered one at a time
 * in push order (the reference), shuffled 16 at a time, and newest first 16 at a time, each
 * into its own repository; afterwards every point's comparison must equal the reference's.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApp, type AppUnderTest, type TrendPointJson } from './support/app';
import { makeConfig, makeLayer, makeManifest, pushImage, type Image, type Layer } from './support/images';
import { waitFor } from './support/wait';

let app: AppUnderTest;
beforeAll(async () => {
  // Poll the queue at the shortest interval: the reference run waits for each of 100 events in turn.
  app = await startApp({ env: { AzureFunctionsJobHost__extensions__queues__maxPollingInterval: '00:00:00.100' } });
});
afterAll(() => app?.stop());

/** A seeded generator, so a failure reproduces. */
function rng(seed: number) {
  return () => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed / 0x7fffffff;
  };
}

// Inside the webhook's accepted window of event times (EVENT_MAX_AGE_HOURS), on a whole minute.
const T0 = Math.floor(Date.now() / 60_000) * 60_000 - 24 * 3_600_000;

interface Push {
  image: Image;
  tag: string;
  timestamp: string;
}

/**
 * 50 pushes of 3 tags: images share a base layer and some steps, 10 pushes re-tag an
 * earlier digest, and two pairs share a push time (ties are never each other's baseline).
 */
function history(): Push[] {
  const random = rng(20261202);
  const base = makeLayer(3000);
  const steps = Array.from({ length: 6 }, () => makeLayer(1000 + Math.floor(random() * 20_000)));
  const images: Image[] = [];
  const pushes: Push[] = [];
  for (let i = 0; i < 50; i++) {
    const tag = ['main', 'release', 'dev'][Math.floor(random() * 3)]!;
    const minute = i === 21 ? 20 : i === 36 ? 35 : i;
    const timestamp = new Date(T0 + minute * 60_000).toISOString();
    if (i % 5 === 4 && images.length > 2) {
      const image = images[Math.floor(random() * images.length)]!;
      const taken = pushes.some((p) => p.image === image && p.tag === tag);
      pushes.push({ image, tag: taken ? `retag-${i}` : tag, timestamp });
      continue;
    }
    const layers: Layer[] = [base, ...steps.filter(() => random() < 0.4), makeLayer(500 + Math.floor(random() * 40_000))];
    const config = makeConfig({
      architecture: 'amd64',
      os: 'linux',
      diffIds: layers.map((l) => l.diffId),
      created: timestamp,
      history: layers.map((l, k) => ({
        created_by: k === 0 ? 'ADD base.tar /' : `RUN step ${steps.indexOf(l) >= 0 ? steps.indexOf(l) : 'app'}`,
        created: timestamp,
      })),
    });
    const image = {
      config,
      layers,
      manifest: makeManifest({ format: 'oci', config, layers }),
      totalSize: config.size + layers.reduce((s, l) => s + l.size, 0),
    };
    images.push(image);
    pushes.push({ image, tag, timestamp });
  }
  return pushes;
}

const COMPARED = ['baselineDigest', 'baselineTag', 'sizeDeltaBytes', 'addedBytes', 'removedBytes', 'reusedBytes', 'layerCountDelta', 'baseChanged'] as const;
type Comparison = Record<(typeof COMPARED)[number], unknown> & { pull: unknown };
const comparison = (p: TrendPointJson): Comparison => ({
  ...(Object.fromEntries(COMPARED.map((k) => [k, p[k] ?? null])) as Record<(typeof COMPARED)[number], unknown>),
  pull: p.estimates?.pull ?? null,
});

async function allPoints(repository: string): Promise<Map<string, Comparison>> {
  const res = await app.get('/api/trend', { registry: app.proxy.loginServer, repository });
  expect(res.status).toBe(200);
  return new Map((res.json.points as TrendPointJson[]).map((p) => [`${p.tag}@${p.digest}`, comparison(p)]));
}

describe('baselines under any delivery order and concurrency', () => {
  it('gives every point the same comparison as an in-order, one-at-a-time delivery', { timeout: 180_000 }, async () => {
    const pushes = history();
    const repos = {
      serial: 'order/serial',
      shuffled: 'order/shuffled',
      newestFirst: 'order/newest-first',
      serialTag: 'order/serial-tag',
      shuffledTag: 'order/shuffled-tag',
    };
    const images = [...new Set(pushes.map((x) => x.image))];
    await Promise.all(
      Object.values(repos).map(async (repo) => {
        for (const image of images) await pushImage(app.registry.url, repo, image);
      }),
    );
    for (const repo of [repos.serialTag, repos.shuffledTag]) {
      const res = await fetch(`${app.host.url}/api/policy?registry=${app.proxy.loginServer}&repository=${repo}`, {
        method: 'PUT',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ baselineMode: 'sameTag' }),
      });
      expect(res.status).toBe(201);
    }

    const send = async (repository: string, p: Push) => {
      const id = randomUUID();
      const res = await app.acrPush({ repository, digest: p.image.manifest.digest, tag: p.tag, timestamp: p.timestamp, id });
      expect(res.status).toBe(202);
      return id;
    };
    const processed = (ids: string[]) =>
      waitFor(() => ids.every((id) => app.host.logs().includes(`(event ${id}): `)), {
        timeoutMs: 120_000,
        intervalMs: 20,
        message: `${ids.length} events processed`,
      });

    // The reference: push order, each event processed before the next is sent.
    for (const p of pushes) await processed(await Promise.all([send(repos.serial, p), send(repos.serialTag, p)]));

    const random = rng(7);
    const shuffled = pushes
      .map((p) => ({ p, k: random() }))
      .sort((a, b) => a.k - b.k)
      .map((x) => x.p);
    const newestFirst = [...pushes].reverse();
    const ids: string[] = [];
    for (let i = 0; i < pushes.length; i += 16) {
      ids.push(
        ...(await Promise.all([
          ...shuffled.slice(i, i + 16).map((p) => send(repos.shuffled, p)),
          ...newestFirst.slice(i, i + 16).map((p) => send(repos.newestFirst, p)),
          ...shuffled.slice(i, i + 16).map((p) => send(repos.shuffledTag, p)),
        ])),
      );
    }
    await processed(ids);

    const expected = await allPoints(repos.serial);
    expect(expected.size).toBe(new Set(pushes.map((p) => `${p.tag}@${p.image.manifest.digest}`)).size);
    // The reference itself has baselines (not a vacuous comparison) and first points without.
    const withBaseline = [...expected.values()].filter((c) => c.baselineDigest !== null).length;
    expect(withBaseline).toBeGreaterThan(40);
    expect([...expected.values()].filter((c) => c.baselineDigest === null && c.sizeDeltaBytes === null)).toHaveLength(expected.size - withBaseline);
    expect(Object.fromEntries(await allPoints(repos.shuffled))).toEqual(Object.fromEntries(expected));
    expect(Object.fromEntries(await allPoints(repos.newestFirst))).toEqual(Object.fromEntries(expected));

    const expectedTag = await allPoints(repos.serialTag);
    // sameTag really differs from previous on this history.
    expect([...expectedTag.entries()].some(([k, c]) => c.baselineDigest !== expected.get(k)!.baselineDigest)).toBe(true);
    expect(Object.fromEntries(await allPoints(repos.shuffledTag))).toEqual(Object.fromEntries(expectedTag));

    // The summary's latest point is the newest push, whatever arrived last.
    const listing = await app.get('/api/repositories', { registry: app.proxy.loginServer });
    const newest = pushes.at(-1)!;
    for (const repo of [repos.serial, repos.shuffled, repos.newestFirst]) {
      const summary = listing.json.repositories.find((r: { repository: string }) => r.repository === repo);
      expect(summary.latest).toMatchObject({ tag: newest.tag, digest: newest.image.manifest.digest, pushedAt: newest.timestamp });
    }
  });
});
