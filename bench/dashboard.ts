/**
 * The dashboard's repository page on a repository of many points, in headless Chromium
 * against the local host on Azurite: time from navigation to the size chart drawn, beside
 * the time /api/trend takes to answer the same points (every page of 1,000, as the page
 * reads them), so the page's own cost shows as a ratio; and the size of the dashboard
 * page (one self-contained HTML file) raw and gzipped.
 *
 *   npm run bench -- dashboard [points=10000] [rounds=5]
 *
 * Points are written straight to the points table as the adapter writes them (one
 * written by the adapter, copied under later times and other sizes), as bench/queries.ts does.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { TableClient, type TableTransaction } from '@azure/data-tables';
import { startAzurite } from '@acr-size-tracker/local-host';
import { PointTable } from '../src/adapters/tables/pointTable';
import { Tables } from '../src/adapters/tables/tables';
import { repositoryKey } from '../src/core/keys';
import type { TrendPoint } from '../src/core/trend';
import { launchChromium } from '../test/integration/support/browser';
import { repoRoot, startLocalHost } from '../test/integration/support/host';
import { request } from '../test/integration/support/http';
import { samplePoint } from '../test/support/samplePoint';

const pointCount = Number(process.argv[2] ?? 10_000);
const rounds = Number(process.argv[3] ?? 5);

const REGISTRY = 'bench.azurecr.io';
const REPOSITORY = 'bench/dashboard';
const START = Date.UTC(2026, 0, 1);

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function writePoints(connectionString: string): Promise<void> {
  const tables = new Tables({ kind: 'connectionString', connectionString });
  const first: TrendPoint = { ...samplePoint, pushedAt: new Date(START).toISOString(), tag: 't0' };
  await new PointTable(tables).add(REGISTRY, REPOSITORY, first);
  const points = TableClient.fromConnectionString(connectionString, 'acrsizePoints', { allowInsecureConnection: true });
  const pk = repositoryKey(REGISTRY, REPOSITORY);
  const { etag: _e, timestamp: _t, ...columns } = await points.getEntity<Record<string, unknown>>(pk, `p|${first.pushedAt}|t0|${first.digest}`);
  const rows = Array.from({ length: pointCount - 1 }, (_, i) => {
    const pushedAt = new Date(START + (i + 1) * 3_600_000).toISOString();
    // A size that drifts up with some noise, so the chart has a shape to draw.
    const sizeBytes = 200_000_000 + (i + 1) * 20_000 + ((i * 7919) % 13) * 1_000_000;
    return { ...columns, rowKey: `p|${pushedAt}|t${i + 1}|${first.digest}`, pushedAt, tag: `t${i + 1}`, sizeBytes };
  });
  for (let i = 0; i < rows.length; i += 100) {
    await points.submitTransaction(
      rows.slice(i, i + 100).map((e): TableTransaction['actions'][number] => ['upsert', e as { partitionKey: string; rowKey: string }, 'Replace']),
    );
  }
}

/** Every trend page, as the dashboard reads them; returns the points answered. */
async function trend(url: string): Promise<number> {
  let token: string | null = null;
  let n = 0;
  do {
    const u = new URL(`${url}/api/trend`);
    u.search = new URLSearchParams({ registry: REGISTRY, repository: REPOSITORY, limit: '1000', ...(token ? { continuationToken: token } : {}) }).toString();
    const res = await request(u);
    if (res.status !== 200) throw new Error(`/api/trend answered ${res.status}`);
    const body = JSON.parse(res.body.toString('utf8')) as { points: unknown[]; continuationToken: string | null };
    n += body.points.length;
    token = body.continuationToken;
  } while (token);
  return n;
}

async function main() {
  const html = fs.readFileSync(path.join(repoRoot(), 'dist', 'ui', 'index.html'));
  const reference = fs.readFileSync(path.join(repoRoot(), 'dist', 'ui', 'reference.html'));
  const location = fs.mkdtempSync(path.join(os.tmpdir(), 'acrsize-bench-dashboard-'));
  const azurite = await startAzurite({ location, ports: 'auto', silent: true });
  let host: Awaited<ReturnType<typeof startLocalHost>> | undefined;
  const browser = await launchChromium();
  try {
    await writePoints(azurite.connectionString);
    host = await startLocalHost({
      AzureWebJobsStorage: azurite.connectionString,
      WEBHOOK_SECRET: 'bench-secret-0123456789-0123456789',
      ALLOWED_REGISTRIES: REGISTRY,
    });
    const pageUrl = `${host.url}/api/ui?${new URLSearchParams({ view: 'repository', registry: REGISTRY, repository: REPOSITORY }).toString()}`;

    // Warm both (JIT, table service caches) before timing.
    await trend(host.url);
    const apiMs: number[] = [];
    const drawnMs: number[] = [];
    let drawnPoints = 0;
    for (let r = 0; r <= rounds; r++) {
      const t = performance.now();
      const n = await trend(host.url);
      if (n !== pointCount) throw new Error(`/api/trend answered ${n} points, not ${pointCount}`);
      const api = performance.now() - t;

      const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
      await page.goto(pageUrl);
      const chart = page.locator('[data-chart=size][data-drawn]');
      await chart.waitFor({ timeout: 120_000 });
      // performance.now() in the page counts from navigation start.
      const drawn = Number(await chart.getAttribute('data-drawn-ms'));
      drawnPoints = Number(await chart.getAttribute('data-points'));
      await page.close();
      if (r === 0) continue; // the first page load warms the browser
      apiMs.push(api);
      drawnMs.push(drawn);
    }
    if (drawnPoints !== pointCount) throw new Error(`the chart drew ${drawnPoints} points, not ${pointCount}`);
    const api = median(apiMs);
    const drawn = median(drawnMs);
    console.log(`Repository page, ${pointCount} points on Azurite; medians of ${rounds} rounds (first page load not counted)`);
    console.table([
      { measure: `/api/trend, all ${Math.ceil(pointCount / 1000)} pages of 1000`, ms: Number(api.toFixed(0)) },
      { measure: 'navigation → size chart drawn', ms: Number(drawn.toFixed(0)), points_drawn: drawnPoints },
    ]);
    console.log(`page / API: ${(drawn / api).toFixed(2)}× (the page's own cost: ${(drawn - api).toFixed(0)} ms beyond fetching the trend)`);
    const kib = (n: number) => `${(n / 1024).toFixed(1)} KiB`;
    console.log(
      `dashboard page dist/ui/index.html: ${kib(html.length)} raw, ${kib(gzipSync(html).length)} gzip; API reference dist/ui/reference.html: ${kib(reference.length)} raw, ${kib(gzipSync(reference).length)} gzip`,
    );
  } finally {
    await browser.close();
    await host?.stop();
    await azurite.stop();
    fs.rmSync(location, { recursive: true, force: true });
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
