import type { QueueClient } from '@azure/storage-queue';
import type { StorageConnection } from '../config';
import { EVENTS_POISON_QUEUE } from '../names';
import { queueServiceClient } from './storage';

/**
 * The events trigger's own way to the poison queue, for messages it refuses outright
 * (retrying cannot make them valid or allowed). The host moves exhausted messages there itself.
 */
export class PoisonQueue {
  readonly #client: QueueClient;
  #created: Promise<unknown> | undefined;

  constructor(conn: StorageConnection, queueName = EVENTS_POISON_QUEUE) {
    this.#client = queueServiceClient(conn).getQueueClient(queueName);
  }

  async send(message: unknown): Promise<void> {
    this.#created ??= this.#client.createIfNotExists().catch((e: unknown) => {
      this.#created = undefined;
      throw e;
    });
    await this.#created;
    // Base64, like every message the host reads (host.json messageEncoding).
    await this.#client.sendMessage(Buffer.from(typeof message === 'string' ? message : JSON.stringify(message)).toString('base64'));
  }
}
