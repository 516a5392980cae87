import http from 'node:http';
import { describeError } from './log';

/**
 * What the Node worker asks the programming model once the app is loaded:
 * `getCapabilities`, which also locks `app.setup()` for the rest of the process, as in
 * Azure. `@azure/functions` answers with `HttpUri` when the app called
 * `app.setup({ enableHttpStream: true })`, and starts a server there for the host to
 * proxy requests through. The local host hands the request stream to the handler
 * directly instead, so it closes that server again rather than leave a port open.
 */

export interface WorkerCapabilities {
  /** The app enabled HTTP streams: request bodies are streamed to handlers, not buffered. */
  httpStreams: boolean;
  raw: Record<string, unknown>;
}

interface ProgrammingModel {
  getCapabilities?(capabilities: Record<string, unknown>): Promise<Record<string, unknown>> | Record<string, unknown>;
}

export async function workerCapabilities(model: unknown, warn: (message: string) => void): Promise<WorkerCapabilities> {
  const pm = model as ProgrammingModel | undefined;
  if (typeof pm?.getCapabilities !== 'function') return { httpStreams: false, raw: {} };
  // The library creates its proxy server synchronously inside the call; catch it there.
  const opened: http.Server[] = [];
  const createServer = http.createServer;
  (http as { createServer: typeof http.createServer }).createServer = ((...args: Parameters<typeof http.createServer>) => {
    const server = createServer(...args);
    opened.push(server);
    return server;
  }) as typeof http.createServer;
  let pending: Promise<Record<string, unknown>> | Record<string, unknown>;
  try {
    pending = pm.getCapabilities({});
  } finally {
    (http as { createServer: typeof http.createServer }).createServer = createServer;
  }
  let raw: Record<string, unknown>;
  try {
    raw = (await pending) ?? {};
  } catch (err) {
    warn(`The app's programming model failed to report its capabilities: ${describeError(err)}`);
    return { httpStreams: false, raw: {} };
  }
  for (const server of opened) server.close();
  return { httpStreams: typeof raw.HttpUri === 'string' && raw.HttpUri !== '', raw };
}
