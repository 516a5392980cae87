import type { TableClient } from '@azure/data-tables';
import type { StorageConnection } from '../../config';
import { TABLES } from '../../names';
import { DEFAULT_STORAGE_RETRY, tableClient, type StorageRetry } from '../storage';
import { statusOf } from './entities';

export type TableName = keyof typeof TABLES;

/**
 * One client per table, created once per process; each table is created on first use
 * (idempotent), so a fresh storage account or Azurite needs no set-up step.
 */
export class Tables {
  readonly #clients = new Map<TableName, TableClient>();
  readonly #ready = new Map<TableName, Promise<void>>();

  constructor(
    private readonly conn: StorageConnection,
    private readonly retry: StorageRetry = DEFAULT_STORAGE_RETRY,
  ) {}

  async get(name: TableName): Promise<TableClient> {
    let client = this.#clients.get(name);
    if (!client) {
      client = tableClient(this.conn, TABLES[name], this.retry);
      this.#clients.set(name, client);
    }
    let ready = this.#ready.get(name);
    if (!ready) {
      ready = client.createTable().catch((e: unknown) => {
        if (statusOf(e) === 409) return;
        this.#ready.delete(name);
        throw e;
      });
      this.#ready.set(name, ready);
    }
    await ready;
    return client;
  }
}
