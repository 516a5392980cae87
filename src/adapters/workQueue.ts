import type { QueueClient } from '@azure/storage-queue';
import type { StorageConnection } from '../config';
import { queueServiceClient } from './storage';

/**
 * A queue of JSON work messages for one of the app's own queue triggers, optionally
 * hidden for a while (Storage queues' visibility timeout on send): the settle delay of an
 * alert evaluation, the back-off of a delivery retry.
 */
export class WorkQueue<T> {
  readonly #client: QueueClient;
  #created: Promise<unknown> | undefined;

  constructor(
    conn: StorageConnection,
    readonly name: string,
  ) {
    this.#client = queueServiceClient(conn, {
      retryOptions: { maxTries: 3, retryDelayInMs: 200, maxRetryDelayInMs: 2_000, tryTimeoutInMs: 10_000 },
    }).getQueueClient(name);
  }

  async send(message: T, delaySeconds = 0): Promise<void> {
    this.#created ??= this.#client.createIfNotExists().catch((e: unknown) => {
      this.#created = undefined;
      throw e;
    });
    await this.#created;
    // Base64, as the Functions host decodes queue messages by default (host.json messageEncoding).
    await this.#client.sendMessage(Buffer.from(JSON.stringify(message)).toString('base64'), {
      // Storage caps the visibility timeout at 7 days.
      visibilityTimeout: Math.min(Math.max(0, Math.ceil(delaySeconds)), 7 * 24 * 3600),
    });
  }
}
