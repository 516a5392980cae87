import { randomUUID } from 'node:crypto';
import { format } from 'node:util';
import { InvocationContext, type EffectiveFunctionOptions, type FunctionInput, type FunctionOutput, type FunctionTrigger } from '@azure/functions';
import type { FunctionRegistration, FunctionRegistry } from './functionsCore';
import type { HostLogLevel } from './hostJson';
import { describeError, isEnabled, timestamped, type LogLevel, type LogSink } from './log';
import { formatTimeSpan } from './timeSpan';

/**
 * One invocation, the way the Node worker runs it: preInvocation hooks (which may swap
 * inputs or the handler), the handler with `functionTimeout`, postInvocation hooks
 * (which may change the result or error), with the host's "Executing/Executed" lines.
 */

export interface InvokeRequest {
  input: unknown;
  /** Why it ran, shown in the "Executing" line, as the host does. */
  reason: string;
  triggerMetadata?: Record<string, unknown>;
}

export interface InvokeResult {
  result: unknown;
  context: InvocationContext;
}

export type Invoker = (fn: FunctionRegistration, request: InvokeRequest) => Promise<InvokeResult>;

export class FunctionTimeoutError extends Error {
  constructor(fn: string, invocationId: string, timeoutMs: number) {
    super(`Timeout value of ${formatTimeSpan(timeoutMs)} was exceeded by function: Functions.${fn} (Id: '${invocationId}')`);
    this.name = 'FunctionTimeoutError';
  }
}

/** Thrown by the invoker; carries the id so callers can point at the logged failure. */
export class InvocationError extends Error {
  constructor(
    readonly functionName: string,
    readonly invocationId: string,
    override readonly cause: unknown,
  ) {
    super(`Function "${functionName}" failed (invocation ${invocationId}): ${cause instanceof Error ? cause.message : String(cause)}`);
    this.name = 'InvocationError';
  }
}

export interface InvokerOptions {
  registry: FunctionRegistry;
  sink: LogSink;
  logLevel: HostLogLevel;
  functionTimeoutMs: number | null;
}

function effectiveOptions(fn: FunctionRegistration): EffectiveFunctionOptions {
  const extraInputs: FunctionInput[] = [];
  const extraOutputs: FunctionOutput[] = [];
  let ret: FunctionOutput | undefined;
  for (const [name, binding] of Object.entries(fn.bindings)) {
    if (name === fn.triggerName) continue;
    if (name === '$return') ret = { ...binding, name };
    else if (binding.direction === 'in') extraInputs.push({ ...binding, name });
    else extraOutputs.push({ ...binding, name });
  }
  const trigger: FunctionTrigger = { ...fn.trigger, name: fn.triggerName };
  return { trigger, return: ret, extraInputs, extraOutputs };
}

function withTimeout<T>(work: Promise<T>, ms: number | null, onTimeout: () => Error): Promise<T> {
  if (ms === null) return work;
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(onTimeout()), ms);
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}

export function createInvoker(opts: InvokerOptions): Invoker {
  const { registry, sink } = opts;
  const hostLog = (level: LogLevel, message: string) => {
    if (isEnabled(level, opts.logLevel)) sink(level, timestamped(message));
  };

  return async (fn, request) => {
    const invocationId = randomUUID();
    const started = Date.now();
    const context: InvocationContext = new InvocationContext({
      invocationId,
      functionName: fn.name,
      triggerMetadata: request.triggerMetadata,
      options: effectiveOptions(fn),
      logHandler: (level, ...args) => {
        const entry: Record<string, unknown> = { level, message: format(...args), category: 'user', invocationContext: context, hookData: {} };
        for (const hook of registry.hooks('log')) {
          try {
            hook(entry);
          } catch (err) {
            sink('error', timestamped(`A log hook threw: ${describeError(err)}`));
          }
        }
        const finalLevel = entry.level as HostLogLevel;
        if (finalLevel === 'none' || !isEnabled(finalLevel, opts.logLevel)) return;
        sink(finalLevel, timestamped(`[${fn.name}] [${invocationId}] ${String(entry.message)}`));
      },
    });

    hostLog('information', `Executing 'Functions.${fn.name}' (Reason='${request.reason}', Id=${invocationId})`);
    const hookData: Record<string, unknown> = {};
    let outcome: { result: unknown; error?: undefined } | { error: unknown; result?: undefined };
    try {
      const pre = { hookData, appHookData: registry.appHookData, invocationContext: context, inputs: [request.input], functionCallback: fn.handler };
      await registry.runHooks('preInvocation', pre);
      let result: unknown;
      let error: unknown;
      try {
        const run = Promise.resolve().then(() => pre.functionCallback(...pre.inputs, context));
        result = await withTimeout(run, opts.functionTimeoutMs, () => new FunctionTimeoutError(fn.name, invocationId, opts.functionTimeoutMs!));
      } catch (err) {
        error = err;
      }
      const post: Record<string, unknown> = { hookData, appHookData: registry.appHookData, invocationContext: context, inputs: pre.inputs, result, error };
      await registry.runHooks('postInvocation', post);
      outcome = post.error !== undefined && post.error !== null ? { error: post.error } : { result: post.result };
    } catch (hookError) {
      outcome = { error: hookError };
    }

    const duration = Date.now() - started;
    if (outcome.error !== undefined) {
      hostLog('error', `Executed 'Functions.${fn.name}' (Failed, Id=${invocationId}, Duration=${duration}ms)\n${describeError(outcome.error)}`);
      throw new InvocationError(fn.name, invocationId, outcome.error);
    }
    hostLog('information', `Executed 'Functions.${fn.name}' (Succeeded, Id=${invocationId}, Duration=${duration}ms)`);
    return { result: outcome.result, context };
  };
}
