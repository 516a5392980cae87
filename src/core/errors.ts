/**
 * Two kinds of failure, because they need opposite handling: a transient one must
 * throw so the queue retries the message; a permanent one must be recorded and the
 * message completed, or it would be retried until it lands in the poison queue for
 * nothing.
 */

export class TransientError extends Error {
  constructor(message: string, readonly status?: number, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'TransientError';
  }
}

export class PermanentError extends Error {
  constructor(message: string, readonly status?: number, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'PermanentError';
  }
}

/** 404 and auth failures will not fix themselves; throttling, timeouts and 5xx may. */
export function isTransientStatus(status: number): boolean {
  return status === 408 || status === 429 || status >= 500;
}
