/**
 * Reconcile end to end on the real registry: what webhooks never delivered (pushes while
 * the endpoint was unreachable, a tag moved, a manifest deleted behind the service's back)
 * is found by the timer's next run, recorded like a push, alerted once, and counted as
 * missed; an unchanged registry costs the documented number of requests.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AppUnderTest } from './support/app';
import { startListingApp, type ListingApp } from './support/listingApp';
import { imageAt, pushHistory, type HistoryPush } from './support/history';
import { deleteManifest, makeLayer, pushImage } from './support/images';
import type { RegistryProxy } from './support/proxy';
import type { Receiver } from './support/receiver';
import { waitFor } from './support/wait';

let app: AppUnderTest;
let fresh: RegistryProxy;
let teams: Receiver;
let listing: ListingApp;
let history: HistoryPush[];
let registry: string;

beforeAll(async () => {
  // listing.second: the same registry under a second name, for a fresh backfill to compare with.
  // Only full runs here, every 4 s: a Distribution registry's moved tags need one.
  listing = await startListingApp({ RECONCILE_SCHEDULE: '0 0 0 1 1 *', RECONCILE_FULL_SCHEDULE: '*/4 * * * * *' });
  ({ app, second: fresh, teams } = listing);
  registry = app.proxy.loginServer;
  history = await pushHistory(app.registry.url, {
    repositories: 3,
    tagsPerRepository: 3,
    start: Date.now() - 86_400_000,
    repositoryName: (i) => `svc/app-${i}`,
  });
  for (const p of history) expect((await app.acrPush({ repository: p.repository, digest: p.digest, tag: p.tag, timestamp: p.at })).status).toBe(202);
  for (const repo of new Set(history.map((h) => h.repository))) await app.waitForPoints(repo, 3);
}, 120_000);

afterAll(async () => {
  await listing?.stop();
});

const state = async (r = registry) => (await app.get('/api/backfill', { registry: r })).json;
/** The next reconcile run that starts after `after` and ends. */
const runAfter = (after: string) =>
  waitFor(
    async () => {
      const run = (await state()).reconcile?.lastRun;
      return run && run.startedAt > after && run.state === 'done' ? run : undefined;
    },
    { timeoutMs: 60_000, intervalMs: 250, message: `a reconcile run after ${after}` },
  );
const trend = async (repository: string, r = registry) => (await app.get('/api/trend', { registry: r, repository })).json.points as Record<string, any>[];

describe('reconcile', () => {
  it('watches a registry only once a whole-registry backfill of it finished', async () => {
    await waitFor(async () => /reconcile \(full\): .*not watched yet/.test(app.host.logs()), { timeoutMs: 15_000, message: 'a tick that skips the registry' });
    expect((await app.post(`/api/backfill?registry=${registry}`, '', {})).status).toBe(202);
    const done = await waitFor(
      async () => {
        const s = await state();
        return s.backfill?.state === 'done' ? s : undefined;
      },
      { timeoutMs: 60_000, intervalMs: 250, message: 'the backfill' },
    );
    // Everything was delivered by webhooks: the backfill added nothing.
    expect(done.backfill).toMatchObject({ tagsFound: 9, eventsProcessed: 9, errors: [] });
    for (const repo of new Set(history.map((h) => h.repository))) expect(await trend(repo)).toHaveLength(3);
    const first = await runAfter(done.backfill.finishedAt);
    expect(first).toMatchObject({ kind: 'reconcile', mode: 'full', missed: 0, found: { pushes: 0, moved: 0, deletes: 0 } });
  }, 90_000);

  it('records what webhooks missed, alerts on it once, counts it as missed and costs the documented requests when nothing changed', async () => {
    const [a, b, c] = ['svc/app-0', 'svc/app-1', 'svc/app-2'];
    // The webhooks' own cards, all delivered before the count starts.
    const cardsBefore = await waitFor(
      async () => {
        const alerts = (await app.get('/api/alerts', { registry, limit: 1000 })).json.alerts as { state: string }[];
        return alerts.length > 0 && alerts.every((x) => x.state === 'sent') && teams.requests().length === alerts.length ? alerts.length : undefined;
      },
      { timeoutMs: 30_000, intervalMs: 250, message: 'the webhooks’ cards' },
    );

    const base = [makeLayer(3000)];
    const at = new Date().toISOString();
    // Pushes nobody told the service about: two new tags, a moved tag, a deleted manifest.
    const grown = await pushImage(app.registry.url, a, imageAt(base, [9000], at), { tag: 'v4' });
    const grownToo = await pushImage(app.registry.url, c, imageAt(base, [9500], at), { tag: 'v4' });
    const moved = await pushImage(app.registry.url, b, imageAt(base, [12000], at), { tag: 'v3' });
    const deleted = history.find((h) => h.repository === c && h.tag === 'v2')!;
    await deleteManifest(app.registry.url, c, deleted.digest);
    // The manifest the tag moved off keeps its storage until deleted, and a backfill lists tags only:
    // deleted too (as a retention policy would), so a fresh backfill sees the same manifests.
    await deleteManifest(app.registry.url, b, history.find((h) => h.repository === b && h.tag === 'v3')!.digest);
    const run = await runAfter(at);
    expect(run).toMatchObject({ state: 'done', found: { pushes: 2, moved: 1, deletes: 2 }, missed: 5, errors: [] });

    expect((await trend(a)).find((p) => p.tag === 'v4')).toMatchObject({ digest: grown.digest, origin: 'reconcile', pushedAtSource: 'discovered' });
    expect((await trend(c)).find((p) => p.tag === 'v4')).toMatchObject({ digest: grownToo.digest, origin: 'reconcile' });
    const bPoints = await trend(b);
    expect(bPoints.filter((p) => p.tag === 'v3').map((p) => p.digest)).toContain(moved.digest);
    expect((await trend(c)).find((p) => p.tag === 'v2')).toHaveProperty('deletedAt');
    expect(bPoints.find((p) => p.tag === 'v3' && p.digest !== moved.digest)).toHaveProperty('deletedAt');

    const listing = (await app.get('/api/repositories', { registry })).json;
    expect(listing.reconcile).toMatchObject({ missed: { pushes: 2, moved: 1, deletes: 2, total: 5 } });
    expect(listing.reconcile.lastReconciledAt >= run.startedAt).toBe(true);

    // Three regressions (two grown new tags, the moved tag), one card each, and no more on later runs.
    await teams.waitForRequests(cardsBefore + 3, { timeoutMs: 30_000 });
    const next = await runAfter(run.finishedAt);
    expect(next).toMatchObject({ found: { pushes: 0, moved: 0, deletes: 0 }, missed: 0 });
    // An unchanged Distribution registry, full run: the catalog page, a tags list per repository and
    // each tag's manifest (a live manifest no tag names would add a HEAD; there is none left).
    const tags = 3 * 3 + 2 - 1;
    expect(next.requests).toBe(1 + 3 + tags);
    const again = await runAfter(next.finishedAt);
    expect(again.requests).toBe(next.requests);
    expect(teams.requests()).toHaveLength(cardsBefore + 3);
    expect((await state()).reconcile.missed.total).toBe(5);

    // The storage the service now believes in is what a fresh backfill of the registry finds.
    expect((await app.post(`/api/backfill?registry=${fresh.loginServer}`, '', {})).status).toBe(202);
    await waitFor(async () => (await state(fresh.loginServer)).backfill?.state === 'done', {
      timeoutMs: 60_000,
      intervalMs: 250,
      message: 'the fresh backfill',
    });
    const storage = async (r: string) => (await app.get('/api/storage', { registry: r })).json;
    const [mine, theirs] = await Promise.all([storage(registry), storage(fresh.loginServer)]);
    expect(mine.uniqueBytes).toBe(theirs.uniqueBytes);
    expect(mine.repositories.map((r: any) => [r.repository, r.exclusiveBytes, r.sharedBytes])).toEqual(
      theirs.repositories.map((r: any) => [r.repository, r.exclusiveBytes, r.sharedBytes]),
    );
  }, 150_000);
});
