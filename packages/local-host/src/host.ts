import { activateRegistry, activeRegistry, FunctionRegistry, installFunctionsCore, type FunctionRegistration } from './functionsCore';
import { loadEntryPoint, resolveEntryPoint } from './entryPoint';
import { checkFunctionsVersion } from './functionsVersion';
import { loadHostConfig, type HostConfig } from './hostJson';
import { DEFAULT_MAX_REQUEST_BODY_SIZE, startHttpServer, type HostState, type LocalHttpServer } from './httpServer';
import { workerCapabilities } from './capabilities';
import { createInvoker } from './invoke';
import { consoleSink, describeError, timestamped, type LogSink } from './log';
import { QueueListener } from './queueListener';
import { TimerScheduler } from './timerScheduler';

/**
 * The local Functions host: loads the app through the `@azure/functions-core` shim,
 * then serves its HTTP functions, polls its queues and runs its timers until stopped.
 * Settings must already be in process.env (main.ts puts local.settings.json there).
 * Loading and serving are separate steps so that `npm start` can report an app that
 * refuses its configuration before it starts anything the app would need.
 */

export interface LoadAppOptions {
  projectRoot: string;
  /** Loads the app instead of package.json `main`. */
  loadEntry?: () => unknown;
  /** Where host and function log lines go; stdout/stderr by default. */
  log?: LogSink;
}

export interface ServeOptions {
  /** Defaults to PORT, then 7071; 0 picks a free port. */
  port?: number;
}

export type StartHostOptions = LoadAppOptions & ServeOptions;

/** The app's registrations and the host.json settings they run under. */
export interface LoadedApp {
  config: HostConfig;
  registry: FunctionRegistry;
  sink: LogSink;
}

/** The app threw while it was loaded; `cause` is what it threw. */
export class AppLoadError extends Error {
  constructor(override readonly cause: unknown) {
    super(`Failed to load the function app: ${describeError(cause)}`, { cause });
    this.name = 'AppLoadError';
  }
}

export interface HostFunction {
  name: string;
  trigger: string;
  detail: string;
  /** Set by `AzureWebJobs.<name>.Disabled`: registered, but never triggered. */
  disabled?: boolean;
}

export interface RunningHost {
  port: number;
  functions: HostFunction[];
  stop(): Promise<void>;
}

const ALL_METHODS = ['GET', 'POST', 'DELETE', 'HEAD', 'PATCH', 'PUT', 'OPTIONS', 'TRACE'];
const SUPPORTED_TRIGGERS = new Set(['httptrigger', 'queuetrigger', 'timertrigger']);

function triggerOf(fn: FunctionRegistration): string {
  return fn.trigger.type.toLowerCase();
}

function portFrom(opts: ServeOptions, env: NodeJS.ProcessEnv): number {
  if (opts.port !== undefined) return opts.port;
  const text = env.PORT?.trim();
  if (!text) return 7071;
  const port = Number(text);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`PORT must be a TCP port number (0 picks a free one), got "${text}"`);
  return port;
}

function bodyLimitFrom(env: NodeJS.ProcessEnv): number {
  // The app setting the real host reads to change its 100 MiB request limit.
  const text = env.FUNCTIONS_REQUEST_BODY_SIZE_LIMIT?.trim();
  if (!text) return DEFAULT_MAX_REQUEST_BODY_SIZE;
  const n = Number(text);
  if (!Number.isInteger(n) || n <= 0) throw new Error(`FUNCTIONS_REQUEST_BODY_SIZE_LIMIT must be a positive number of bytes, got "${text}"`);
  return n;
}

/** Bindings other than the trigger and an HTTP response are not run locally; say so instead of ignoring them silently. */
function unsupportedBindings(fn: FunctionRegistration): string[] {
  return Object.entries(fn.bindings)
    .filter(([name, b]) => name !== fn.triggerName && b.type.toLowerCase() !== 'http')
    .map(([name, b]) => `${name} (${b.type}, ${b.direction})`);
}

/** The "Functions:" lines `func start` prints. */
export function formatFunctionList(functions: HostFunction[]): string[] {
  return functions.map((f) => (f.trigger === 'httpTrigger' && !f.disabled ? `${f.name}: ${f.detail}` : `${f.name}: ${f.trigger} (${f.detail})`));
}

/**
 * The Functions host's convention for switching a function off without redeploying: the
 * app setting `AzureWebJobs.<name>.Disabled` set to true. The host then ignores the
 * function's trigger (a disabled HTTP function answers 404). Setting names are
 * case-insensitive in the host, so they are here.
 */
export function disabledSetting(name: string, env: NodeJS.ProcessEnv): string | undefined {
  const wanted = `azurewebjobs.${name}.disabled`.toLowerCase();
  for (const [key, value] of Object.entries(env)) {
    if (key.toLowerCase() !== wanted) continue;
    const text = value?.trim().toLowerCase();
    if (text === 'true' || text === '1') return key;
  }
  return undefined;
}

function describeFunction(
  fn: FunctionRegistration,
  server: LocalHttpServer,
  listeners: QueueListener[],
  timers: TimerScheduler[],
  env: NodeJS.ProcessEnv,
): HostFunction {
  const trigger = fn.trigger.type;
  const disabledBy = disabledSetting(fn.name, env);
  if (disabledBy) return { name: fn.name, trigger, detail: `disabled by ${disabledBy}`, disabled: true };
  const route = server.routes.find((r) => r.name === fn.name);
  if (route) {
    const methods = route.methods.length > 0 ? route.methods : ALL_METHODS;
    return { name: fn.name, trigger, detail: `[${methods.join(',')}] http://localhost:${server.port}/${route.path}` };
  }
  const queue = listeners.find((l) => l.fn === fn);
  if (queue) return { name: fn.name, trigger, detail: queue.queueName };
  const timer = timers.find((t) => t.fn === fn);
  if (timer) return { name: fn.name, trigger, detail: timer.schedule.text };
  return { name: fn.name, trigger, detail: 'not run by the local host' };
}

let loading: Promise<unknown> = Promise.resolve();

/** One app load at a time: the shim routes registrations to a single registry while loading. */
async function register(registry: FunctionRegistry, load: () => unknown): Promise<void> {
  const previous = loading;
  let release!: () => void;
  loading = new Promise<void>((resolve) => (release = resolve));
  await previous;
  try {
    installFunctionsCore();
    activateRegistry(registry);
    await loadEntryPoint(load);
  } catch (err) {
    if (activeRegistry() === registry) activateRegistry(undefined);
    throw new AppLoadError(err);
  } finally {
    release();
  }
}

export async function loadApp(opts: LoadAppOptions): Promise<LoadedApp> {
  const sink = opts.log ?? consoleSink;
  checkFunctionsVersion(opts.projectRoot);
  const config = loadHostConfig(opts.projectRoot, process.env);
  const registry = new FunctionRegistry(sink);
  let load = opts.loadEntry;
  if (!load) {
    // Resolved outside the load, so a wrong "main" is reported as such, not as the app failing.
    const entry = resolveEntryPoint(opts.projectRoot);
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- package.json main is CommonJS, loaded as the worker loads it
    load = () => require(entry);
  }
  await register(registry, load);
  return { config, registry, sink };
}

export async function serveApp(app: LoadedApp, opts: ServeOptions = {}): Promise<RunningHost> {
  const env = process.env;
  const { config, registry, sink } = app;
  const warn = (message: string) => sink('warning', timestamped(message));
  const deactivate = () => {
    if (activeRegistry() === registry) activateRegistry(undefined);
  };

  let server: LocalHttpServer | undefined;
  let state: HostState = 'Starting';
  const listeners: QueueListener[] = [];
  const timers: TimerScheduler[] = [];
  try {
    const port = portFrom(opts, env);
    const maxRequestBodySize = bodyLimitFrom(env);
    const functions = registry.functions;
    if (functions.length === 0) {
      warn('No functions were registered. Check package.json "main", and that nothing used @azure/functions before the host loaded the app.');
    }
    const invoke = createInvoker({ sink, logLevel: config.logLevel, functionTimeoutMs: config.functionTimeoutMs });
    const enabled = functions.filter((fn) => !disabledSetting(fn.name, env));
    for (const fn of enabled) {
      const extra = unsupportedBindings(fn);
      if (extra.length > 0) warn(`Function '${fn.name}': bindings ${extra.join(', ')} are not supported by the local host and are ignored.`);
      const trigger = triggerOf(fn);
      if (trigger === 'queuetrigger') listeners.push(new QueueListener({ fn, invoke, queues: config.queues, sink, env }));
      else if (trigger === 'timertrigger') timers.push(new TimerScheduler(fn, invoke, env));
      else if (!SUPPORTED_TRIGGERS.has(trigger)) warn(`Function '${fn.name}': ${fn.trigger.type} is not supported by the local host; it will not run.`);
    }

    const capabilities = await workerCapabilities(registry.programmingModel, warn);

    server = await startHttpServer({
      port,
      routePrefix: config.routePrefix,
      functions: enabled.filter((fn) => triggerOf(fn) === 'httptrigger'),
      invoke,
      maxRequestBodySize,
      streamRequests: capabilities.httpStreams,
      state: () => state,
      sink,
    });
    listeners.forEach((l) => l.start());
    timers.forEach((t) => t.start());

    const running = server;
    const described = functions.map((fn) => describeFunction(fn, running, listeners, timers, env));
    state = 'Running';

    let stopping: Promise<void> | undefined;
    return {
      port: running.port,
      functions: described,
      stop() {
        stopping ??= (async () => {
          state = 'Stopping';
          try {
            await Promise.all([running.close(), ...listeners.map((l) => l.stop()), ...timers.map((t) => t.stop())]);
          } finally {
            deactivate();
          }
        })();
        return stopping;
      },
    };
  } catch (err) {
    state = 'Stopping';
    await Promise.allSettled([server?.close(), ...listeners.map((l) => l.stop()), ...timers.map((t) => t.stop())]);
    deactivate();
    throw err;
  }
}

export async function startHost(opts: StartHostOptions): Promise<RunningHost> {
  return serveApp(await loadApp(opts), opts);
}
