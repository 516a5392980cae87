/**
 * Event times a sender cannot be trusted with: a push stamped far in the future (or long
 * ago) is recorded at the time the webhook received it, and the time it claimed is kept.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApp, type AppUnderTest } from './support/app';
import { makeImage, pushImage } from './support/images';
import { waitFor } from './support/wait';

let app: AppUnderTest;
beforeAll(async () => {
  app = await startApp();
});
afterAll(() => app?.stop());

describe('event timestamps far from the receive time', () => {
  it('a push stamped in year 9999 is recorded at its receive time, so the next push becomes latest with it as baseline', async () => {
    const first = await pushImage(app.registry.url, 'time/app', makeImage({ layers: [2000] }), { tag: 'v1' });
    const before = Date.now();
    const res = await app.acrPush({ repository: 'time/app', digest: first.digest, tag: 'v1', timestamp: '9999-12-31T23:59:59.000Z' });
    expect(res.status).toBe(202);
    const [p1] = await app.waitForPoints('time/app', 1);
    expect(Date.parse(p1!.pushedAt)).toBeGreaterThanOrEqual(before - 1000);
    expect(Date.parse(p1!.pushedAt)).toBeLessThanOrEqual(Date.now());

    const second = await pushImage(app.registry.url, 'time/app', makeImage({ layers: [3000] }), { tag: 'v2' });
    expect((await app.acrPush({ repository: 'time/app', digest: second.digest, tag: 'v2', timestamp: new Date().toISOString() })).status).toBe(202);
    const points = await app.waitForPoints('time/app', 2);
    expect(points.map((p) => p.tag)).toEqual(['v1', 'v2']);
    expect(points[1]!.baselineDigest).toBe(first.digest);
    // The summary follows the points within the same invocation, a moment after the point is readable.
    const latest = await waitFor(
      async () => {
        const repos = await app.get('/api/repositories', { registry: app.proxy.loginServer });
        const row = repos.json.repositories.find((r: { repository: string }) => r.repository === 'time/app');
        return row?.latest?.tag === 'v2' ? row.latest : undefined;
      },
      { message: 'v2 as the latest point' },
    );
    expect(latest).toMatchObject({ tag: 'v2', digest: second.digest });
  });

  it('says so in the log when a time from the future or from long ago was replaced, and keeps recent times', async () => {
    const digest = 'sha256:' + 'e'.repeat(64);
    const sent = new Map<string, string>([
      ['future', '9999-12-31T23:59:59.000Z'],
      ['ancient', '2001-01-01T00:00:00.000Z'],
      ['recent', new Date(Date.now() - 60_000).toISOString()],
    ]);
    const logged: string[] = [];
    for (const [id, timestamp] of sent) {
      const res = await app.acrPush({ id: `time-${id}`, repository: 'time/probe', digest, tag: id, timestamp });
      expect(res.status).toBe(202);
      logged.push(await app.host.waitForLog(new RegExp(`queued event time-${id} `)));
    }
    expect(logged[0]).toMatch(/reported time 9999-12-31T23:59:59\.000Z replaced by the receive time/);
    expect(logged[1]).toMatch(/reported time 2001-01-01T00:00:00\.000Z replaced by the receive time/);
    expect(logged[2]).not.toMatch(/replaced/);
  });
});
