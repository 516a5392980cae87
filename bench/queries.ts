/**
 * Each read API against the raw `listEntities` scan of the same rows, both through one
 * counting proxy in front of Azurite with disk persistence (as `npm start` runs it):
 * time, table requests and bytes read from the table service.
 *
 *   npm run bench -- queries [points=10000] [repositories=points] [alerts=1000] [rounds=5]
 *
 * The trend is paged at limit=1000, the repositories listing at its default page, the
 * alerts are one page of limit=100. Rows are written straight to the tables, shaped as
 * the adapters write them; each figure is the median of `rounds`, the API and its scan
 * alternating.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { TableClient, type TableTransaction } from '@azure/data-tables';
import { startAzurite } from '@acr-size-tracker/local-host';
import { AlertTable } from '../src/adapters/tables/alertTable';
import { packJson } from '../src/adapters/tables/entities';
import { PointTable } from '../src/adapters/tables/pointTable';
import { Tables } from '../src/adapters/tables/tables';
import { newAlert } from '../src/core/alert';
import { escapeKey, repositoryKey } from '../src/core/keys';
import type { RepositorySummary } from '../src/core/repository';
import type { Finding } from '../src/core/rules';
import type { TrendPoint } from '../src/core/trend';
import { startLocalHost } from '../test/integration/support/host';
import { request } from '../test/integration/support/http';
import { startTableProxy } from '../test/integration/support/tableProxy';
import { samplePoint } from '../test/support/samplePoint';

const pointCount = Number(process.argv[2] ?? 10_000);
const repositoryCount = Number(process.argv[3] ?? pointCount);
const alertCount = Number(process.argv[4] ?? 1000);
const rounds = Number(process.argv[5] ?? 5);

const REGISTRY = 'bench.azurecr.io';
const REPOSITORY = 'bench/trend';

async function submitInBatches(client: TableClient, entities: Record<string, unknown>[]) {
  for (let i = 0; i < entities.length; i += 100) {
    await client.submitTransaction(
      entities.slice(i, i + 100).map((e): TableTransaction['actions'][number] => ['upsert', e as { partitionKey: string; rowKey: string }, 'Replace']),
    );
  }
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function main() {
  const location = fs.mkdtempSync(path.join(os.tmpdir(), 'acrsize-bench-queries-'));
  const azurite = await startAzurite({ location, ports: 'auto', silent: true });
  const proxy = await startTableProxy(azurite.connectionString);
  const table = (name: string) => TableClient.fromConnectionString(azurite.connectionString, name, { allowInsecureConnection: true });
  const counted = (name: string) => TableClient.fromConnectionString(proxy.connectionString, name, { allowInsecureConnection: true });
  const tables = new Tables({ kind: 'connectionString', connectionString: azurite.connectionString });
  let host: Awaited<ReturnType<typeof startLocalHost>> | undefined;
  try {
    // Points: one written by the adapter, copied under later times.
    const first: TrendPoint = { ...samplePoint, pushedAt: new Date(Date.UTC(2026, 0, 1)).toISOString(), tag: 't0' };
    await new PointTable(tables).add(REGISTRY, REPOSITORY, first);
    const points = table('acrsizePoints');
    const pointPk = repositoryKey(REGISTRY, REPOSITORY);
    const { etag: _e, timestamp: _t, ...pointColumns } = await points.getEntity<Record<string, unknown>>(pointPk, `p|${first.pushedAt}|t0|${first.digest}`);
    await submitInBatches(
      points,
      Array.from({ length: pointCount - 1 }, (_, i) => {
        const pushedAt = new Date(Date.UTC(2026, 0, 1) + (i + 1) * 60_000).toISOString();
        return { ...pointColumns, rowKey: `p|${pushedAt}|t${i + 1}|${first.digest}`, pushedAt, tag: `t${i + 1}` };
      }),
    );

    // Repository summaries as the repository table writes them, one full point each.
    const repositories = table('acrsizeRepositories');
    await repositories.createTable();
    await submitInBatches(
      repositories,
      Array.from({ length: repositoryCount }, (_, i) => {
        const repository = `team/app-${String(i).padStart(6, '0')}`;
        const summary: RepositorySummary = {
          registry: REGISTRY,
          repository,
          firstSeenAt: samplePoint.pushedAt,
          latestByPlatform: { [samplePoint.platform]: samplePoint },
        };
        return { partitionKey: escapeKey(REGISTRY), rowKey: escapeKey(repository), ...packJson('json', summary) };
      }),
    );

    // Alerts through the adapter, each with a Teams message of about 5 KB.
    const alerts = new AlertTable(tables);
    const growth: Finding = { rule: 'growth', kind: 'regression', summary: 'Grew by 12 MB', observed: 12_000_000, threshold: 10_000_000 };
    for (let n = 1; n <= alertCount; n++) {
      const createdAt = new Date(Date.UTC(2026, 10, 1) + n * 60_000).toISOString();
      const subject = {
        registry: REGISTRY,
        repository: `team/app-${n % 50}`,
        tag: `v${n}`,
        platform: 'linux/amd64',
        digest: `sha256:${n.toString(16).padStart(64, '0')}`,
        pushedAt: createdAt,
        createdAt,
      };
      await alerts.create(subject, [growth], (remaining) => ({
        record: newAlert(subject, remaining, { kind: 'default', url: null }, `00000000-0000-4000-8000-${n.toString(16).padStart(12, '0')}`),
        routeUrl: null,
        message: {
          type: 'message',
          attachments: [{ contentType: 'application/vnd.microsoft.card.adaptive', content: { body: [{ type: 'TextBlock', text: 'x'.repeat(5000) }] } }],
        },
      }));
    }

    host = await startLocalHost({
      AzureWebJobsStorage: proxy.connectionString,
      WEBHOOK_SECRET: 'bench-secret-0123456789-0123456789',
      ALLOWED_REGISTRIES: REGISTRY,
    });
    const url = host.url;

    /** Pages through an API, following continuationToken, and returns what the pages held. */
    async function api(pathname: string, query: Record<string, string>, key: string) {
      let token: string | null = null;
      let items = 0;
      let responseBytes = 0;
      do {
        const u = new URL(`${url}${pathname}`);
        for (const [k, v] of Object.entries(query)) u.searchParams.set(k, v);
        if (token) u.searchParams.set('continuationToken', token);
        const res = await request(u);
        if (res.status !== 200) throw new Error(`${pathname}: HTTP ${res.status} ${res.body.toString().slice(0, 200)}`);
        responseBytes += res.body.length;
        const body = JSON.parse(res.body.toString('utf8')) as Record<string, unknown>;
        items += (body[key] as unknown[]).length;
        token = (body.continuationToken as string | null | undefined) ?? null;
      } while (token);
      return { items, responseBytes };
    }

    /** Reads every row of `filter` (or the first page of `top`), as an app would with no logic of its own. */
    async function raw(name: string, filter: string, top?: number) {
      let items = 0;
      for await (const page of counted(name)
        .listEntities({ queryOptions: { filter } })
        .byPage(top ? { maxPageSize: top } : {})) {
        items += page.length;
        if (top) break;
      }
      return { items, responseBytes: 0 };
    }

    // Only the case's own table: the host's re-send timer reads the alerts table on its schedule.
    async function measure(tableName: string, run: () => Promise<{ items: number; responseBytes: number }>) {
      proxy.reset();
      const t = performance.now();
      const r = await run();
      const ms = performance.now() - t;
      const q = proxy.queries().filter((x) => x.method === 'GET' && x.table === tableName);
      return { ms, requests: q.length, tableBytes: q.reduce((s, x) => s + x.bytes, 0), ...r };
    }

    const cases = [
      {
        name: `trend ${pointCount} points, limit 1000`,
        table: 'acrsizePoints',
        api: () => api('/api/trend', { registry: REGISTRY, repository: REPOSITORY, limit: '1000' }, 'points'),
        raw: () => raw('acrsizePoints', `PartitionKey eq '${pointPk}' and RowKey ge 'p|' and RowKey lt 'p}'`),
      },
      {
        name: `repositories ${repositoryCount}`,
        table: 'acrsizeRepositories',
        api: () => api('/api/repositories', { registry: REGISTRY }, 'repositories'),
        raw: () => raw('acrsizeRepositories', `PartitionKey eq '${escapeKey(REGISTRY)}'`),
      },
      {
        name: `alerts limit=100 of ${alertCount}`,
        table: 'acrsizeAlerts',
        api: () => api('/api/alerts', { registry: REGISTRY, limit: '100' }, 'alerts'),
        raw: () => raw('acrsizeAlerts', `PartitionKey eq '${escapeKey(REGISTRY)}' and RowKey ge 'a|' and RowKey lt 'a}'`, 100),
      },
    ];

    const rows: Record<string, string | number>[] = [];
    const ratios: string[] = [];
    for (const c of cases) {
      // Warm both paths (table creation, JIT) before timing.
      await c.api();
      await c.raw();
      const apiRuns: Awaited<ReturnType<typeof measure>>[] = [];
      const rawRuns: Awaited<ReturnType<typeof measure>>[] = [];
      for (let r = 0; r < rounds; r++) {
        apiRuns.push(await measure(c.table, c.api));
        rawRuns.push(await measure(c.table, c.raw));
      }
      const a = apiRuns.at(-1)!;
      const s = rawRuns.at(-1)!;
      const apiMs = median(apiRuns.map((x) => x.ms));
      const rawMs = median(rawRuns.map((x) => x.ms));
      rows.push({
        case: c.name,
        target: 'API',
        ms: Number(apiMs.toFixed(1)),
        items: a.items,
        table_requests: a.requests,
        table_MB: Number((a.tableBytes / 1e6).toFixed(2)),
        response_MB: Number((a.responseBytes / 1e6).toFixed(2)),
      });
      rows.push({
        case: c.name,
        target: 'raw listEntities',
        ms: Number(rawMs.toFixed(1)),
        items: s.items,
        table_requests: s.requests,
        table_MB: Number((s.tableBytes / 1e6).toFixed(2)),
        response_MB: '',
      });
      ratios.push(`${c.name.split(' ')[0]} ${(apiMs / rawMs).toFixed(2)}× (${a.requests} vs ${s.requests} requests)`);
    }
    console.log(`Azurite with disk persistence at ${location}; medians of ${rounds} rounds`);
    console.table(rows);
    console.log(`API / raw scan: ${ratios.join('; ')}`);
  } finally {
    await host?.stop();
    await proxy.stop();
    await azurite.stop();
    fs.rmSync(location, { recursive: true, force: true });
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
