import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { QueueServiceClient, type QueueClient } from '@azure/storage-queue';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startAzurite, type RunningAzurite } from '../src/azurite';
import { startHost, type RunningHost } from '../src/host';
import type { LogLevel } from '../src/log';

/**
 * The local host against a real Azurite, with the fixture app (test/fixtures)
 * loaded through package.json `main`, as `npm start` loads the real app.
 */

const projectRoot = path.join(__dirname, 'fixtures');
const MiB = 1024 * 1024;

let azurite: RunningAzurite;
let queues: QueueServiceClient;
let outDir: string;
const savedEnv = { ...process.env };

beforeAll(async () => {
  azurite = await startAzurite({ ports: 'auto', inMemory: true });
  queues = QueueServiceClient.fromConnectionString(azurite.connectionString);
  outDir = fs.mkdtempSync(path.join(os.tmpdir(), 'local-host-'));
});

afterAll(async () => {
  process.env = savedEnv;
  await azurite?.stop();
  fs.rmSync(outDir, { recursive: true, force: true });
});

interface Entry {
  kind: string;
  message?: unknown;
  dequeueCount?: number;
  metadata?: { [key: string]: unknown };
  timer?: { isPastDue: boolean; schedule: { adjustForDST: boolean }; scheduleStatus: { last: string; next: string; lastUpdated: string } };
  start?: number;
  end?: number;
}

interface Started {
  host: RunningHost;
  base: string;
  queue: QueueClient;
  poison: QueueClient;
  lines: [LogLevel, string][];
  records(): Entry[];
}

let counter = 0;

/** A host on the fixture app with its own queue and record file, and small intervals. */
async function startFixtureHost(overrides: { [key: string]: string } = {}): Promise<Started> {
  counter += 1;
  const queueName = `work-${process.pid}-${counter}`;
  const out = path.join(outDir, `${queueName}.jsonl`);
  process.env = {
    ...savedEnv,
    AzureWebJobsStorage: azurite.connectionString,
    FIXTURE_QUEUE: queueName,
    FIXTURE_OUT: out,
    AzureFunctionsJobHost__extensions__queues__maxPollingInterval: '00:00:00.2',
    AzureFunctionsJobHost__extensions__queues__visibilityTimeout: '00:00:00',
    AzureFunctionsJobHost__extensions__queues__maxDequeueCount: '3',
    ...overrides,
  };
  const lines: [LogLevel, string][] = [];
  const host = await startHost({ projectRoot, port: 0, log: (level, line) => void lines.push([level, line]) });
  return {
    host,
    base: `http://127.0.0.1:${host.port}`,
    queue: queues.getQueueClient(queueName),
    poison: queues.getQueueClient(`${queueName}-poison`),
    lines,
    records: () =>
      fs.existsSync(out)
        ? fs
            .readFileSync(out, 'utf8')
            .split('\n')
            .filter(Boolean)
            .map((l) => JSON.parse(l) as Entry)
        : [],
  };
}

async function waitFor<T>(what: string, check: () => T | undefined | false | Promise<T | undefined | false>, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const b64 = (text: string) => Buffer.from(text, 'utf8').toString('base64');
const unb64 = (text: string) => Buffer.from(text, 'base64').toString('utf8');

async function messageCount(queue: QueueClient): Promise<number> {
  return (await queue.getProperties()).approximateMessagesCount ?? 0;
}

/** A raw request, so the test controls Content-Length and how much of the body is sent. */
function rawPost(base: string, pathname: string, headers: http.OutgoingHttpHeaders, send: (req: http.ClientRequest) => void) {
  return new Promise<{ status: number; body: string }>((resolve, reject) => {
    const req = http.request(`${base}${pathname}`, { method: 'POST', headers }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => {
        resolve({ status: res.statusCode ?? 0, body });
        req.destroy();
      });
    });
    req.on('error', reject);
    send(req);
  });
}

describe('local host with the fixture app', () => {
  let h: Started;
  beforeAll(async () => {
    h = await startFixtureHost();
  });
  afterAll(async () => {
    await h?.host.stop();
  });

  it('reports readiness on /admin/host/status and lists the functions as func does', async () => {
    const res = await fetch(`${h.base}/admin/host/status`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ state: 'Running' });
    const port = h.host.port;
    expect(h.host.functions).toEqual([
      { name: 'getItem', trigger: 'httpTrigger', detail: `[GET] http://localhost:${port}/api/items` },
      { name: 'deleteItem', trigger: 'httpTrigger', detail: `[DELETE] http://localhost:${port}/api/items` },
      { name: 'echo', trigger: 'httpTrigger', detail: `[POST] http://localhost:${port}/api/echo` },
      { name: 'upload', trigger: 'httpTrigger', detail: `[POST] http://localhost:${port}/api/upload` },
      { name: 'boom', trigger: 'httpTrigger', detail: `[GET] http://localhost:${port}/api/boom` },
      { name: 'hello', trigger: 'httpTrigger', detail: `[GET,POST] http://localhost:${port}/api/hello` },
      { name: 'work', trigger: 'queueTrigger', detail: process.env.FIXTURE_QUEUE },
      { name: 'tick', trigger: 'timerTrigger', detail: '* * * * * *' },
    ]);
  });

  it('routes by literal path, method and prefix', async () => {
    const get = async (p: string, method = 'GET') => {
      const res = await fetch(`${h.base}${p}`, { method });
      return { status: res.status, body: await res.text() };
    };
    expect(await get('/api/items?id=5&q=x')).toEqual({ status: 200, body: '{"id":5,"q":"x"}' });
    expect(await get('/API/Items/?id=6')).toEqual({ status: 200, body: '{"id":6,"q":null}' });
    expect(await get('/api/hello')).toEqual({ status: 200, body: 'hello' });
    expect(await get('/api/hello', 'POST')).toEqual({ status: 200, body: 'hello' });
    // The same route for another method goes to the other function; one that returns nothing answers 204.
    expect(await get('/api/items', 'DELETE')).toEqual({ status: 204, body: '' });

    for (const [p, method] of [
      ['/api/items', 'POST'], // method
      ['/api/hello', 'PUT'], // method
      ['/items', 'GET'], // no prefix
      ['/api/items/5', 'GET'], // no route parameters
      ['/api/nothing', 'GET'],
    ]) {
      const res = await get(p!, method);
      expect(res.status, `${method} ${p}`).toBe(404);
      expect(JSON.parse(res.body)).toEqual({ error: 'Not Found', message: `No function matches ${method} ${p}` });
    }
  });

  it('round-trips a JSON body with status and headers', async () => {
    const res = await fetch(`${h.base}/api/echo`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ image: 'repo:tag', layers: [1, 2, 3], nested: { ok: true } }),
    });
    expect(res.status).toBe(201);
    expect(res.headers.get('content-type')).toBe('application/json');
    expect(res.headers.get('x-echo')).toBe('yes');
    expect(await res.json()).toEqual({ received: { image: 'repo:tag', layers: [1, 2, 3], nested: { ok: true } }, contentType: 'application/json' });
  });

  it('answers 500 with a JSON body when a handler throws, and logs the error', async () => {
    const res = await fetch(`${h.base}/api/boom`);
    expect(res.status).toBe(500);
    const body = (await res.json()) as { invocationId: string };
    expect(body).toEqual({ error: 'Internal Server Error', functionName: 'boom', invocationId: expect.stringMatching(/^[0-9a-f-]{36}$/) });
    const failure = h.lines.find(([, l]) => l.includes(`Executed 'Functions.boom' (Failed, Id=${body.invocationId}`));
    expect(failure?.[0]).toBe('error');
    expect(failure?.[1]).toContain('Error: kaboom');
    expect(h.lines).toContainEqual(['error', expect.stringContaining(`[boom] [${body.invocationId}] about to fail`)]);
  });

  it('accepts bodies up to the limit', async () => {
    const res = await fetch(`${h.base}/api/upload`, { method: 'POST', body: Buffer.alloc(3 * MiB, 1) });
    expect(await res.json()).toEqual({ bytes: 3 * MiB });
  });

  it('answers 413 to a declared Content-Length over 100 MiB without reading the body', async () => {
    const res = await rawPost(h.base, '/api/upload', { 'content-length': String(100 * MiB + 1) }, (req) => req.write('only a little'));
    expect(res.status).toBe(413);
    expect(JSON.parse(res.body)).toMatchObject({ error: 'Payload Too Large' });
  });

  it('answers 413 to a chunked body that grows past 100 MiB', async () => {
    const chunk = Buffer.alloc(MiB, 7);
    const res = await rawPost(h.base, '/api/upload', { 'transfer-encoding': 'chunked' }, (req) => {
      let sent = 0;
      const pump = () => {
        while (sent < 101) {
          sent += 1;
          if (!req.write(chunk)) return void req.once('drain', pump);
        }
        req.end();
      };
      req.on('error', () => {}); // the server may close before the last chunk
      pump();
    });
    expect(res.status).toBe(413);
  });

  it('processes a queue message created after start-up (the queue did not exist) and deletes it', async () => {
    expect(await h.queue.exists()).toBe(false);
    await h.queue.create();
    const sent = await h.queue.sendMessage(b64(JSON.stringify({ digest: 'sha256:abc', size: 42 })));
    const record = await waitFor('the message to be processed', () => h.records().find((r) => r.kind === 'queue'));
    expect(record.message).toEqual({ digest: 'sha256:abc', size: 42 });
    expect(record.metadata).toMatchObject({
      id: sent.messageId,
      dequeueCount: 1,
      queueTrigger: '{"digest":"sha256:abc","size":42}',
      insertionTime: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
      expirationTime: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
      nextVisibleTime: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
      popReceipt: expect.any(String),
    });
    await waitFor('the message to be deleted', async () => (await messageCount(h.queue)) === 0);
    expect(h.lines.filter(([, l]) => l.includes('Polling queue'))).toEqual([]);
  });

  it('passes text that is not a JSON object or array as a string', async () => {
    await h.queue.createIfNotExists();
    await h.queue.sendMessage(b64('plain text'));
    await h.queue.sendMessage(b64('123'));
    await waitFor('both messages', () => {
      const messages = h
        .records()
        .filter((r) => r.kind === 'queue')
        .map((r) => r.message);
      return messages.includes('plain text') && messages.includes('123');
    });
  });

  it('retries a failing message maxDequeueCount times, then moves the original to the poison queue', async () => {
    await h.queue.createIfNotExists();
    const original = JSON.stringify({ action: 'fail', n: 1 });
    const sent = await h.queue.sendMessage(b64(original));
    const poisoned = await waitFor('the poison message', async () => {
      if (!(await h.poison.exists())) return undefined;
      const { peekedMessageItems } = await h.poison.peekMessages({ numberOfMessages: 5 });
      return peekedMessageItems[0];
    });
    expect(unb64(poisoned.messageText)).toBe(original);
    const attempts = h.records().filter((r) => r.kind === 'queue-failure' && JSON.stringify(r.message) === original);
    expect(attempts.map((r) => r.dequeueCount)).toEqual([1, 2, 3]);
    expect(await messageCount(h.queue)).toBe(0);
    const log = h.lines.find(([, l]) => l.includes('moved to poison queue'));
    expect(log?.[0]).toBe('error');
    expect(log?.[1]).toContain(`Function 'work': message '${sent.messageId}'`);
    expect(log?.[1]).toContain('asked to fail');
    await h.poison.clearMessages();
  });

  it('moves a message that is not valid base64 straight to the poison queue', async () => {
    await h.queue.createIfNotExists();
    const sent = await h.queue.sendMessage('this is not base64!');
    const poisoned = await waitFor('the poison message', async () => {
      if (!(await h.poison.exists())) return undefined;
      const { peekedMessageItems } = await h.poison.peekMessages({ numberOfMessages: 5 });
      return peekedMessageItems.find((m) => m.messageText === 'this is not base64!');
    });
    expect(poisoned).toBeDefined();
    expect(await messageCount(h.queue)).toBe(0);
    expect(h.lines).toContainEqual(['error', expect.stringMatching(new RegExp(`message '${sent.messageId}' \\(dequeue count 1\\).*not valid base64`))]);
  });

  it('fires the timer every second with the Timer shape, never overlapping', async () => {
    const ticks = await waitFor('two timer ticks', () => {
      const t = h.records().filter((r) => r.kind === 'timer');
      return t.length >= 2 && t;
    });
    const [first, second] = ticks as [Entry, Entry];
    expect(first.timer).toEqual({
      isPastDue: false,
      schedule: { adjustForDST: true },
      scheduleStatus: { last: expect.any(String), next: expect.any(String), lastUpdated: expect.any(String) },
    });
    expect(second.timer!.scheduleStatus.last).toBe(first.timer!.scheduleStatus.next);
    const last = Date.parse(second.timer!.scheduleStatus.last);
    expect(Date.parse(second.timer!.scheduleStatus.next) - last).toBe(1_000);
    expect(last % 1_000).toBe(0);
  });
});

describe('queue semantics under load and limits', () => {
  let h: Started | undefined;
  afterEach(async () => {
    await h?.host.stop();
    h = undefined;
  });

  it('keeps at most batchSize + newBatchThreshold messages in flight', async () => {
    h = await startFixtureHost({
      AzureFunctionsJobHost__extensions__queues__batchSize: '2',
      AzureFunctionsJobHost__extensions__queues__newBatchThreshold: '1',
    });
    await h.queue.create();
    for (let i = 0; i < 8; i++) await h.queue.sendMessage(b64(JSON.stringify({ sleepMs: 400, i })));
    const done = await waitFor('all eight messages', () => {
      const r = h!.records().filter((x) => x.kind === 'queue');
      return r.length === 8 && r;
    });
    const events = done
      .flatMap(
        (r) =>
          [
            [r.start!, 1],
            [r.end!, -1],
          ] as [number, number][],
      )
      .sort((a, b) => a[0] - b[0] || a[1] - b[1]);
    let now = 0;
    let max = 0;
    for (const [, d] of events) max = Math.max(max, (now += d));
    expect(max).toBeGreaterThan(1);
    expect(max).toBeLessThanOrEqual(3);
  });

  it('counts a run longer than functionTimeout as a failure', async () => {
    h = await startFixtureHost({
      AzureFunctionsJobHost__functionTimeout: '00:00:01',
      AzureFunctionsJobHost__extensions__queues__maxDequeueCount: '1',
    });
    await h.queue.create();
    const original = JSON.stringify({ sleepMs: 3_000 });
    await h.queue.sendMessage(b64(original));
    const log = await waitFor('the timeout to poison the message', () => h!.lines.find(([, l]) => l.includes('moved to poison queue')));
    expect(log[1]).toMatch(/Timeout value of 00:00:01 was exceeded by function: Functions\.work/);
    const { peekedMessageItems } = await h.poison.peekMessages();
    expect(peekedMessageItems.map((m) => unb64(m.messageText))).toEqual([original]);
  });

  it('stops gracefully: waits for the invocation in flight and completes its message', async () => {
    h = await startFixtureHost();
    await h.queue.create();
    await h.queue.sendMessage(b64(JSON.stringify({ sleepMs: 1_000, graceful: true })));
    await waitFor('the message to be picked up', () => h!.lines.find(([, l]) => l.includes("Executing 'Functions.work'")));
    const stopping = h.host.stop();
    const statusDuringStop = await fetch(`${h.base}/admin/host/status`).then(
      (r) => r.status,
      () => 'closed',
    );
    await stopping;
    expect(statusDuringStop).not.toBe(200);
    expect(h.records().some((r) => r.kind === 'queue' && (r.message as { graceful?: boolean }).graceful)).toBe(true);
    expect(await messageCount(h.queue)).toBe(0);
    h = undefined;
  });
});

describe('functions disabled by AzureWebJobs.<name>.Disabled', () => {
  let h: Started;
  beforeAll(async () => {
    h = await startFixtureHost({
      'AzureWebJobs.work.Disabled': 'true',
      'AzureWebJobs.Hello.Disabled': '1',
      'azurewebjobs.tick.disabled': 'True',
      'AzureWebJobs.echo.Disabled': 'false',
    });
  });
  afterAll(async () => {
    await h?.host.stop();
  });

  it('lists them as disabled, naming the setting', () => {
    expect(h.host.functions.filter((f) => f.disabled)).toEqual([
      { name: 'hello', trigger: 'httpTrigger', detail: 'disabled by AzureWebJobs.Hello.Disabled', disabled: true },
      { name: 'work', trigger: 'queueTrigger', detail: 'disabled by AzureWebJobs.work.Disabled', disabled: true },
      { name: 'tick', trigger: 'timerTrigger', detail: 'disabled by azurewebjobs.tick.disabled', disabled: true },
    ]);
  });

  it('answers 404 for a disabled HTTP function and serves the others (false keeps a function on)', async () => {
    expect((await fetch(`${h.base}/api/hello`)).status).toBe(404);
    expect((await fetch(`${h.base}/api/items?id=1`)).status).toBe(200);
    const echo = await fetch(`${h.base}/api/echo`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"a":1}' });
    expect(echo.status).toBe(201);
  });

  it('neither polls the queue of a disabled queue trigger nor fires a disabled timer', async () => {
    await h.queue.create();
    await h.queue.sendMessage(b64(JSON.stringify({ left: 'alone' })));
    // Well past the 0.2 s polling interval and the every-second timer.
    await new Promise((r) => setTimeout(r, 2_500));
    // An invocation left running by an earlier test's host may still append to FIXTURE_OUT: only this queue's message and timers count.
    expect(h.records().filter((r) => r.kind === 'timer' || (r.message as { left?: string } | undefined)?.left === 'alone')).toEqual([]);
    expect(await messageCount(h.queue)).toBe(1);
  });
});
