import type { IncomingMessage } from 'node:http';

/**
 * Reading a request body against the host's size limit: whole before the invocation
 * without HTTP streams, or as the handler pulls it with them, and what to do with the
 * rest when the handler answers without reading it all.
 */

type BodyResult = { body: Buffer } | { tooLarge: true };

/** Buffers the body up to `limit` bytes; stops reading as soon as it is known to be larger. */
export function readBody(req: IncomingMessage, limit: number): Promise<BodyResult> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > limit) return Promise.resolve({ tooLarge: true });
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        req.off('data', onData);
        chunks.length = 0;
        resolve({ tooLarge: true });
        return;
      }
      chunks.push(chunk);
    };
    req.on('data', onData);
    req.once('end', () => resolve({ body: Buffer.concat(chunks) }));
    req.once('error', reject);
  });
}

/** Raised into a streamed body that grows past the limit; the host answers 413 for it. */
export class RequestBodyTooLargeError extends Error {
  constructor(readonly limit: number) {
    super(`The request body exceeds the limit of ${limit} bytes`);
    this.name = 'RequestBodyTooLargeError';
  }
}

export interface StreamState {
  tooLarge: boolean;
  /** The body was read to its end. */
  ended: boolean;
}

/**
 * The request body as a web stream that reads from the socket only when the handler
 * pulls (no read-ahead beyond Node's own small buffer), counting bytes against the limit.
 */
export function streamBody(req: IncomingMessage, limit: number, state: StreamState): ReadableStream<Uint8Array> {
  let received = 0;
  req.pause();
  // 'end' can come right behind the last 'data', between two pulls (the whole body was
  // buffered before the handler began to read): a listener of one pull would miss it.
  req.once('end', () => {
    state.ended = true;
  });
  return new ReadableStream<Uint8Array>(
    {
      pull(controller) {
        return new Promise<void>((resolve) => {
          if (state.ended) {
            controller.close();
            return resolve();
          }
          const settle = () => {
            req.off('data', onData);
            req.off('end', onEnd);
            req.off('error', onError);
            req.pause();
            resolve();
          };
          const onData = (chunk: Buffer) => {
            received += chunk.length;
            if (received > limit) {
              state.tooLarge = true;
              controller.error(new RequestBodyTooLargeError(limit));
            } else {
              controller.enqueue(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength));
            }
            settle();
          };
          const onEnd = () => {
            state.ended = true;
            controller.close();
            settle();
          };
          const onError = (err: Error) => {
            controller.error(err);
            settle();
          };
          req.on('data', onData);
          req.once('end', onEnd);
          req.once('error', onError);
          req.resume();
        });
      },
    },
    { highWaterMark: 0 },
  );
}

/** After answering without the whole body: for how long, and how much, the rest is read and dropped before the connection is closed. */
const DRAIN_BYTES = 256 * 1024 * 1024;
const DRAIN_MS = 2_000;

/**
 * The function answered before reading the whole body (a refused request, typically).
 * Closing a socket with unread data sends a reset, and a reset makes the client's kernel
 * discard the answer it has not read yet: with megabytes of the body already in flight,
 * cutting off after a little reading loses the 401 or 413. So, like nginx's lingering
 * close, the rest is read and dropped (nothing is kept) until the client stops, for at
 * most 2 s and 256 MiB, and only then is the connection cut.
 */
export function dropRestOfBody(req: IncomingMessage): void {
  if (req.destroyed) return;
  // A connection whose sending side was ended after the answer closes once nothing is left unread.
  const closeIfEnded = () => void (req.socket.writable ? undefined : req.socket.destroy());
  if (req.complete) return closeIfEnded();
  let dropped = 0;
  const cut = () => req.socket.destroy();
  const timer = setTimeout(cut, DRAIN_MS);
  timer.unref();
  req.on('data', (chunk: Buffer) => {
    dropped += chunk.length;
    if (dropped > DRAIN_BYTES) cut();
  });
  req.once('end', () => {
    clearTimeout(timer);
    closeIfEnded();
  });
  req.once('close', () => clearTimeout(timer));
  req.resume();
}
