/**
 * Content analysis state in Table Storage (Azurite): a layer is claimed by one image
 * only, whoever comes second waits for it; waiting rows name the images a finished layer
 * must look at; an image's content record changes under its ETag.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LayerTable } from '../../../src/adapters/tables/layerTable';
import { Tables } from '../../../src/adapters/tables/tables';
import type { ImageContentRecord } from '../../../src/core/contentAnalysis';
import { Slots, requestContent } from '../../../src/services/contentAnalysis';
import { startTestAzurite } from '../../integration/support/azurite';

let azurite: Awaited<ReturnType<typeof startTestAzurite>>;
let table: LayerTable;

beforeAll(async () => {
  azurite = await startTestAzurite();
  table = new LayerTable(new Tables({ kind: 'connectionString', connectionString: azurite.connectionString }));
});
afterAll(() => azurite?.stop());

const registry = 'localhost:5443';
const d = (n: number) => `sha256:${n.toString(16).padStart(64, '0')}`;
const gz = 'application/vnd.oci.image.layer.v1.tar+gzip';
const now = new Date('2026-12-04T00:00:00.000Z');

describe('LayerTable', () => {
  it('lets one of several concurrent claims of a layer win, and re-claims a stale pending one by its ETag', async () => {
    const layer = { digest: d(1), mediaType: gz, compressedBytes: 3_000_000_000 };
    const claims = await Promise.all(Array.from({ length: 6 }, () => table.claim(registry, layer, now, undefined, d(900))));
    expect(claims.filter(Boolean)).toHaveLength(1);
    const row = (await table.layers(registry, [d(1)])).get(d(1))!;
    expect(row).toMatchObject({
      pendingSince: now.toISOString(),
      claimedBy: d(900),
      record: { digest: d(1), status: 'pending', compressedBytes: 3_000_000_000 },
    });
    // Two requests both find it stale: only the first re-claim (by ETag) wins.
    const later = new Date(now.getTime() + 3_600_000);
    expect(await Promise.all([table.claim(registry, layer, later, row, d(901)), table.claim(registry, layer, later, row, d(901))])).toEqual(
      expect.arrayContaining([true, false]),
    );
  });

  it('records what reading a layer measured, and answers many layers in one lookup', async () => {
    await table.record(registry, {
      digest: d(2),
      mediaType: gz,
      compressedBytes: 10,
      status: 'done',
      uncompressedBytes: 5_000_000_000,
      fileCount: 12,
      diffId: d(20),
      analyzedAt: now.toISOString(),
    });
    await table.record(registry, {
      digest: d(3),
      mediaType: 'application/x-odd',
      compressedBytes: 1,
      status: 'not analyzed',
      reason: 'unknown layer media type',
      permanent: true,
    });
    const rows = await table.layers(registry, [d(2), d(3), d(4), ...Array.from({ length: 20 }, (_, i) => d(100 + i))]);
    expect([...rows.keys()].sort()).toEqual([d(2), d(3)]);
    expect(rows.get(d(2))?.record).toEqual({
      digest: d(2),
      mediaType: gz,
      compressedBytes: 10,
      status: 'done',
      uncompressedBytes: 5_000_000_000,
      fileCount: 12,
      diffId: d(20),
      analyzedAt: now.toISOString(),
    });
    expect(rows.get(d(2))?.pendingSince).toBeUndefined();
    expect(rows.get(d(3))?.record).toEqual({
      digest: d(3),
      mediaType: 'application/x-odd',
      compressedBytes: 1,
      status: 'not analyzed',
      reason: 'unknown layer media type',
      permanent: true,
    });
  });

  it('lists the images waiting for a layer, however many', async () => {
    const images = Array.from({ length: 130 }, (_, i) => d(1000 + i));
    for (const image of images) await table.wait(registry, image, [d(50), d(51)]);
    await table.wait(
      registry,
      d(2000),
      Array.from({ length: 150 }, (_, i) => d(3000 + i)),
    ); // over one transaction's 100
    expect((await table.waiting(registry, d(50))).sort()).toEqual(images);
    expect(await table.waiting(registry, d(3149))).toEqual([d(2000)]);
    expect(await table.waiting('other.azurecr.io', d(50))).toEqual([]);
  });

  it('keeps an image content record, changed under its ETag', async () => {
    const pending: ImageContentRecord = {
      digest: d(60),
      repository: 'team/api',
      layers: [{ digest: d(2), mediaType: gz, compressedBytes: 10, diffId: d(20), step: 'RUN make' }],
      status: 'pending',
      requestedAt: now.toISOString(),
    };
    expect(await table.image(registry, d(60))).toBeUndefined();
    await Promise.all(Array.from({ length: 4 }, () => table.updateImage(registry, d(60), (cur) => cur ?? pending)));
    expect(await table.image(registry, d(60))).toEqual(pending);
    await table.updateImage(registry, d(60), (cur) => ({ ...cur!, status: 'done', completedAt: now.toISOString() }));
    expect(await table.image(registry, d(60))).toMatchObject({ status: 'done', completedAt: now.toISOString() });
  });

  it('notes a failed attempt on a pending layer, and forgets it once the layer is recorded', async () => {
    const layer = { digest: d(70), mediaType: gz, compressedBytes: 5 };
    await table.claim(registry, layer, now, undefined, d(900));
    await table.noteFailure(registry, d(70), 'HTTP 503 from the registry');
    expect((await table.layers(registry, [d(70)])).get(d(70))).toMatchObject({ lastError: 'HTTP 503 from the registry', record: { status: 'pending' } });
    await table.record(registry, { ...layer, status: 'done', uncompressedBytes: 1024, fileCount: 0, diffId: d(71) });
    expect((await table.layers(registry, [d(70)])).get(d(70))?.lastError).toBeUndefined();
  });

  it('requestContent: a request whose queue send failed after its claim queues the layer again on its retry, another image just waits', async () => {
    const gzLayer = { digest: d(80), mediaType: gz, compressedBytes: 100 };
    const sent: string[] = [];
    let queueUp = false;
    const deps = {
      store: table,
      indexes: { put: async () => undefined, get: async () => undefined },
      source: {
        openBlob: async (): Promise<AsyncIterable<Uint8Array>> => {
          throw new Error('not read in this test');
        },
      },
      sendLayer: async (w: { layer: { digest: string } }) => {
        if (!queueUp) throw new Error('queue unavailable');
        sent.push(w.layer.digest);
      },
      subjectOf: async () => ({ configBytes: 10, layers: [gzLayer] }),
      limits: { maxBytes: 1e9, maxFiles: 1000 },
      slots: new Slots(1),
      now: () => now,
    };
    const request = (image: string) => ({ registry, repository: 'team/api', digest: image });
    await expect(requestContent(deps, request(d(81)))).rejects.toThrow('queue unavailable');
    queueUp = true;
    expect(await requestContent(deps, request(d(82)))).toMatchObject({ queued: 0, waitingFor: 1 }); // claimed by d(81): waits
    expect(await requestContent(deps, request(d(81)))).toMatchObject({ queued: 1, waitingFor: 1 });
    expect(sent).toEqual([d(80)]);
  });
});
