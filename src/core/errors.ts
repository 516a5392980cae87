/**
 * Two kinds of failure, because they need opposite handling: a transient one must
 * throw so the queue retries the message; a permanent one must be recorded and the
 * message completed, or it would be retried until it lands in the poison queue for
 * nothing.
 */

export class TransientError extends Error {
  constructor(
    message: string,
    readonly status?: number,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'TransientError';
  }
}

export class PermanentError extends Error {
  constructor(
    message: string,
    readonly status?: number,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'PermanentError';
  }
}

/**
 * A row read back from Table Storage that does not match the schema of what is written
 * there (a manual edit, a bug, a version that wrote another shape): reported with where
 * it is and what is wrong, never used as if it were right. A retry meets it again until
 * the row is fixed.
 */
export class StoredRecordError extends Error {
  override readonly name = 'StoredRecordError';
  constructor(
    readonly table: string,
    readonly partitionKey: string,
    readonly rowKey: string,
    readonly issues: string,
  ) {
    super(`stored record in ${table} (PartitionKey "${partitionKey}", RowKey "${rowKey}") does not match its schema: ${issues}`);
  }
}

/** 404 and auth failures will not fix themselves; throttling, timeouts and 5xx may. */
export function isTransientStatus(status: number): boolean {
  return status === 408 || status === 429 || status >= 500;
}
