/**
 * The Event Grid path: subscription validation handshake, ImagePushed events in the
 * Event Grid schema (as an ACR system topic delivers them), at-least-once duplicates.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SECRET, startApp, type AppUnderTest } from './support/app';
import { makeImage, pushImage } from './support/images';
import { request } from './support/http';

let app: AppUnderTest;
beforeAll(async () => {
  app = await startApp();
});
afterAll(() => app?.stop());

async function deliver(body: unknown, headers: Record<string, string>) {
  const res = await request(`${app.host.url}/api/webhooks/eventgrid`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });
  return { status: res.status, json: JSON.parse(res.body.toString() || 'null') as Record<string, unknown> };
}

/** The same ImagePushed event in the CloudEvents 1.0 schema, as an Event Grid subscription with that delivery schema sends it. */
function cloudEvent(repository: string, digest: string, tag: string, id = randomUUID()) {
  const { data, topic } = imagePushed(repository, digest, tag, id);
  return {
    specversion: '1.0',
    id,
    source: topic,
    subject: `${repository}:${tag}`,
    type: 'Microsoft.ContainerRegistry.ImagePushed',
    time: new Date().toISOString(),
    datacontenttype: 'application/json',
    data,
  };
}

function imagePushed(repository: string, digest: string, tag: string, id = randomUUID()) {
  return {
    id,
    topic: '/subscriptions/0000/resourceGroups/rg/providers/Microsoft.ContainerRegistry/registries/test',
    subject: `${repository}:${tag}`,
    eventType: 'Microsoft.ContainerRegistry.ImagePushed',
    eventTime: new Date().toISOString(),
    data: {
      id: randomUUID(),
      timestamp: new Date().toISOString(),
      action: 'push',
      target: { mediaType: 'application/vnd.oci.image.manifest.v1+json', size: 500, digest, length: 500, repository, tag },
      request: { id: randomUUID(), host: app.proxy.loginServer, method: 'PUT', useragent: 'docker', addr: '10.0.0.1' },
      actor: {},
      source: { addr: 'registry', instanceID: 'i' },
    },
    dataVersion: '1.0',
    metadataVersion: '1',
  };
}

describe('POST /api/webhooks/eventgrid', () => {
  it('answers the subscription validation handshake with the code', async () => {
    const code = randomUUID();
    const res = await deliver(
      [
        {
          id: 'v1',
          topic: 't',
          subject: '',
          eventType: 'Microsoft.EventGrid.SubscriptionValidationEvent',
          eventTime: new Date().toISOString(),
          data: { validationCode: code, validationUrl: 'https://example.invalid/validate' },
          dataVersion: '2',
          metadataVersion: '1',
        },
      ],
      { 'aeg-event-type': 'SubscriptionValidation' },
    );
    expect(res).toEqual({ status: 200, json: { validationResponse: code } });
    const bad = await deliver([{ eventType: 'Something' }], { 'aeg-event-type': 'SubscriptionValidation' });
    expect(bad.status).toBe(400);
  });

  it('records an ImagePushed event once, however often Event Grid delivers it', async () => {
    const pushed = await pushImage(app.registry.url, 'eg/app', makeImage({ layers: [3000] }), { tag: '1.0' });
    const event = imagePushed('eg/app', pushed.digest, '1.0');
    const headers = { 'aeg-event-type': 'Notification', authorization: `Bearer ${SECRET}` };
    const first = await deliver([event], headers);
    expect(first.status).toBe(202);
    expect(first.json).toEqual({ accepted: 1 });
    expect((await deliver([event], headers)).status).toBe(202);
    const points = await app.waitForPoints('eg/app', 1);
    await app.host.waitForLog(/eg\/app:1\.0@.*: ok, 1 platform\(s\), 0 new point/);
    expect(points).toHaveLength(1);
    expect(points[0]!.sizeBytes).toBe(pushed.totalSize);
  });

  it('refuses notifications without the secret or from another registry, and ignores chart events', async () => {
    const event = imagePushed('eg/app', 'sha256:' + 'c'.repeat(64), 'x');
    expect((await deliver([event], { 'aeg-event-type': 'Notification' })).status).toBe(401);
    const foreign = { ...event, data: { ...event.data, request: { ...event.data.request, host: 'elsewhere.azurecr.io' } } };
    expect((await deliver([foreign], { 'aeg-event-type': 'Notification', authorization: `Bearer ${SECRET}` })).status).toBe(403);
    const chart = { ...event, eventType: 'Microsoft.ContainerRegistry.ChartPushed' };
    const res = await deliver([chart], { 'aeg-event-type': 'Notification', authorization: `Bearer ${SECRET}` });
    expect(res.status).toBe(200);
    expect(res.json.accepted).toBe(0);
  });
});

describe('CloudEvents 1.0 on /api/webhooks/eventgrid', () => {
  it('answers the abuse-protection handshake: OPTIONS with WebHook-Request-Origin gets WebHook-Allowed-Origin', async () => {
    const res = await request(`${app.host.url}/api/webhooks/eventgrid`, {
      method: 'OPTIONS',
      headers: { 'webhook-request-origin': 'eventgrid.azure.net', 'webhook-request-rate': '120' },
    });
    expect(res.status).toBe(200);
    expect(res.headers['webhook-allowed-origin']).toBe('eventgrid.azure.net');
    expect(res.headers['webhook-allowed-rate']).toBe('*');
    const missing = await request(`${app.host.url}/api/webhooks/eventgrid`, { method: 'OPTIONS' });
    expect(missing.status).toBe(400);
    expect(JSON.parse(missing.body.toString()).error).toMatch(/WebHook-Request-Origin/);
  });

  it('records a structured-mode event (application/cloudevents+json) and a batch (application/cloudevents-batch+json)', async () => {
    const one = await pushImage(app.registry.url, 'ce/app', makeImage({ layers: [2100] }), { tag: 'one' });
    const two = await pushImage(app.registry.url, 'ce/app', makeImage({ layers: [2200] }), { tag: 'two' });
    const three = await pushImage(app.registry.url, 'ce/app', makeImage({ layers: [2300] }), { tag: 'three' });
    const auth = { authorization: `Bearer ${SECRET}` };
    const single = await deliver(cloudEvent('ce/app', one.digest, 'one'), { ...auth, 'content-type': 'application/cloudevents+json; charset=utf-8' });
    expect(single).toEqual({ status: 202, json: { accepted: 1 } });
    const batch = await deliver([cloudEvent('ce/app', two.digest, 'two'), cloudEvent('ce/app', three.digest, 'three')], {
      ...auth,
      'content-type': 'application/cloudevents-batch+json; charset=utf-8',
    });
    expect(batch).toEqual({ status: 202, json: { accepted: 2 } });
    const points = await app.waitForPoints('ce/app', 3);
    // Two events of one batch may share a millisecond: compare without order.
    expect(points.map((p) => [p.tag, p.sizeBytes]).sort()).toEqual([
      ['one', one.totalSize],
      ['three', three.totalSize],
      ['two', two.totalSize],
    ]);
  });

  it('refuses CloudEvents without the secret, and answers 400 naming what is wrong', async () => {
    const event = cloudEvent('ce/app', 'sha256:' + 'c'.repeat(64), 'x');
    const ce = { 'content-type': 'application/cloudevents+json' };
    expect((await deliver(event, ce)).status).toBe(401);
    const auth = { ...ce, authorization: `Bearer ${SECRET}` };
    const wrongVersion = await deliver({ ...event, specversion: '0.3' }, auth);
    expect(wrongVersion.status).toBe(400);
    expect(wrongVersion.json.error).toMatch(/specversion/);
    const noType = await deliver({ ...event, type: undefined }, auth);
    expect(noType.status).toBe(400);
    expect(noType.json.error).toMatch(/type/);
    const notBatch = await deliver(event, { ...auth, 'content-type': 'application/cloudevents-batch+json' });
    expect(notBatch.status).toBe(400);
    expect(notBatch.json.error).toMatch(/batch/);
  });
});
