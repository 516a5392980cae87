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
      [{ id: 'v1', topic: 't', subject: '', eventType: 'Microsoft.EventGrid.SubscriptionValidationEvent', eventTime: new Date().toISOString(), data: { validationCode: code, validationUrl: 'https://example.invalid/validate' }, dataVersion: '2', metadataVersion: '1' }],
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
