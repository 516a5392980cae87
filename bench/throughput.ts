/**
 * Ingest throughput under a burst: N distinct new single-platform images whose webhooks
 * arrive at once, then the same digests under new tags, against a floor that does only
 * the unavoidable work (the 2 registry GETs and 2 table upserts per event) at the
 * host's queue concurrency (batchSize 16 + newBatchThreshold 8 = 24). Azurite persists
 * to disk, as `npm start` runs it; the local host runs host.json as shipped; every table
 * request the host makes goes through a counting proxy.
 *
 *   npm run bench -- throughput [events=1000]
 *   LAYER_ANALYSIS=true npm run bench -- throughput 200   (with content analysis running beside ingest)
 *   LOCAL_HOST_NODE_ARGS="--cpu-prof --cpu-prof-dir=/tmp/prof" npm run bench -- throughput 200
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { TableClient } from '@azure/data-tables';
import { startAzurite } from '../test/integration/support/azurite';
import { startLocalHost } from '../test/integration/support/host';
import { request } from '../test/integration/support/http';
import { makeImage, pushImage, pushManifest, type PushedImage } from '../test/integration/support/images';
import { startRegistryProxy } from '../test/integration/support/proxy';
import { startRegistry } from '../test/integration/support/registry';
import { startTableProxy, type TableQuery } from '../test/integration/support/tableProxy';
import { percentile } from './stats';

const events = Number(process.argv[2] ?? 1000);
const SECRET = 'bench-secret-0123456789-abcdefghij';
const CONCURRENCY = 24;

async function pool<T>(items: T[], width: number, work: (item: T, i: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: width }, async () => {
      while (next < items.length) {
        const i = next++;
        await work(items[i]!, i);
      }
    }),
  );
}

async function main() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'throughput-'));
  const azurite = await startAzurite({ inMemory: false, location: dir, ports: 'auto', silent: true });
  const tables = await startTableProxy(azurite.connectionString);
  const registry = await startRegistry();
  const proxy = await startRegistryProxy(registry.url);
  const host = await startLocalHost({
    AzureWebJobsStorage: tables.connectionString,
    WEBHOOK_SECRET: SECRET,
    ALLOWED_REGISTRIES: proxy.loginServer,
    REGISTRY_MAX_RETRIES: '2',
    // Ingest alone by default: content analysis is its own queued work, read by layerAnalysis and pushToPoint.
    LAYER_ANALYSIS: process.env.LAYER_ANALYSIS ?? 'false',
  });
  const points = TableClient.fromConnectionString(azurite.connectionString, 'acrsizePoints', { allowInsecureConnection: true });
  const markers = async () => {
    let n = 0;
    try {
      for await (const _ of points.listEntities({ queryOptions: { filter: `RowKey ge 'u|' and RowKey lt 'u}'`, select: ['RowKey'] } })) n++;
    } catch (e) {
      if ((e as { statusCode?: number }).statusCode !== 404) throw e; // no point yet: the host creates the table on first use
    }
    return n;
  };

  const rows: Record<string, string | number>[] = [];
  try {
    const repositories = (label: string, i: number) => (label === 'one' ? 'bench/one' : `bench/r${i % 24}`);
    const images: { repository: string; pushed: PushedImage }[] = [];
    const perShape = { many: events, one: Math.max(24, Math.floor(events / 4)) };
    for (const [shape, n] of Object.entries(perShape)) {
      const batch = Array.from({ length: n }, (_, i) => ({ repository: repositories(shape, i), image: makeImage({ layers: [2_000, 3_000] }) }));
      await pool(batch, 8, async (b) => {
        images.push({
          repository: b.repository,
          pushed: await pushImage(registry.url, b.repository, b.image, { tag: `v-${b.image.manifest.digest.slice(7, 19)}` }),
        });
      });
    }

    const burst = async (label: string, list: { repository: string; digest: string; tag: string }[]) => {
      const already = await markers();
      tables.reset();
      proxy.reset();
      const logFrom = host.logs().length;
      const started = performance.now();
      await pool(list, 32, async (e) => {
        const res = await request(`${host.url}/api/webhooks/acr`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${SECRET}` },
          body: JSON.stringify({
            id: randomUUID(),
            timestamp: new Date().toISOString(),
            action: 'push',
            target: { mediaType: 'application/vnd.oci.image.manifest.v1+json', size: 500, digest: e.digest, repository: e.repository, tag: e.tag },
            request: { id: randomUUID(), host: proxy.loginServer, method: 'PUT', useragent: 'bench' },
          }),
        });
        if (res.status !== 202) throw new Error(`webhook answered ${res.status}`);
      });
      while ((await markers()) < already + list.length) await new Promise((r) => setTimeout(r, 200));
      const seconds = (performance.now() - started) / 1000;
      const log: TableQuery[] = tables.queries();
      const conflicts = log.filter((q) => q.status === 409 || q.status === 412 || q.failedWith === 409 || q.failedWith === 412).length;
      const durations = [
        ...host
          .logs()
          .slice(logFrom)
          .matchAll(/Executed 'Functions\.processRegistryEvent' \(Succeeded, Id=[^,]+, Duration=(\d+)ms\)/g),
      ].map((m) => Number(m[1]));
      rows.push({
        target: `service: ${label}`,
        events: list.length,
        events_per_s: Number((list.length / seconds).toFixed(1)),
        table_requests_per_event: Number((log.length / list.length).toFixed(2)),
        registry_requests_per_event: Number((proxy.count() / list.length).toFixed(2)),
        conflicts_per_event: Number((conflicts / list.length).toFixed(3)),
        invocation_p50_ms: percentile(durations, 50),
        invocation_p99_ms: percentile(durations, 99),
      });
      return list.length / seconds;
    };

    const many = images.filter((x) => x.repository !== 'bench/one');
    const one = images.filter((x) => x.repository === 'bench/one');
    const asEvents = (list: typeof images, tag: (p: PushedImage) => string) =>
      list.map((x) => ({ repository: x.repository, digest: x.pushed.digest, tag: tag(x.pushed) }));
    const newMany = await burst(
      'new images, 24 repositories',
      asEvents(many, (p) => `v-${p.digest.slice(7, 19)}`),
    );
    await burst(
      'new images, one repository',
      asEvents(one, (p) => `v-${p.digest.slice(7, 19)}`),
    );
    // Known digests under new tags: the registry holds the tag too, as after `docker push` of a re-tag.
    await pool(many, 8, async (x) => void (await pushManifest(registry.url, x.repository, makeManifestBlob(x.pushed), `t-${x.pushed.digest.slice(7, 19)}`)));
    const knownMany = await burst(
      'known digests, new tags',
      asEvents(many, (p) => `t-${p.digest.slice(7, 19)}`),
    );
    const rss = /VmHWM:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${host.pid}/status`, 'utf8'))?.[1];

    // The floor: the same registry GETs and two table upserts per event, nothing else, through
    // the same counting proxy as the service's requests, so both pay the same hop.
    const floorTable = TableClient.fromConnectionString(tables.connectionString, 'benchFloor', { allowInsecureConnection: true });
    await floorTable.createTable().catch(() => undefined);
    const floor = async (label: string, list: typeof many, registryGets: boolean) => {
      const started = performance.now();
      await pool(list, CONCURRENCY, async (x, i) => {
        if (registryGets) {
          const m = await fetch(`${proxy.url}/v2/${x.repository}/manifests/${x.pushed.digest}`, { headers: { accept: x.pushed.mediaType } });
          await m.arrayBuffer();
          const c = await fetch(`${proxy.url}/v2/${x.repository}/blobs/${x.pushed.configDigest}`);
          await c.arrayBuffer();
        }
        await floorTable.upsertEntity({ partitionKey: label, rowKey: `p${i}`, digest: x.pushed.digest }, 'Replace');
        await floorTable.upsertEntity({ partitionKey: label, rowKey: `i${i}`, digest: x.pushed.digest }, 'Replace');
      });
      const perSecond = list.length / ((performance.now() - started) / 1000);
      rows.push({
        target: `floor: ${label}`,
        events: list.length,
        events_per_s: Number(perSecond.toFixed(1)),
        table_requests_per_event: 2,
        registry_requests_per_event: registryGets ? 2 : 0,
      });
      return perSecond;
    };
    const floorNew = await floor('new images', many, true);
    const floorKnown = await floor('known digests', many, false);

    console.log(
      `\nIngest throughput, ${events} events per burst (Azurite on disk, host.json as shipped, LAYER_ANALYSIS=${process.env.LAYER_ANALYSIS ?? 'false'}, host peak RSS ${rss ? Math.round(Number(rss) / 1024) : '?'} MiB):`,
    );
    console.table(rows);
    console.log(
      `ratios (service / floor, events per second): new images ${(newMany / floorNew).toFixed(2)}×, known digests ${(knownMany / floorKnown).toFixed(2)}×`,
    );
  } finally {
    await host.stop();
    await proxy.stop();
    await registry.stop();
    await tables.stop();
    await azurite.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** The manifest bytes of a pushed image, to push again under another tag. */
function makeManifestBlob(p: PushedImage) {
  return { digest: p.digest, mediaType: p.mediaType, bytes: p.manifestBytes, size: p.manifestSize };
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
