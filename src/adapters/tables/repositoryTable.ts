import { odata } from '@azure/data-tables';
import { escapeKey } from '../../core/keys';
import { RepositorySummarySchema, type RepositorySummary } from '../../core/repository';
import { readJsonRow, unpackJson, updateJsonRow } from './entities';
import type { Tables } from './tables';

/** One row per tracked repository, partitioned by registry, for the repositories listing. */
export class RepositoryTable {
  constructor(private readonly tables: Tables) {}

  async get(registry: string, repository: string): Promise<RepositorySummary | undefined> {
    const client = await this.tables.get('repositories');
    return (await readJsonRow(client, escapeKey(registry), escapeKey(repository), RepositorySummarySchema))?.value;
  }

  async list(registry: string): Promise<RepositorySummary[]> {
    const client = await this.tables.get('repositories');
    const out: RepositorySummary[] = [];
    for await (const e of client.listEntities<Record<string, unknown>>({ queryOptions: { filter: odata`PartitionKey eq ${escapeKey(registry)}` } })) {
      out.push(unpackJson(client.tableName, e, 'json', RepositorySummarySchema));
    }
    return out;
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
