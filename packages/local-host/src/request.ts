import type { IncomingMessage } from 'node:http';
import { HttpRequest, type HttpRequestInit } from '@azure/functions';

/**
 * The `HttpRequest` a handler receives, built with the library's public constructor.
 * Its `HttpRequestInit` takes the body as bytes or a string, which is how the worker hands
 * a buffered body over. A streamed body (HTTP streams) must reach the handler as the
 * stream itself, which the public init cannot carry: a `StreamedHttpRequest` then pairs a
 * bodiless `HttpRequest`, which derives method, URL, headers, query and user the library's
 * way, with a web `Request` that reads the body only as the handler pulls it.
 */

export interface RequestHead {
  method: string;
  url: URL;
  headers: Record<string, string>;
}

/** Headers as the client sent them; a repeated header becomes one comma-joined value, as `Headers` joins it. */
export function requestHead(req: IncomingMessage, url: URL): RequestHead {
  // No prototype, so a header named "__proto__" or "constructor" is just a header.
  const headers = Object.create(null) as Record<string, string>;
  for (let i = 0; i + 1 < req.rawHeaders.length; i += 2) {
    const name = req.rawHeaders[i]!.toLowerCase();
    const value = req.rawHeaders[i + 1]!;
    headers[name] = Object.hasOwn(headers, name) ? `${headers[name]}, ${value}` : value;
  }
  return { method: (req.method ?? 'GET').toUpperCase(), url, headers };
}

function init(head: RequestHead): HttpRequestInit {
  // No `query`: the library then reads it from the URL, keeping repeated parameters.
  return { method: head.method, url: head.url.toString(), headers: head.headers, params: {} };
}

export function bufferedRequest(head: RequestHead, body: Buffer | undefined): HttpRequest {
  return new HttpRequest({ ...init(head), ...(body ? { body: { bytes: body } } : {}) });
}

export class StreamedHttpRequest implements HttpRequest {
  readonly #head: HttpRequest;
  readonly #body: Request;

  constructor(head: HttpRequest, body: Request) {
    this.#head = head;
    this.#body = body;
  }

  static from(head: RequestHead, body: ReadableStream<Uint8Array> | undefined): StreamedHttpRequest {
    // `duplex: 'half'` is what lets a Request take a stream body.
    const native = new Request(head.url, { method: head.method, headers: head.headers, body, ...(body ? { duplex: 'half' } : {}) });
    return new StreamedHttpRequest(new HttpRequest(init(head)), native);
  }

  get method(): string {
    return this.#head.method;
  }
  get url(): string {
    return this.#head.url;
  }
  get headers(): Headers {
    return this.#head.headers;
  }
  get query(): URLSearchParams {
    return this.#head.query;
  }
  get params(): Record<string, string> {
    return this.#head.params;
  }
  get user(): HttpRequest['user'] {
    return this.#head.user;
  }
  get body(): HttpRequest['body'] {
    return this.#body.body as HttpRequest['body'];
  }
  get bodyUsed(): boolean {
    return this.#body.bodyUsed;
  }
  readonly arrayBuffer = (): Promise<ArrayBuffer> => this.#body.arrayBuffer();
  readonly blob = (): ReturnType<HttpRequest['blob']> => this.#body.blob() as ReturnType<HttpRequest['blob']>;
  readonly formData = (): Promise<FormData> => this.#body.formData();
  readonly json = (): Promise<unknown> => this.#body.json();
  readonly text = (): Promise<string> => this.#body.text();
  readonly clone = (): HttpRequest => new StreamedHttpRequest(this.#head.clone(), this.#body.clone());
}
