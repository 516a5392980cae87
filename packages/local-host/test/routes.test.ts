import { describe, expect, it } from 'vitest';
import { RouteTable, RouteTemplateError } from '../src/routes';

const matches = (template: string, pathname: string, prefix = 'api') => {
  const table = new RouteTable<string>();
  table.add(template, prefix, [], 'fn');
  return table.match('GET', pathname) !== undefined;
};

describe('literal routes', () => {
  it('match case-insensitively under the prefix, ignoring a trailing slash', () => {
    expect(matches('webhooks/acr', '/api/webhooks/acr')).toBe(true);
    expect(matches('webhooks/acr', '/API/Webhooks/ACR/')).toBe(true);
    expect(matches('webhooks/acr', '/webhooks/acr')).toBe(false);
    expect(matches('webhooks/acr', '/api/webhooks/acr/extra')).toBe(false);
    expect(matches('webhooks/acr', '/api/webhooks')).toBe(false);
  });

  it('support an empty or multi-segment prefix', () => {
    expect(matches('items', '/items', '')).toBe(true);
    expect(matches('items', '/v1/public/items', '/v1/public/')).toBe(true);
    expect(matches('', '/api', 'api')).toBe(true);
  });

  it('print with the prefix, as func start does', () => {
    const table = new RouteTable<string>();
    expect(table.add('/webhooks/acr/', '/api/', ['post'], 'fn')).toEqual({ path: 'api/webhooks/acr', methods: ['POST'], value: 'fn' });
  });

  it('refuse a template with route parameters, naming it', () => {
    const table = new RouteTable<string>();
    expect(() => table.add('items/{id}', 'api', [], 'fn')).toThrow(RouteTemplateError);
    expect(() => table.add('files/{*path}', 'api', [], 'fn')).toThrow(/route "files\/\{\*path\}" has route parameters/);
  });
});

describe('RouteTable', () => {
  it('filters by method, and an empty method list accepts any', () => {
    const table = new RouteTable<string>();
    table.add('things', 'api', ['get'], 'read');
    table.add('things', 'api', ['POST', 'PUT'], 'write');
    table.add('any', 'api', [], 'any');
    expect(table.match('GET', '/api/things')?.value).toBe('read');
    expect(table.match('put', '/api/things')?.value).toBe('write');
    expect(table.match('DELETE', '/api/things')).toBeUndefined();
    expect(table.match('PATCH', '/api/any')?.value).toBe('any');
  });

  it('gives a path and method to the function registered first', () => {
    const table = new RouteTable<string>();
    table.add('same', 'api', [], 'first');
    table.add('same', 'api', ['GET'], 'second');
    expect(table.match('GET', '/api/same')?.value).toBe('first');
  });
});
