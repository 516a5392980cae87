import { odata, type TableClient, type TableTransaction } from '@azure/data-tables';
import { z } from 'zod';
import { AlertRecordSchema, type AlertRecord, type AlertState } from '../../core/alert';
import type { AlertRef } from '../../core/alertMessages';
import { escapeKey, invertedTime } from '../../core/keys';
import type { Finding } from '../../core/rules';
import { intColumn, jsonColumn, optionalColumn, packJson, parseRow, statusOf, unpackJson, prefixEnd, prefixFilter, retryOnConflict } from './entities';
import type { AlertStore, ClaimedAlert as ServiceClaimedAlert } from '../../services/alerts';
import type { Tables } from './tables';

/**
 * The alert outbox and history, one partition per registry:
 *   `a|<inverted time>|<id>`            an alert: what fired, its Teams message, delivery state
 *   `k|<repository>|<digest>|<rule>`    dedupe marker: at most one alert per image and rule
 *   `q|<next attempt>|<alert row key>`  pending index: one row per pending alert, so the re-send
 *                                       timer reads a key range of what is due, not the history
 *   `h|<repository>|<inverted time>|<id>`  a repository's history: the alert's record again (not its
 *                                       message), so `/api/alerts?repository=` reads a key range
 *   `h|`                                when the repository history began: older alerts have no `h|`
 *                                       row and are found by the scan they needed before
 * An alert and its markers are created in one entity-group transaction before anything
 * is sent, so a Teams outage loses nothing and a re-delivered push finds the markers.
 * The pending index row and the history row change in the same transaction as the alert's state.
 */

/** The Teams message is posted as it was composed: only that it is a JSON object is checked. */
const TeamsMessageSchema = z.record(z.string(), z.unknown());

/** The outbox columns beside the record: where it goes, the lease of an attempt, its pending index row. */
const OutboxColumnsSchema = z.object({ routeUrl: z.string().optional(), leaseUntil: z.string().optional(), dueKey: z.string().optional() });

/** A pending index row or a dedupe marker: the alert row it stands for. */
const IndexRowSchema = z.object({ alertRowKey: z.string().min(1) });

export interface ClaimedAlert extends ServiceClaimedAlert {
  etag: string;
  /** The pending index row this alert has, if any. */
  dueKey?: string;
}

const markerPrefix = (repository: string, digest: string) => `k|${escapeKey(repository)}|${digest}|`;
const historyPrefix = (repository: string) => `h|${escapeKey(repository)}|`;
/** The alert row key `a|<inverted time>|<id>` under the repository's history prefix. */
const historyKey = (repository: string, alertRowKey: string) => historyPrefix(repository) + alertRowKey.slice(2);
const HISTORY_START = 'h|';
const HistoryStartSchema = z.object({ since: z.string().min(1) });
/** ISO times of one format sort as they compare, so "due by now" is one key range. */
const dueKey = (nextAttemptAt: string, alertRowKey: string) => `q|${new Date(nextAttemptAt).toISOString()}|${alertRowKey}`;

/** The columns an AlertRecord is read from (toEntity writes them). */
const RECORD_COLUMNS = [
  'PartitionKey',
  'RowKey',
  'id',
  'registry',
  'repository',
  'tag',
  'platform',
  'digest',
  'indexDigest',
  'pushedAt',
  'kind',
  'rules',
  'findings',
  'state',
  'attempts',
  'createdAt',
  'nextAttemptAt',
  'sentAt',
  'lastError',
  'route',
];

export class AlertTable implements AlertStore {
  /** Per registry: the alert row key from which on every alert has a history row. */
  readonly #historySince = new Map<string, Promise<string>>();

  constructor(private readonly tables: Tables) {}

  /**
   * The row key of the first alert with a history row: written once per registry (the
   * first instance to create it wins), before any alert is written with one.
   */
  #historyStart(client: TableClient, registry: string, createdAt: string): Promise<string> {
    let known = this.#historySince.get(registry);
    if (!known) {
      const pk = escapeKey(registry);
      const since = `a|${invertedTime(createdAt)}|~`;
      known = (async () => {
        try {
          await client.createEntity({ partitionKey: pk, rowKey: HISTORY_START, since });
          return since;
        } catch (e) {
          if (statusOf(e) !== 409) throw e;
          const row = await client.getEntity<Record<string, unknown>>(pk, HISTORY_START);
          return parseRow(client.tableName, row, HistoryStartSchema, row).since;
        }
      })();
      this.#historySince.set(registry, known);
      known.catch(() => this.#historySince.delete(registry));
    }
    return known;
  }

  /**
   * Records an alert for the findings not alerted before for this image: `compose` gets
   * those findings and returns the alert, where it goes and its message; nothing is
   * written when none are left.
   */
  async create(
    image: { registry: string; repository: string; digest: string },
    findings: Finding[],
    compose: (remaining: Finding[]) => { record: AlertRecord; routeUrl: string | null; message: unknown },
  ): Promise<{ ref: AlertRef; record: AlertRecord } | undefined> {
    const client = await this.tables.get('alerts');
    const pk = escapeKey(image.registry);
    // Another delivery of the same push may create a marker first: recompute what is left.
    return retryOnConflict(
      `record the alert for ${image.repository}@${image.digest}`,
      5,
      async () => {
        const done = await this.#alertedRules(client, pk, image.repository, image.digest);
        const remaining = findings.filter((f) => !done.has(f.rule));
        if (remaining.length === 0) return undefined;
        const { record, routeUrl, message } = compose(remaining);
        await this.#historyStart(client, image.registry, record.createdAt);
        const rowKey = `a|${invertedTime(record.createdAt)}|${record.id}`;
        const due = record.state === 'pending' ? dueKey(record.nextAttemptAt, rowKey) : undefined;
        const actions: TableTransaction['actions'] = [
          ...remaining.map((f): TableTransaction['actions'][number] => [
            'create',
            { partitionKey: pk, rowKey: markerPrefix(image.repository, image.digest) + f.rule, alertRowKey: rowKey },
          ]),
          ['create', { partitionKey: pk, rowKey, ...toEntity(record), dueKey: due ?? '', ...(routeUrl ? { routeUrl } : {}), ...packJson('message', message) }],
          ...(due ? [['create', { partitionKey: pk, rowKey: due, alertRowKey: rowKey }] as TableTransaction['actions'][number]] : []),
          ['create', { partitionKey: pk, rowKey: historyKey(record.repository, rowKey), ...toEntity(record) }],
        ];
        await client.submitTransaction(actions);
        return { ref: { registry: image.registry, rowKey }, record };
      },
      [409],
    );
  }

  /**
   * Takes a pending alert whose next attempt is due for one delivery attempt, under a
   * lease, so two invocations (a queued retry and the timer's) never both send it.
   */
  async claim(ref: AlertRef, now: Date, leaseMs: number): Promise<ClaimedAlert | undefined> {
    const client = await this.tables.get('alerts');
    let e: Record<string, unknown>;
    try {
      e = await client.getEntity<Record<string, unknown>>(escapeKey(ref.registry), ref.rowKey);
    } catch (err) {
      if (statusOf(err) === 404) return undefined;
      throw err;
    }
    const record = fromEntity(client.tableName, e);
    if (record.state !== 'pending') return undefined;
    // A message ahead of its time (a duplicate): the one scheduled with the retry, or the timer, comes later.
    if (Date.parse(record.nextAttemptAt) > now.getTime()) return undefined;
    const outbox = parseRow(client.tableName, e, OutboxColumnsSchema, e);
    if (outbox.leaseUntil && Date.parse(outbox.leaseUntil) > now.getTime()) return undefined;
    try {
      const res = await client.updateEntity(
        { partitionKey: escapeKey(ref.registry), rowKey: ref.rowKey, leaseUntil: new Date(now.getTime() + leaseMs).toISOString() },
        'Merge',
        { etag: String(e.etag) },
      );
      return {
        ref,
        etag: String(res.etag),
        record,
        routeUrl: outbox.routeUrl || null,
        message: unpackJson(client.tableName, e, 'message', TeamsMessageSchema),
        ...(outbox.dueKey ? { dueKey: outbox.dueKey } : {}),
      };
    } catch (err) {
      if (statusOf(err) === 412) return undefined;
      throw err;
    }
  }

  /**
   * Records the outcome of a delivery attempt under the lease's ETag, and moves the
   * pending index row with it (removed once sent or failed) in the same transaction.
   */
  async settle(
    claimed: ClaimedAlert,
    patch: Pick<AlertRecord, 'state' | 'attempts' | 'nextAttemptAt'> & Partial<Pick<AlertRecord, 'sentAt' | 'lastError'>>,
  ): Promise<AlertRecord> {
    const client = await this.tables.get('alerts');
    const pk = escapeKey(claimed.ref.registry);
    const record: AlertRecord = { ...claimed.record, ...patch };
    const next = record.state === 'pending' ? dueKey(record.nextAttemptAt, claimed.ref.rowKey) : undefined;
    const old = claimed.dueKey;
    const actions: TableTransaction['actions'] = [
      ['update', { partitionKey: pk, rowKey: claimed.ref.rowKey, ...toEntity(record), dueKey: next ?? '', leaseUntil: '' }, 'Merge', { etag: claimed.etag }],
      ...(old && old !== next ? [['delete', { partitionKey: pk, rowKey: old }] as TableTransaction['actions'][number]] : []),
      ...(next && next !== old
        ? [['upsert', { partitionKey: pk, rowKey: next, alertRowKey: claimed.ref.rowKey }, 'Replace'] as TableTransaction['actions'][number]]
        : []),
      // An alert from before the history began gets its history row here.
      ['upsert', { partitionKey: pk, rowKey: historyKey(record.repository, claimed.ref.rowKey), ...toEntity(record) }, 'Replace'],
    ];
    await client.submitTransaction(actions);
    return record;
  }

  /**
   * Pending alerts of a registry whose next attempt is due: a range read of the pending
   * index, however many alerts the history holds.
   */
  async due(registry: string, now: Date, max = 100): Promise<AlertRef[]> {
    const client = await this.tables.get('alerts');
    const filter = odata`PartitionKey eq ${escapeKey(registry)} and RowKey ge ${'q|'} and RowKey lt ${`q|${now.toISOString()}|~`}`;
    const refs: AlertRef[] = [];
    for await (const e of client.listEntities<Record<string, unknown>>({ queryOptions: { filter, select: ['PartitionKey', 'RowKey', 'alertRowKey'] } })) {
      refs.push({ registry, rowKey: parseRow(client.tableName, e, IndexRowSchema, e).alertRowKey });
      if (refs.length >= max) break;
    }
    return refs;
  }

  /**
   * Newest first. With a repository: a key range of its history rows, then, for alerts
   * older than the history, the scan of the registry's alerts it took before.
   */
  async list(registry: string, q: { repository?: string; since?: string; state?: AlertState; limit: number }): Promise<AlertRecord[]> {
    const client = await this.tables.get('alerts');
    const pk = escapeKey(registry);
    const out: AlertRecord[] = [];
    // `a|<inverted time>|…` under a prefix: rows from the newest, up to `since` (inclusive).
    const range = (prefix: string) =>
      odata`PartitionKey eq ${pk} and RowKey ge ${`${prefix}`}` +
      (q.since ? odata` and RowKey lt ${`${prefix}${invertedTime(q.since)}|~`}` : odata` and RowKey lt ${prefixEnd(prefix)}`);
    const state = q.state ? odata` and state eq ${q.state}` : '';
    // The history answers records, never the Teams message beside them (several KB each), and
    // asks for no more rows than it answers.
    const read = async (filter: string) => {
      const rows = client.listEntities<Record<string, unknown>>({ queryOptions: { filter, select: RECORD_COLUMNS } });
      for await (const page of rows.byPage({ maxPageSize: q.limit - out.length })) {
        for (const e of page) {
          out.push(fromEntity(client.tableName, e));
          if (out.length >= q.limit) return;
        }
      }
    };
    if (!q.repository) {
      await read(range('a|') + state);
      return out;
    }
    await read(range(historyPrefix(q.repository)) + state);
    if (out.length >= q.limit) return out;
    // Alerts written before the history began: the old scan, over those only. (One re-sent
    // since has a history row too, and an instance's clock may lag: each alert is answered once.)
    const seen = new Set(out.map((a) => a.id));
    const found = out.length;
    await read(range('a|') + odata` and RowKey gt ${await this.#historySinceOf(client, pk)} and repository eq ${q.repository}` + state);
    const older = out.splice(found).filter((a) => !seen.has(a.id));
    out.push(...older);
    return out;
  }

  /** The row key from which on alerts are older than the history ('a|' when no history began: all of them). */
  async #historySinceOf(client: TableClient, pk: string): Promise<string> {
    try {
      const row = await client.getEntity<Record<string, unknown>>(pk, HISTORY_START);
      return parseRow(client.tableName, row, HistoryStartSchema, row).since;
    } catch (e) {
      if (statusOf(e) === 404) return 'a|';
      throw e;
    }
  }

  async #alertedRules(client: TableClient, pk: string, repository: string, digest: string): Promise<Set<string>> {
    const prefix = markerPrefix(repository, digest);
    const filter = prefixFilter(pk, prefix);
    const rules = new Set<string>();
    for await (const e of client.listEntities({ queryOptions: { filter, select: ['RowKey'] } })) rules.add(String(e.rowKey).slice(prefix.length));
    return rules;
  }
}

function toEntity(r: AlertRecord): Record<string, unknown> {
  return {
    id: r.id,
    registry: r.registry,
    repository: r.repository,
    tag: r.tag,
    platform: r.platform,
    digest: r.digest,
    indexDigest: r.indexDigest ?? '',
    pushedAt: r.pushedAt,
    kind: r.kind,
    rules: JSON.stringify(r.rules),
    findings: JSON.stringify(r.findings),
    state: r.state,
    attempts: r.attempts,
    createdAt: r.createdAt,
    nextAttemptAt: r.nextAttemptAt,
    sentAt: r.sentAt ?? '',
    lastError: r.lastError ?? '',
    route: r.route,
  };
}

function fromEntity(table: string, e: Record<string, unknown>): AlertRecord {
  return parseRow(table, e, AlertRecordSchema, {
    id: e.id,
    registry: e.registry,
    repository: e.repository,
    tag: e.tag,
    platform: e.platform,
    digest: e.digest,
    ...optionalColumn(e, 'indexDigest'),
    pushedAt: e.pushedAt,
    kind: e.kind,
    rules: jsonColumn(table, e, 'rules'),
    findings: jsonColumn(table, e, 'findings'),
    state: e.state,
    attempts: intColumn(e.attempts),
    createdAt: e.createdAt,
    nextAttemptAt: e.nextAttemptAt,
    ...optionalColumn(e, 'sentAt'),
    ...optionalColumn(e, 'lastError'),
    route: e.route,
  });
}
