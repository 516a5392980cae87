import { describe, expect, it } from 'vitest';
import {
  listedDelete,
  listedEventId,
  listedPush,
  newRunRepository,
  progressOf,
  reconcileDiff,
  recordedState,
  type Run,
  type RunRepository,
} from '../../src/core/listing';
import { boundQueuedEvent, PushEventSchema, DeleteEventSchema } from '../../src/core/events';

const d = (n: number) => `sha256:${n.toString(16).padStart(64, '0')}`;
const run: Run = {
  id: 'r1',
  kind: 'backfill',
  registry: 'localhost:5443',
  startedAt: '2026-12-01T00:00:00.000Z',
  catalog: { done: true, requests: 1 },
  errors: [],
};
const repo = (over: Partial<RunRepository>): RunRepository => ({ ...newRunRepository('app'), ...over });

describe('progressOf', () => {
  it('is running until the catalog is listed, every repository is done and every queued event is processed', () => {
    const rows = [
      repo({ repository: 'a', done: true, tagsFound: 3, eventsQueued: 3, requests: 4 }),
      repo({ repository: 'b', done: false, tagsFound: 1, eventsQueued: 1 }),
    ];
    expect(progressOf({ ...run, catalog: { done: false, requests: 1 } }, rows, { count: 0, errors: [] }).state).toBe('running');
    expect(progressOf(run, rows, { count: 4, errors: [] }).state).toBe('running');
    const all = [rows[0]!, { ...rows[1]!, done: true }];
    expect(progressOf(run, all, { count: 3, errors: [] }).state).toBe('running');
    const p = progressOf(run, all, { count: 4, errors: [] });
    expect(p).toMatchObject({
      state: 'done',
      repositories: { done: 2, total: 2, listed: true },
      tagsFound: 4,
      eventsQueued: 4,
      eventsProcessed: 4,
      requests: 5,
    });
  });

  it('is failed when the listing failed, and lists the errors of the run, its repositories and its events', () => {
    const p = progressOf(
      { ...run, failed: 'listing the repositories: HTTP 401', errors: [{ at: run.startedAt, reason: 'x' }] },
      [repo({ done: true, error: 'listing tags: HTTP 404' })],
      { count: 1, errors: [{ at: run.startedAt, repository: 'app', tag: 'v1', reason: 'unsupported' }] },
    );
    expect(p.state).toBe('failed');
    expect(p.errors.map((e) => e.reason)).toEqual(['x', 'listing tags: HTTP 404', 'unsupported']);
  });

  it('counts what a reconcile found and what ingest confirmed webhooks had missed', () => {
    const p = progressOf({ ...run, kind: 'reconcile', mode: 'light' }, [repo({ done: true, eventsQueued: 3, found: { pushes: 1, moved: 1, deletes: 1 } })], {
      count: 3,
      missed: 2,
      errors: [],
    });
    expect(p).toMatchObject({ state: 'done', found: { pushes: 1, moved: 1, deletes: 1 }, missed: 2, mode: 'light' });
  });
});

describe('listed events', () => {
  it('have ids that depend on the run, repository, tag, digest and action alone', () => {
    const a = listedEventId(run, 'app', 'v1', d(1), 'push');
    expect(listedEventId(run, 'app', 'v1', d(1), 'push')).toBe(a);
    expect(
      new Set([
        a,
        listedEventId(run, 'app', 'v2', d(1), 'push'),
        listedEventId(run, 'app', 'v1', d(2), 'push'),
        listedEventId({ ...run, id: 'r2' }, 'app', 'v1', d(1), 'push'),
        listedEventId(run, 'app', 'v1', d(1), 'delete'),
      ]).size,
    ).toBe(5);
    expect(a).toMatch(/^backfill:r1:[0-9a-f]{32}$/);
  });

  it('carry the registry time when there is one, else the discovery time, and say which; they validate as queue messages', () => {
    const at = '2026-12-04T10:00:00.000Z';
    const withTime = listedPush(run, 'app', { tag: 'v1', digest: d(1), registryTime: '2023-05-01T00:00:00.000Z' }, at);
    expect(withTime).toMatchObject({ timestamp: '2023-05-01T00:00:00.000Z', pushedAtSource: 'registry', source: 'backfill', run: 'r1', receivedAt: at });
    expect(listedPush(run, 'app', { tag: 'v1', digest: d(1) }, at)).toMatchObject({ timestamp: at, pushedAtSource: 'discovered' });
    expect(PushEventSchema.parse(withTime)).toEqual(withTime);
    const whole = listedDelete({ ...run, kind: 'reconcile' }, 'app', undefined, at);
    expect(whole).not.toHaveProperty('digest');
    expect(DeleteEventSchema.parse(whole)).toEqual(whole);
  });

  it('keep a backfill’s years-old time through the queue’s bounds, but not a future one or a notification’s old one', () => {
    const enqueued = '2026-12-04T10:00:00.000Z';
    const old = listedPush(run, 'app', { tag: 'v1', digest: d(1), registryTime: '2021-01-01T00:00:00.000Z' }, enqueued);
    expect(boundQueuedEvent(old, enqueued).timestamp).toBe('2021-01-01T00:00:00.000Z');
    const ahead = listedPush(run, 'app', { tag: 'v1', digest: d(1), registryTime: '2027-01-01T00:00:00.000Z' }, enqueued);
    expect(boundQueuedEvent(ahead, enqueued)).toMatchObject({ timestamp: enqueued, reportedTimestamp: '2027-01-01T00:00:00.000Z' });
    const reconciled = listedPush({ ...run, kind: 'reconcile' }, 'app', { tag: 'v1', digest: d(1), registryTime: '2021-01-01T00:00:00.000Z' }, enqueued);
    expect(boundQueuedEvent(reconciled, enqueued).timestamp).toBe(enqueued);
  });
});

describe('reconcile', () => {
  const points = [
    { tag: 'v1', digest: d(1), pushedAt: '2026-01-01T00:00:00.000Z' },
    { tag: 'latest', digest: d(1), pushedAt: '2026-01-01T00:00:00.000Z' },
    { tag: 'latest', digest: d(2), pushedAt: '2026-02-01T00:00:00.000Z' },
    { tag: 'multi', digest: d(11), indexDigest: d(10), pushedAt: '2026-02-01T00:00:00.000Z' },
    { tag: 'multi', digest: d(12), indexDigest: d(10), pushedAt: '2026-02-01T00:00:00.000Z' },
    { tag: 'gone', digest: d(3), pushedAt: '2026-03-01T00:00:00.000Z', deletedAt: '2026-03-02T00:00:00.000Z' },
  ];

  it('reads each tag’s newest live manifest (the index for a multi-platform tag) and the live manifests', () => {
    const r = recordedState(points);
    expect(Object.fromEntries(r.tags)).toEqual({ v1: d(1), latest: d(2), multi: d(10) });
    expect([...r.live].sort()).toEqual([d(1), d(2), d(10)].sort());
  });

  it('finds new tags, moved tags and the manifests a vanished tag leaves unnamed', () => {
    const r = recordedState(points);
    const full = reconcileDiff(r, [
      { tag: 'v1', digest: d(1) },
      { tag: 'latest', digest: d(4) },
      { tag: 'new', digest: d(5) },
    ]);
    expect(full.pushes).toEqual([{ tag: 'new', digest: d(5) }]);
    expect(full.moved).toEqual([{ tag: 'latest', digest: d(4) }]);
    // d(2): latest moved off it; d(10): its tag vanished.
    expect(full.untagged.sort()).toEqual([d(2), d(10)].sort());
    expect(full.vanished).toEqual([d(10)]);
  });

  it('takes a listed tag without a digest as unchanged, and finds nothing in an unchanged repository', () => {
    const r = recordedState(points);
    const light = reconcileDiff(r, [{ tag: 'v1' }, { tag: 'latest' }, { tag: 'multi' }]);
    expect(light).toEqual({ pushes: [], moved: [], vanished: [], untagged: [] });
    expect(reconcileDiff(r, [{ tag: 'v1' }, { tag: 'latest' }]).vanished).toEqual([d(10)]);
  });
});
