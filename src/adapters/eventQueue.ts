import { QueueClient } from '@azure/storage-queue';
import type { StorageConnection } from '../config';
import { encodeEventMessage, type RegistryEvent } from '../core/events';
import { EVENTS_QUEUE } from '../names';
import { queueServiceClient } from './storage';

/**
 * Hands registry events from the webhook to the queue trigger. ACR waits at most 5 s for
 * the webhook's answer and never retries, so the SDK's retries are bounded well inside
 * that: a storage outage becomes a fast 503, not a timeout ACR logs as 504.
 */
const ENQUEUE_DEADLINE_MS = 4_000;

export class EventQueue {
  readonly #client: QueueClient;
  #created: Promise<unknown> | undefined;

  constructor(conn: StorageConnection, queueName = EVENTS_QUEUE) {
    const service = queueServiceClient(conn, { retryOptions: { maxTries: 3, retryDelayInMs: 100, maxRetryDelayInMs: 500, tryTimeoutInMs: 1_500 } });
    this.#client = service.getQueueClient(queueName);
  }

  async enqueue(events: RegistryEvent[]): Promise<void> {
    const abortSignal = AbortSignal.timeout(ENQUEUE_DEADLINE_MS);
    this.#created ??= this.#client.createIfNotExists({ abortSignal }).catch((e: unknown) => {
      this.#created = undefined;
      throw e;
    });
    await this.#created;
    await Promise.all(events.map((e) => this.#client.sendMessage(encodeEventMessage(e), { abortSignal })));
  }
}
