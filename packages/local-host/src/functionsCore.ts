import Module from 'node:module';
import { timestamped, type LogSink } from './log';

/**
 * Stands in for `@azure/functions-core`, the module the real Node worker provides.
 * Without it `@azure/functions` runs in "test mode" and drops every registration.
 * The library caches the module the first time it asks for it, so one process-wide
 * shim forwards to whichever registry is loading or running an app.
 */

export type FunctionCallback = (...args: unknown[]) => unknown;

export interface CoreBinding {
  type: string;
  direction: 'in' | 'out' | 'inout';
  [option: string]: unknown;
}

export interface FunctionMetadata {
  name: string;
  bindings: Record<string, CoreBinding>;
  retryOptions?: unknown;
}

export interface FunctionRegistration {
  name: string;
  bindings: Record<string, CoreBinding>;
  retryOptions?: unknown;
  handler: FunctionCallback;
  triggerName: string;
  trigger: CoreBinding;
}

/** Hooks (`app.hook.*`) are not run by this host; an app that registers one fails to load, naming it. */
export class UnsupportedHookError extends Error {
  constructor(readonly hookName: string) {
    super(`app.hook.${hookName}() is not supported by the local host: it runs no hooks`);
    this.name = 'UnsupportedHookError';
  }
}

class Disposable {
  #dispose?: () => void;
  constructor(dispose: () => void) {
    this.#dispose = dispose;
  }
  static from(...items: { dispose(): unknown }[]): Disposable {
    return new Disposable(() => items.forEach((d) => d.dispose()));
  }
  dispose(): void {
    this.#dispose?.();
    this.#dispose = undefined;
  }
}

export class FunctionRegistry {
  readonly #functions = new Map<string, FunctionRegistration>();
  programmingModel: unknown;

  constructor(private readonly sink: LogSink) {}

  get functions(): FunctionRegistration[] {
    return [...this.#functions.values()];
  }

  registerFunction(metadata: FunctionMetadata, handler: FunctionCallback): Disposable {
    const name = metadata?.name;
    if (!name || typeof name !== 'string') throw new Error('registerFunction: metadata.name is required');
    if (typeof handler !== 'function') throw new Error(`Function "${name}": the handler must be a function`);
    // Function names are case-insensitive in the host (they become URL and log keys).
    const key = name.toLowerCase();
    if (this.#functions.has(key)) {
      throw new Error(`A function named "${name}" is already registered; function names must be unique`);
    }
    const triggers = Object.entries(metadata.bindings ?? {}).filter(([, b]) => /trigger$/i.test(b.type));
    if (triggers.length !== 1) {
      throw new Error(`Function "${name}" must have exactly one trigger binding, found ${triggers.length}`);
    }
    const [triggerName, trigger] = triggers[0]!;
    this.#functions.set(key, { name, bindings: metadata.bindings, retryOptions: metadata.retryOptions, handler, triggerName, trigger });
    return new Disposable(() => this.#functions.delete(key));
  }

  /** `coreApi.log`: system messages from the library; only warnings and errors are worth showing. */
  log(level: string, category: string, message: string): void {
    if (level === 'warning' || level === 'error' || level === 'critical') {
      this.sink(level, timestamped(`[${category}] ${message}`));
    }
  }
}

let active: FunctionRegistry | undefined;
let installed = false;

function current(what: string): FunctionRegistry | undefined {
  if (!active) {
    process.emitWarning(`@azure/functions called ${what} while no local Functions host is loading an app; ignored.`);
  }
  return active;
}

/** The object `require('@azure/functions-core')` returns. */
const coreApi = {
  version: '4.0.0-local',
  hostVersion: '4.0.0-local',
  Disposable,
  registerFunction(metadata: FunctionMetadata, handler: FunctionCallback): Disposable {
    return current(`registerFunction("${metadata?.name}")`)?.registerFunction(metadata, handler) ?? new Disposable(() => {});
  },
  setProgrammingModel(model: unknown): void {
    const registry = current('setProgrammingModel');
    if (registry) registry.programmingModel = model;
  },
  getProgrammingModel(): unknown {
    return active?.programmingModel;
  },
  registerHook(hookName: string): never {
    throw new UnsupportedHookError(hookName);
  },
  log(level: string, category: string, message: string): void {
    if (active) active.log(level, category, message);
    else if (level === 'warning' || level === 'error' || level === 'critical') process.stderr.write(`${message}\n`);
  },
};

type ModuleLoad = (request: string, parent: unknown, isMain: boolean) => unknown;

/** Makes `require('@azure/functions-core')` resolve to the shim; idempotent. */
export function installFunctionsCore(): void {
  if (installed) return;
  const mod = Module as unknown as { _load: ModuleLoad };
  const original = mod._load;
  mod._load = function (this: unknown, request: string, parent: unknown, isMain: boolean) {
    if (request === '@azure/functions-core') return coreApi;
    return original.call(this, request, parent, isMain);
  };
  installed = true;
}

/** Routes registrations to `registry` (or nowhere, with `undefined`) from now on. */
export function activateRegistry(registry: FunctionRegistry | undefined): void {
  active = registry;
}

export function activeRegistry(): FunctionRegistry | undefined {
  return active;
}
