import { QueueClient } from '@azure/storage-queue';
import type { StorageConnection } from '../config';
import { encodeEventMessage, type RegistryEvent } from '../core/events';
import { EVENTS_QUEUE } from '../names';
import { boundedStorageCall, DEFAULT_STORAGE_RETRY, queueServiceClient, type StorageRetry } from './storage';

/**
 * Hands registry events from the webhook to the queue trigger. ACR waits at most 5 s for
 * the webhook's answer and never retries, so every call is bounded well inside that
 * (boundedStorageCall): a storage outage becomes a fast 503, not a timeout ACR logs as 504.
 */
export class EventQueue {
  readonly #client: QueueClient;
  readonly #retry: StorageRetry;
  #created: Promise<unknown> | undefined;

  constructor(conn: StorageConnection, queueName = EVENTS_QUEUE, retry: StorageRetry = DEFAULT_STORAGE_RETRY) {
    // Retries are boundedStorageCall's, with a timeout per try the SDK does not have.
    const service = queueServiceClient(conn, { retryOptions: { maxTries: 1 } });
    this.#client = service.getQueueClient(queueName);
    this.#retry = retry;
  }

  async enqueue(events: RegistryEvent[]): Promise<void> {
    this.#created ??= boundedStorageCall('queue', this.#retry, (abortSignal) => this.#client.createIfNotExists({ abortSignal })).catch((e: unknown) => {
      this.#created = undefined;
      throw e;
    });
    await this.#created;
    await Promise.all(events.map((e) => boundedStorageCall('queue', this.#retry, (abortSignal) => this.#client.sendMessage(encodeEventMessage(e), { abortSignal }))));
  }
}
