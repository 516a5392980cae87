import { odata } from '@azure/data-tables';
import { StoredRecordError } from '../../core/errors';
import { escapeKey } from '../../core/keys';
import { StoredPolicySchema, type Policy, type StoredPolicy } from '../../core/policy';
import type { PolicyStore } from '../../services/policies';
import { readJsonRow, statusOf, unpackJson, packJson } from './entities';
import type { Tables } from './tables';

/** Per-repository alert policies, one row per pattern, partitioned by registry. */
export class PolicyTable implements PolicyStore {
  constructor(private readonly tables: Tables) {}

  async list(registry: string): Promise<StoredPolicy[]> {
    const client = await this.tables.get('policies');
    const out: StoredPolicy[] = [];
    for await (const e of client.listEntities<Record<string, unknown>>({ queryOptions: { filter: odata`PartitionKey eq ${escapeKey(registry)}` } })) {
      try {
        out.push(unpackJson(client.tableName, e, 'json', StoredPolicySchema));
      } catch (err) {
        // A row written by an older version that no longer validates is skipped, not fatal:
        // every push of the registry reads this list, and the defaults still apply.
        if (!(err instanceof StoredRecordError)) throw err;
      }
    }
    return out;
  }

  async get(registry: string, pattern: string): Promise<StoredPolicy | undefined> {
    const client = await this.tables.get('policies');
    return (await readJsonRow(client, escapeKey(registry), escapeKey(pattern), StoredPolicySchema))?.value;
  }

  async put(registry: string, pattern: string, policy: Policy, at: string): Promise<{ created: boolean; stored: StoredPolicy }> {
    const client = await this.tables.get('policies');
    // A row that no longer validates existed all the same: writing a valid policy over it is how it is repaired.
    const existed = await this.get(registry, pattern).then(
      (found) => found !== undefined,
      (e: unknown) => {
        if (e instanceof StoredRecordError) return true;
        throw e;
      },
    );
    const stored: StoredPolicy = { pattern, policy, updatedAt: at };
    await client.upsertEntity({ partitionKey: escapeKey(registry), rowKey: escapeKey(pattern), ...packJson('json', stored) }, 'Replace');
    return { created: !existed, stored };
  }

  async delete(registry: string, pattern: string): Promise<boolean> {
    const client = await this.tables.get('policies');
    try {
      await client.deleteEntity(escapeKey(registry), escapeKey(pattern));
      return true;
    } catch (e) {
      if (statusOf(e) === 404) return false;
      throw e;
    }
  }
}
