import type { HttpHandler, HttpRequest, HttpResponseInit, InvocationContext } from '@azure/functions';
import { StorageUnavailableError } from '../adapters/storage';
import { StoredRecordError } from '../core/errors';
import type { DetailsOf, InternalError } from './contract/errors';
import { HttpProblem, problem } from './responses';

/** How long a client should wait before trying again after a storage outage answer. */
export const STORAGE_RETRY_AFTER_SECONDS = 5;

/** The 503 for a storage call that failed its tries: which kind of failure, and when to retry. */
export function storageUnavailable(e: StorageUnavailableError, details: Record<string, unknown> = {}): HttpResponseInit {
  return problem(503, `${e.message}; retry later`, { reason: e.kind, ...details }, { 'retry-after': String(STORAGE_RETRY_AFTER_SECONDS) });
}

/**
 * The 500 for a stored record that does not match its schema: retrying will not help,
 * so the answer names the record for whoever has to repair or remove it.
 */
function storedRecordProblem(e: StoredRecordError, invocationId: string): HttpResponseInit {
  return problem(500, e.message, {
    record: { table: e.table, partitionKey: e.partitionKey, rowKey: e.rowKey },
    issues: e.issues,
    invocationId,
  } satisfies DetailsOf<InternalError>);
}

/**
 * Wraps an HTTP handler so request problems thrown while parsing become their 4xx
 * answer, storage that cannot be reached or does not answer becomes a 503 with
 * Retry-After, a stored record that does not match its schema becomes a JSON 500 naming
 * it, and anything unexpected becomes a JSON 500 with the invocation id to quote, never
 * a stack trace.
 */
export function handle(fn: (request: HttpRequest, context: InvocationContext) => Promise<HttpResponseInit>): HttpHandler {
  return async (request, context) => {
    try {
      return await fn(request, context);
    } catch (e) {
      if (e instanceof HttpProblem) return e.response;
      if (e instanceof StorageUnavailableError) {
        context.warn(`answered 503: ${e.message}`);
        return storageUnavailable(e);
      }
      if (e instanceof StoredRecordError) {
        context.error(`answered 500: ${e.message}`);
        return storedRecordProblem(e, context.invocationId);
      }
      context.error(`unhandled error: ${(e as Error)?.stack ?? String(e)}`);
      return problem(500, 'internal error', { invocationId: context.invocationId } satisfies DetailsOf<InternalError>);
    }
  };
}
