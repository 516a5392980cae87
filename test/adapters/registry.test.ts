import tls from 'node:tls';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RegistryClient } from '../../src/adapters/registry';
import { PermanentError, TransientError } from '../../src/core/errors';
import { makeImage, pushImage } from '../integration/support/images';
import { startRegistryProxy, type RegistryProxy } from '../integration/support/proxy';
import { startRegistry, type TestRegistry } from '../integration/support/registry';
import { serverTlsOptions } from '../integration/support/tls';

/** A local registry without auth never challenges, so no token is ever requested. */
const noTokens = {
  getToken: async () => {
    throw new Error('a token was requested from an anonymous registry');
  },
};

let registry: TestRegistry;
let proxy: RegistryProxy;
beforeAll(async () => {
  registry = await startRegistry();
  proxy = await startRegistryProxy(registry.url);
});
afterAll(async () => {
  await proxy?.stop();
  await registry?.stop();
});

async function drain(stream: AsyncIterable<Uint8Array>): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(Buffer.from(c));
  return Buffer.concat(chunks);
}

describe('RegistryClient.openBlob against a real registry over TLS', () => {
  it('streams a layer blob whole, in one request', async () => {
    const image = makeImage({ layers: [3 * 1024 * 1024] });
    await pushImage(registry.url, 'team/layers', image);
    const client = new RegistryClient({ timeoutMs: 5000, maxRetries: 0, credential: noTokens });
    proxy.reset();
    const bytes = await drain(await client.openBlob(proxy.loginServer, 'team/layers', image.layers[0]!.digest));
    expect(bytes.equals(image.layers[0]!.bytes)).toBe(true);
    expect(proxy.count()).toBe(1);
  });

  it('treats a blob the registry does not have as permanent, and a 500 as transient after the SDK retries', async () => {
    const image = makeImage({ layers: [1000] });
    await pushImage(registry.url, 'team/layers', image);
    const client = new RegistryClient({ timeoutMs: 5000, maxRetries: 1, credential: noTokens });
    const missing = await client.openBlob(proxy.loginServer, 'team/layers', 'sha256:' + 'e'.repeat(64)).catch((e: unknown) => e);
    expect(missing).toBeInstanceOf(PermanentError);
    expect((missing as PermanentError).status).toBe(404);
    proxy.reset();
    proxy.failNext(2, 500);
    const failed = await client.openBlob(proxy.loginServer, 'team/layers', image.layers[0]!.digest).catch((e: unknown) => e);
    expect(failed).toBeInstanceOf(TransientError);
    proxy.failNext(1, 500);
    const bytes = await drain(await client.openBlob(proxy.loginServer, 'team/layers', image.layers[0]!.digest));
    expect(bytes.equals(image.layers[0]!.bytes)).toBe(true);
  });
});

describe('RegistryClient against a real registry over TLS', () => {
  it('fetches a manifest by digest and its config blob, one request each', async () => {
    const image = makeImage({ format: 'docker', layers: [1000, 2000] });
    const pushed = await pushImage(registry.url, 'team/api', image, { tag: 'v1' });
    let requests = 0;
    const client = new RegistryClient({ timeoutMs: 5000, maxRetries: 0, credential: noTokens, onRequest: () => requests++ });
    proxy.reset();
    const m = await client.getManifest(proxy.loginServer, 'team/api', pushed.digest);
    expect(m.digest).toBe(pushed.digest);
    expect(m.mediaType).toBe('application/vnd.docker.distribution.manifest.v2+json');
    expect(m.content.equals(pushed.manifestBytes)).toBe(true);
    const config = await client.getBlob(proxy.loginServer, 'team/api', pushed.configDigest);
    expect(config.equals(image.config.bytes)).toBe(true);
    expect(requests).toBe(2);
    expect(proxy.count()).toBe(2);
  });

  it('treats 404 as permanent', async () => {
    const client = new RegistryClient({ timeoutMs: 5000, maxRetries: 0, credential: noTokens });
    const err = await client.getManifest(registry.loginServer, 'team/api', 'sha256:' + '0'.repeat(64)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PermanentError);
    expect((err as PermanentError).status).toBe(404);
  });

  it('treats 500 and 429 as transient, and the SDK retries 5xx within the configured bound', async () => {
    const image = makeImage({ layers: [10] });
    const pushed = await pushImage(registry.url, 'team/retry', image);
    const client = new RegistryClient({ timeoutMs: 10_000, maxRetries: 1, credential: noTokens });
    proxy.reset();
    proxy.failNext(2, 500);
    const err = await client.getManifest(proxy.loginServer, 'team/retry', pushed.digest).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TransientError);
    expect((err as TransientError).status).toBe(500);
    expect(proxy.count()).toBe(2); // the first try and one retry
    proxy.failNext(1, 500);
    const ok = await client.getManifest(proxy.loginServer, 'team/retry', pushed.digest);
    expect(ok.digest).toBe(pushed.digest);
    // 429 without Retry-After is not retried by the SDK: the queue's retry takes over.
    proxy.failNext(1, 429);
    const throttled = await client.getManifest(proxy.loginServer, 'team/retry', pushed.digest).catch((e: unknown) => e);
    expect(throttled).toBeInstanceOf(TransientError);
    expect((throttled as TransientError).status).toBe(429);
  });

  it('treats no answer within the timeout as transient', async () => {
    const silent = tls.createServer(serverTlsOptions(), () => undefined);
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    const port = (silent.address() as AddressInfo).port;
    try {
      const client = new RegistryClient({ timeoutMs: 1000, maxRetries: 0, credential: noTokens });
      const started = Date.now();
      const err = await client.getManifest(`localhost:${port}`, 'x', 'sha256:' + '1'.repeat(64)).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(TransientError);
      expect((err as Error).message).toMatch(/no answer within 1000 ms/);
      expect(Date.now() - started).toBeLessThan(5000);
    } finally {
      silent.close();
    }
  });

  it('treats a refused connection as transient', async () => {
    const client = new RegistryClient({ timeoutMs: 2000, maxRetries: 0, credential: noTokens });
    const err = await client.getManifest('localhost:1', 'x', 'sha256:' + '1'.repeat(64)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TransientError);
  });
});
