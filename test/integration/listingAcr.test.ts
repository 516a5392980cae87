/**
 * Backfill and reconcile through the ACR path: the listing service with `AcrCatalog`
 * against an HTTPS server answering as ACR's REST API documents (ACR cannot run here),
 * its runs and events in Azurite. The units are taken off their real queue and run here,
 * one at a time, as the queue trigger would.
 */
import { createHash } from 'node:crypto';
import { QueueClient } from '@azure/storage-queue';
import type { TokenCredential } from '@azure/identity';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AcrCatalog } from '../../src/adapters/catalog/acrCatalog';
import { CatalogPool } from '../../src/adapters/catalog/catalogFor';
import { EventQueue } from '../../src/adapters/eventQueue';
import { ContentTable } from '../../src/adapters/tables/contentTable';
import { PointTable } from '../../src/adapters/tables/pointTable';
import { RunTable } from '../../src/adapters/tables/runTable';
import { Tables } from '../../src/adapters/tables/tables';
import { WorkQueue } from '../../src/adapters/workQueue';
import type { RegistryEvent } from '../../src/core/events';
import { MediaType } from '../../src/core/mediaTypes';
import type { TrendPoint } from '../../src/core/trend';
import { ListingUnitSchema, runProgress, runUnit, startRun, type ListingDeps, type ListingUnit } from '../../src/services/listing';
import { samplePoint } from '../support/samplePoint';
import { startAcrEmulator, type AcrEmulator } from './support/acrEmulator';
import { startTestAzurite } from './support/azurite';

let azurite: Awaited<ReturnType<typeof startTestAzurite>>;
let acr: AcrEmulator;
let deps: ListingDeps;
let points: PointTable;
let unitQueue: QueueClient;
let eventQueue: QueueClient;
let requests = 0;

const acrTime = (iso: string) => iso.replace(/\.(\d{3})Z$/, '.$10000Z');
const manifest = (seed: string) =>
  Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: MediaType.ociManifest, config: { digest: `sha256:${seed}` }, layers: [] }));
const digestOf = (b: Buffer) => `sha256:${createHash('sha256').update(b).digest('hex')}`;

function put(repository: string, seed: string, tags: Array<{ name: string; at: string }>): string {
  const at = tags[0]?.at ?? '2025-01-01T00:00:00.000Z';
  return acr.putManifest(repository, {
    content: manifest(seed),
    mediaType: MediaType.ociManifest,
    createdTime: acrTime(at),
    lastUpdateTime: acrTime(at),
    tags: tags.map((t) => ({ name: t.name, createdTime: acrTime(t.at), lastUpdateTime: acrTime(t.at) })),
  });
}

/** Runs every queued unit, as the trigger would, until none is left. */
async function drainUnits(): Promise<void> {
  for (;;) {
    const { receivedMessageItems: items } = await unitQueue.receiveMessages({ numberOfMessages: 32 });
    if (items.length === 0) return;
    for (const m of items) {
      const unit: ListingUnit = ListingUnitSchema.parse(JSON.parse(Buffer.from(m.messageText, 'base64').toString()));
      await runUnit(deps, unit);
      await unitQueue.deleteMessage(m.messageId, m.popReceipt);
    }
  }
}

async function takeEvents(): Promise<RegistryEvent[]> {
  const out: RegistryEvent[] = [];
  for (;;) {
    const { receivedMessageItems: items } = await eventQueue.receiveMessages({ numberOfMessages: 32 });
    if (items.length === 0) return out;
    for (const m of items) {
      out.push(JSON.parse(Buffer.from(m.messageText, 'base64').toString()) as RegistryEvent);
      await eventQueue.deleteMessage(m.messageId, m.popReceipt);
    }
  }
}

/** What ingest would record of a listed push: a point of its tag and digest at its time. */
async function record(events: RegistryEvent[]): Promise<void> {
  for (const e of events) {
    if (e.action !== 'push' || !e.tag) continue;
    const point: TrendPoint = { ...samplePoint, tag: e.tag, digest: e.digest, pushedAt: e.timestamp, eventId: e.id };
    delete point.indexDigest;
    await points.add(registry(), e.repository, point);
    await deps.runs.markProcessed(e.registry, e.run!, e.id, { status: 'ok', added: true, repository: e.repository, tag: e.tag });
  }
}

const registry = () => acr.loginServer;

beforeAll(async () => {
  azurite = await startTestAzurite();
  acr = await startAcrEmulator();
  const conn = { kind: 'connectionString' as const, connectionString: azurite.connectionString };
  const tables = new Tables(conn);
  points = new PointTable(tables);
  const credential: TokenCredential = { getToken: async () => ({ token: acr.aadToken, expiresOnTimestamp: Date.now() + 3_600_000 }) };
  const passthrough = { gate: async () => undefined, throttled: async () => undefined };
  // As the runtime wires it: one catalog per registry, shared by every unit.
  const catalogs = new CatalogPool(
    (_r, onRequest) => new AcrCatalog({ gate: passthrough, timeoutMs: 5_000, credential, onRequest: () => (requests++, onRequest()) }),
  );
  deps = {
    runs: new RunTable(tables),
    catalogFor: (r, counted) => catalogs.for(r, counted),
    events: new EventQueue(conn, 'acr-events'),
    units: new WorkQueue<ListingUnit>(conn, 'acr-units'),
    content: new ContentTable(tables),
    recorded: (r, p) => points.recorded(r, p),
    tracked: async () => ['svc/api', 'svc/web'],
    allowedRegistries: [acr.loginServer],
    pageSize: 2,
  };
  unitQueue = new QueueClient(azurite.connectionString, 'acr-units');
  eventQueue = new QueueClient(azurite.connectionString, 'acr-events');
  await Promise.all([unitQueue.createIfNotExists(), eventQueue.createIfNotExists()]);
  put('svc/api', 'a1', [{ name: 'v1', at: '2024-02-01T10:00:00.123Z' }]);
  put('svc/api', 'a2', [
    { name: 'v2', at: '2024-03-01T10:00:00.000Z' },
    { name: 'latest', at: '2024-03-02T11:00:00.000Z' },
  ]);
  put('svc/api', 'a3', [{ name: 'v3', at: '2024-04-01T10:00:00.000Z' }]);
  put('svc/web', 'w1', [{ name: 'v1', at: '2023-06-01T00:00:00.000Z' }]);
}, 60_000);

afterAll(async () => {
  await acr?.stop();
  await azurite?.stop();
});

describe('the ACR path', () => {
  it('backfills with the registry’s own tag times and digests from the listing: no manifest is read', async () => {
    requests = 0;
    const started = await startRun(deps, registry(), 'backfill');
    expect('started' in started).toBe(true);
    await drainUnits();
    const events = await takeEvents();
    const byTag = Object.fromEntries(events.map((e) => [`${e.repository}:${e.tag!}`, e]));
    expect(Object.keys(byTag).sort()).toEqual(['svc/api:latest', 'svc/api:v1', 'svc/api:v2', 'svc/api:v3', 'svc/web:v1']);
    expect(byTag['svc/api:v1']).toMatchObject({
      source: 'backfill',
      timestamp: '2024-02-01T10:00:00.123Z',
      pushedAtSource: 'registry',
      digest: digestOf(manifest('a1')),
    });
    expect(byTag['svc/api:latest']).toMatchObject({ timestamp: '2024-03-02T11:00:00.000Z', digest: digestOf(manifest('a2')) });
    // Catalog pages of 2 (one page for 2 repositories), tags pages of 2: svc/api has 4 tags, svc/web 1; no /v2/ manifest GET.
    expect(acr.requests().filter((r) => r.path.startsWith('/v2/') && r.method === 'GET' && r.path.includes('/manifests/'))).toEqual([]);
    await record(events);
    const p = await runProgress(deps, registry(), 'backfill');
    expect(p).toMatchObject({ state: 'done', tagsFound: 5, eventsQueued: 5, eventsProcessed: 5, repositories: { done: 2, total: 2 } });
    console.log(`ACR backfill of 5 tags: ${requests} requests (challenges and token exchanges included), listing ${p!.requests}`);
    // Its end is kept on the run's row: a later read reads that row alone, not the repositories and events.
    expect((await deps.runs.run(registry(), 'backfill'))!.value.final).toEqual(p);
    // Three units (the catalog page and two repositories), one AAD token exchanged: the units share the catalog's client.
    expect(acr.requests().filter((r) => r.method === 'POST' && r.path.startsWith('/oauth2/exchange'))).toHaveLength(1);
    // Each unit counted its own requests, and together they are all of them.
    expect(p!.requests).toBe(requests);
  });

  it('reconciles newest first and stops at the watermark; a full run finds deletes from the manifest listing', async () => {
    // First run: nothing new; it sets each repository's watermark.
    const first = await startRun(deps, registry(), 'reconcile', { mode: 'light' });
    expect('started' in first).toBe(true);
    await drainUnits();
    expect(await takeEvents()).toEqual([]);
    expect(await runProgress(deps, registry(), 'reconcile')).toMatchObject({ state: 'done', found: { pushes: 0, moved: 0, deletes: 0 } });

    // Behind the service's back: a new tag, a tag moved to a new manifest.
    put('svc/api', 'a4', [{ name: 'v4', at: '2026-12-01T00:00:00.000Z' }]);
    put('svc/web', 'w2', [{ name: 'v1', at: '2026-12-02T00:00:00.000Z' }]);
    acr.reset();
    await startRun(deps, registry(), 'reconcile', { mode: 'light' });
    await drainUnits();
    const found = await takeEvents();
    expect(found.map((e) => [e.repository, e.tag, e.digest, e.timestamp, e.source, e.pushedAtSource]).sort()).toEqual(
      [
        ['svc/api', 'v4', digestOf(manifest('a4')), '2026-12-01T00:00:00.000Z', 'reconcile', 'registry'],
        ['svc/web', 'v1', digestOf(manifest('w2')), '2026-12-02T00:00:00.000Z', 'reconcile', 'registry'],
      ].sort(),
    );
    const light = await runProgress(deps, registry(), 'reconcile');
    expect(light).toMatchObject({ mode: 'light', found: { pushes: 1, moved: 1, deletes: 0 } });
    // Newest first, stopped at the watermark: the first tags page of each repository was enough.
    const tagPages = acr.requests().filter((r) => r.method === 'GET' && /\/acr\/v1\/.+\/_tags/.test(r.path) && r.status === 200);
    expect(tagPages.map((r) => decodeURIComponent(/\/acr\/v1\/(.+)\/_tags/.exec(r.path)![1]!)).sort()).toEqual(['svc/api', 'svc/web']);
    await record(found);

    // Deleted behind its back: the full run asks the manifest listing.
    acr.deleteManifest('svc/api', digestOf(manifest('a1')));
    const full = await startRun(deps, registry(), 'reconcile', { mode: 'full' });
    expect(full, JSON.stringify(full)).toHaveProperty('started');
    await drainUnits();
    const deletes = await takeEvents();
    expect(deletes.map((e) => [e.action, e.repository, e.digest])).toEqual([['delete', 'svc/api', digestOf(manifest('a1'))]]);
    expect(await runProgress(deps, registry(), 'reconcile')).toMatchObject({ mode: 'full', found: { pushes: 0, moved: 0, deletes: 1 } });
  });
});
