import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { HttpResponse, type HttpRequest } from '@azure/functions';
import type { FunctionRegistration } from './functionsCore';
import { InvocationError, type Invoker } from './invoke';
import { describeError, timestamped, type LogSink } from './log';
import { bufferedRequest, requestHead, StreamedHttpRequest } from './request';
import { dropRestOfBody, readBody, streamBody, type StreamState } from './requestBody';
import { RouteTable } from './routes';

/**
 * Serves the app's `httpTrigger` functions the way the Functions host does locally:
 * literal routes under the routePrefix, method filters, a request body limit
 * (FUNCTIONS_REQUEST_BODY_SIZE_LIMIT, 100 MiB by default), and `/admin/host/status` for
 * readiness checks. Function keys are not enforced, the same as Core Tools.
 *
 * Without HTTP streams the host reads the whole body before invoking the function (it
 * travels to the worker in one message); with `app.setup({ enableHttpStream: true })`
 * the function is invoked once the headers are in and reads the body as it arrives, the
 * limit enforced while it does. Either way a declared Content-Length over the limit is
 * refused before anything is read.
 */

export type HostState = 'Starting' | 'Running' | 'Stopping';

/** The host's default `maxRequestBodySize`. */
export const DEFAULT_MAX_REQUEST_BODY_SIZE = 104_857_600;

export interface HttpServerOptions {
  port: number;
  routePrefix: string;
  functions: FunctionRegistration[];
  invoke: Invoker;
  maxRequestBodySize?: number;
  /** The app enabled HTTP streams (workerCapabilities). */
  streamRequests?: boolean;
  state: () => HostState;
  sink: LogSink;
}

export interface HttpRoute {
  name: string;
  /** Empty means every method. */
  methods: string[];
  /** The route with the prefix, e.g. `api/items`. */
  path: string;
}

export interface LocalHttpServer {
  port: number;
  routes: HttpRoute[];
  close(): Promise<void>;
}

const PROGRAMMATIC = 'This function was programmatically called via the host APIs.';
const NULL_BODY_STATUS = new Set([204, 205, 304]);

/**
 * Before answering a request whose body is still arriving: when the connection is to close
 * after the answer (the sender asked for it, or the answer says so), Node closes the socket
 * as soon as the answer is written, with the rest of the body unread, and the reset that
 * follows makes the sender's kernel drop the answer before the sender reads it (it sees
 * EPIPE). Here that close only ends the sending side: `dropRestOfBody` reads and drops the
 * rest, then closes the socket (a lingering close).
 */
function lingerOnClose(req: IncomingMessage): void {
  if (req.complete) return;
  const socket = req.socket as Socket & { destroySoon?: () => void };
  socket.destroySoon = () => void socket.end();
}

function afterAnswer(res: ServerResponse, then: () => void): void {
  if (res.writableFinished) then();
  else res.once('finish', then);
}

function sendJson(res: ServerResponse, status: number, body: unknown, extraHeaders: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text), ...extraHeaders });
  res.end(text);
}

/** An HttpResponse from another copy of the library is still a response. */
function isResponseLike(v: unknown): v is HttpResponse {
  const r = v as HttpResponse;
  return v instanceof HttpResponse || (typeof r?.status === 'number' && r.headers instanceof Headers && typeof r.arrayBuffer === 'function');
}

async function writeResult(res: ServerResponse, method: string, value: unknown): Promise<void> {
  if (value === undefined || value === null) {
    res.writeHead(204);
    res.end();
    return;
  }
  if (typeof value !== 'object') {
    throw new Error('The HTTP response must be an object with optional properties "body", "status" and "headers".');
  }
  const response = isResponseLike(value) ? value : new HttpResponse(value);
  if (response.cookies?.length) throw new Error('The HTTP response sets "cookies", which the local host does not support: set a Set-Cookie header instead.');
  const body = Buffer.from(await response.arrayBuffer());
  res.statusCode = response.status;
  response.headers.forEach((v, name) => {
    if (name !== 'set-cookie') res.setHeader(name, v);
  });
  // Several Set-Cookie headers cannot be joined into one line as other headers are.
  const setCookies = response.headers.getSetCookie();
  if (setCookies.length > 0) res.setHeader('set-cookie', setCookies);
  if (NULL_BODY_STATUS.has(response.status)) {
    res.end();
    return;
  }
  res.setHeader('content-length', body.length);
  res.end(method === 'HEAD' ? undefined : body);
}

/** The value of the function's HTTP output binding: the return value or an extra output. */
function httpOutput(fn: FunctionRegistration, result: unknown, extraOutputs: { get(name: string): unknown }): unknown {
  const binding = Object.entries(fn.bindings).find(([, b]) => b.direction === 'out' && b.type.toLowerCase() === 'http');
  if (!binding || binding[0] === '$return') return result;
  return extraOutputs.get(binding[0]);
}

export async function startHttpServer(opts: HttpServerOptions): Promise<LocalHttpServer> {
  const limit = opts.maxRequestBodySize ?? DEFAULT_MAX_REQUEST_BODY_SIZE;
  const table = new RouteTable<FunctionRegistration>();
  const routes: HttpRoute[] = [];
  for (const fn of opts.functions) {
    const template = typeof fn.trigger.route === 'string' ? fn.trigger.route : fn.name;
    const methods = Array.isArray(fn.trigger.methods) ? (fn.trigger.methods as string[]) : [];
    let route;
    try {
      route = table.add(template, opts.routePrefix, methods, fn);
    } catch (e) {
      throw new Error(`Function "${fn.name}": ${(e as Error).message}`, { cause: e });
    }
    routes.push({ name: fn.name, methods: route.methods, path: route.path });
  }

  const log = (level: 'warning' | 'error', message: string) => opts.sink(level, timestamped(message));
  let boundPort = opts.port;
  const inFlight = new Set<Promise<void>>();

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const method = (req.method ?? 'GET').toUpperCase();
    let url: URL;
    try {
      url = new URL(req.url ?? '/', `http://${req.headers.host ?? `localhost:${boundPort}`}`);
    } catch {
      return sendJson(res, 400, { error: 'Bad Request', message: 'The request URL or Host header is invalid' });
    }

    if (url.pathname.replace(/\/+$/, '').toLowerCase() === '/admin/host/status' && (method === 'GET' || method === 'HEAD')) {
      const state = opts.state();
      return sendJson(res, state === 'Running' ? 200 : 503, { state });
    }

    const fn = table.match(method, url.pathname)?.value;
    if (!fn) {
      return sendJson(res, 404, { error: 'Not Found', message: `No function matches ${method} ${url.pathname}` });
    }
    const tooLarge = () => {
      // The connection closes after this answer, once the rest of the body is read and dropped (bounded).
      lingerOnClose(req);
      sendJson(res, 413, { error: 'Payload Too Large', message: `The request body exceeds the limit of ${limit} bytes` }, { connection: 'close' });
      afterAnswer(res, () => dropRestOfBody(req));
    };
    const hasBody = method !== 'GET' && method !== 'HEAD';

    const stream: StreamState = { tooLarge: false, ended: !hasBody };
    let request: HttpRequest | StreamedHttpRequest;
    try {
      const head = requestHead(req, url);
      if (opts.streamRequests) {
        const declared = Number(req.headers['content-length']);
        if (Number.isFinite(declared) && declared > limit) return tooLarge();
        request = StreamedHttpRequest.from(head, hasBody ? streamBody(req, limit, stream) : undefined);
      } else {
        const read = await readBody(req, limit);
        if ('tooLarge' in read) return tooLarge();
        request = bufferedRequest(head, hasBody ? read.body : undefined);
      }
    } catch (e) {
      // The fetch API refuses some methods Node accepts (CONNECT, TRACE, TRACK).
      return sendJson(res, 400, { error: 'Bad Request', message: (e as Error).message });
    }

    let invocationId: string | undefined;
    try {
      const { result, context } = await opts.invoke(fn, { input: request, reason: PROGRAMMATIC });
      invocationId = context.invocationId;
      // The host enforces its limit whatever the function made of the failed read.
      if (stream.tooLarge) return tooLarge();
      if (opts.streamRequests && !stream.ended) lingerOnClose(req);
      await writeResult(res, method, httpOutput(fn, result, context.extraOutputs));
    } catch (err) {
      if (stream.tooLarge && !res.headersSent) return tooLarge();
      if (err instanceof InvocationError) invocationId = err.invocationId;
      else log('error', `Function '${fn.name}' (Id=${invocationId ?? 'unknown'}) returned an invalid HTTP response: ${describeError(err)}`);
      if (!res.headersSent) {
        sendJson(res, 500, { error: 'Internal Server Error', functionName: fn.name, invocationId: invocationId ?? null });
      } else {
        res.destroy();
      }
    } finally {
      // After Node's own end-of-response handling, which would otherwise read the rest unbounded.
      if (opts.streamRequests && !stream.ended && !stream.tooLarge) afterAnswer(res, () => dropRestOfBody(req));
    }
  }

  const server = http.createServer((req, res) => {
    const work = handle(req, res).catch((err) => {
      log('error', `Unhandled error serving ${req.method} ${req.url}: ${describeError(err)}`);
      if (!res.headersSent) sendJson(res, 500, { error: 'Internal Server Error' });
      else res.destroy();
    });
    inFlight.add(work);
    void work.finally(() => inFlight.delete(work));
  });

  // Node's own answer to a request it cannot parse (431 for headers over the limit) destroys
  // the socket at once: a client still sending its body then sees a reset, not the answer.
  // Answer in JSON like every other 4xx, read and drop what is still coming, then close.
  server.on('clientError', (err: NodeJS.ErrnoException, socket: Duplex) => {
    if (!socket.writable) return void socket.destroy();
    const status = err.code === 'HPE_HEADER_OVERFLOW' ? 431 : 400;
    const body = JSON.stringify({ error: status === 431 ? 'request header fields too large' : 'malformed HTTP request' });
    socket.end(
      `HTTP/1.1 ${status} ${http.STATUS_CODES[status]}\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
    );
    socket.on('error', () => undefined);
    socket.resume();
    setTimeout(() => socket.destroy(), 10_000).unref();
  });

  await new Promise<void>((resolve, reject) => {
    const onError = (err: NodeJS.ErrnoException) =>
      reject(err.code === 'EADDRINUSE' ? new Error(`Port ${opts.port} is already in use: set PORT to another port (0 picks a free one)`) : err);
    server.once('error', onError);
    server.listen(opts.port, () => {
      server.off('error', onError);
      resolve();
    });
  });
  boundPort = (server.address() as AddressInfo).port;

  return {
    port: boundPort,
    routes,
    async close() {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      await Promise.allSettled([...inFlight]);
      server.closeIdleConnections();
      const force = setTimeout(() => server.closeAllConnections(), 2_000);
      await closed;
      clearTimeout(force);
    },
  };
}
