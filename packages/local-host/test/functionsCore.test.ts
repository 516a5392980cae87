import path from 'node:path';
import { app, HttpResponse, type HttpRequest, type InvocationContext } from '@azure/functions';
import { afterEach, describe, expect, it } from 'vitest';
import { FunctionRegistry } from '../src/functionsCore';
import { startHost, type RunningHost } from '../src/host';
import type { LogLevel } from '../src/log';

const projectRoot = path.join(__dirname, 'fixtures');

describe('FunctionRegistry', () => {
  const registry = new FunctionRegistry(() => {});
  const trigger = { type: 'httpTrigger', direction: 'in' as const };

  it('rejects duplicate function names, case-insensitively', () => {
    registry.registerFunction({ name: 'One', bindings: { req: trigger } }, () => {});
    expect(() => registry.registerFunction({ name: 'one', bindings: { req: trigger } }, () => {})).toThrow(
      'A function named "one" is already registered; function names must be unique',
    );
  });

  it('requires exactly one trigger and a handler', () => {
    expect(() => registry.registerFunction({ name: 'none', bindings: {} }, () => {})).toThrow(/exactly one trigger/);
    expect(() => registry.registerFunction({ name: 'h', bindings: { req: trigger } }, 'x' as never)).toThrow(/must be a function/);
  });

  it('keeps hooks in order until disposed, and rejects unknown hooks with a RangeError', async () => {
    const calls: string[] = [];
    const a = registry.registerHook('appStart', () => void calls.push('a'));
    registry.registerHook('appStart', async () => void calls.push('b'));
    await registry.runHooks('appStart', {});
    a.dispose();
    await registry.runHooks('appStart', {});
    expect(calls).toEqual(['a', 'b', 'b']);
    expect(() => registry.registerHook('onSomething', () => {})).toThrow(RangeError);
  });
});

describe('the @azure/functions-core shim', () => {
  let host: RunningHost | undefined;
  const lines: [LogLevel, string][] = [];
  afterEach(async () => {
    await host?.stop();
    host = undefined;
    lines.length = 0;
  });
  const start = (loadEntry: () => void) =>
    startHost({ projectRoot, port: 0, loadEntry, log: (level, line) => void lines.push([level, line]) });

  it('registers functions and runs app and invocation hooks with the contexts the library expects', async () => {
    const events: string[] = [];
    host = await start(() => {
      app.hook.appStart((ctx) => {
        ctx.hookData.started = true;
        events.push('appStart');
      });
      app.hook.appTerminate((ctx) => void events.push(`appTerminate started=${String(ctx.hookData.started)}`));
      app.hook.preInvocation((ctx) => {
        ctx.hookData.seen = ctx.invocationContext.functionName;
        const original = ctx.functionHandler;
        ctx.functionHandler = (...args: unknown[]) => {
          events.push('wrapped');
          return (original as (...a: unknown[]) => unknown)(...args);
        };
      });
      app.hook.postInvocation((ctx) => {
        events.push(`post ${String(ctx.hookData.seen)} error=${String(ctx.error)}`);
        ctx.result = new HttpResponse({ status: 202, jsonBody: { wrapped: ctx.result } });
      });
      app.get('hooked', {
        route: 'hooked',
        handler: async (_req: HttpRequest, context: InvocationContext) => {
          context.log('in handler');
          context.error('something bad');
          return { body: 'original' };
        },
      });
    });
    expect(host.functions).toEqual([{ name: 'hooked', trigger: 'httpTrigger', detail: `[GET] http://localhost:${host.port}/api/hooked` }]);
    const res = await fetch(`http://127.0.0.1:${host.port}/api/hooked`);
    expect(res.status).toBe(202);
    expect(await res.json()).toEqual({ wrapped: { body: 'original' } });
    await host.stop();
    expect(events).toEqual(['appStart', 'wrapped', 'post hooked error=undefined', 'appTerminate started=true']);

    const info = lines.find(([, l]) => l.includes('in handler'));
    expect(info?.[0]).toBe('information');
    expect(info?.[1]).toMatch(/\[hooked\] \[[0-9a-f-]{36}\] in handler$/);
    expect(lines.find(([, l]) => l.includes('something bad'))?.[0]).toBe('error');
  });

  it('fails start-up on duplicate function names and can start again afterwards', async () => {
    const handler = async () => ({ body: 'x' });
    await expect(
      start(() => {
        app.get('twice', { route: 'a', handler });
        app.get('Twice', { route: 'b', handler });
      }),
    ).rejects.toThrow(/Failed to load the function app: .*A function named "Twice" is already registered/s);
    host = await start(() => app.get('twice', { route: 'a', handler }));
    expect(host.functions.map((f) => f.name)).toEqual(['twice']);
  });

  it('fails start-up on a route with parameters, naming the function', async () => {
    await expect(start(() => app.get('item', { route: 'items/{id}', handler: async () => ({ body: 'x' }) }))).rejects.toThrow(
      'Function "item": route "items/{id}" has route parameters, which the local host does not support: use a literal route and the query string',
    );
  });

  it('lets a postInvocation hook turn a failure into a result', async () => {
    host = await start(() => {
      app.hook.postInvocation((ctx) => {
        if (ctx.error) {
          ctx.result = { status: 418, body: `recovered: ${(ctx.error as Error).message}` };
          ctx.error = null;
        }
      });
      app.get('fails', {
        route: 'fails',
        handler: async () => {
          throw new Error('nope');
        },
      });
    });
    const res = await fetch(`http://127.0.0.1:${host.port}/api/fails`);
    expect(res.status).toBe(418);
    expect(await res.text()).toBe('recovered: nope');
  });
});
