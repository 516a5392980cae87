import { ContainerRegistryContentClient, KnownContainerRegistryAudience } from '@azure/container-registry';
import { DefaultAzureCredential, type TokenCredential } from '@azure/identity';
import { PermanentError, TransientError, isTransientStatus } from '../core/errors';
import type { FetchedManifest, RegistryReader } from '../services/contentResolver';
import type { RequestGate } from '../services/catalog';
import { gatePolicy, type RegistryPipelinePolicy } from './catalog/gatePolicy';

export type { FetchedManifest, RegistryReader };

/**
 * Reads manifests and config blobs from a registry with the service's identity. Only
 * called for registries on the allow-list (checked at the webhook), and always over
 * `https://<login server>`: the content client refuses to send tokens over plain HTTP.
 */

export interface RegistryClientOptions {
  timeoutMs: number;
  maxRetries: number;
  credential?: TokenCredential;
  /** Called once per HTTP request sent, retries included; feeds the per-push request count. */
  onRequest?: (registry: string) => void;
  /** Every request waits its turn here, retries included (backfill and reconcile share one rate across instances). */
  gate?: RequestGate;
}

/** Config blobs are small JSON documents; anything bigger is not an image config. */
const MAX_CONFIG_BYTES = 4 * 1024 * 1024;

export class RegistryClient implements RegistryReader {
  readonly #clients = new Map<string, ContainerRegistryContentClient>();
  #credential: TokenCredential | undefined;

  constructor(private readonly options: RegistryClientOptions) {}

  async getManifest(registry: string, repository: string, digest: string): Promise<FetchedManifest> {
    return this.#call(registry, repository, `manifest ${digest}`, async (client, abortSignal) => {
      const m = await client.getManifest(digest, { abortSignal });
      return { digest: m.digest, mediaType: m.mediaType, content: m.content };
    });
  }

  async getBlob(registry: string, repository: string, digest: string): Promise<Buffer> {
    return this.#call(registry, repository, `blob ${digest}`, async (client, abortSignal) => {
      const blob = await client.downloadBlob(digest, { abortSignal });
      const chunks: Buffer[] = [];
      let total = 0;
      for await (const chunk of blob.content) {
        const buf = typeof chunk === 'string' ? Buffer.from(chunk) : Buffer.from(chunk);
        total += buf.length;
        if (total > MAX_CONFIG_BYTES) throw new PermanentError(`blob ${digest} is larger than ${MAX_CONFIG_BYTES} bytes; not an image config`);
        chunks.push(buf);
      }
      return Buffer.concat(chunks);
    });
  }

  /**
   * A layer blob as a stream, never held whole: the SDK resumes a broken download with a
   * range request and checks the digest at the end. A stream that stalls for
   * `timeoutMs` (rather than one that is merely long: a 2 GB layer takes a while) is cut.
   */
  async openBlob(registry: string, repository: string, digest: string): Promise<AsyncIterable<Uint8Array>> {
    const what = `${registry}/${repository} blob ${digest}`;
    const idle = new AbortController();
    const timeoutMs = this.options.timeoutMs;
    let timer = setTimeout(() => idle.abort(), timeoutMs);
    const stall = () => {
      clearTimeout(timer);
      timer = setTimeout(() => idle.abort(), timeoutMs);
    };
    let content: NodeJS.ReadableStream;
    try {
      content = (await this.#client(registry, repository).downloadBlob(digest, { abortSignal: idle.signal })).content;
    } catch (e) {
      clearTimeout(timer);
      throw classify(e, what, idle.signal.aborted ? timeoutMs : undefined);
    }
    return (async function* () {
      try {
        for await (const chunk of content) {
          stall();
          yield typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
        }
      } catch (e) {
        // The SDK reports a digest mismatch at the end of the stream: the registry served other bytes.
        if ((e as Error)?.name === 'DigestMismatchError')
          throw new PermanentError(`${what}: the bytes served do not hash to the digest`, undefined, { cause: e });
        // A download cut short (the SDK's "received less data", a reset, a stall) may go through next time.
        if (idle.signal.aborted) throw new TransientError(`${what}: no bytes for ${timeoutMs} ms`, undefined, { cause: e });
        throw new TransientError(`${what}: the download broke off: ${(e as Error)?.message ?? String(e)}`, undefined, { cause: e });
      } finally {
        clearTimeout(timer);
      }
    })();
  }

  #client(registry: string, repository: string): ContainerRegistryContentClient {
    const key = `${registry}/${repository}`;
    let client = this.#clients.get(key);
    if (!client) {
      this.#credential ??= this.options.credential ?? new DefaultAzureCredential();
      const onRequest = this.options.onRequest;
      const gate = this.options.gate;
      client = new ContainerRegistryContentClient(`https://${registry}`, repository, this.#credential, {
        audience: KnownContainerRegistryAudience.AzureResourceManagerPublicCloud,
        retryOptions: { maxRetries: this.options.maxRetries },
        additionalPolicies: [
          ...(gate ? [{ position: 'perRetry' as const, policy: gatePolicy(registry, gate) }] : []),
          ...(onRequest
            ? [
                {
                  position: 'perRetry' as const,
                  policy: { name: 'countRegistryRequests', sendRequest: (req, next) => (onRequest(registry), next(req)) } satisfies RegistryPipelinePolicy,
                },
              ]
            : []),
        ],
      });
      // A repository-scoped client per pair; bounded so a busy registry does not grow this forever.
      if (this.#clients.size >= 500) this.#clients.delete(this.#clients.keys().next().value!);
      this.#clients.set(key, client);
    }
    return client;
  }

  async #call<T>(
    registry: string,
    repository: string,
    what: string,
    fn: (client: ContainerRegistryContentClient, signal: AbortSignal) => Promise<T>,
  ): Promise<T> {
    const signal = AbortSignal.timeout(this.options.timeoutMs);
    try {
      return await fn(this.#client(registry, repository), signal);
    } catch (e) {
      throw classify(e, `${registry}/${repository} ${what}`, signal.aborted ? this.options.timeoutMs : undefined);
    }
  }
}

export function classify(e: unknown, what: string, timedOutAfterMs?: number): Error {
  if (e instanceof TransientError || e instanceof PermanentError) return e;
  if (timedOutAfterMs !== undefined) return new TransientError(`${what}: no answer within ${timedOutAfterMs} ms`, undefined, { cause: e });
  const err = e as { statusCode?: number; name?: string; message?: string; code?: string };
  const status = typeof err?.statusCode === 'number' ? err.statusCode : undefined;
  const message = `${what}: ${status ? `HTTP ${status} ` : ''}${err?.message ?? String(e)}`.trim();
  if (status === undefined) {
    // Network trouble (refused, reset, DNS, the SDK's REQUEST_SEND_ERROR) may pass; bad
    // content (digest mismatch, a manifest that is not JSON) will not.
    const network = err?.code === 'REQUEST_SEND_ERROR' || /^E[A-Z]+$/.test(err?.code ?? '') || err?.name === 'AbortError';
    return network ? new TransientError(message, undefined, { cause: e }) : new PermanentError(message, undefined, { cause: e });
  }
  return isTransientStatus(status) ? new TransientError(message, status, { cause: e }) : new PermanentError(message, status, { cause: e });
}
