import { QueueClient } from '@azure/storage-queue';
import type { StorageConnection } from '../config';
import { encodeEventMessage, type RegistryEvent } from '../core/events';
import { EVENTS_QUEUE } from '../names';
import { boundedStorageCall, DEFAULT_STORAGE_RETRY, queueServiceClient, StorageUnavailableError, type StorageRetry } from './storage';

/**
 * What became of one event handed to the queue. `unknown` is a try that timed out or lost
 * its connection after sending: storage may have queued the message. Resending it is safe
 * (processing is idempotent), so callers treat it like `not_queued` and say which it was.
 */
export type EnqueueFailure = { event: RegistryEvent; outcome: 'not_queued' | 'unknown'; reason: string; error?: StorageUnavailableError };
export type EnqueueOutcome = { event: RegistryEvent; outcome: 'queued' } | EnqueueFailure;

/**
 * Sends to storage at once per process, whatever the number of deliveries: a burst opens at
 * most this many connections to the queue endpoint instead of one per event, each send
 * still bounded by its own tries.
 */
const MAX_SENDS_IN_FLIGHT = 64;
/** Time a delivery may spend queueing its events: ACR waits 5 s for the answer and never retries. */
export const DEFAULT_ENQUEUE_BUDGET_MS = 4_000;

/** Connection errors after which storage may or may not have taken the message. */
const AMBIGUOUS_CODES = new Set(['ECONNRESET', 'EPIPE', 'ESOCKETTIMEDOUT']);

function outcomeOf(event: RegistryEvent, e: unknown): EnqueueFailure {
  if (!(e instanceof StorageUnavailableError)) throw e;
  const cause = e.cause as { code?: unknown; statusCode?: unknown } | undefined;
  const ambiguous =
    e.kind === 'timeout' ||
    (typeof cause?.code === 'string' && AMBIGUOUS_CODES.has(cause.code)) ||
    (e.kind === 'unavailable' && cause?.statusCode !== 503 && cause?.statusCode !== 429);
  return { event, outcome: ambiguous ? 'unknown' : 'not_queued', reason: e.message, error: e };
}

/**
 * Hands registry events from the webhook to the queue trigger, one message per event,
 * and reports per event what happened. Every send is bounded (boundedStorageCall); a
 * delivery's events are sent concurrently, and those not started within its budget are
 * reported as not queued rather than holding the answer past what the sender waits.
 */
export class EventQueue {
  readonly #client: QueueClient;
  readonly #retry: StorageRetry;
  #created: Promise<unknown> | undefined;
  #inFlight = 0;
  readonly #waiting: (() => void)[] = [];

  constructor(conn: StorageConnection, queueName = EVENTS_QUEUE, retry: StorageRetry = DEFAULT_STORAGE_RETRY) {
    // Retries are boundedStorageCall's, with a timeout per try the SDK does not have.
    const service = queueServiceClient(conn, { retryOptions: { maxTries: 1 } });
    this.#client = service.getQueueClient(queueName);
    this.#retry = retry;
  }

  async enqueue(events: RegistryEvent[], { budgetMs = DEFAULT_ENQUEUE_BUDGET_MS }: { budgetMs?: number } = {}): Promise<EnqueueOutcome[]> {
    const deadline = Date.now() + budgetMs;
    try {
      this.#created ??= boundedStorageCall('queue', this.#retry, (abortSignal) => this.#client.createIfNotExists({ abortSignal })).catch((e: unknown) => {
        this.#created = undefined;
        throw e;
      });
      await this.#created;
    } catch (e) {
      // Nothing was sent: every event shares the one answer.
      return events.map((event): EnqueueFailure => ({ ...outcomeOf(event, e), outcome: 'not_queued' }));
    }
    return Promise.all(events.map((event) => this.#send(event, deadline, budgetMs)));
  }

  async #send(event: RegistryEvent, deadline: number, budgetMs: number): Promise<EnqueueOutcome> {
    const message = encodeEventMessage(event);
    if (!(await this.#slot(deadline))) {
      return { event, outcome: 'not_queued', reason: `not sent: the delivery's ${budgetMs} ms budget for queueing ran out first` };
    }
    try {
      await boundedStorageCall('queue', this.#retry, (abortSignal) => this.#client.sendMessage(message, { abortSignal }));
      return { event, outcome: 'queued' };
    } catch (e) {
      return outcomeOf(event, e);
    } finally {
      this.#release();
    }
  }

  /** Waits for a send slot until `deadline`; false when none came in time. */
  #slot(deadline: number): Promise<boolean> {
    if (this.#inFlight < MAX_SENDS_IN_FLIGHT) {
      this.#inFlight++;
      return Promise.resolve(true);
    }
    return new Promise((resolve) => {
      const grant = () => {
        clearTimeout(timer);
        this.#inFlight++;
        resolve(true);
      };
      const timer = setTimeout(
        () => {
          const i = this.#waiting.indexOf(grant);
          if (i >= 0) this.#waiting.splice(i, 1);
          resolve(false);
        },
        Math.max(0, deadline - Date.now()),
      );
      this.#waiting.push(grant);
    });
  }

  #release(): void {
    this.#inFlight--;
    this.#waiting.shift()?.();
  }
}
