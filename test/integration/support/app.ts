/**
 * The whole service as a user meets it: the compiled local host (a child process) on
 * real Azurite, fed by a real registry behind a counting proxy. Tests speak HTTP to it.
 */
import { randomUUID } from 'node:crypto';
import type { TrendPoint } from '../../../src/core/trend';
import { startTestAzurite } from './azurite';
import { loadContract, type ContractCheck } from './contract';
import { startLocalHost, type LocalHost } from './host';
import { request, type HttpResponse } from './http';
import { startRegistryProxy, type RegistryProxy } from './proxy';
import { startRegistry, type RegistryOptions, type TestRegistry } from './registry';
import { waitFor } from './wait';

export const SECRET = 'integration-test-secret-0123456789';

export interface AppUnderTest {
  host: LocalHost;
  registry: TestRegistry;
  /** The login server the app fetches from: every registry request goes through it and is counted. */
  proxy: RegistryProxy;
  connectionString: string;
  /** POSTs to the app; the answer is checked against the app's OpenAPI document (support/contract.ts). */
  post(path: string, body: unknown, headers?: Record<string, string>): Promise<JsonResponse>;
  /** GETs from the app; the answer is checked against the app's OpenAPI document (support/contract.ts). */
  get(path: string, query?: Record<string, string | number | undefined>, headers?: Record<string, string>): Promise<JsonResponse>;
  /** Checks an answer a test got by other means (`request`) against the app's OpenAPI document; throws naming what differs. */
  checkAnswer(method: string, url: URL, res: HttpResponse): Promise<void>;
  /** Sends an ACR `push` webhook the way ACR does, for an image in the proxied registry. */
  acrPush(push: {
    repository: string;
    digest: string;
    tag?: string;
    mediaType?: string;
    id?: string;
    timestamp?: string;
    host?: string;
  }): Promise<JsonResponse>;
  /** Waits until the trend API returns `count` points for the repository. */
  waitForPoints(repository: string, count: number, query?: Record<string, string>): Promise<TrendPointJson[]>;
  /** Waits until the image API answers 200 for the digest: the image record is a push's last write, after its points and summary. */
  waitForImage(repository: string, digest: string): Promise<JsonResponse>;
  stop(): Promise<void>;
}

export interface JsonResponse extends HttpResponse {
  json: any;
}

/** A trend point as the API answers it: the stored shape, in JSON. */
export type TrendPointJson = TrendPoint;

function withJson(res: HttpResponse): JsonResponse {
  let json: unknown;
  try {
    json = JSON.parse(res.body.toString('utf8'));
  } catch {
    json = undefined;
  }
  return { ...res, json };
}

export interface StartAppOptions {
  env?: Record<string, string>;
  registry?: RegistryOptions;
  allowedExtra?: string[];
  /** Keep host.json's queue polling and retry delay instead of the fast test values. */
  hostJsonQueueSettings?: boolean;
  /** Serve this function app directory instead of the repository root, e.g. the deployment package dist/deploy. */
  appDir?: string;
  /** Headers the OpenAPI document is read with, for the answers' checks (e.g. an Entra access token when sign-in is on). */
  contractHeaders?: () => Promise<Record<string, string>>;
}

export async function startApp(opts: StartAppOptions = {}): Promise<AppUnderTest> {
  const azurite = await startTestAzurite();
  const registry = await startRegistry(opts.registry);
  const proxy = await startRegistryProxy(registry.url);
  const host = await startLocalHost(
    {
      AzureWebJobsStorage: azurite.connectionString,
      WEBHOOK_SECRET: SECRET,
      ALLOWED_REGISTRIES: [proxy.loginServer, registry.loginServer, ...(opts.allowedExtra ?? [])].join(','),
      // Retries inside one attempt would hide the queue's own retry, which these tests exercise.
      REGISTRY_MAX_RETRIES: '0',
      ...(opts.hostJsonQueueSettings
        ? {}
        : {
            AzureFunctionsJobHost__extensions__queues__maxPollingInterval: '00:00:00.200',
            AzureFunctionsJobHost__extensions__queues__visibilityTimeout: '00:00:01',
          }),
      ...opts.env,
    },
    { appDir: opts.appDir },
  );

  // Read from the host once, on the first answer to check.
  let contract: Promise<ContractCheck> | undefined;
  const checkAnswer = async (method: string, url: URL, res: HttpResponse) =>
    (
      await (contract ??= (async () => loadContract(host.url, (await opts.contractHeaders?.()) ?? {}))().catch((e: unknown) => {
        contract = undefined; // read again by the next check: a failure to read the document is not the app's answer to check
        throw e;
      }))
    )(method, url, res);
  const checked = async (method: string, url: URL, res: HttpResponse) => {
    await checkAnswer(method, url, res);
    return withJson(res);
  };
  const post = async (path: string, body: unknown, headers: Record<string, string> = { authorization: `Bearer ${SECRET}` }) => {
    const url = new URL(`${host.url}${path}`);
    const res = await request(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: typeof body === 'string' || Buffer.isBuffer(body) ? body : JSON.stringify(body),
    });
    return checked('POST', url, res);
  };
  const get = async (path: string, query: Record<string, string | number | undefined> = {}, headers: Record<string, string> = {}) => {
    const url = new URL(`${host.url}${path}`);
    for (const [k, v] of Object.entries(query)) if (v !== undefined) url.searchParams.set(k, String(v));
    return checked('GET', url, await request(url, { headers }));
  };

  return {
    host,
    registry,
    proxy,
    connectionString: azurite.connectionString,
    post,
    get,
    checkAnswer,
    acrPush: (p) =>
      post('/api/webhooks/acr', {
        id: p.id ?? randomUUID(),
        timestamp: p.timestamp ?? new Date().toISOString(),
        action: 'push',
        target: {
          mediaType: p.mediaType ?? 'application/vnd.oci.image.manifest.v1+json',
          size: 500,
          digest: p.digest,
          length: 500,
          repository: p.repository,
          ...(p.tag ? { tag: p.tag } : {}),
        },
        request: { id: randomUUID(), host: p.host ?? proxy.loginServer, method: 'PUT', useragent: 'docker/27.0' },
      }),
    waitForPoints: async (repository, count, query = {}) =>
      waitFor(
        async () => {
          const res = await get('/api/trend', { registry: proxy.loginServer, repository, ...query });
          return res.status === 200 && (res.json.points as TrendPointJson[]).length >= count ? (res.json.points as TrendPointJson[]) : undefined;
        },
        { timeoutMs: 20_000, intervalMs: 100, message: `${count} trend point(s) for ${repository}` },
      ),
    waitForImage: async (repository, digest) =>
      waitFor(
        async () => {
          const res = await get('/api/image', { registry: proxy.loginServer, repository, digest });
          return res.status === 200 ? res : undefined;
        },
        { timeoutMs: 20_000, intervalMs: 100, message: `the image record of ${repository}@${digest}` },
      ),
    stop: async () => {
      await host.stop();
      await proxy.stop();
      await registry.stop();
      await azurite.stop();
    },
  };
}
