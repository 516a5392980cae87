import { HttpRequest, InvocationContext, type HttpResponseInit } from '@azure/functions';
import { describe, expect, it } from 'vitest';
import { StoredRecordError } from '../../src/core/errors';
import { handle } from '../../src/http/handler';

const request = new HttpRequest({ method: 'GET', url: 'http://localhost/api/image' });

function run(error: unknown) {
  const logged: string[] = [];
  const context = new InvocationContext({ invocationId: 'inv-1', logHandler: (_level, ...args) => logged.push(args.join(' ')) });
  // Every wrapped handler answers with a plain init object (json() and problem()).
  const answer = handle(async () => {
    throw error;
  })(request, context) as Promise<HttpResponseInit>;
  return { answer, logged };
}

describe('handle', () => {
  it('answers a stored record that does not match its schema with a JSON 500 naming the record', async () => {
    const { answer, logged } = run(new StoredRecordError('acrsizeImages', 'r.io|team%2Fapp', 'sha256:abc', 'status: Invalid option'));
    const res = await answer;
    expect(res.status).toBe(500);
    expect(res.jsonBody).toEqual({
      error: 'stored record in acrsizeImages (PartitionKey "r.io|team%2Fapp", RowKey "sha256:abc") does not match its schema: status: Invalid option',
      record: { table: 'acrsizeImages', partitionKey: 'r.io|team%2Fapp', rowKey: 'sha256:abc' },
      issues: 'status: Invalid option',
      invocationId: 'inv-1',
    });
    expect(logged.join('\n')).toContain('acrsizeImages');
  });

  it('answers anything unexpected with a JSON 500 that carries the invocation id and no stack', async () => {
    const res = await run(new Error('boom')).answer;
    expect(res.status).toBe(500);
    expect(res.jsonBody).toEqual({ error: 'internal error', invocationId: 'inv-1' });
  });
});
