import type { IncomingMessage } from 'node:http';
import { HttpRequest } from '@azure/functions';
import { describe, expect, it } from 'vitest';
import { bufferedRequest, requestHead, StreamedHttpRequest } from '../src/request';

const url = new URL('http://localhost:7071/api/items?tag=a&tag=b');
const incoming = (method: string, rawHeaders: string[]) => ({ method, rawHeaders }) as unknown as IncomingMessage;

function streamOf(...chunks: string[]): ReadableStream<Uint8Array> {
  return new ReadableStream({
    start(controller) {
      for (const chunk of chunks) controller.enqueue(new TextEncoder().encode(chunk));
      controller.close();
    },
  });
}

describe('requestHead', () => {
  it('joins a repeated header as Headers does, and keeps odd header names as plain headers', () => {
    const head = requestHead(incoming('post', ['Accept', 'a/b', 'accept', 'c/d', '__proto__', 'x', 'Constructor', 'y']), url);
    expect(head.method).toBe('POST');
    expect(Object.entries(head.headers)).toEqual([
      ['accept', 'a/b, c/d'],
      ['__proto__', 'x'],
      ['constructor', 'y'],
    ]);
    expect(bufferedRequest(head, undefined).headers.get('constructor')).toBe('y');
  });
});

describe('bufferedRequest', () => {
  it("is the library's HttpRequest, with the body, the URL's query and no route parameters", async () => {
    const request = bufferedRequest(requestHead(incoming('POST', ['Content-Type', 'application/json']), url), Buffer.from('{"a":1}'));
    expect(request).toBeInstanceOf(HttpRequest);
    expect(request.method).toBe('POST');
    expect(request.url).toBe(url.toString());
    expect(request.headers.get('content-type')).toBe('application/json');
    expect(request.query.getAll('tag')).toEqual(['a', 'b']);
    expect(request.params).toEqual({});
    expect(await request.json()).toEqual({ a: 1 });
  });

  it('has no body for a GET', () => {
    expect(bufferedRequest(requestHead(incoming('GET', []), url), undefined).body).toBeNull();
  });
});

describe('StreamedHttpRequest', () => {
  it('hands the body over as a stream, chunk by chunk', async () => {
    const request = StreamedHttpRequest.from(requestHead(incoming('POST', []), url), streamOf('ab', 'cd'));
    const seen: string[] = [];
    for await (const chunk of request.body!) seen.push(Buffer.from(chunk as Uint8Array).toString());
    expect(seen).toEqual(['ab', 'cd']);
    expect(request.bodyUsed).toBe(true);
  });

  it('derives the rest as the library does: query, headers, user', () => {
    const principal = Buffer.from(JSON.stringify({ auth_typ: 'aad', claims: [], name_typ: 'name', role_typ: 'role' })).toString('base64');
    const headers = [
      'X-MS-CLIENT-PRINCIPAL',
      principal,
      'x-ms-client-principal-id',
      'u1',
      'x-ms-client-principal-name',
      'ann',
      'x-ms-client-principal-idp',
      'aad',
    ];
    const request = StreamedHttpRequest.from(requestHead(incoming('PUT', headers), url), undefined);
    expect(request.method).toBe('PUT');
    expect(request.query.getAll('tag')).toEqual(['a', 'b']);
    expect(request.headers.get('x-ms-client-principal-name')).toBe('ann');
    expect(request.user).toMatchObject({ type: 'AppService', id: 'u1', username: 'ann', identityProvider: 'aad' });
    expect(request.body).toBeNull();
  });

  it('reads text, JSON and form bodies, and clones with the body', async () => {
    const form = StreamedHttpRequest.from(requestHead(incoming('POST', ['content-type', 'application/x-www-form-urlencoded']), url), streamOf('a=1&b=2'));
    const copy = form.clone();
    expect((await form.formData()).get('b')).toBe('2');
    expect(await copy.text()).toBe('a=1&b=2');
    expect(await StreamedHttpRequest.from(requestHead(incoming('POST', []), url), streamOf('[1,', '2]')).json()).toEqual([1, 2]);
  });
});
