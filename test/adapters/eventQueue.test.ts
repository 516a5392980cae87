import { QueueClient } from '@azure/storage-queue';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EventQueue } from '../../src/adapters/eventQueue';
import type { RegistryEvent } from '../../src/core/events';
import { startTestAzurite } from '../integration/support/azurite';
import { samplePush } from '../support/sampleEvent';

const event: RegistryEvent = samplePush;

let azurite: Awaited<ReturnType<typeof startTestAzurite>>;
beforeAll(async () => {
  azurite = await startTestAzurite();
});
afterAll(() => azurite?.stop());

describe('EventQueue against Azurite', () => {
  it('creates the queue on first use and writes base64 JSON, as the Functions host expects', async () => {
    const queue = new EventQueue({ kind: 'connectionString', connectionString: azurite.connectionString }, 'test-events');
    expect((await queue.enqueue([event, { ...event, id: 'e2' }])).map((o) => o.outcome)).toEqual(['queued', 'queued']);
    const client = new QueueClient(azurite.connectionString, 'test-events');
    const { receivedMessageItems } = await client.receiveMessages({ numberOfMessages: 32 });
    const decoded = receivedMessageItems.map((m) => JSON.parse(Buffer.from(m.messageText, 'base64').toString('utf8')) as RegistryEvent);
    expect(decoded.map((e) => e.id).sort()).toEqual(['e1', 'e2']);
    expect(decoded[0]).toMatchObject({ repository: 'team/app', tag: 'v1' });
  });

  it('reports events as not queued, saying storage is unreachable, when it cannot be reached', async () => {
    const down = azurite.connectionString.replace(/QueueEndpoint=http:\/\/127\.0\.0\.1:\d+/, 'QueueEndpoint=http://127.0.0.1:1');
    const queue = new EventQueue({ kind: 'connectionString', connectionString: down }, 'test-events');
    const outcomes = await queue.enqueue([event, { ...event, id: 'e2' }]);
    expect(outcomes.map((o) => [o.event.id, o.outcome])).toEqual([
      ['e1', 'not_queued'],
      ['e2', 'not_queued'],
    ]);
    expect(outcomes[0]).toMatchObject({ reason: expect.stringMatching(/^queue storage is unreachable \(ECONNREFUSED, 2 tries\)$/) });
  });

  it('reports events it had no time to send as not queued, and queues the rest', async () => {
    const queue = new EventQueue({ kind: 'connectionString', connectionString: azurite.connectionString }, 'test-budget');
    // More events than may be in flight at once, and no time for a second round.
    const many = Array.from({ length: 200 }, (_, i) => ({ ...event, id: `b${i}` }));
    const outcomes = await queue.enqueue(many, { budgetMs: 0 });
    const notSent = outcomes.filter((o) => o.outcome === 'not_queued');
    expect(outcomes.filter((o) => o.outcome === 'queued')).toHaveLength(64);
    expect(notSent).toHaveLength(136);
    expect(notSent[0]).toMatchObject({ reason: "not sent: the delivery's 0 ms budget for queueing ran out first" });
    const props = await new QueueClient(azurite.connectionString, 'test-budget').getProperties();
    expect(props.approximateMessagesCount).toBe(64);
  });
});
