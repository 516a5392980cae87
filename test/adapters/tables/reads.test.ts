/**
 * The read APIs' table reads against real Azurite, counted by the proxy in front of it:
 * one table request per API page, no more rows than the page answers, and none of the
 * columns it does not answer.
 */
import { TableClient, type TableTransaction } from '@azure/data-tables';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AlertTable } from '../../../src/adapters/tables/alertTable';
import { ContentTable } from '../../../src/adapters/tables/contentTable';
import { PointTable } from '../../../src/adapters/tables/pointTable';
import { RepositoryTable } from '../../../src/adapters/tables/repositoryTable';
import { Tables } from '../../../src/adapters/tables/tables';
import { newAlert } from '../../../src/core/alert';
import { repositoryKey } from '../../../src/core/keys';
import { withPoint } from '../../../src/core/repository';
import type { Finding } from '../../../src/core/rules';
import type { TrendPoint } from '../../../src/core/trend';
import { getTrend, listRepositories, type QueryStores } from '../../../src/services/queries';
import { findBaseline } from '../../../src/services/trendPoints';
import { samplePoint } from '../../support/samplePoint';
import { startTestAzurite } from '../../integration/support/azurite';
import { comparisons, startTableProxy, type TableProxy } from '../../integration/support/tableProxy';

let azurite: Awaited<ReturnType<typeof startTestAzurite>>;
let proxy: TableProxy;
let tables: Tables;

beforeAll(async () => {
  azurite = await startTestAzurite();
  proxy = await startTableProxy(azurite.connectionString);
  tables = new Tables({ kind: 'connectionString', connectionString: proxy.connectionString });
});
afterAll(async () => {
  await proxy?.stop();
  await azurite?.stop();
});

const rawTable = (name: string) => TableClient.fromConnectionString(azurite.connectionString, name, { allowInsecureConnection: true });

/** The GETs the code under test sent to one table since the last reset. */
function reads(table: string) {
  return proxy.queries().filter((q) => q.method === 'GET' && q.table === table);
}

async function submitInBatches(client: TableClient, entities: Record<string, unknown>[]) {
  for (let i = 0; i < entities.length; i += 100) {
    await client.submitTransaction(
      entities.slice(i, i + 100).map((e): TableTransaction['actions'][number] => ['create', e as { partitionKey: string; rowKey: string }]),
    );
  }
}

describe('the trend', () => {
  const registry = 'trend.azurecr.io';
  const repository = 'team/paged';
  const total = 2500;
  let points: PointTable;

  beforeAll(async () => {
    points = new PointTable(tables);
    // One point written as ingest writes it, then copied under later times: the rows are real.
    const first: TrendPoint = { ...samplePoint, pushedAt: new Date(Date.UTC(2026, 0, 1)).toISOString(), tag: 'v0' };
    await points.add(registry, repository, first);
    const raw = rawTable('acrsizePoints');
    const stored = await raw.getEntity<Record<string, unknown>>(repositoryKey(registry, repository), `p|${first.pushedAt}|v0|${first.digest}`);
    const { etag: _etag, timestamp: _timestamp, ...columns } = stored;
    const copies = Array.from({ length: total - 1 }, (_, i) => {
      const pushedAt = new Date(Date.UTC(2026, 0, 1) + (i + 1) * 60_000).toISOString();
      const tag = i % 2 === 0 ? 'odd' : 'even';
      return { ...columns, rowKey: `p|${pushedAt}|${tag}|${first.digest}`, pushedAt, tag };
    });
    await submitInBatches(raw, copies);
  });

  it('reads one table request per page of 1,000, and says on the last page that nothing follows', async () => {
    const stores = { points, repositories: new RepositoryTable(tables) } as unknown as QueryStores;
    const pages: { points: number; requests: number; rows: number }[] = [];
    let after: string | undefined;
    const seen: string[] = [];
    do {
      proxy.reset();
      const page = await getTrend(stores, { registry, repository, limit: 1000, ...(after ? { after } : {}) });
      if (!page.known) throw new Error('the repository is not known');
      seen.push(...page.points.map((p) => p.pushedAt));
      pages.push({
        points: page.points.length,
        requests: reads('acrsizePoints').length + reads('acrsizeRepositories').length,
        rows: reads('acrsizePoints').reduce((s, q) => s + q.returned, 0),
      });
      after = page.after;
    } while (after);
    expect(pages).toEqual([
      { points: 1000, requests: 1, rows: 1000 },
      { points: 1000, requests: 1, rows: 1000 },
      { points: 500, requests: 1, rows: 500 },
    ]);
    expect(seen).toEqual([...seen].sort());
    expect(new Set(seen).size).toBe(total);
  });

  it('reads one request per page with a filter on a column, too', async () => {
    proxy.reset();
    const page = await points.query({ registry, repository, tag: 'odd', limit: 1000 });
    expect(page.points).toHaveLength(1000);
    expect(page.points.every((p) => p.tag === 'odd')).toBe(true);
    expect(page.more).toBe(true);
    expect(reads('acrsizePoints')).toHaveLength(1);
    proxy.reset();
    const rest = await points.query({ registry, repository, tag: 'odd', limit: 1000, after: page.last! });
    expect(rest.points).toHaveLength(250);
    expect(rest.more).toBe(false);
    expect(reads('acrsizePoints')).toHaveLength(1);
  });
});

describe('the alert history', () => {
  const registry = 'alerts.azurecr.io';
  const growth: Finding = { rule: 'growth', kind: 'regression', summary: 'Grew', observed: 1, threshold: 1 };
  let alerts: AlertTable;

  beforeAll(async () => {
    alerts = new AlertTable(tables);
    for (let n = 1; n <= 150; n++) {
      const createdAt = new Date(Date.UTC(2026, 10, 1) + n * 60_000).toISOString();
      const digest = `sha256:${n.toString(16).padStart(64, '0')}`;
      const subject = {
        registry,
        repository: n % 3 === 0 ? 'team/three' : 'team/app',
        tag: `v${n}`,
        platform: 'linux/amd64',
        digest,
        pushedAt: createdAt,
        createdAt,
      };
      await alerts.create(subject, [growth], (remaining) => ({
        record: newAlert(subject, remaining, { kind: 'default', url: null }, `00000000-0000-4000-8000-${n.toString(16).padStart(12, '0')}`),
        routeUrl: null,
        // About the size of a real card: the history must not carry it.
        message: { type: 'message', attachments: [{ text: 'x'.repeat(5000) }] },
      }));
    }
  });

  it('answers limit=100 with one request for 100 rows, without the Teams message', async () => {
    proxy.reset();
    const listed = await alerts.list(registry, { limit: 100 });
    expect(listed).toHaveLength(100);
    expect(listed[0]).toMatchObject({ registry, tag: 'v150', findings: [growth], state: 'failed' });
    const queries = reads('acrsizeAlerts');
    expect(queries).toHaveLength(1);
    expect(queries[0]!.top).toBe(100);
    expect(queries[0]!.returned).toBe(100);
    expect(queries[0]!.select).toBeDefined();
    expect(queries[0]!.select!.some((c) => c.startsWith('message'))).toBe(false);
    expect(queries[0]!.bytes).toBeLessThan(100 * 2000);
  });

  it('pages with filters until the limit is reached, never past it', async () => {
    proxy.reset();
    const listed = await alerts.list(registry, { repository: 'team/three', limit: 20 });
    expect(listed).toHaveLength(20);
    expect(listed.every((a) => a.repository === 'team/three')).toBe(true);
    expect(reads('acrsizeAlerts').every((q) => q.top === 20 && q.returned <= 20)).toBe(true);
  });
});

describe('the repositories listing', () => {
  const registry = 'repos.azurecr.io';
  const names = Array.from({ length: 25 }, (_, i) => `team/app-${String(i).padStart(2, '0')}`);
  let repositories: RepositoryTable;

  beforeAll(async () => {
    repositories = new RepositoryTable(tables);
    for (const name of names) await repositories.update(registry, name, samplePoint.pushedAt, (s) => withPoint(s, { ...samplePoint, tag: name.slice(-2) }));
  });

  it('pages with one table request per page and answers brief points', async () => {
    const stores = { repositories } as unknown as QueryStores;
    const pages: { repositories: string[]; requests: number }[] = [];
    let after: string | undefined;
    do {
      proxy.reset();
      const page = await listRepositories(stores, registry, { limit: 10, ...(after ? { after } : {}) });
      pages.push({ repositories: page.repositories.map((r) => r.repository), requests: reads('acrsizeRepositories').length });
      for (const r of page.repositories) {
        expect(r.latest).toMatchObject({
          tag: r.repository.slice(-2),
          digest: samplePoint.digest,
          sizeBytes: samplePoint.sizeBytes,
          pushedAt: samplePoint.pushedAt,
          platform: samplePoint.platform,
        });
        // The comparison and estimates are the trend's to answer.
        expect(r.latest).not.toHaveProperty('estimates');
        expect(r.latest).not.toHaveProperty('addedBytes');
      }
      after = page.after;
    } while (after);
    expect(pages.map((p) => p.requests)).toEqual([1, 1, 1]);
    expect(pages.map((p) => p.repositories.length)).toEqual([10, 10, 5]);
    expect(pages.flatMap((p) => p.repositories)).toEqual(names);
  });
});

describe("an index's platform manifests", () => {
  it('are looked up 14 to a query: Table Storage allows 15 comparisons in a filter', async () => {
    const content = new ContentTable(tables);
    const digests = Array.from({ length: 30 }, (_, i) => `sha256:platform${i}`);
    const manifest = { kind: 'unsupported', mediaType: 'application/x-test', reason: 'test' } as const;
    await Promise.all(digests.slice(0, 20).map((d) => content.putManifest('lookup.io', d, manifest)));
    proxy.reset();
    const found = await content.getManifests('lookup.io', digests);
    expect([...found.keys()].sort()).toEqual(digests.slice(0, 20).sort());
    const queries = reads('acrsizeContent');
    expect(queries).toHaveLength(3);
    for (const q of queries) expect(comparisons(q.filter!)).toBeLessThanOrEqual(15);
  });
});

describe('the points a push reads', () => {
  const registry = 'baseline.azurecr.io';
  const repository = 'team/retagged';
  const at = (minute: number) => new Date(Date.parse('2026-11-01T00:00:00.000Z') + minute * 60_000).toISOString();
  let points: PointTable;
  const pointsReads = () => reads('acrsizePoints');

  beforeAll(async () => {
    points = new PointTable(tables);
    // One image, then the same digest under 40 more tags (a release promoted through environments, a nightly re-tag).
    await points.add(registry, repository, { ...samplePoint, pushedAt: at(0), tag: 'v1', digest: 'sha256:a', baselineMode: 'previous' });
    for (let i = 1; i <= 40; i++) {
      await points.add(registry, repository, {
        ...samplePoint,
        pushedAt: at(i),
        tag: `rc${i}`,
        digest: 'sha256:b',
        baselineDigest: 'sha256:a',
        baselineTag: 'v1',
        baselineMode: 'previous',
      });
    }
  });

  it('finds the baseline of one more tag of an unchanged digest in one request, reading no row past the page', async () => {
    proxy.reset();
    const next = { platform: samplePoint.platform, pushedAt: at(41), tag: 'prod', digest: 'sha256:b' };
    expect(await findBaseline({ points }, registry, repository, next, 'previous')).toEqual({ tag: 'v1', digest: 'sha256:a' });
    const [query, ...more] = pointsReads();
    expect(more).toEqual([]);
    // On Table Storage a filter on a column (digest ne …) reads every row of the range until the page fills: 40 here.
    expect(query!.filter).not.toMatch(/digest ne/);
    expect(query!.top).toBeLessThanOrEqual(10);
    // Compared under another rule than the nearest point was, it walks on, and still finds it.
    expect(await findBaseline({ points }, registry, repository, next, 'sameTag')).toBeUndefined();
    expect(await findBaseline({ points }, registry, repository, { ...next, tag: 'rc40' }, 'sameTag')).toBeUndefined();
  });

  it('reads the newest live point whole in one request, past a deleted one', async () => {
    const stored = (await points.find(registry, repository, 'rc40', 'sha256:b'))!;
    expect(await points.replace(registry, repository, stored, { ...stored.point, deletedAt: at(50) })).toBe(true);
    const expected = (await points.find(registry, repository, 'rc39', 'sha256:b'))!.point;
    proxy.reset();
    expect(await points.newestLive(registry, repository, samplePoint.platform)).toEqual(expected);
    expect(pointsReads()).toHaveLength(1);
  });
});
