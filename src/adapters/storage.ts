import { RestError, TableClient } from '@azure/data-tables';
import { DefaultAzureCredential, ManagedIdentityCredential, type TokenCredential } from '@azure/identity';
import { BlobServiceClient } from '@azure/storage-blob';
import { QueueServiceClient, type StoragePipelineOptions } from '@azure/storage-queue';
import type { StorageConnection } from '../config';
import { TransientError } from '../core/errors';

/** Builds Storage clients from a resolved connection. */

const credentials = new Map<string, TokenCredential>();

function credentialFor(conn: Extract<StorageConnection, { kind: 'identity' }>): TokenCredential {
  const key = `${conn.credential ?? ''}|${conn.clientId ?? ''}`;
  let credential = credentials.get(key);
  if (!credential) {
    credential =
      conn.credential?.toLowerCase() === 'managedidentity'
        ? new ManagedIdentityCredential(conn.clientId ? { clientId: conn.clientId } : {})
        : new DefaultAzureCredential(conn.clientId ? { managedIdentityClientId: conn.clientId } : {});
    credentials.set(key, credential);
  }
  return credential;
}

/** Azurite and other emulators are plain HTTP; the SDK refuses that unless told. */
function isHttp(conn: StorageConnection): boolean {
  if (conn.kind === 'identity') return conn.tableServiceUri.startsWith('http:');
  return conn.connectionString === 'UseDevelopmentStorage=true' || /(Endpoint=http:|DefaultEndpointsProtocol=http;)/i.test(conn.connectionString);
}

// ------------------------------------------------------------ bounded storage calls

/**
 * Every storage call is bounded: each try gets `tryTimeoutMs` (the SDKs have no client-side
 * timeout of their own, so a frozen storage endpoint would hold a request for ever), and
 * there are at most `maxTries`. With the defaults a call gives up after about 4.3 s: inside
 * ACR's 5 s wait for a webhook answer, and a read answers 503 instead of hanging.
 */
export interface StorageRetry {
  tryTimeoutMs: number;
  maxTries: number;
  /** Before the first retry; doubles for each further one. */
  retryDelayMs: number;
}

export const DEFAULT_STORAGE_RETRY: StorageRetry = { tryTimeoutMs: 2_000, maxTries: 2, retryDelayMs: 200 };

export type StorageService = 'table' | 'queue' | 'blob';
/** `timeout`: no answer in time; `unreachable`: no connection; `unavailable`: storage answered 5xx, 408 or 429. */
export type StorageUnavailability = 'timeout' | 'unreachable' | 'unavailable';

/** Storage could not serve a call within its tries: transient, so a retry later may succeed. */
export class StorageUnavailableError extends TransientError {
  constructor(
    readonly service: StorageService,
    readonly kind: StorageUnavailability,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, undefined, options);
    this.name = 'StorageUnavailableError';
  }
}

/** Set on a try that ran out of time, so the retry strategies see a retriable network error. */
const TRY_TIMED_OUT = 'ETIMEDOUT';
const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EPIPE',
  'ESOCKETTIMEDOUT',
  'REQUEST_SEND_ERROR',
]);

function failureOf(e: unknown): { code?: string; status?: number } {
  const err = e as { code?: unknown; statusCode?: unknown; cause?: unknown } | null;
  const code = typeof err?.code === 'string' ? err.code : undefined;
  const status = typeof err?.statusCode === 'number' ? err.statusCode : undefined;
  // Node wraps some socket errors (fetch-style "cause").
  if (!code && err?.cause) return { ...failureOf(err.cause), ...(status !== undefined ? { status } : {}) };
  return { ...(code ? { code } : {}), ...(status !== undefined ? { status } : {}) };
}

/** Whether another try could help: no answer, no connection, or storage said it is busy or failing. */
function isRetriable(e: unknown): boolean {
  const { code, status } = failureOf(e);
  if (code === TRY_TIMED_OUT || (code && NETWORK_CODES.has(code))) return true;
  return status !== undefined && (status >= 500 || status === 408 || status === 429);
}

/**
 * The error to raise for a call that failed its last try: StorageUnavailableError when
 * storage could not serve it, the original otherwise (404, 409, 412… are answers).
 */
export function asStorageFailure(e: unknown, service: StorageService, retry: StorageRetry): unknown {
  if (e instanceof StorageUnavailableError || !isRetriable(e)) return e;
  const { code, status } = failureOf(e);
  const tries = `${retry.maxTries} ${retry.maxTries === 1 ? 'try' : 'tries'}`;
  if (code === TRY_TIMED_OUT)
    return new StorageUnavailableError(service, 'timeout', `${service} storage did not answer within ${retry.tryTimeoutMs} ms (${tries})`, { cause: e });
  if (status === undefined)
    return new StorageUnavailableError(service, 'unreachable', `${service} storage is unreachable (${code ?? 'no connection'}, ${tries})`, { cause: e });
  const detail = (e as { code?: unknown }).code;
  return new StorageUnavailableError(
    service,
    'unavailable',
    `${service} storage answered ${status}${typeof detail === 'string' ? ` ${detail}` : ''} (${tries})`,
    { cause: e },
  );
}

/**
 * Runs `call` with a per-try timeout (its signal aborts the try) and up to maxTries tries,
 * for clients whose pipeline cannot take the policies below (the queue SDK).
 */
export async function boundedStorageCall<T>(service: StorageService, retry: StorageRetry, call: (abortSignal: AbortSignal) => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    const signal = AbortSignal.timeout(retry.tryTimeoutMs);
    try {
      return await call(signal);
    } catch (e) {
      const failure = signal.aborted ? Object.assign(new Error(`no answer within ${retry.tryTimeoutMs} ms`, { cause: e }), { code: TRY_TIMED_OUT }) : e;
      if (attempt >= retry.maxTries || !isRetriable(failure)) throw asStorageFailure(failure, service, retry);
      await new Promise((r) => setTimeout(r, retry.retryDelayMs * 2 ** (attempt - 1)));
    }
  }
}

type Pipeline = TableClient['pipeline'];
type PipelinePolicy = Parameters<Pipeline['addPolicy']>[0];

/** Inside the retry loop, next to the wire: aborts a try that takes too long, as a retriable error. */
function tryTimeoutPolicy(tryTimeoutMs: number): PipelinePolicy {
  return {
    name: 'acrsizeTryTimeout',
    async sendRequest(request, next) {
      const outer = request.abortSignal;
      const timer = new AbortController();
      const timeout = setTimeout(() => timer.abort(), tryTimeoutMs);
      request.abortSignal = outer ? AbortSignal.any([outer as AbortSignal, timer.signal]) : timer.signal;
      try {
        return await next(request);
      } catch (e) {
        if (timer.signal.aborted && !outer?.aborted) throw new RestError(`no answer within ${tryTimeoutMs} ms`, { code: TRY_TIMED_OUT, request });
        throw e;
      } finally {
        clearTimeout(timeout);
        // The retry policy checks the request's own signal after each try.
        request.abortSignal = outer;
      }
    },
  };
}

/** Outside the retry loop: what is left after the last try becomes a StorageUnavailableError. */
function outcomePolicy(service: StorageService, retry: StorageRetry): PipelinePolicy {
  return {
    name: 'acrsizeStorageOutcome',
    async sendRequest(request, next) {
      try {
        return await next(request);
      } catch (e) {
        throw asStorageFailure(e, service, retry);
      }
    },
  };
}

export function tableClient(conn: StorageConnection, tableName: string, retry: StorageRetry = DEFAULT_STORAGE_RETRY): TableClient {
  const options = {
    allowInsecureConnection: isHttp(conn),
    retryOptions: { maxRetries: retry.maxTries - 1, retryDelayInMs: retry.retryDelayMs, maxRetryDelayInMs: retry.retryDelayMs * 8 },
  };
  const client =
    conn.kind === 'connectionString'
      ? TableClient.fromConnectionString(conn.connectionString, tableName, options)
      : new TableClient(conn.tableServiceUri, tableName, credentialFor(conn), options);
  // After signing, so acquiring a managed-identity token is not cut short by the try timeout.
  client.pipeline.addPolicy(tryTimeoutPolicy(retry.tryTimeoutMs), { afterPhase: 'Sign' });
  // No phase: before deserialization and retries, so it sees the final outcome, 5xx answers included.
  client.pipeline.addPolicy(outcomePolicy('table', retry));
  return client;
}

export function queueServiceClient(conn: StorageConnection, options?: StoragePipelineOptions): QueueServiceClient {
  if (conn.kind === 'connectionString') return QueueServiceClient.fromConnectionString(conn.connectionString, options);
  return new QueueServiceClient(conn.queueServiceUri, credentialFor(conn), options);
}

/**
 * Blob Storage for records that outgrow a table entity (layer file indexes). The blob SDK
 * takes no custom policies either: callers bound each call with boundedStorageCall.
 */
export function blobServiceClient(conn: StorageConnection): BlobServiceClient {
  if (conn.kind === 'connectionString') return BlobServiceClient.fromConnectionString(conn.connectionString);
  if (!conn.blobServiceUri) throw new Error('AzureWebJobsStorage__blobServiceUri is not set (config validation requires it while LAYER_ANALYSIS is on)');
  return new BlobServiceClient(conn.blobServiceUri, credentialFor(conn));
}
