/**
 * Backfill end to end: a real registry (notifications off) with a history of 20
 * repositories × 5 tags, read by the local host on Azurite. The same pushes are delivered
 * as webhooks under a second name of the same registry (a second proxy), so the two
 * registries the service tracks must come out the same: points, sizes, baselines, unique
 * storage, alerts (recorded, and sent to Teams only for the webhooks).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AppUnderTest } from './support/app';
import { startListingApp, type ListingApp } from './support/listingApp';
import { pushHistory, type HistoryPush } from './support/history';
import type { RegistryProxy } from './support/proxy';
import type { Receiver } from './support/receiver';
import { waitFor } from './support/wait';

const REPOSITORIES = 20;
const TAGS = 5;
let app: AppUnderTest;
let hooks: RegistryProxy;
let teams: Receiver;
let listing: ListingApp;
let history: HistoryPush[];

beforeAll(async () => {
  // The webhooks' name for the registry (listing.second): the app tracks it apart from the backfilled one (app.proxy).
  // Not in this file: reconcile runs on its own schedule elsewhere.
  listing = await startListingApp({ RECONCILE_SCHEDULE: '0 0 0 1 1 *', RECONCILE_FULL_SCHEDULE: '0 0 0 1 1 *' });
  ({ app, second: hooks, teams } = listing);
  // Within the webhooks' accepted window (EVENT_MAX_AGE_HOURS), one minute apart.
  history = await pushHistory(app.registry.url, { repositories: REPOSITORIES, tagsPerRepository: TAGS, start: Date.now() - 3 * 86_400_000, specials: true });
  for (const p of history) {
    // The artifact has no image config to date it by: a backfill dates it by its discovery, now; so does its webhook.
    const timestamp = p.kind === 'artifact' ? undefined : p.at;
    const res = await app.acrPush({ repository: p.repository, digest: p.digest, tag: p.tag, mediaType: p.mediaType, timestamp, host: hooks.loginServer });
    expect(res.status).toBe(202);
  }
}, 180_000);

afterAll(async () => {
  await listing?.stop();
});

const trendOf = async (registry: string, repository: string) =>
  (await app.get('/api/trend', { registry, repository })).json.points as Record<string, unknown>[];

/** What must not differ between the two ways in: everything but which event made the point, how it was told and what came first. */
function comparable(p: Record<string, unknown>) {
  const { eventId: _e, pushedAtSource: _s, origin: _o, newRegistryBytes: _n, estimates: _x, ...rest } = p;
  return rest;
}

async function pointsSettled(registry: string): Promise<Map<string, Record<string, unknown>[]>> {
  const expected = (repo: string) =>
    history.filter((h) => h.repository === repo).reduce((n, h) => n + (h.kind === 'index' ? 2 : h.kind === 'artifact' ? 0 : 1), 0);
  const repos = [...new Set(history.map((h) => h.repository))];
  return waitFor(
    async () => {
      const out = new Map<string, Record<string, unknown>[]>();
      for (const repo of repos) {
        const points = await trendOf(registry, repo);
        if (!points || points.length < expected(repo)) return undefined;
        out.set(repo, points);
      }
      return out;
    },
    { timeoutMs: 90_000, intervalMs: 500, message: `every point of ${registry}` },
  );
}

describe('backfill', () => {
  it('records exactly what webhook delivery of the same pushes records, and sends no Teams card', async () => {
    const webhookPoints = await pointsSettled(hooks.loginServer);
    const registry = app.proxy.loginServer;
    app.proxy.reset();

    const started = await app.post(`/api/backfill?registry=${registry}`, '', {});
    expect(started.status, JSON.stringify(started.json)).toBe(202);
    expect(started.json.backfill).toMatchObject({ kind: 'backfill', state: 'running', registry });
    const again = await app.post(`/api/backfill?registry=${registry}`, '', {});
    expect(again.status).toBe(409);
    expect(again.json.backfill.id).toBe(started.json.backfill.id);

    const done = await waitFor(
      async () => {
        const res = await app.get('/api/backfill', { registry });
        return res.json.backfill?.state !== 'running' ? res.json.backfill : undefined;
      },
      { timeoutMs: 120_000, intervalMs: 500, message: 'the backfill to end' },
    );
    expect(done).toMatchObject({
      state: 'done',
      repositories: { done: REPOSITORIES, total: REPOSITORIES, listed: true },
      tagsFound: REPOSITORIES * TAGS,
      eventsQueued: REPOSITORIES * TAGS,
      eventsProcessed: REPOSITORIES * TAGS,
      errors: [],
    });
    expect(done.finishedAt >= done.startedAt).toBe(true);

    const backfilled = await pointsSettled(registry);
    for (const [repo, points] of webhookPoints) {
      const mine = backfilled.get(repo)!;
      // The artifact's config is no image config: it has no `created`, so its point is dated by its discovery.
      const undated = (list: Record<string, unknown>[]) =>
        list.map((p, i) => (mine[i]?.pushedAtSource === 'discovered' ? { ...comparable(p), pushedAt: undefined } : comparable(p)));
      expect(undated(mine), repo).toEqual(undated(points));
      for (const p of mine) expect(p).toMatchObject({ origin: 'backfill', pushedAtSource: p.platform === 'unknown' ? 'discovered' : 'config' });
      for (const p of points) expect(p).toMatchObject({ pushedAtSource: 'webhook' });
    }
    // Which repository's point brought the shared base layer in depends on arrival order; the registry's total does not.
    const brought = (m: Map<string, Record<string, unknown>[]>) => [...m.values()].flat().reduce((s, p) => s + (p.newRegistryBytes as number), 0);
    expect(brought(backfilled)).toBe(brought(webhookPoints));
    // The artifact of an unknown type: recorded as an image of no platform, both ways.
    const artifact = history.find((h) => h.kind === 'artifact')!;
    const [a, b] = await Promise.all(
      [hooks.loginServer, registry].map(
        async (r) => (await app.get('/api/image', { registry: r, repository: artifact.repository, digest: artifact.digest })).json,
      ),
    );
    const same = (x: Record<string, unknown>) => ({ ...x, registry: undefined, firstPushedAt: undefined, lastPushedAt: undefined });
    expect(same(b)).toEqual(same(a));

    const storage = async (r: string) => (await app.get('/api/storage', { registry: r })).json;
    const [s1, s2] = await Promise.all([storage(hooks.loginServer), storage(registry)]);
    expect(s2.uniqueBytes).toBeGreaterThan(0);
    // Storage growth is dated by the backfilled times too: the same days, the same bytes.
    for (const field of ['uniqueBytes', 'blobCount', 'reclaimableBytes', 'repositories'] as const) expect(s2[field], field).toEqual(s1[field]);
    expect(s2.growth.daily).toEqual(s1.growth.daily);

    // The same rules fired on the same points: recorded for the backfill, sent only for the webhooks.
    const alertsOf = async (r: string) => (await app.get('/api/alerts', { registry: r, limit: 1000 })).json.alerts as Record<string, unknown>[];
    const sent = await waitFor(
      async () => {
        const hooked = await alertsOf(hooks.loginServer);
        const filled = await alertsOf(registry);
        return hooked.length > 0 && hooked.every((x) => x.state === 'sent') && filled.length === hooked.length ? { hooked, filled } : undefined;
      },
      { timeoutMs: 60_000, intervalMs: 500, message: 'the alerts of both registries' },
    );
    expect(sent.filled.every((x) => x.state === 'backfilled')).toBe(true);
    const key = (x: Record<string, unknown>) => `${x.repository as string}:${x.tag as string}:${x.platform as string}:${(x.rules as string[]).join(',')}`;
    expect(sent.filled.map(key).sort()).toEqual(sent.hooked.map(key).sort());
    expect(teams.requests()).toHaveLength(sent.hooked.length);

    // Registry requests against the least a listing can make: the catalog page, a tags page per
    // repository, each tag's manifest once, each image's config once, the index's two images and configs.
    const images = history.filter((h) => h.kind === 'image').length;
    const minimum = 1 + REPOSITORIES + REPOSITORIES * TAGS + images + 2 * 2;
    const requests = app.proxy.count();
    console.log(`backfill of ${REPOSITORIES * TAGS} tags: ${requests} registry requests (minimum ${minimum}), listing ${done.requests}`);
    expect(requests).toBe(minimum);
    // The listing's own share: the catalog page, the tags pages, the manifests by tag.
    expect(done.requests).toBe(1 + REPOSITORIES + REPOSITORIES * TAGS);
  }, 240_000);

  it('refuses a registry off the allow-list, a bad repository glob, and answers 404 for a registry never backfilled', async () => {
    const off = await app.post('/api/backfill?registry=elsewhere.azurecr.io', '', {});
    expect(off.status).toBe(403);
    expect(off.json.error).toMatch(/ALLOWED_REGISTRIES/);
    const bad = await app.post(`/api/backfill?registry=${app.proxy.loginServer}&repository=${encodeURIComponent('UPPER/**')}`, '', {});
    expect(bad.status).toBe(400);
    expect(bad.json.problems[0].parameter).toBe('repository');
    const none = await app.get('/api/backfill', { registry: hooks.loginServer });
    expect(none.status).toBe(404);
    expect(none.json.error).toMatch(/POST \/api\/backfill/);
  });
});
