import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { QueueServiceClient } from '@azure/storage-queue';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureDevelopmentStorage, isListening, startAzurite, type AzuritePorts } from '../src/azurite';

let tmp: string;
beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'azurite-test-'));
});
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** Listeners on three free ports, standing in for services already running. */
async function occupy(count: number): Promise<{ ports: AzuritePorts; close(): Promise<void> }> {
  const servers = await Promise.all(
    [0, 1, 2].map(
      () =>
        new Promise<net.Server>((resolve) => {
          const s = net.createServer((socket) => socket.destroy());
          s.listen(0, '127.0.0.1', () => resolve(s));
        }),
    ),
  );
  const [blob, queue, table] = servers.map((s) => (s.address() as net.AddressInfo).port) as [number, number, number];
  // Free the ones that should look unused.
  await Promise.all(servers.slice(count).map((s) => new Promise((r) => s.close(r))));
  return {
    ports: { blob, queue, table },
    close: () => Promise.all(servers.slice(0, count).map((s) => new Promise((r) => s.close(r)))).then(() => undefined),
  };
}

describe('startAzurite', () => {
  it('starts on free ports with a connection string the SDKs accept, and stops', async () => {
    const azurite = await startAzurite({ ports: 'auto', inMemory: true });
    try {
      const { blob, queue, table } = azurite.ports;
      expect(new Set([blob, queue, table]).size).toBe(3);
      expect(azurite.connectionString).toBe(
        'DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;' +
          'AccountKey=Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==;' +
          `BlobEndpoint=http://127.0.0.1:${blob}/devstoreaccount1;QueueEndpoint=http://127.0.0.1:${queue}/devstoreaccount1;` +
          `TableEndpoint=http://127.0.0.1:${table}/devstoreaccount1;`,
      );
      const q = QueueServiceClient.fromConnectionString(azurite.connectionString).getQueueClient('probe');
      await q.create();
      await q.sendMessage('hi');
      expect((await q.peekMessages()).peekedMessageItems[0]?.messageText).toBe('hi');
    } finally {
      await azurite.stop();
    }
    expect(await isListening(azurite.ports.queue)).toBe(false);
  });

  it("fails with Azurite's own output when it cannot listen", async () => {
    const busy = await occupy(3);
    try {
      await expect(startAzurite({ ports: busy.ports, inMemory: true })).rejects.toThrow(/Azurite exited during start-up[\s\S]*EADDRINUSE/);
    } finally {
      await busy.close();
    }
  });
});

describe('ensureDevelopmentStorage', () => {
  const dev = { AzureWebJobsStorage: 'UseDevelopmentStorage=true' };

  it('leaves any other connection string alone', async () => {
    const said: string[] = [];
    expect(await ensureDevelopmentStorage(tmp, { AzureWebJobsStorage: 'DefaultEndpointsProtocol=https;AccountName=x' }, (l) => said.push(l))).toBeUndefined();
    expect(said).toEqual([]);
  });

  it('uses an emulator that already listens on all three ports', async () => {
    const busy = await occupy(3);
    try {
      const said: string[] = [];
      expect(await ensureDevelopmentStorage(tmp, dev, (l) => said.push(l), busy.ports)).toBeUndefined();
      expect(said[0]).toMatch(/Using the storage emulator already listening/);
    } finally {
      await busy.close();
    }
  });

  it('refuses when only some of the ports are taken, naming them', async () => {
    const busy = await occupy(1);
    try {
      await expect(ensureDevelopmentStorage(tmp, dev, () => {}, busy.ports)).rejects.toThrow(
        new RegExp(
          `only some storage emulator ports are in use: ${busy.ports.blob} \\(blob\\) busy, ${busy.ports.queue} \\(queue\\), ${busy.ports.table} \\(table\\) free`,
        ),
      );
    } finally {
      await busy.close();
    }
  });

  it("starts the project's Azurite with its data under <projectRoot>/.azurite when nothing listens", async () => {
    const project = path.join(tmp, 'with-azurite');
    fs.mkdirSync(project);
    fs.symlinkSync(path.resolve(path.dirname(require.resolve('azurite/package.json')), '..'), path.join(project, 'node_modules'), 'dir');
    const free = await occupy(0);
    const azurite = await ensureDevelopmentStorage(project, dev, () => {}, free.ports);
    try {
      expect(azurite?.ports).toEqual(free.ports);
      expect(await isListening(free.ports.table)).toBe(true);
      expect(fs.existsSync(path.join(project, '.azurite'))).toBe(true);
    } finally {
      await azurite?.stop();
    }
  });

  it('says how to get Azurite when the project does not have it', async () => {
    const free = await occupy(0);
    await expect(ensureDevelopmentStorage(tmp, dev, () => {}, free.ports)).rejects.toThrow(
      `Azurite is not installed in ${tmp}: add it as a dev dependency (npm install --save-dev azurite), or start a storage emulator yourself`,
    );
  });
});
