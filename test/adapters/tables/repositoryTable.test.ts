/**
 * The repository row against Azurite, counted by the proxy in front of it: every push
 * changes it, so an instance's concurrent events must not race each other for its ETag,
 * and a repository pushed to again is written without being read first.
 */
import { TableClient } from '@azure/data-tables';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RepositoryTable } from '../../../src/adapters/tables/repositoryTable';
import { Tables } from '../../../src/adapters/tables/tables';
import { escapeKey } from '../../../src/core/keys';
import { withPoint } from '../../../src/core/repository';
import { samplePoint } from '../../support/samplePoint';
import { startTestAzurite } from '../../integration/support/azurite';
import { startTableProxy, type TableProxy } from '../../integration/support/tableProxy';

let azurite: Awaited<ReturnType<typeof startTestAzurite>>;
let proxy: TableProxy;
const counted = () => new RepositoryTable(new Tables({ kind: 'connectionString', connectionString: proxy.connectionString }));

beforeAll(async () => {
  azurite = await startTestAzurite();
  proxy = await startTableProxy(azurite.connectionString);
});
afterAll(async () => {
  await proxy?.stop();
  await azurite?.stop();
});

const registry = 'summary.azurecr.io';
const at = (minute: number) => new Date(Date.parse('2026-11-01T00:00:00.000Z') + minute * 60_000).toISOString();
const platform = (i: number) => `linux/variant${i}`;
const conflicts = () => proxy.queries().filter((q) => q.status === 412 || q.status === 409).length;
const writes = () => proxy.queries().filter((q) => q.method !== 'GET').length;

describe('RepositoryTable.update', () => {
  it('applies 24 concurrent changes of one row without a conflict, in far fewer writes than changes', async () => {
    const repositories = counted();
    await repositories.get(registry, 'team/burst'); // the table exists before counting starts
    proxy.reset();
    const results = await Promise.all(
      Array.from({ length: 24 }, (_, i) =>
        repositories.update(registry, 'team/burst', at(i), (s) => withPoint(s, { ...samplePoint, platform: platform(i), pushedAt: at(i) })),
      ),
    );
    const stored = await repositories.get(registry, 'team/burst');
    expect(Object.keys(stored!.latestByPlatform).sort()).toEqual(Array.from({ length: 24 }, (_, i) => platform(i)).sort());
    expect(stored!.firstSeenAt).toBe(at(0));
    // Each caller is answered with a row that holds its own change.
    results.forEach((r, i) => expect(r.latestByPlatform[platform(i)]?.pushedAt).toBe(at(i)));
    expect(conflicts()).toBe(0);
    expect(writes()).toBeLessThanOrEqual(3);
  });

  it('writes the next change without reading, and reads again only when another instance wrote since', async () => {
    const one = counted();
    const other = counted();
    await one.update(registry, 'team/two', at(0), (s) => withPoint(s, { ...samplePoint, platform: 'linux/amd64', pushedAt: at(0) }));
    proxy.reset();
    await one.update(registry, 'team/two', at(1), (s) => withPoint(s, { ...samplePoint, platform: 'linux/amd64', pushedAt: at(1) }));
    expect(proxy.queries().map((q) => `${q.method} ${q.status}`)).toEqual(['PUT 204']);

    await other.update(registry, 'team/two', at(2), (s) => withPoint(s, { ...samplePoint, platform: 'linux/arm64', pushedAt: at(2) }));
    proxy.reset();
    await one.update(registry, 'team/two', at(3), (s) => withPoint(s, { ...samplePoint, platform: 'linux/amd64', pushedAt: at(3) }));
    expect(proxy.queries().map((q) => `${q.method} ${q.status}`)).toEqual(['PUT 412', 'GET 200', 'PUT 204']);
    const stored = await one.get(registry, 'team/two');
    expect(stored?.latestByPlatform['linux/arm64']?.pushedAt).toBe(at(2));
    expect(stored?.latestByPlatform['linux/amd64']?.pushedAt).toBe(at(3));
  });

  it('creates the row again when it was deleted since this instance last wrote it (an operator repairing a summary)', async () => {
    const repositories = counted();
    await repositories.update(registry, 'team/gone', at(0), (s) => withPoint(s, { ...samplePoint, pushedAt: at(0) }));
    const raw = TableClient.fromConnectionString(azurite.connectionString, 'acrsizeRepositories', { allowInsecureConnection: true });
    await raw.deleteEntity(escapeKey(registry), escapeKey('team/gone'));
    proxy.reset();
    const next = await repositories.update(registry, 'team/gone', at(1), (s) => withPoint(s, { ...samplePoint, pushedAt: at(1) }));
    expect(next.firstSeenAt).toBe(at(1));
    expect(proxy.queries().map((q) => `${q.method} ${q.status}`)).toEqual(['PUT 404', 'GET 404', 'POST 204']);
    expect((await repositories.get(registry, 'team/gone'))?.latestByPlatform[samplePoint.platform]?.pushedAt).toBe(at(1));

    // A change that leaves the remembered row as it was (a re-delivery) still restores a row deleted since.
    await raw.deleteEntity(escapeKey(registry), escapeKey('team/gone'));
    await repositories.update(registry, 'team/gone', at(1), (s) => withPoint(s, { ...samplePoint, pushedAt: at(1) }));
    expect((await repositories.get(registry, 'team/gone'))?.latestByPlatform[samplePoint.platform]?.pushedAt).toBe(at(1));
  });

  it('keeps each latest point brief: what the listing answers, not the comparison and estimates the trend holds', async () => {
    const repositories = counted();
    expect(samplePoint.estimates).toBeDefined();
    await repositories.update(registry, 'team/brief', at(0), (s) => withPoint(s, { ...samplePoint, pushedAt: at(0) }));
    const raw = TableClient.fromConnectionString(azurite.connectionString, 'acrsizeRepositories', { allowInsecureConnection: true });
    const row = await raw.getEntity<Record<string, unknown>>(escapeKey(registry), escapeKey('team/brief'));
    const json = String(row.json0);
    expect(json).not.toContain('estimates');
    expect(json).not.toContain('addedBytes');
    expect(json.length).toBeLessThan(600);
    expect((await repositories.get(registry, 'team/brief'))?.latestByPlatform[samplePoint.platform]).toEqual({
      pushedAt: at(0),
      tag: samplePoint.tag,
      digest: samplePoint.digest,
      indexDigest: samplePoint.indexDigest,
      platform: samplePoint.platform,
      sizeBytes: samplePoint.sizeBytes,
      layerCount: samplePoint.layerCount,
      sizeDeltaBytes: samplePoint.sizeDeltaBytes,
      baselineDigest: samplePoint.baselineDigest,
      baselineTag: samplePoint.baselineTag,
    });
  });

  it('fails the callers of a change that throws, and runs the next change of the row all the same', async () => {
    const repositories = counted();
    const failing = repositories.update(registry, 'team/fails', at(0), () => {
      throw new Error('a point read failed');
    });
    await expect(failing).rejects.toThrow('a point read failed');
    const next = await repositories.update(registry, 'team/fails', at(1), (s) => withPoint(s, { ...samplePoint, pushedAt: at(1) }));
    expect(next.latestByPlatform[samplePoint.platform]?.pushedAt).toBe(at(1));
  });
});
