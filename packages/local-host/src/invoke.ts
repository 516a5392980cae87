import { randomUUID } from 'node:crypto';
import { format } from 'node:util';
import { InvocationContext, type EffectiveFunctionOptions, type FunctionInput, type FunctionOutput, type FunctionTrigger } from '@azure/functions';
import type { FunctionRegistration } from './functionsCore';
import type { HostLogLevel } from './hostJson';
import { describeError, isEnabled, timestamped, type LogLevel, type LogSink } from './log';
import { formatTimeSpan } from './timeSpan';

/**
 * One invocation, the way the Node worker runs it: the handler with `functionTimeout`,
 * its log lines at the host.json level, and the host's "Executing/Executed" lines.
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
  const { sink } = opts;
  const hostLog = (level: LogLevel, message: string) => {
    if (isEnabled(level, opts.logLevel)) sink(level, timestamped(message));
  };

  return async (fn, request) => {
    const invocationId = randomUUID();
    const started = Date.now();
    const context = new InvocationContext({
      invocationId,
      functionName: fn.name,
      triggerMetadata: request.triggerMetadata,
      options: effectiveOptions(fn),
      logHandler: (level, ...args) => {
        if (level === 'none' || !isEnabled(level, opts.logLevel)) return;
        sink(level, timestamped(`[${fn.name}] [${invocationId}] ${format(...args)}`));
      },
    });

    hostLog('information', `Executing 'Functions.${fn.name}' (Reason='${request.reason}', Id=${invocationId})`);
    let result: unknown;
    try {
      const run = Promise.resolve().then(() => fn.handler(request.input, context));
      result = await withTimeout(run, opts.functionTimeoutMs, () => new FunctionTimeoutError(fn.name, invocationId, opts.functionTimeoutMs!));
    } catch (error) {
      hostLog('error', `Executed 'Functions.${fn.name}' (Failed, Id=${invocationId}, Duration=${Date.now() - started}ms)\n${describeError(error)}`);
      throw new InvocationError(fn.name, invocationId, error);
    }
    hostLog('information', `Executed 'Functions.${fn.name}' (Succeeded, Id=${invocationId}, Duration=${Date.now() - started}ms)`);
    return { result, context };
  };
}
