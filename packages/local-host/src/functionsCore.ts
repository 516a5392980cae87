import Module from 'node:module';
import { timestamped, type LogSink } from './log';

/**
 * Stands in for `@azure/functions-core`, the module the real Node worker provides.
 * Without it `@azure/functions` runs in "test mode" and drops every registration.
 * The library caches the module the first time it asks for it, so one process-wide
 * shim forwards to whichever registry is loading or running an app.
 */

export type FunctionCallback = (...args: unknown[]) => unknown;
export type HookCallback = (context: Record<string, unknown>) => unknown;
export type HookName = 'appStart' | 'appTerminate' | 'preInvocation' | 'postInvocation' | 'log';

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

const HOOK_NAMES: readonly HookName[] = ['appStart', 'appTerminate', 'preInvocation', 'postInvocation', 'log'];

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
  readonly #hooks = new Map<HookName, HookCallback[]>();
  /** Shared by app-level hooks and visible to invocation hooks as `appHookData`, as in the worker. */
  readonly appHookData: Record<string, unknown> = {};
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

  registerHook(hookName: string, callback: HookCallback): Disposable {
    if (!HOOK_NAMES.includes(hookName as HookName)) {
      // The worker rejects unknown hooks with a RangeError; the library relies on that for 'log'.
      throw new RangeError(`Unrecognized hook "${hookName}"`);
    }
    if (typeof callback !== 'function') throw new Error(`registerHook("${hookName}"): the callback must be a function`);
    const list = this.#hooks.get(hookName as HookName) ?? [];
    list.push(callback);
    this.#hooks.set(hookName as HookName, list);
    return new Disposable(() => {
      const i = list.indexOf(callback);
      if (i >= 0) list.splice(i, 1);
    });
  }

  hooks(name: HookName): HookCallback[] {
    return [...(this.#hooks.get(name) ?? [])];
  }

  /** Runs hooks in registration order, awaiting each, as the worker does. */
  async runHooks(name: HookName, context: Record<string, unknown>): Promise<void> {
    for (const hook of this.hooks(name)) await hook(context);
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
  registerHook(hookName: string, callback: HookCallback): Disposable {
    return current(`registerHook("${hookName}")`)?.registerHook(hookName, callback) ?? new Disposable(() => {});
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
