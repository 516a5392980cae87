/**
 * The alert outbox against real Azurite: the pending index that keeps the re-send
 * timer's reads to what is due, moved in the same transactions as the alert's state.
 */
import { QueueClient } from '@azure/storage-queue';
import { TableClient } from '@azure/data-tables';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AlertTable } from '../../../src/adapters/tables/alertTable';
import { newAlert } from '../../../src/core/alert';
import type { AlertRef } from '../../../src/core/alertMessages';
import { Tables } from '../../../src/adapters/tables/tables';
import { WorkQueue } from '../../../src/adapters/workQueue';
import type { Finding } from '../../../src/core/rules';
import { escapeKey } from '../../../src/core/keys';
import { resendDue } from '../../../src/services/alerts';
import { startTestAzurite } from '../../integration/support/azurite';
import { scannedBy, startTableProxy, type TableProxy } from '../../integration/support/tableProxy';

let azurite: Awaited<ReturnType<typeof startTestAzurite>>;
let proxy: TableProxy;
let alerts: AlertTable;
let raw: TableClient;

beforeAll(async () => {
  azurite = await startTestAzurite();
  proxy = await startTableProxy(azurite.connectionString);
  alerts = new AlertTable(new Tables({ kind: 'connectionString', connectionString: proxy.connectionString }));
  raw = TableClient.fromConnectionString(azurite.connectionString, 'acrsizeAlerts', { allowInsecureConnection: true });
});
afterAll(async () => {
  await proxy?.stop();
  await azurite?.stop();
});

const growth: Finding = { rule: 'growth', kind: 'regression', summary: 'Grew', observed: 1, threshold: 1 };
let n = 0;
async function create(registry: string, createdAt: Date, url: string | null = 'https://prod-1.logic.azure.com/workflows/x?sig=s', repository = 'team/app') {
  n++;
  const digest = `sha256:${n.toString(16).padStart(64, '0')}`;
  const subject = {
    registry,
    repository,
    tag: `v${n}`,
    platform: 'linux/amd64',
    digest,
    pushedAt: createdAt.toISOString(),
    createdAt: createdAt.toISOString(),
  };
  const created = await alerts.create(subject, [growth], (remaining) => ({
    record: newAlert(subject, remaining, { kind: 'default', url }, `00000000-0000-4000-8000-${n.toString(16).padStart(12, '0')}`),
    routeUrl: url,
    message: { type: 'message' },
  }));
  return created!;
}

async function rows(registry: string, prefix: string): Promise<string[]> {
  const out: string[] = [];
  const filter = `PartitionKey eq '${escapeKey(registry)}' and RowKey ge '${prefix}' and RowKey lt '${prefix.slice(0, -1)}}'`;
  for await (const e of raw.listEntities({ queryOptions: { filter } })) out.push(String(e.rowKey));
  return out;
}

describe('the pending index', () => {
  it('is written with a pending alert, moved on a retry and removed once sent, in the same transactions', async () => {
    const registry = 'index.azurecr.io';
    const t0 = new Date('2026-11-01T00:00:00.000Z');
    const { ref } = await create(registry, t0);
    expect(await rows(registry, 'q|')).toEqual([`q|${t0.toISOString()}|${ref.rowKey}`]);

    const claimed = (await alerts.claim(ref, t0, 60_000))!;
    // Claimed: a second claim (the timer's message alongside a queued retry) gets nothing.
    expect(await alerts.claim(ref, t0, 60_000)).toBeUndefined();
    const next = new Date(t0.getTime() + 30_000);
    await alerts.settle(claimed, { state: 'pending', attempts: 1, nextAttemptAt: next.toISOString(), lastError: 'HTTP 429' });
    expect(await rows(registry, 'q|')).toEqual([`q|${next.toISOString()}|${ref.rowKey}`]);
    // Not due before its next attempt, whoever asks.
    expect(await alerts.claim(ref, new Date(next.getTime() - 1), 60_000)).toBeUndefined();
    expect(await alerts.due(registry, new Date(next.getTime() - 1))).toEqual([]);
    expect(await alerts.due(registry, next)).toEqual([ref]);

    const again = (await alerts.claim(ref, next, 60_000))!;
    await alerts.settle(again, { state: 'sent', attempts: 2, nextAttemptAt: next.toISOString(), sentAt: next.toISOString() });
    expect(await rows(registry, 'q|')).toEqual([]);
    expect(await alerts.due(registry, new Date('2030-01-01T00:00:00Z'))).toEqual([]);
    expect((await alerts.list(registry, { limit: 10 }))[0]).toMatchObject({ state: 'sent', attempts: 2 });
  });

  it('holds no row for an alert recorded failed (no route)', async () => {
    const registry = 'noroute.azurecr.io';
    const { record } = await create(registry, new Date(), null);
    expect(record.state).toBe('failed');
    expect(await rows(registry, 'q|')).toEqual([]);
  });
});

describe("a repository's alert history", () => {
  const registry = 'history.azurecr.io';
  const t0 = Date.parse('2026-11-05T00:00:00.000Z');
  const at = (minute: number) => new Date(t0 + minute * 60_000);

  it("is one key range of that repository: the other repositories' alerts are not read, and state follows each attempt", async () => {
    const mine = [];
    for (let i = 0; i < 5; i++) mine.push(await create(registry, at(i), 'https://prod-1.logic.azure.com/workflows/x?sig=s', 'team/mine'));
    for (let i = 0; i < 60; i++) await create(registry, at(10 + i), 'https://prod-1.logic.azure.com/workflows/x?sig=s', 'team/busy');
    const claimed = (await alerts.claim(mine[0]!.ref, at(100), 60_000))!;
    await alerts.settle(claimed, { state: 'sent', attempts: 1, nextAttemptAt: at(100).toISOString(), sentAt: at(100).toISOString() });

    proxy.reset();
    const listed = await alerts.list(registry, { repository: 'team/mine', limit: 100 });
    expect(listed.map((a) => a.id)).toEqual(mine.map((m) => m.record.id).reverse());
    expect(listed.at(-1)).toMatchObject({ state: 'sent', attempts: 1 });
    const all: { partitionKey: string; rowKey: string }[] = [];
    for await (const e of raw.listEntities()) all.push({ partitionKey: String(e.partitionKey), rowKey: String(e.rowKey) });
    const queries = proxy.queries().filter((q) => q.table === 'acrsizeAlerts' && q.method === 'GET');
    const scanned = queries.reduce((sum, q) => sum + (q.filter ? all.filter((e) => scannedBy(q.filter, e)).length : 0), 0);
    // Its 5 history rows and none of team/busy's 60 alerts: the scan for alerts older than the history has none to read.
    expect(scanned).toBe(5);
    expect(queries.map((q) => (q.filter ? 'query' : 'read'))).toEqual(['query', 'read', 'query']); // the history, its start, the older alerts
    expect(await alerts.list(registry, { repository: 'team/mine', state: 'sent', limit: 100 })).toHaveLength(1);
    expect(await alerts.list(registry, { repository: 'team/mine', since: at(3).toISOString(), limit: 100 })).toHaveLength(2);
  });

  it('still lists alerts written before it began, once each', async () => {
    const legacy = 'legacy.azurecr.io';
    // An alert as written before history rows: created, then its history row and the history's start removed.
    const old = await create(legacy, at(0), 'https://prod-1.logic.azure.com/workflows/x?sig=s', 'team/old');
    for (const rowKey of await rows(legacy, 'h|')) await raw.deleteEntity(escapeKey(legacy), rowKey);
    const fresh = new AlertTable(new Tables({ kind: 'connectionString', connectionString: proxy.connectionString }));
    expect((await fresh.list(legacy, { repository: 'team/old', limit: 10 })).map((a) => a.id)).toEqual([old.record.id]);

    // The history begins with the next alert; the old one is found by the scan, the new one by its row.
    const created = await fresh.create({ registry: legacy, repository: 'team/old', digest: 'sha256:' + 'f'.repeat(64) }, [growth], (remaining) => ({
      record: newAlert(
        {
          registry: legacy,
          repository: 'team/old',
          tag: 'v9',
          platform: 'linux/amd64',
          digest: 'sha256:' + 'f'.repeat(64),
          pushedAt: new Date().toISOString(),
          createdAt: new Date().toISOString(),
        },
        remaining,
        { kind: 'default', url: null },
        '00000000-0000-4000-8000-ffffffffffff',
      ),
      routeUrl: null,
      message: { type: 'message' },
    }));
    expect((await fresh.list(legacy, { repository: 'team/old', limit: 10 })).map((a) => a.id)).toEqual([created!.record.id, old.record.id]);
    // Re-sent, the old one gets a history row too, and is still answered once.
    const claimed = await fresh.claim(old.ref, new Date(), 60_000);
    await fresh.settle(claimed!, { state: 'sent', attempts: 1, nextAttemptAt: new Date().toISOString(), sentAt: new Date().toISOString() });
    expect((await fresh.list(legacy, { repository: 'team/old', limit: 10 })).map((a) => a.id)).toEqual([created!.record.id, old.record.id]);
  });
});

describe('the re-send timer', () => {
  it('reads what is due, not the history: its reads do not grow with the number of sent alerts', async () => {
    const registry = 'timer.azurecr.io';
    const other = 'quiet.azurecr.io';
    const queueName = 'test-deliveries';
    const deliveries = new WorkQueue<AlertRef>({ kind: 'connectionString', connectionString: azurite.connectionString }, queueName);
    const now = new Date('2026-11-02T00:00:00.000Z');
    const pending = await create(registry, new Date(now.getTime() - 1000));

    async function timerRun() {
      proxy.reset();
      const result = await resendDue({ alerts, deliveries, registries: [registry, other], now: () => now });
      const queries = proxy.queries().filter((q) => q.table === 'acrsizeAlerts' && q.method === 'GET');
      const all: { partitionKey: string; rowKey: string }[] = [];
      for await (const e of raw.listEntities()) all.push({ partitionKey: String(e.partitionKey), rowKey: String(e.rowKey) });
      // What the table service scans to answer: the key range each query pins down.
      const scanned = queries.reduce((sum, q) => sum + all.filter((e) => scannedBy(q.filter, e)).length, 0);
      return { due: result.due, requests: queries.length, returned: queries.reduce((s, q) => s + q.returned, 0), scanned, tableSize: all.length };
    }

    const before = await timerRun();
    for (let i = 0; i < 150; i++) {
      const { ref } = await create(registry, new Date(now.getTime() - 60_000));
      const claimed = (await alerts.claim(ref, now, 60_000))!;
      await alerts.settle(claimed, { state: 'sent', attempts: 1, nextAttemptAt: now.toISOString(), sentAt: now.toISOString() });
    }
    const after = await timerRun();
    console.log(`re-send timer reads, 1 pending alert: ${JSON.stringify(before)}; with 150 sent alerts more: ${JSON.stringify(after)}`);

    expect(before.due).toBe(1);
    expect(after.due).toBe(1);
    expect(after.tableSize).toBe(before.tableSize + 450); // 150 alerts, their dedupe markers and history rows
    expect(after.requests).toBe(before.requests);
    expect(after.returned).toBe(before.returned);
    expect(after.scanned).toBe(before.scanned);

    // What it queued is the pending alert, twice (once per run), for the delivery step to claim once.
    const queued = await new QueueClient(azurite.connectionString, queueName).peekMessages({ numberOfMessages: 32 });
    const refs = queued.peekedMessageItems.map((m) => JSON.parse(Buffer.from(m.messageText, 'base64').toString('utf8')) as AlertRef);
    expect(refs).toEqual([pending.ref, pending.ref]);
  });
});
