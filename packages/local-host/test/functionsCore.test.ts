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

  it('forgets a function when its registration is disposed', () => {
    const registration = registry.registerFunction({ name: 'gone', bindings: { req: trigger } }, () => {});
    registration.dispose();
    expect(registry.functions.map((f) => f.name)).not.toContain('gone');
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
  const start = (loadEntry: () => void) => startHost({ projectRoot, port: 0, loadEntry, log: (level, line) => void lines.push([level, line]) });

  it('registers functions through @azure/functions and runs them with an InvocationContext that logs at its level', async () => {
    host = await start(() => {
      app.get('logged', {
        route: 'logged',
        handler: async (_req: HttpRequest, context: InvocationContext) => {
          context.log('in handler');
          context.error('something bad');
          return new HttpResponse({ status: 202, jsonBody: { name: context.functionName } });
        },
      });
    });
    expect(host.functions).toEqual([{ name: 'logged', trigger: 'httpTrigger', detail: `[GET] http://localhost:${host.port}/api/logged` }]);
    const res = await fetch(`http://127.0.0.1:${host.port}/api/logged`);
    expect(res.status).toBe(202);
    expect(await res.json()).toEqual({ name: 'logged' });

    const info = lines.find(([, l]) => l.includes('in handler'));
    expect(info?.[0]).toBe('information');
    expect(info?.[1]).toMatch(/\[logged\] \[[0-9a-f-]{36}\] in handler$/);
    expect(lines.find(([, l]) => l.includes('something bad'))?.[0]).toBe('error');
  });

  it('fails start-up on a hook, naming it, since the host runs none', async () => {
    await expect(start(() => app.hook.appStart(() => {}))).rejects.toThrow(
      /Failed to load the function app: UnsupportedHookError: app\.hook\.appStart\(\) is not supported by the local host/,
    );
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

  it('answers 500 when a handler returns cookies, which the host does not support', async () => {
    host = await start(() => app.get('cookie', { route: 'cookie', handler: async () => ({ body: 'x', cookies: [{ name: 'a', value: 'b' }] }) }));
    const res = await fetch(`http://127.0.0.1:${host.port}/api/cookie`);
    expect(res.status).toBe(500);
    expect(lines).toContainEqual(['error', expect.stringContaining('The HTTP response sets "cookies", which the local host does not support')]);
  });
});
