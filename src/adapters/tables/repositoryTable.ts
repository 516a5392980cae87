import { odata } from '@azure/data-tables';
import { escapeKey } from '../../core/keys';
import { RepositorySummarySchema, type RepositorySummary } from '../../core/repository';
import type { RepositoryPage, RepositoryPageQuery } from '../../services/queries';
import { readJsonRow, unpackJson, updateJsonRow } from './entities';
import type { Tables } from './tables';

type Change = (s: RepositorySummary) => RepositorySummary | Promise<RepositorySummary>;

interface Batch {
  at: string;
  changes: { change: Change; done: (result: RepositorySummary | Error) => void }[];
}

/** Rows whose last known ETag is kept: a repository pushed to again writes without reading first. */
const KNOWN_ROWS = 1000;

/**
 * One row per tracked repository, partitioned by registry, for the repositories listing.
 *
 * Every push changes its repository's row, so a burst of pushes to one repository would
 * meet on it: each instance runs one update of a row at a time, and the changes that
 * arrive meanwhile are applied together in the next (one read-modify-write for all, in
 * arrival order), so concurrent events of an instance never race each other for the ETag.
 * The last ETag this instance wrote or read is kept, so the next update writes without
 * reading first; when another instance changed the row since, the write fails (412) and
 * the row is read again, as any conflict is.
 */
export class RepositoryTable {
  readonly #known = new Map<string, { value: RepositorySummary; etag: string }>();
  readonly #waiting = new Map<string, Batch>();
  readonly #running = new Map<string, Promise<void>>();

  constructor(private readonly tables: Tables) {}

  async get(registry: string, repository: string): Promise<RepositorySummary | undefined> {
    const client = await this.tables.get('repositories');
    return (await readJsonRow(client, escapeKey(registry), escapeKey(repository), RepositorySummarySchema))?.value;
  }

  /** One table request per page, in key order (the escaped repository name). */
  async list(registry: string, q: RepositoryPageQuery): Promise<RepositoryPage> {
    const client = await this.tables.get('repositories');
    let filter = odata`PartitionKey eq ${escapeKey(registry)}`;
    if (q.after) filter += odata` and RowKey gt ${q.after}`;
    const repositories: RepositoryPage['repositories'] = [];
    let last: string | undefined;
    for await (const page of client.listEntities<Record<string, unknown>>({ queryOptions: { filter } }).byPage({ maxPageSize: q.limit })) {
      for (const e of page) {
        repositories.push(unpackJson(client.tableName, e, 'json', RepositorySummarySchema));
        last = String(e.rowKey);
      }
      if (repositories.length > 0 || !page.continuationToken) return { repositories, last, more: page.continuationToken !== undefined };
    }
    return { repositories, last, more: false };
  }

  remembered(registry: string, repository: string): RepositorySummary | undefined {
    return this.#known.get(`${escapeKey(registry)}|${escapeKey(repository)}`)?.value;
  }

  /** @returns the row after the update that applied `change` (with the changes applied alongside it). */
  update(registry: string, repository: string, at: string, change: Change): Promise<RepositorySummary> {
    const key = `${escapeKey(registry)}|${escapeKey(repository)}`;
    return new Promise((resolve, reject) => {
      let batch = this.#waiting.get(key);
      if (!batch) {
        const next: Batch = { at, changes: [] };
        batch = next;
        this.#waiting.set(key, next);
        const run = (this.#running.get(key) ?? Promise.resolve()).then(() => this.#apply(key, registry, repository, next));
        this.#running.set(key, run);
        void run.then(() => {
          if (this.#running.get(key) === run) this.#running.delete(key);
        });
      }
      if (at < batch.at) batch.at = at;
      batch.changes.push({ change, done: (r) => (r instanceof Error ? reject(r) : resolve(r)) });
    });
  }

  /** Never rejects: each caller is told its own outcome, and the next batch of the row still runs. */
  async #apply(key: string, registry: string, repository: string, batch: Batch): Promise<void> {
    // Changes that arrive from now on wait for the next update: this one may already have read the row.
    this.#waiting.delete(key);
    try {
      const client = await this.tables.get('repositories');
      const known = this.#known.get(key);
      const result = await updateJsonRow(
        client,
        escapeKey(registry),
        escapeKey(repository),
        RepositorySummarySchema,
        async (current) => {
          let s = current ?? { registry, repository, firstSeenAt: batch.at, latestByPlatform: {} };
          for (const { change } of batch.changes) s = await change(s);
          return s;
        },
        undefined,
        known ? { row: known, remembered: true } : undefined,
        (row) => this.#remember(key, row),
      );
      for (const { done } of batch.changes) done(result);
    } catch (e) {
      this.#known.delete(key);
      for (const { done } of batch.changes) done(e instanceof Error ? e : new Error(String(e)));
    }
  }

  #remember(key: string, row: { value: RepositorySummary; etag: string }): void {
    this.#known.delete(key);
    this.#known.set(key, row);
    if (this.#known.size > KNOWN_ROWS) this.#known.delete(this.#known.keys().next().value!);
  }
}
