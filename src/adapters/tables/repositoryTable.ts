import { odata } from '@azure/data-tables';
import { escapeKey } from '../../core/keys';
import { RepositoryListingSchema, RepositorySummarySchema, type RepositorySummary } from '../../core/repository';
import type { RepositoryPage, RepositoryPageQuery } from '../../services/queries';
import { readJsonRow, unpackJson, updateJsonRow } from './entities';
import type { Tables } from './tables';

/** One row per tracked repository, partitioned by registry, for the repositories listing. */
export class RepositoryTable {
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
        repositories.push(unpackJson(client.tableName, e, 'json', RepositoryListingSchema));
        last = String(e.rowKey);
      }
      if (repositories.length > 0 || !page.continuationToken) return { repositories, last, more: page.continuationToken !== undefined };
    }
    return { repositories, last, more: false };
  }

  async update(
    registry: string,
    repository: string,
    at: string,
    change: (s: RepositorySummary) => RepositorySummary | Promise<RepositorySummary>,
  ): Promise<RepositorySummary> {
    const client = await this.tables.get('repositories');
    return updateJsonRow(client, escapeKey(registry), escapeKey(repository), RepositorySummarySchema, (current) =>
      change(current ?? { registry, repository, firstSeenAt: at, latestByPlatform: {} }),
    );
  }
}
