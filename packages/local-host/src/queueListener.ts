import type { QueueClient, DequeuedMessageItem } from '@azure/storage-queue';
import type { FunctionRegistration } from './functionsCore';
import type { QueuesOptions } from './hostJson';
import type { Invoker } from './invoke';
import { describeError, timestamped, type LogSink } from './log';
import { resolveAppSettingReferences } from './settings';
import { queueServiceClient, resolveQueueConnection } from './storageConnection';
import { text as asText } from './text';

/**
 * Runs a `queueTrigger` function with the Storage queues extension's semantics:
 * batches of `batchSize`, a new batch once in-flight work drops to `newBatchThreshold`,
 * exponential back-off up to `maxPollingInterval` while the queue is empty, and
 * `maxDequeueCount` attempts before a message is moved to `<queue>-poison`.
 */

/**
 * How long a fetched message stays hidden while it is processed, renewed halfway for long
 * runs: ten minutes, as the Functions host does. A host killed mid-invocation leaves its
 * messages hidden that long; `LOCAL_HOST_QUEUE_LEASE_SECONDS` shortens it (tests of what a
 * crash leaves behind do), and is local to this host: Azure has no such setting.
 */
const DEFAULT_PROCESSING_VISIBILITY_S = 10 * 60;

function processingVisibility(env: NodeJS.ProcessEnv): number {
  const text = env.LOCAL_HOST_QUEUE_LEASE_SECONDS;
  if (text === undefined || text === '') return DEFAULT_PROCESSING_VISIBILITY_S;
  const n = Number(text);
  if (!Number.isInteger(n) || n < 2 || n > 7 * 24 * 3600)
    throw new Error(`LOCAL_HOST_QUEUE_LEASE_SECONDS: "${text}" is not a whole number of seconds from 2 to 604800`);
  return n;
}
const MIN_POLL_MS = 100;
const STOP_RECEIVE_GRACE_MS = 5_000;
const QUEUE_NAME = /^(?=.{3,63}$)[a-z0-9](?:[a-z0-9]|-(?!-))*[a-z0-9]$/;

export interface QueueListenerOptions {
  fn: FunctionRegistration;
  invoke: Invoker;
  queues: QueuesOptions;
  sink: LogSink;
  env?: NodeJS.ProcessEnv;
}

function decodeBase64(text: string): string | undefined {
  // Like .NET's Convert.FromBase64String: whitespace is ignored, anything else must be base64.
  const s = text.replace(/\s+/g, '');
  if (s.length % 4 !== 0 || !/^[A-Za-z0-9+/]*={0,2}$/.test(s)) return undefined;
  return Buffer.from(s, 'base64').toString('utf8');
}

/** The host hands Node an object only for JSON objects and arrays; anything else stays a string. */
function toInput(text: string): unknown {
  const t = text.trim();
  if ((t.startsWith('{') && t.endsWith('}')) || (t.startsWith('[') && t.endsWith(']'))) {
    try {
      return JSON.parse(t);
    } catch {
      // Not JSON after all: pass the text.
    }
  }
  return text;
}

function isQueueNotFound(err: unknown): boolean {
  const e = err as { statusCode?: number; code?: string };
  return e?.statusCode === 404 || e?.code === 'QueueNotFound';
}

export class QueueListener {
  readonly queueName: string;
  readonly poisonQueueName: string;
  readonly fn: FunctionRegistration;
  readonly #invoke: Invoker;
  readonly #opts: QueuesOptions;
  readonly #lease: number;
  readonly #sink: LogSink;
  readonly #queue: QueueClient;
  readonly #receiver: QueueClient;
  readonly #poison: QueueClient;
  readonly #inFlight = new Set<Promise<void>>();
  #stopped = false;
  #wake?: () => void;
  #loop?: Promise<void>;
  #lastPollError?: string;
  readonly #abort = new AbortController();

  constructor(opts: QueueListenerOptions) {
    const env = opts.env ?? process.env;
    this.fn = opts.fn;
    this.#invoke = opts.invoke;
    this.#opts = opts.queues;
    this.#lease = processingVisibility(env);
    this.#sink = opts.sink;
    const where = `function "${opts.fn.name}" queueName`;
    this.queueName = resolveAppSettingReferences(asText(opts.fn.trigger.queueName ?? ''), env, where);
    if (!QUEUE_NAME.test(this.queueName)) {
      throw new Error(`${where}: "${this.queueName}" is not a valid queue name (3-63 lowercase letters, digits and single hyphens)`);
    }
    this.poisonQueueName = `${this.queueName}-poison`;
    const connection = typeof opts.fn.trigger.connection === 'string' && opts.fn.trigger.connection ? opts.fn.trigger.connection : 'AzureWebJobsStorage';
    let conn;
    try {
      conn = resolveQueueConnection(connection, env);
    } catch (e) {
      throw new Error(`Function "${opts.fn.name}" connection "${connection}": ${(e as Error).message}`, { cause: e });
    }
    const service = queueServiceClient(conn);
    this.#queue = service.getQueueClient(this.queueName);
    this.#poison = service.getQueueClient(this.poisonQueueName);
    // The poll loop is the retry for receives: an SDK retrying a dead endpoint for half a
    // minute would only delay the next poll and a clean stop. Settling a message keeps the
    // SDK's retries, since a lost delete means processing it again.
    this.#receiver = queueServiceClient(conn, { retryOptions: { maxTries: 1 } }).getQueueClient(this.queueName);
  }

  start(): void {
    this.#loop ??= this.#poll();
  }

  /** Stops fetching, then waits for the messages already being processed. */
  async stop(): Promise<void> {
    this.#stopped = true;
    this.#wake?.();
    // A receive normally takes milliseconds; only abandon one stuck in the SDK's retries
    // (storage unreachable), since aborting a successful receive hides its messages for 10 minutes.
    const abandon = setTimeout(() => this.#abort.abort(), STOP_RECEIVE_GRACE_MS);
    await this.#loop;
    clearTimeout(abandon);
    await Promise.allSettled([...this.#inFlight]);
  }

  #log(level: 'information' | 'warning' | 'error', message: string): void {
    this.#sink(level, timestamped(message));
  }

  async #poll(): Promise<void> {
    let delay = MIN_POLL_MS;
    while (!this.#stopped) {
      if (this.#inFlight.size > this.#opts.newBatchThreshold) {
        await this.#waitFor(Promise.race(this.#inFlight));
        continue;
      }
      // Messages fetched while stopping are still processed: they are already hidden for 10 minutes.
      const messages = await this.#receive();
      if (messages.length > 0) {
        delay = MIN_POLL_MS;
        for (const message of messages) this.#track(this.#process(message));
        continue;
      }
      await this.#waitFor(new Promise((resolve) => setTimeout(resolve, delay).unref()));
      delay = Math.min(delay * 2, this.#opts.maxPollingIntervalMs);
    }
  }

  async #receive(): Promise<DequeuedMessageItem[]> {
    try {
      const response = await this.#receiver.receiveMessages({
        numberOfMessages: this.#opts.batchSize,
        visibilityTimeout: this.#lease,
        abortSignal: this.#abort.signal,
      });
      this.#lastPollError = undefined;
      return response.receivedMessageItems;
    } catch (err) {
      // A queue nobody has written to yet does not exist; that is just an empty queue.
      if (!isQueueNotFound(err) && !this.#abort.signal.aborted) {
        const text = (err as Error)?.message ?? String(err);
        if (text !== this.#lastPollError) this.#log('warning', `Polling queue '${this.queueName}' for function '${this.fn.name}' failed: ${text}`);
        this.#lastPollError = text;
      }
      return [];
    }
  }

  /** Resolves when `work` settles or stop() is called, whichever is first. */
  async #waitFor(work: Promise<unknown>): Promise<void> {
    await new Promise<void>((resolve) => {
      this.#wake = resolve;
      work.then(
        () => resolve(),
        () => resolve(),
      );
    });
    this.#wake = undefined;
  }

  #track(work: Promise<void>): void {
    this.#inFlight.add(work);
    void work.finally(() => this.#inFlight.delete(work));
  }

  async #process(message: DequeuedMessageItem): Promise<void> {
    const { messageId } = message;
    let popReceipt = message.popReceipt;
    // Keeps the message hidden while a long invocation runs; each update yields a new pop receipt.
    let renewing: Promise<void> = Promise.resolve();
    const renewal = setInterval(
      () => {
        renewing = renewing.then(async () => {
          try {
            const r = await this.#queue.updateMessage(messageId, popReceipt, undefined, this.#lease);
            popReceipt = r.popReceipt ?? popReceipt;
          } catch (err) {
            this.#log('warning', `Could not extend the visibility of message '${messageId}' on '${this.queueName}': ${(err as Error).message}`);
          }
        });
      },
      (this.#lease * 1000) / 2,
    );
    renewal.unref();
    const settle = async () => {
      clearInterval(renewal);
      await renewing;
    };

    try {
      let text = message.messageText;
      if (this.#opts.messageEncoding === 'base64') {
        const decoded = decodeBase64(text);
        if (decoded === undefined) {
          await settle();
          await this.#moveToPoison(message, popReceipt, 'the message is not valid base64 (host.json extensions.queues.messageEncoding is "base64")');
          return;
        }
        text = decoded;
      }
      const triggerMetadata = {
        queueTrigger: text,
        id: messageId,
        dequeueCount: message.dequeueCount,
        insertionTime: message.insertedOn.toISOString(),
        expirationTime: message.expiresOn.toISOString(),
        nextVisibleTime: message.nextVisibleOn.toISOString(),
        popReceipt,
      };
      let failure: unknown;
      try {
        await this.#invoke(this.fn, { input: toInput(text), reason: `New queue message detected on '${this.queueName}'.`, triggerMetadata });
      } catch (err) {
        failure = err;
      }
      await settle();
      if (failure === undefined) {
        await this.#queue.deleteMessage(messageId, popReceipt);
      } else if (message.dequeueCount >= this.#opts.maxDequeueCount) {
        await this.#moveToPoison(message, popReceipt, failure instanceof Error ? failure.message : asText(failure));
      } else {
        await this.#queue.updateMessage(messageId, popReceipt, undefined, Math.round(this.#opts.visibilityTimeoutMs / 1000));
      }
    } catch (err) {
      // Storage trouble while completing: the message reappears after its visibility timeout.
      await settle();
      this.#log('error', `Function '${this.fn.name}': could not complete message '${messageId}' on '${this.queueName}': ${describeError(err)}`);
    }
  }

  async #moveToPoison(message: DequeuedMessageItem, popReceipt: string, reason: string): Promise<void> {
    await this.#poison.createIfNotExists();
    // The original text, still encoded, so the poison queue holds exactly what was sent.
    await this.#poison.sendMessage(message.messageText);
    await this.#queue.deleteMessage(message.messageId, popReceipt);
    this.#log(
      'error',
      `Function '${this.fn.name}': message '${message.messageId}' (dequeue count ${message.dequeueCount}) moved to poison queue '${this.poisonQueueName}': ${reason}`,
    );
  }
}
