import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  boundEventTime,
  encodeEventMessage,
  eventGridValidationCode,
  InvalidNotificationError,
  MAX_QUEUE_MESSAGE_BYTES,
  normalizeAcrWebhook,
  normalizeDistributionEnvelope,
  normalizeEventGrid,
  normalizeCloudEvents,
  normalizeEventGridDelivery,
  MAX_FUTURE_SKEW_MS,
  normalizeTimestamp,
  PushEventSchema,
  RegistryEventSchema,
  withReceiveTime,
  type RegistryEvent,
} from '../../src/core/events';

const digest = 'sha256:' + 'a'.repeat(64);

// Shape from the ACR webhook reference (container-registry-webhook-reference.md).
const acrPush = {
  id: 'cb8c3971-9adc-488b-xxxx-43cbb4974ff5',
  timestamp: '2017-11-17T16:52:01.343145347Z',
  action: 'push',
  target: {
    mediaType: 'application/vnd.docker.distribution.manifest.v2+json',
    size: 524,
    digest,
    length: 524,
    repository: 'hello-world',
    tag: 'v1',
  },
  request: { id: '3cbb6949-7549-4fa1-xxxx-a6d5451dffc7', host: 'MyRegistry.azurecr.io', method: 'PUT', useragent: 'docker/17.09.0-ce' },
};

describe('normalizeAcrWebhook', () => {
  it('turns a push into one event with a millisecond UTC timestamp and a lower-case registry', () => {
    expect(normalizeAcrWebhook(acrPush)).toEqual({
      ping: false,
      ignored: [],
      events: [
        {
          id: acrPush.id,
          timestamp: '2017-11-17T16:52:01.343Z',
          action: 'push',
          source: 'acr',
          registry: 'myregistry.azurecr.io',
          repository: 'hello-world',
          digest,
          tag: 'v1',
          mediaType: 'application/vnd.docker.distribution.manifest.v2+json',
        },
      ],
    });
  });

  it('accepts untagged pushes and deletes', () => {
    const { tag: _t, ...untagged } = acrPush.target;
    expect(normalizeAcrWebhook({ ...acrPush, target: untagged }).events[0]).not.toHaveProperty('tag');
    const del = normalizeAcrWebhook({ ...acrPush, action: 'delete', target: { mediaType: acrPush.target.mediaType, digest, repository: 'hello-world' } });
    expect(del.events[0]).toMatchObject({ action: 'delete', digest });
  });

  it('answers ping and ignores chart and quarantine actions', () => {
    expect(normalizeAcrWebhook({ id: 'p', timestamp: acrPush.timestamp, action: 'ping' })).toMatchObject({ ping: true, events: [] });
    for (const action of ['chart_push', 'chart_delete', 'quarantine']) {
      const n = normalizeAcrWebhook({ ...acrPush, action });
      expect(n.events).toEqual([]);
      expect(n.ignored[0]).toMatchObject({ action });
    }
  });

  it('rejects unknown actions, missing fields and bad values with messages naming the field', () => {
    expect(() => normalizeAcrWebhook({ ...acrPush, action: 'explode' })).toThrow(/unknown action "explode"/);
    expect(() => normalizeAcrWebhook({ ...acrPush, request: {} })).toThrow(/request\.host/);
    expect(() => normalizeAcrWebhook({ ...acrPush, target: { ...acrPush.target, digest: undefined } })).toThrow(/target\.digest/);
    expect(() => normalizeAcrWebhook({ ...acrPush, target: { ...acrPush.target, digest: 'md5' } })).toThrow(
      /digest: must be sha256: and 64 lower-case hex digits, or sha512: and 128/,
    );
    expect(() => normalizeAcrWebhook({ ...acrPush, target: { ...acrPush.target, repository: 'UPPER/case' } })).toThrow(/repository/);
    expect(() => normalizeAcrWebhook({ ...acrPush, target: { ...acrPush.target, tag: '-bad' } })).toThrow(/tag/);
    expect(() => normalizeAcrWebhook({ ...acrPush, timestamp: 'yesterday' })).toThrow(/timestamp/);
    expect(() => normalizeAcrWebhook([1, 2])).toThrow(InvalidNotificationError);
    expect(() => normalizeAcrWebhook({ action: 'push' })).toThrow(/^not an ACR webhook payload: id/);
  });
});

describe('normalizeDistributionEnvelope', () => {
  const event = (action: string, target: Record<string, unknown>, id = 'e1') => ({
    id,
    timestamp: '2026-11-27T10:00:00.123456+01:00',
    action,
    target: { repository: 'team/app', ...target },
    request: { id: 'r', addr: '127.0.0.1:1', host: 'localhost:5443', method: 'PUT', useragent: 'x' },
    actor: {},
    source: { addr: 'h:5443', instanceID: 'i' },
  });

  it('keeps manifest pushes and deletes, ignores blob pushes, pulls and mounts', () => {
    const n = normalizeDistributionEnvelope({
      events: [
        event('push', { mediaType: 'application/octet-stream', digest, url: 'https://localhost:5443/v2/team/app/blobs/' + digest }, 'blob'),
        event(
          'push',
          { mediaType: 'application/vnd.oci.image.manifest.v1+json', digest, tag: 'latest', url: 'https://localhost:5443/v2/team/app/manifests/' + digest },
          'm',
        ),
        event('pull', { mediaType: 'application/vnd.oci.image.manifest.v1+json', digest }, 'pull'),
        event('mount', { mediaType: 'application/octet-stream', digest }, 'mount'),
        event('delete', { digest, url: 'https://localhost:5443/v2/team/app/manifests/' + digest }, 'del'),
      ],
    });
    expect(n.events.map((e) => [e.id, e.action, e.timestamp, e.registry])).toEqual([
      ['m', 'push', '2026-11-27T09:00:00.123Z', 'localhost:5443'],
      ['del', 'delete', '2026-11-27T09:00:00.123Z', 'localhost:5443'],
    ]);
    expect(n.ignored.map((i) => i.id)).toEqual(['blob', 'pull', 'mount']);
  });

  it('rejects envelopes without events, unknown actions and events without a host', () => {
    expect(() => normalizeDistributionEnvelope({ event: [] })).toThrow(/events/);
    expect(() => normalizeDistributionEnvelope({ events: [event('explode', {})] })).toThrow(/events\[0\]\.action: unknown action "explode"/);
    const noHost = { ...event('push', { mediaType: 'application/vnd.oci.image.manifest.v1+json', digest }), request: {} };
    expect(() => normalizeDistributionEnvelope({ events: [noHost] })).toThrow(/events\[0\]\.request\.host/);
  });
});

describe('normalizeTimestamp', () => {
  it('keeps millisecond precision in UTC and rejects non-RFC 3339 text', () => {
    expect(normalizeTimestamp('2026-11-27T10:00:00Z')).toBe('2026-11-27T10:00:00.000Z');
    expect(normalizeTimestamp('2026-11-27T10:00:00.9999999Z')).toBe('2026-11-27T10:00:00.999Z');
    expect(normalizeTimestamp('2026-11-27T00:30:00-02:00')).toBe('2026-11-27T02:30:00.000Z');
    expect(normalizeTimestamp('2026-11-27')).toBeUndefined();
    expect(normalizeTimestamp('2026-13-45T00:00:00Z')).toBeUndefined();
  });
});

describe('deletes', () => {
  it('ignores tag deletes (no digest), keeps manifest and repository deletes', () => {
    const base = { id: 'x', timestamp: '2026-11-27T10:00:00Z', request: { host: 'localhost:5443' } };
    const n = normalizeDistributionEnvelope({
      events: [
        { ...base, id: 'tag', action: 'delete', target: { repository: 'a/b', tag: 'v1' } },
        { ...base, id: 'manifest', action: 'delete', target: { repository: 'a/b', digest } },
      ],
    });
    expect(n.events.map((e) => e.id)).toEqual(['manifest']);
    expect(n.ignored).toEqual([{ id: 'tag', action: 'delete', reason: 'tag delete: the manifest and its storage remain' }]);
    const repoDelete = normalizeAcrWebhook({ ...base, action: 'delete', target: { repository: 'a/b' } });
    expect(repoDelete.events[0]).toMatchObject({ action: 'delete', repository: 'a/b' });
    expect(repoDelete.events[0]).not.toHaveProperty('digest');
  });
});

describe('normalizeEventGrid', () => {
  const pushed = (over: Record<string, unknown> = {}) => ({
    id: '831e1650-001e-001b-66ab-eeb76e069631',
    topic: '/subscriptions/s/resourceGroups/rg/providers/Microsoft.ContainerRegistry/registries/myreg',
    subject: 'hello-world:v1',
    eventType: 'Microsoft.ContainerRegistry.ImagePushed',
    eventTime: '2026-11-27T10:00:00.123456Z',
    data: {
      id: 'acr-event-id',
      timestamp: '2026-11-27T10:00:00.100Z',
      action: 'push',
      target: {
        mediaType: 'application/vnd.docker.distribution.manifest.v2+json',
        size: 524,
        digest,
        length: 524,
        repository: 'hello-world',
        tag: 'v1',
        url: 'https://myreg.azurecr.io/v2/hello-world/manifests/' + digest,
      },
      request: { id: 'r', host: 'myreg.azurecr.io', method: 'PUT', useragent: 'docker', addr: '1.2.3.4' },
      actor: { name: 'user' },
      source: { addr: 'x', instanceID: 'y' },
    },
    dataVersion: '1.0',
    metadataVersion: '1',
    ...over,
  });

  it('maps ImagePushed and ImageDeleted onto registry events keyed by the Event Grid id', () => {
    const n = normalizeEventGrid([pushed(), pushed({ id: 'del', eventType: 'Microsoft.ContainerRegistry.ImageDeleted' })]);
    expect(n.events).toEqual([
      {
        id: pushed().id,
        timestamp: '2026-11-27T10:00:00.100Z',
        action: 'push',
        source: 'eventgrid',
        registry: 'myreg.azurecr.io',
        repository: 'hello-world',
        digest,
        tag: 'v1',
        mediaType: 'application/vnd.docker.distribution.manifest.v2+json',
      },
      expect.objectContaining({ id: 'del', action: 'delete', source: 'eventgrid' }),
    ]);
  });

  it('ignores charts and untracked types, rejects what is not a batch', () => {
    const n = normalizeEventGrid([pushed({ eventType: 'Microsoft.ContainerRegistry.ChartPushed' }), pushed({ eventType: 'Contoso.Other' })]);
    expect(n.events).toEqual([]);
    expect(n.ignored.map((i) => i.action)).toEqual(['Microsoft.ContainerRegistry.ChartPushed', 'Contoso.Other']);
    expect(() => normalizeEventGrid({ events: [] })).toThrow(/not an Event Grid event batch/);
    expect(() => normalizeEventGrid([pushed({ data: { target: {} } })])).toThrow(/\[0\]\.data: request\.host/);
  });

  it('recognises the subscription validation event', () => {
    const validation = [
      {
        id: 'v',
        topic: 't',
        subject: '',
        eventType: 'Microsoft.EventGrid.SubscriptionValidationEvent',
        eventTime: '2026-11-27T10:00:00Z',
        data: { validationCode: '512d38b6-c7b8-40c8-89fe-f46f9e9622b6', validationUrl: 'https://rp/validate' },
        dataVersion: '2',
        metadataVersion: '1',
      },
    ];
    expect(eventGridValidationCode(validation)).toBe('512d38b6-c7b8-40c8-89fe-f46f9e9622b6');
    expect(eventGridValidationCode([pushed()])).toBeUndefined();
    expect(eventGridValidationCode({})).toBeUndefined();
  });
});

describe('digests and message size', () => {
  it('accepts sha256 and sha512 in lower-case hex of the exact length only', () => {
    const ok = (d: string) => PushEventSchema.shape.digest.safeParse(d).success;
    expect(ok('sha256:' + 'a'.repeat(64))).toBe(true);
    expect(ok('sha512:' + '0'.repeat(128))).toBe(true);
    for (const bad of [
      'md5:' + 'a'.repeat(32),
      'a:b',
      'sha256:' + 'A'.repeat(64),
      'sha256:' + 'a'.repeat(65),
      'sha512:' + 'a'.repeat(64),
      'sha256:' + 'a'.repeat(70_000),
      'sha256:' + 'g'.repeat(64),
    ]) {
      expect(ok(bad), bad.slice(0, 20)).toBe(false);
    }
  });

  it('encodes any valid event, however extreme its fields, into a queue message under 64 KiB', () => {
    const segment = fc.stringMatching(/^[a-z0-9]{1,8}$/);
    const event = fc.record({
      id: fc.string({ unit: 'binary', minLength: 1, maxLength: 256 }),
      timestamp: fc.constant('2026-11-27T10:00:00.000Z'),
      action: fc.constantFrom('push' as const, 'delete' as const),
      source: fc.constantFrom('acr' as const, 'distribution' as const, 'eventgrid' as const),
      registry: fc.string({ unit: 'binary', minLength: 1, maxLength: 253 }),
      repository: fc.array(segment, { minLength: 1, maxLength: 28 }).map((p) => p.join('/').slice(0, 256).replace(/\/+$/, '')),
      digest: fc.constantFrom('sha512:' + 'f'.repeat(128)),
      tag: fc.stringMatching(/^[a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}$/),
      mediaType: fc.string({ unit: 'binary', maxLength: 256 }),
    });
    fc.assert(
      fc.property(event, (e) => {
        const parsed = RegistryEventSchema.parse(e);
        expect(encodeEventMessage(parsed).length).toBeLessThanOrEqual(MAX_QUEUE_MESSAGE_BYTES);
      }),
      { seed: 14, numRuns: 300 },
    );
    // The worst case by hand: every string at its limit with characters JSON escapes as \u00XX.
    const worst = RegistryEventSchema.parse({
      id: '\u0001'.repeat(256),
      timestamp: '2026-11-27T10:00:00.000Z',
      action: 'push',
      source: 'acr',
      registry: '\u0001'.repeat(253),
      repository: 'a'.repeat(256),
      digest: 'sha512:' + 'f'.repeat(128),
      tag: 'T'.repeat(128),
      mediaType: '\u0001'.repeat(256),
    });
    expect(encodeEventMessage(worst).length).toBeLessThan(MAX_QUEUE_MESSAGE_BYTES / 4);
  });
});

describe('boundEventTime', () => {
  const received = '2026-12-02T12:00:00.000Z';
  const at = (ms: number) => new Date(Date.parse(received) + ms).toISOString();

  it('keeps times within 5 minutes ahead and the maximum age behind the receive time', () => {
    expect(boundEventTime(at(5 * 60_000), received)).toEqual({ timestamp: at(5 * 60_000) });
    expect(boundEventTime(at(-7 * 24 * 3_600_000), received)).toEqual({ timestamp: at(-7 * 24 * 3_600_000) });
    expect(boundEventTime(received, received)).toEqual({ timestamp: received });
  });

  it('replaces times further ahead or behind by the receive time and keeps the reported one', () => {
    expect(boundEventTime('9999-12-31T23:59:59.000Z', received)).toEqual({ timestamp: received, reportedTimestamp: '9999-12-31T23:59:59.000Z' });
    expect(boundEventTime(at(5 * 60_000 + 1), received)).toEqual({ timestamp: received, reportedTimestamp: at(5 * 60_000 + 1) });
    expect(boundEventTime(at(-7 * 24 * 3_600_000 - 1), received)).toEqual({ timestamp: received, reportedTimestamp: at(-7 * 24 * 3_600_000 - 1) });
    expect(boundEventTime('2001-01-01T00:00:00.000Z', received, 3_600_000)).toMatchObject({ timestamp: received });
    expect(boundEventTime(at(-2 * 3_600_000), received, 3_600_000)).toMatchObject({ reportedTimestamp: at(-2 * 3_600_000) });
  });

  it('always yields a time within the window, and bounding again changes nothing', () => {
    const event = (timestamp: string): RegistryEvent => ({
      id: 'e',
      timestamp,
      action: 'push',
      source: 'acr',
      registry: 'r.azurecr.io',
      repository: 'a/b',
      digest,
    });
    fc.assert(
      fc.property(
        fc.date({ min: new Date('0001-01-01T00:00:00Z'), max: new Date('9999-12-31T23:59:59Z'), noInvalidDate: true }),
        fc.integer({ min: 1, max: 24 * 366 }),
        (d, hours) => {
          const once = withReceiveTime(event(d.toISOString()), received, hours * 3_600_000);
          const t = Date.parse(once.timestamp);
          expect(t).toBeLessThanOrEqual(Date.parse(received) + MAX_FUTURE_SKEW_MS);
          expect(t).toBeGreaterThanOrEqual(Date.parse(received) - hours * 3_600_000);
          expect(once.receivedAt).toBe(received);
          expect(once.reportedTimestamp === undefined).toBe(once.timestamp === d.toISOString());
          expect(RegistryEventSchema.parse(once)).toEqual(once);
          // Again later (the queue trigger), with another receive time: the first bound stands.
          expect(withReceiveTime(once, '2027-06-01T00:00:00.000Z', hours * 3_600_000)).toEqual(once);
        },
      ),
      { seed: 6, numRuns: 500 },
    );
  });

  it('leaves old queued messages without the new fields valid', () => {
    expect(RegistryEventSchema.safeParse({ id: 'e', timestamp: received, action: 'push', source: 'acr', registry: 'r', repository: 'a', digest }).success).toBe(
      true,
    );
  });
});

describe('normalizeCloudEvents and the Event Grid delivery schemas', () => {
  const data = {
    id: 'ignored-inner-id',
    timestamp: '2026-11-20T10:00:00.000Z',
    action: 'push',
    target: { mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: 'sha256:' + 'a'.repeat(64), repository: 'team/app', tag: 'v1' },
    request: { id: 'r', host: 'myregistry.azurecr.io' },
  };
  const ce = {
    specversion: '1.0',
    id: 'ce-1',
    source: '/subscriptions/x/resourceGroups/y/providers/Microsoft.ContainerRegistry/registries/myregistry',
    type: 'Microsoft.ContainerRegistry.ImagePushed',
    time: '2026-11-20T10:00:01Z',
    data,
  };

  it('maps a structured-mode event and a batch to the same events as the Event Grid schema', () => {
    const one = normalizeCloudEvents(ce, false);
    expect(one.events).toEqual([
      expect.objectContaining({ id: 'ce-1', action: 'push', source: 'eventgrid', registry: 'myregistry.azurecr.io', repository: 'team/app', tag: 'v1' }),
    ]);
    const both = normalizeCloudEvents([ce, { ...ce, id: 'ce-2', type: 'Microsoft.ContainerRegistry.ChartPushed' }], true);
    expect(both.events.map((e) => e.id)).toEqual(['ce-1']);
    expect(both.ignored).toEqual([{ id: 'ce-2', action: 'Microsoft.ContainerRegistry.ChartPushed', reason: 'Helm charts in ACR are not container images' }]);
  });

  it('picks the schema from the content type, or from a lone object with specversion', () => {
    expect(normalizeEventGridDelivery(ce, 'application/cloudevents+json; charset=utf-8').events).toHaveLength(1);
    expect(normalizeEventGridDelivery([ce], 'application/cloudevents-batch+json').events).toHaveLength(1);
    expect(normalizeEventGridDelivery(ce, 'application/json').events).toHaveLength(1);
    expect(
      normalizeEventGridDelivery(
        [{ id: 'eg', eventType: 'Microsoft.ContainerRegistry.ImagePushed', eventTime: '2026-11-20T10:00:01Z', data }],
        'application/json',
      ).events,
    ).toHaveLength(1);
  });

  it('names what is wrong', () => {
    expect(() => normalizeCloudEvents({ ...ce, specversion: '0.3' }, false)).toThrow(/specversion/);
    expect(() => normalizeCloudEvents(ce, true)).toThrow(/JSON array/);
    expect(() => normalizeCloudEvents([ce], false)).toThrow(/batch/);
    expect(() => normalizeCloudEvents({ ...ce, data: { ...data, target: { ...data.target, digest: 'md5:abc' } } }, false)).toThrow(InvalidNotificationError);
  });
});
