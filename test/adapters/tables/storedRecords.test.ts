/**
 * Rows that do not match the schema of what the adapters write, put there directly with
 * the TableClient (as a manual edit, a bug or another version would): every adapter
 * family reports a StoredRecordError naming the table and row instead of using them.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AlertTable } from '../../../src/adapters/tables/alertTable';
import { BlobTable } from '../../../src/adapters/tables/blobTable';
import { ContentTable } from '../../../src/adapters/tables/contentTable';
import { packJson } from '../../../src/adapters/tables/entities';
import { FailureTable } from '../../../src/adapters/tables/failureTable';
import { ImageTable } from '../../../src/adapters/tables/imageTable';
import { PointTable } from '../../../src/adapters/tables/pointTable';
import { PolicyTable } from '../../../src/adapters/tables/policyTable';
import { RepositoryTable } from '../../../src/adapters/tables/repositoryTable';
import { Tables, type TableName } from '../../../src/adapters/tables/tables';
import { StoredRecordError } from '../../../src/core/errors';
import { escapeKey, repositoryKey } from '../../../src/core/keys';
import { MANIFEST_PARSER_VERSION } from '../../../src/core/manifest';
import { TABLES } from '../../../src/names';
import { samplePoint } from '../../support/samplePoint';
import { startTestAzurite } from '../../integration/support/azurite';

let azurite: Awaited<ReturnType<typeof startTestAzurite>>;
let tables: Tables;

beforeAll(async () => {
  azurite = await startTestAzurite();
  tables = new Tables({ kind: 'connectionString', connectionString: azurite.connectionString });
});
afterAll(() => azurite?.stop());

const registry = 'broken.azurecr.io';
const digest = 'sha256:' + 'd'.repeat(64);

/** Writes a row as it is, past every adapter. */
async function writeRow(table: TableName, partitionKey: string, rowKey: string, properties: Record<string, unknown>) {
  const client = await tables.get(table);
  await client.upsertEntity({ partitionKey, rowKey, ...properties }, 'Replace');
}

/** The read fails with a StoredRecordError naming the table, the row and what is wrong with it. */
async function expectRefused(read: Promise<unknown>, table: TableName, partitionKey: string, rowKey: string, issue: RegExp) {
  const error = await read.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(StoredRecordError);
  expect(error).toMatchObject({ table: TABLES[table], partitionKey, rowKey });
  const message = (error as Error).message;
  expect(message).toContain(`in ${TABLES[table]} (PartitionKey "${partitionKey}", RowKey "${rowKey}")`);
  expect(message).toMatch(issue);
}

const image = {
  registry,
  repository: 'team/api',
  digest,
  mediaType: 'm',
  kind: 'image',
  status: 'ok',
  tags: ['v1'],
  firstPushedAt: samplePoint.pushedAt,
  lastPushedAt: samplePoint.pushedAt,
  platforms: [],
};

describe('a stored record that does not match its schema', () => {
  it('is refused by the image table, on reads and on read-modify-write updates', async () => {
    const pk = repositoryKey(registry, 'team/api');
    await writeRow('images', pk, digest, packJson('json', { ...image, status: 'gone' }));
    const images = new ImageTable(tables);
    await expectRefused(images.get(registry, 'team/api', digest), 'images', pk, digest, /status: Invalid option/);
    await expectRefused(
      images.update(registry, 'team/api', digest, (r) => r!),
      'images',
      pk,
      digest,
      /status/,
    );
  });

  it('is refused by the repository table, also when one summary of a listing is wrong', async () => {
    const pk = escapeKey(registry);
    const repositories = new RepositoryTable(tables);
    await repositories.update(registry, 'team/fine', samplePoint.pushedAt, (s) => s);
    const { sizeBytes: _dropped, ...pointWithoutSize } = samplePoint;
    await writeRow(
      'repositories',
      pk,
      escapeKey('team/api'),
      packJson('json', { registry, repository: 'team/api', firstSeenAt: samplePoint.pushedAt, latestByPlatform: { 'linux/amd64': pointWithoutSize } }),
    );
    await expectRefused(repositories.get(registry, 'team/api'), 'repositories', pk, 'team%2Fapi', /latestByPlatform\.linux\/amd64\.sizeBytes/);
    await expectRefused(repositories.list(registry, { limit: 1000 }), 'repositories', pk, 'team%2Fapi', /sizeBytes/);
  });

  it('is refused by the failure table when its JSON is not JSON at all', async () => {
    const pk = escapeKey(registry);
    await writeRow('failures', pk, 'f'.repeat(32), { jsonChunks: 1, json0: '{"id": "truncated' });
    await expectRefused(new FailureTable(tables).list(registry, 10), 'failures', pk, 'f'.repeat(32), /json: not valid JSON/);
  });

  it('is refused by the content table, for configs and manifests, one by one and in a batch', async () => {
    const pk = escapeKey(registry);
    const content = new ContentTable(tables);
    await writeRow('content', pk, `c|${digest}`, { parser: 2, ...packJson('json', { os: 'linux', layerHistory: 'RUN make' }) });
    await expectRefused(content.getConfig(registry, digest), 'content', pk, `c|${digest}`, /layerHistory/);
    await writeRow('content', pk, `m|${digest}`, {
      parser: MANIFEST_PARSER_VERSION,
      ...packJson('json', { kind: 'chart', mediaType: 'application/vnd.cncf.helm.config.v1+json' }),
    });
    await expectRefused(content.getManifest(registry, digest), 'content', pk, `m|${digest}`, /kind/);
    await expectRefused(content.getManifests(registry, [digest]), 'content', pk, `m|${digest}`, /kind/);
    const parse = packJson('json', { kind: 'unsupported', mediaType: 'x', reason: 'old' });
    await writeRow('content', pk, `m|${digest}`, {
      ...parse,
      rawMediaType: 'application/vnd.oci.image.manifest.v1+json',
      rawChunks: 1,
      raw0: '{"schemaVersion": 2}',
    });
    await expectRefused(content.getManifest(registry, digest), 'content', pk, `m|${digest}`, /raw0: expected part 1 of 1 as binary, got a string/);
  });

  it('is skipped by the policy listing (the defaults apply), refused when read alone, and repaired by writing a policy over it', async () => {
    const pk = escapeKey(registry);
    const policies = new PolicyTable(tables);
    await policies.put(registry, 'team/fine', { growthPercent: 5 }, samplePoint.pushedAt);
    await writeRow(
      'policies',
      pk,
      escapeKey('team/api'),
      packJson('json', { pattern: 'team/api', policy: { growthPercent: 'lots' }, updatedAt: samplePoint.pushedAt }),
    );
    expect((await policies.list(registry)).map((p) => p.pattern)).toEqual(['team/fine']);
    await expectRefused(policies.get(registry, 'team/api'), 'policies', pk, 'team%2Fapi', /policy\.growthPercent/);
    expect((await policies.put(registry, 'team/api', { growthPercent: 20 }, samplePoint.pushedAt)).created).toBe(false);
    expect((await policies.get(registry, 'team/api'))?.policy).toEqual({ growthPercent: 20 });
  });

  it('is refused by the alert table when an alert is listed or claimed for delivery', async () => {
    const pk = escapeKey(registry);
    const rowKey = 'a|0000000000001|00000000-0000-4000-8000-000000000001';
    const columns = {
      id: '00000000-0000-4000-8000-000000000001',
      registry,
      repository: 'team/api',
      tag: 'v1',
      platform: 'linux/amd64',
      digest,
      indexDigest: '',
      pushedAt: samplePoint.pushedAt,
      kind: 'regression',
      rules: '["growth"]',
      findings: '[]',
      state: 'lost',
      attempts: 0,
      createdAt: samplePoint.pushedAt,
      nextAttemptAt: samplePoint.pushedAt,
      sentAt: '',
      lastError: '',
      route: 'default',
      ...packJson('message', { type: 'message' }),
    };
    await writeRow('alerts', pk, rowKey, columns);
    const alerts = new AlertTable(tables);
    await expectRefused(alerts.list(registry, { limit: 10 }), 'alerts', pk, rowKey, /state: Invalid option/);
    await expectRefused(alerts.claim({ registry, rowKey }, new Date(), 60_000), 'alerts', pk, rowKey, /state/);
    await writeRow('alerts', pk, rowKey, { ...columns, state: 'pending', rules: 'growth' });
    await expectRefused(alerts.list(registry, { limit: 10 }), 'alerts', pk, rowKey, /rules: not valid JSON/);
  });

  it('is refused by the point table, for a point and for a newest-first index row', async () => {
    const pk = repositoryKey(registry, 'team/api');
    const points = new PointTable(tables);
    expect(await points.add(registry, 'team/api', samplePoint)).toBeDefined();
    const pointKey = `p|${samplePoint.pushedAt}|${samplePoint.tag}|${samplePoint.digest}`;
    const client = await tables.get('points');
    const stored = await client.getEntity<Record<string, unknown>>(pk, pointKey);
    const { partitionKey: _p, rowKey: _r, etag: _e, timestamp: _t, ...columns } = stored;
    await writeRow('points', pk, pointKey, { ...columns, sizeBytes: 'five gigabytes' });
    await expectRefused(points.query({ registry, repository: 'team/api', limit: 10 }), 'points', pk, pointKey, /sizeBytes/);
    await expectRefused(points.get({ registry, repository: 'team/api', ...samplePoint }), 'points', pk, pointKey, /sizeBytes/);

    const indexKey = `d|${escapeKey('linux/arm64')}|0000000000001|v1|${digest}`;
    await writeRow('points', pk, indexKey, { pointRowKey: 'p|x', tag: 'v1', pushedAt: samplePoint.pushedAt });
    const newestFirst = async () => {
      for await (const _ of points.newestFirst(registry, 'team/api', 'linux/arm64'));
    };
    await expectRefused(newestFirst(), 'points', pk, indexKey, /digest/);
  });

  it('is refused by the blob ledger, for a blob, a reference and the running total', async () => {
    const pk = escapeKey(registry);
    const blobs = new BlobTable(tables);
    await blobs.register(registry, 'team/api', digest, [{ digest: 'sha256:layer', sizeBytes: 10, kind: 'layer' }], samplePoint.pushedAt);
    await writeRow('blobs', pk, 'b|sha256:other', {
      digest: 'sha256:other',
      sizeBytes: 10n,
      kind: 'index',
      firstSeenAt: samplePoint.pushedAt,
      introducedBy: digest,
      introducedIn: 'team/api',
      counted: true,
    });
    await expectRefused(blobs.snapshot(registry), 'blobs', pk, 'b|sha256:other', /kind: Invalid option/);
    await writeRow('blobs', pk, 't|00', { liveBytes: 'lots' });
    await expectRefused(blobs.liveBytes(registry), 'blobs', pk, 't|00', /liveBytes/);
  });
});
