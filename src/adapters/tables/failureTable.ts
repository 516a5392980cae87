import { odata } from '@azure/data-tables';
import { FailureRecordSchema, type FailureRecord } from '../../core/failure';
import { escapeKey } from '../../core/keys';
import { packJson, unpackJson, updateJsonRow } from './entities';
import type { Tables } from './tables';

/** Failed events, one partition per registry, one row per message content. */
export class FailureTable {
  constructor(private readonly tables: Tables) {}

  /** Records a failure; a record of the same message is updated (counted again, failed again). */
  async record(f: Omit<FailureRecord, 'failures' | 'firstFailedAt' | 'lastFailedAt' | 'state'>, at: string): Promise<FailureRecord> {
    const client = await this.tables.get('failures');
    return updateJsonRow<FailureRecord>(
      client,
      escapeKey(f.registry),
      f.id,
      FailureRecordSchema,
      (current) => {
        const { replayedAt: _r, ...rest } = current ?? ({} as Partial<FailureRecord>);
        return {
          ...rest,
          ...f,
          failures: (current?.failures ?? 0) + 1,
          firstFailedAt: current?.firstFailedAt ?? at,
          lastFailedAt: at,
          state: 'failed',
        };
      },
      (r) => ({ state: r.state, kind: r.kind }),
    );
  }

  async list(registry: string | undefined, limit: number): Promise<FailureRecord[]> {
    const client = await this.tables.get('failures');
    const out: FailureRecord[] = [];
    // Failures are few; each partition is read whole and sorted, newest first.
    const filter = registry ? odata`PartitionKey eq ${escapeKey(registry)}` : undefined;
    for await (const e of client.listEntities<Record<string, unknown>>({ queryOptions: filter ? { filter } : {} })) {
      out.push(unpackJson(client.tableName, e, 'json', FailureRecordSchema));
    }
    return out.sort((a, b) => b.lastFailedAt.localeCompare(a.lastFailedAt) || a.id.localeCompare(b.id)).slice(0, limit);
  }

  async markReplayed(f: FailureRecord, at: string): Promise<void> {
    const client = await this.tables.get('failures');
    const next: FailureRecord = { ...f, state: 'replayed', replayedAt: at };
    await client.upsertEntity({ partitionKey: escapeKey(f.registry), rowKey: f.id, state: next.state, kind: next.kind, ...packJson('json', next) }, 'Replace');
  }
}
