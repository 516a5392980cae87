/**
 * What the service does with a stored record that does not match its schema: read APIs
 * answer a JSON 500 naming the record; ingest fails the event, which the queue retries,
 * then poisons, and the failure is recorded naming the record.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { packJson } from '../../src/adapters/tables/entities';
import { Tables } from '../../src/adapters/tables/tables';
import { escapeKey, repositoryKey } from '../../src/core/keys';
import { startApp, type AppUnderTest } from './support/app';
import { makeImage, pushImage } from './support/images';
import { waitFor } from './support/wait';

let app: AppUnderTest;
let tables: Tables;
beforeAll(async () => {
  // Two attempts, so an event that keeps failing reaches the poison queue within seconds.
  app = await startApp({ env: { AzureFunctionsJobHost__extensions__queues__maxDequeueCount: '2' } });
  tables = new Tables({ kind: 'connectionString', connectionString: app.connectionString });
});
afterAll(() => app?.stop());

const at = '2026-11-27T10:00:00.000Z';
const imageRecord = (registry: string, repository: string, digest: string) => ({
  registry,
  repository,
  digest,
  mediaType: 'application/vnd.oci.image.manifest.v1+json',
  kind: 'image',
  status: 'ok',
  tags: ['v1'],
  firstPushedAt: at,
  lastPushedAt: at,
  platforms: [],
});

describe('a stored record that does not match its schema', () => {
  it('makes /api/image answer a JSON 500 that names the record, not a stack or an empty body', async () => {
    const registry = app.proxy.loginServer;
    const digest = 'sha256:' + 'e'.repeat(64);
    const pk = repositoryKey(registry, 'team/api');
    await (
      await tables.get('images')
    ).upsertEntity({ partitionKey: pk, rowKey: digest, ...packJson('json', { ...imageRecord(registry, 'team/api', digest), tags: 'v1' }) });

    const res = await app.get('/api/image', { registry, repository: 'team/api', digest });
    expect(res.status).toBe(500);
    expect(res.headers['content-type']).toMatch(/application\/json/);
    expect(res.json).toMatchObject({
      error: expect.stringMatching(/^stored record in acrsizeImages .* does not match its schema: tags: /),
      record: { table: 'acrsizeImages', partitionKey: pk, rowKey: digest },
      issues: expect.stringMatching(/^tags: /),
      invocationId: expect.any(String),
    });
    expect(res.body.toString('utf8')).not.toMatch(/\n\s+at /);
  });

  it('makes /api/repositories answer a JSON 500 that names the record', async () => {
    // A registry of its own: the push below lists the proxied registry's repositories.
    const registry = 'odd.azurecr.io';
    await (
      await tables.get('repositories')
    ).upsertEntity({ partitionKey: escapeKey(registry), rowKey: escapeKey('team/odd'), jsonChunks: 1, json0: '{"registry": ' });

    const res = await app.get('/api/repositories', { registry });
    expect(res.status).toBe(500);
    expect(res.json).toMatchObject({
      record: { table: 'acrsizeRepositories', partitionKey: escapeKey(registry), rowKey: 'team%2Fodd' },
      issues: 'json: not valid JSON',
    });
  });

  it('fails a push that has to update it: retried, then poisoned, and recorded as a failure naming the record', async () => {
    const registry = app.proxy.loginServer;
    const pushed = await pushImage(app.registry.url, 'team/stuck', makeImage({ layers: [700] }), { tag: 'v1' });
    const pk = repositoryKey(registry, 'team/stuck');
    await (
      await tables.get('images')
    ).upsertEntity({ partitionKey: pk, rowKey: pushed.digest, ...packJson('json', { ...imageRecord(registry, 'team/stuck', pushed.digest), status: 'fine' }) });

    expect((await app.acrPush({ repository: 'team/stuck', digest: pushed.digest, tag: 'v1' })).status).toBe(202);
    const failure = await waitFor(
      async () =>
        ((await app.get('/api/failures', { registry })).json.failures as Array<{ event?: { digest?: string }; kind: string; reason: string }>).find(
          (f) => f.event?.digest === pushed.digest,
        ),
      { timeoutMs: 30_000, message: 'the push recorded as a failure' },
    );
    expect(failure.kind).toBe('exhausted');
    // How many attempts were made is kept on the image record, which is the one that cannot be read here.
    expect(failure.reason).toMatch(
      new RegExp(
        `^gave up after \\d+ attempts: stored record in acrsizeImages \\(PartitionKey "${pk.replace(/[|.]/g, '\\$&')}", RowKey "${pushed.digest}"\\) does not match its schema: status: `,
      ),
    );
    const listed = (await app.get('/api/repositories', { registry })).json.repositories as Array<{ repository: string; lastError?: { message: string } }>;
    expect(listed.find((r) => r.repository === 'team/stuck')?.lastError?.message).toMatch(/^v1: gave up after \d+ attempts: stored record in acrsizeImages /);
  });
});
