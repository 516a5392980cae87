import { QueueClient } from '@azure/storage-queue';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EventQueue } from '../../../src/adapters/eventQueue';
import type { RegistryEvent } from '../../../src/core/events';
import { startTestAzurite } from '../support/azurite';

const event: RegistryEvent = {
  id: 'e1',
  timestamp: '2026-11-27T10:00:00.000Z',
  action: 'push',
  source: 'acr',
  registry: 'r.azurecr.io',
  repository: 'team/app',
  digest: 'sha256:' + 'a'.repeat(64),
  tag: 'v1',
};

let azurite: Awaited<ReturnType<typeof startTestAzurite>>;
beforeAll(async () => {
  azurite = await startTestAzurite();
});
afterAll(() => azurite?.stop());

describe('EventQueue against Azurite', () => {
  it('creates the queue on first use and writes base64 JSON, as the Functions host expects', async () => {
    const queue = new EventQueue({ kind: 'connectionString', connectionString: azurite.connectionString }, 'test-events');
    await queue.enqueue([event, { ...event, id: 'e2' }]);
    const client = new QueueClient(azurite.connectionString, 'test-events');
    const { receivedMessageItems } = await client.receiveMessages({ numberOfMessages: 32 });
    const decoded = receivedMessageItems.map((m) => JSON.parse(Buffer.from(m.messageText, 'base64').toString('utf8')) as RegistryEvent);
    expect(decoded.map((e) => e.id).sort()).toEqual(['e1', 'e2']);
    expect(decoded[0]).toMatchObject({ repository: 'team/app', tag: 'v1' });
  });

  it('fails fast, well inside ACR 5 s budget, when storage cannot be reached', async () => {
    const down = azurite.connectionString.replace(/QueueEndpoint=http:\/\/127\.0\.0\.1:\d+/, 'QueueEndpoint=http://127.0.0.1:1');
    const queue = new EventQueue({ kind: 'connectionString', connectionString: down }, 'test-events');
    const started = Date.now();
    await expect(queue.enqueue([event])).rejects.toThrow();
    expect(Date.now() - started).toBeLessThan(4500);
  });
});
