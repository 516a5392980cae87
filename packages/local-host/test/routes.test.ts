import { describe, expect, it } from 'vitest';
import { compileRoute, matchRoute, RouteTable } from '../src/routes';

const match = (template: string, pathname: string, prefix = 'api') => matchRoute(compileRoute(template, prefix), pathname);

describe('route templates', () => {
  it('matches literals case-insensitively under the prefix, ignoring a trailing slash', () => {
    expect(match('webhooks/acr', '/api/webhooks/acr')).toEqual({});
    expect(match('webhooks/acr', '/API/Webhooks/ACR/')).toEqual({});
    expect(match('webhooks/acr', '/webhooks/acr')).toBeUndefined();
    expect(match('webhooks/acr', '/api/webhooks/acr/extra')).toBeUndefined();
  });

  it('supports an empty or multi-segment prefix', () => {
    expect(match('items', '/items', '')).toEqual({});
    expect(match('items', '/v1/public/items', '/v1/public/')).toEqual({});
    expect(match('', '/api', 'api')).toEqual({});
  });

  it('binds parameters and decodes them', () => {
    expect(match('images/{repository}/{tag}', '/api/images/my%2Frepo/v1.0')).toEqual({ repository: 'my/repo', tag: 'v1.0' });
    expect(match('images/{repository}/{tag}', '/api/images/only')).toBeUndefined();
  });

  it('supports optional parameters and defaults', () => {
    expect(match('items/{id}/{label?}', '/api/items/1')).toEqual({ id: '1' });
    expect(match('items/{id}/{label?}', '/api/items/1/red')).toEqual({ id: '1', label: 'red' });
    expect(match('trend/{days=30}', '/api/trend')).toEqual({ days: '30' });
    expect(match('trend/{days=30}', '/api/trend/7')).toEqual({ days: '7' });
    expect(match('{a?}/{b?}', '/api/x')).toEqual({ a: 'x' });
  });

  it('applies constraints', () => {
    expect(match('items/{id:int}', '/api/items/42')).toEqual({ id: '42' });
    expect(match('items/{id:int}', '/api/items/-7')).toEqual({ id: '-7' });
    expect(match('items/{id:int}', '/api/items/abc')).toBeUndefined();
    expect(match('items/{id:int}', '/api/items/99999999999')).toBeUndefined();
    expect(match('items/{id:long}', '/api/items/99999999999')).toEqual({ id: '99999999999' });
    expect(match('names/{name:alpha}', '/api/names/Bob')).toEqual({ name: 'Bob' });
    expect(match('names/{name:alpha}', '/api/names/b0b')).toBeUndefined();
    expect(match('flags/{on:bool}', '/api/flags/TRUE')).toEqual({ on: 'TRUE' });
    expect(match('g/{id:guid}', '/api/g/0f8fad5b-d9cb-469f-a165-70867728950e')).toBeDefined();
    expect(match('g/{id:guid}', '/api/g/nope')).toBeUndefined();
    expect(match('n/{x:min(10)}', '/api/n/9')).toBeUndefined();
    expect(match('n/{x:range(1,5)}', '/api/n/5')).toEqual({ x: '5' });
    expect(match('s/{code:alpha:length(3)}', '/api/s/abc')).toEqual({ code: 'abc' });
    expect(match('s/{code:alpha:length(3)}', '/api/s/abcd')).toBeUndefined();
    expect(match('r/{v:regex(^[a-z]{{2}}\\d$)}', '/api/r/ab1')).toEqual({ v: 'ab1' });
    expect(match('r/{v:regex(^[a-z]{{2}}\\d$)}', '/api/r/abc')).toBeUndefined();
    expect(match('r/{v:regex(^(x|y)$)}', '/api/r/y')).toEqual({ v: 'y' });
    expect(match('o/{id:int?}', '/api/o')).toEqual({});
    expect(match('o/{id:int?}', '/api/o/x')).toBeUndefined();
  });

  it('supports catch-all parameters', () => {
    expect(match('files/{*path}', '/api/files/a/b/c.txt')).toEqual({ path: 'a/b/c.txt' });
    expect(match('files/{*path}', '/api/files')).toEqual({});
    expect(match('files/{**path}', '/api/files/x%20y/z')).toEqual({ path: 'x y/z' });
  });

  it('supports complex segments, matched right to left as ASP.NET does', () => {
    expect(match('img/{name}.{ext}', '/api/img/logo.final.png')).toEqual({ name: 'logo.final', ext: 'png' });
    expect(match('img/{name}.{ext}', '/api/img/logo')).toBeUndefined();
  });

  it.each([
    ['files/{*path}/more', /catch-all parameter must be the last segment/],
    ['a/{b?}/c', /optional parameter "b" can only be followed by optional parameters/],
    ['a/{id:nope}', /unknown route constraint "nope"/],
    ['a/{id', /unclosed "{"/],
    ['a/{x}/{X}', /appears more than once/],
    ['a/{}', /has no name/],
  ])('rejects %s', (template, message) => {
    expect(() => compileRoute(template, 'api')).toThrow(message);
    expect(() => compileRoute(template, 'api')).toThrow(/Invalid route template/);
  });
});

describe('RouteTable', () => {
  it('prefers literals over constrained parameters over parameters over catch-alls, whatever the order', () => {
    const table = new RouteTable<string>();
    table.add('items/{*rest}', 'api', [], 'catchAll');
    table.add('items/{name}', 'api', [], 'param');
    table.add('items/{id:int}', 'api', [], 'int');
    table.add('items/special', 'api', [], 'literal');
    expect(table.match('GET', '/api/items/special')?.entry.value).toBe('literal');
    expect(table.match('GET', '/api/items/12')?.entry.value).toBe('int');
    expect(table.match('GET', '/api/items/other')?.entry.value).toBe('param');
    expect(table.match('GET', '/api/items/a/b')?.entry.value).toBe('catchAll');
  });

  it('filters by method, and an empty method list accepts any', () => {
    const table = new RouteTable<string>();
    table.add('things', 'api', ['get'], 'read');
    table.add('things', 'api', ['POST', 'PUT'], 'write');
    table.add('any', 'api', [], 'any');
    expect(table.match('GET', '/api/things')?.entry.value).toBe('read');
    expect(table.match('put', '/api/things')?.entry.value).toBe('write');
    expect(table.match('DELETE', '/api/things')).toBeUndefined();
    expect(table.match('PATCH', '/api/any')?.entry.value).toBe('any');
  });
});
