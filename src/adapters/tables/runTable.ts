import { odata } from '@azure/data-tables';
import { joinKey, escapeKey, unescapeKey } from '../../core/keys';
import {
  RunRepositorySchema,
  RunSchema,
  MAX_RUN_ERRORS,
  type Run,
  type RunError,
  type RunKind,
  type RunRepository,
  ReconcileStateSchema,
  type ReconcileState,
} from '../../core/listing';
import { packJson, readJsonRow, statusOf, unpackJson, updateJsonRow } from './entities';
import type { Tables } from './tables';

/**
 * Backfill and reconcile runs. One partition per registry holds its current run of each
 * kind and its reconcile state; each run's repositories and processed events have a
 * partition of their own, so a run of 10,000 repositories lists them in pages of 1,000
 * rows and the run row itself is written only by the catalog unit (no hot row).
 */
export class RunTable {
  constructor(private readonly tables: Tables) {}

  async run(registry: string, kind: RunKind): Promise<{ value: Run; etag: string } | undefined> {
    const client = await this.tables.get('runs');
    return readJsonRow(client, joinKey('run', registry), kind, RunSchema);
  }

  /** Writes a new run over the finished one read as `replacing` (its ETag), or creates the first; false when another start won. */
  async start(run: Run, replacing: { etag: string } | undefined): Promise<boolean> {
    const client = await this.tables.get('runs');
    const entity = { partitionKey: joinKey('run', run.registry), rowKey: run.kind, ...packJson('json', run) };
    try {
      if (replacing) await client.updateEntity(entity, 'Replace', { etag: replacing.etag });
      else await client.createEntity(entity);
      return true;
    } catch (e) {
      if (statusOf(e) === 412 || statusOf(e) === 409) return false;
      throw e;
    }
  }

  async updateRun(registry: string, kind: RunKind, change: (run: Run | undefined) => Run): Promise<Run> {
    const client = await this.tables.get('runs');
    return updateJsonRow(client, joinKey('run', registry), kind, RunSchema, change);
  }

  /** Adds a repository to a run; one already there (a catalog page listed twice) is kept as it is. */
  async addRepository(run: Pick<Run, 'registry' | 'kind' | 'id'>, repository: RunRepository): Promise<void> {
    const client = await this.tables.get('runs');
    try {
      await client.createEntity({ partitionKey: repositoriesKey(run), rowKey: escapeKey(repository.repository), ...packJson('json', repository) });
    } catch (e) {
      if (statusOf(e) !== 409) throw e;
    }
  }

  async repository(run: Pick<Run, 'registry' | 'kind' | 'id'>, repository: string): Promise<{ value: RunRepository; etag: string } | undefined> {
    const client = await this.tables.get('runs');
    return readJsonRow(client, repositoriesKey(run), escapeKey(repository), RunRepositorySchema);
  }

  /** Replaces the row read as `read` (its ETag); false when another unit changed it first. */
  async saveRepository(run: Pick<Run, 'registry' | 'kind' | 'id'>, next: RunRepository, read: { etag: string }): Promise<{ etag: string } | undefined> {
    const client = await this.tables.get('runs');
    try {
      const answer = await client.updateEntity(
        { partitionKey: repositoriesKey(run), rowKey: escapeKey(next.repository), ...packJson('json', next) },
        'Replace',
        { etag: read.etag },
      );
      return { etag: answer.etag ?? '' };
    } catch (e) {
      if (statusOf(e) === 412) return undefined;
      throw e;
    }
  }

  async repositories(run: Pick<Run, 'registry' | 'kind' | 'id'>): Promise<RunRepository[]> {
    const client = await this.tables.get('runs');
    const out: RunRepository[] = [];
    for await (const e of client.listEntities<Record<string, unknown>>({ queryOptions: { filter: odata`PartitionKey eq ${repositoriesKey(run)}` } }))
      out.push(unpackJson(client.tableName, e, 'json', RunRepositorySchema));
    return out;
  }

  /** Ingest's word that it processed one of the run's events; the same event twice is one row. */
  async markProcessed(
    registry: string,
    runId: string,
    eventId: string,
    outcome: { status: string; added: boolean; reason?: string; repository: string; tag?: string },
  ): Promise<void> {
    const client = await this.tables.get('runs');
    await client.upsertEntity(
      {
        partitionKey: joinKey('done', registry, runId),
        rowKey: escapeKey(eventId),
        status: outcome.status,
        added: outcome.added,
        repository: outcome.repository,
        ...(outcome.tag ? { tag: outcome.tag } : {}),
        ...(outcome.reason ? { reason: outcome.reason.slice(0, 1000) } : {}),
      },
      'Replace',
    );
  }

  /** How many of a run's events were processed, and the reasons of those that failed. */
  async processed(registry: string, runId: string): Promise<{ count: number; missed: number; errors: RunError[] }> {
    const client = await this.tables.get('runs');
    let count = 0;
    let missed = 0;
    const errors: RunError[] = [];
    const filter = odata`PartitionKey eq ${joinKey('done', registry, runId)}`;
    for await (const e of client.listEntities<Record<string, unknown>>({
      queryOptions: { filter, select: ['RowKey', 'status', 'added', 'reason', 'repository', 'tag', 'Timestamp'] },
    })) {
      count++;
      if (e.added === true) missed++;
      if ((e.status === 'error' || e.status === 'failed') && errors.length < MAX_RUN_ERRORS) {
        const text = (v: unknown) => (typeof v === 'string' ? v : '');
        errors.push({
          at: text(e.timestamp),
          repository: text(e.repository),
          ...(text(e.tag) ? { tag: text(e.tag) } : {}),
          reason: text(e.reason) || text(e.status),
        });
      }
    }
    return { count, missed, errors };
  }

  async reconcileState(registry: string): Promise<ReconcileState | undefined> {
    const client = await this.tables.get('runs');
    return (await readJsonRow(client, joinKey('run', registry), 'state', ReconcileStateSchema))?.value;
  }

  async updateReconcileState(registry: string, change: (s: ReconcileState | undefined) => ReconcileState): Promise<ReconcileState> {
    const client = await this.tables.get('runs');
    return updateJsonRow(client, joinKey('run', registry), 'state', ReconcileStateSchema, change);
  }

  /** ACR reconcile: where the last light run of each repository stopped. */
  async watermarks(registry: string): Promise<Map<string, string>> {
    const client = await this.tables.get('runs');
    const out = new Map<string, string>();
    for await (const e of client.listEntities<Record<string, unknown>>({ queryOptions: { filter: odata`PartitionKey eq ${joinKey('mark', registry)}` } }))
      out.set(unescapeKey(String(e.rowKey)), String(e.watermark));
    return out;
  }

  async setWatermark(registry: string, repository: string, watermark: string): Promise<void> {
    const client = await this.tables.get('runs');
    await client.upsertEntity({ partitionKey: joinKey('mark', registry), rowKey: escapeKey(repository), watermark }, 'Replace');
  }
}

function repositoriesKey(run: Pick<Run, 'registry' | 'kind' | 'id'>): string {
  return joinKey(run.kind, run.registry, run.id);
}
