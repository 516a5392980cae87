import {
  ContainerRegistryClient,
  ContainerRegistryContentClient,
  KnownContainerRegistryAudience,
  type ContainerRegistryClientOptions,
  type ManifestPageResponse,
  type TagPageResponse,
} from '@azure/container-registry';
import { DefaultAzureCredential, type TokenCredential } from '@azure/identity';
import { PermanentError, TransientError } from '../../core/errors';
import type { FetchedManifest } from '../../services/contentResolver';
import type { ManifestEntry, Page, PageOptions, RegistryCatalog, RequestGate, TagEntry, TagOrder } from '../../services/catalog';
import { classify } from '../registry';
import { DEFAULT_RETRY_AFTER_MS, gatePolicy, type RegistryPipelinePolicy } from './gatePolicy';

/**
 * An Azure Container Registry read through its own listing API (`/acr/v1/…`, by way of
 * `@azure/container-registry`) with the service's identity: tags come with their digest
 * and times and can be ordered by last update; every manifest, tagged or not, can be listed.
 */

export interface AcrCatalogOptions {
  gate: RequestGate;
  /** Per HTTP request sent, the token exchanges included, to the last byte of its answer. */
  timeoutMs: number;
  /** The SDK's resends of one request (a 429 with Retry-After, a 5xx, a network failure); the SDK's default when absent. */
  maxRetries?: number;
  credential?: TokenCredential;
  /** Entries per page when the caller names no size. */
  pageSize?: number;
  /** Called once per HTTP request sent, retries and token exchanges included. */
  onRequest?: (registry: string) => void;
}

const DEFAULT_PAGE_SIZE = 100;
/** Repository-scoped content clients kept; each holds its own ACR tokens. */
const MAX_CONTENT_CLIENTS = 500;
/**
 * `RegistryArtifact.listTagProperties` lists the whole repository's tags (`_tags` without
 * `digest`), whatever reference the artifact was made for, and the SDK offers no other
 * tag listing: the reference only has to be one. The emulator answers `digest` as ACR does,
 * so an SDK that started filtering by it would show in the tests.
 */
const ANY_REFERENCE = 'latest';

export class AcrCatalog implements RegistryCatalog {
  readonly ordersTagsByUpdate = true;
  readonly #clients = new Map<string, ContainerRegistryClient>();
  readonly #contentClients = new Map<string, ContainerRegistryContentClient>();
  readonly #pageSize: number;
  #credential: TokenCredential | undefined;

  constructor(private readonly options: AcrCatalogOptions) {
    this.#pageSize = checkPageSize(options.pageSize ?? DEFAULT_PAGE_SIZE);
  }

  async repositories(registry: string, opts: PageOptions = {}): Promise<Page<string>> {
    return this.#call(registry, `${registry} catalog`, async () => {
      const first = await this.#client(registry).listRepositoryNames().byPage(this.#settings(opts)).next();
      return first.done ? { items: [] } : page([...first.value], first.value.continuationToken);
    });
  }

  async tags(registry: string, repository: string, opts: PageOptions & { order?: TagOrder } = {}): Promise<Page<TagEntry>> {
    const what = `${registry}/${repository} tags`;
    return this.#call(
      registry,
      what,
      async () => {
        const artifact = this.#client(registry).getRepository(repository).getArtifact(ANY_REFERENCE);
        const order = opts.order === 'lastUpdatedDescending' ? ({ order: 'LastUpdatedOnDescending' } as const) : {};
        const first = await artifact.listTagProperties(order).byPage(this.#settings(opts)).next();
        if (first.done) return { items: [] };
        const value = first.value;
        const items = value.map((t) => ({ tag: t.name, digest: t.digest, ...times(t.createdOn, t.lastUpdatedOn) }));
        // The implementation's pages carry the token; the public interface's type forgets it.
        return page(items, (value as TagPageResponse).continuationToken);
      },
      // Deleted between the catalog page that named it and now: it has no tags.
      () => ({ items: [] }),
    );
  }

  async manifests(registry: string, repository: string, opts: PageOptions = {}): Promise<Page<ManifestEntry>> {
    const what = `${registry}/${repository} manifests`;
    return this.#call(
      registry,
      what,
      async () => {
        // The service sends each manifest's mediaType, but the SDK's model (the 2021-07-01
        // spec's) has no such field and drops it: it is read from the answer itself.
        const mediaTypes = new Map<string, string>();
        const onResponse = (raw: { bodyAsText?: string | null }) => {
          for (const [digest, mediaType] of mediaTypesIn(raw.bodyAsText)) mediaTypes.set(digest, mediaType);
        };
        const first = await this.#client(registry).getRepository(repository).listManifestProperties({ onResponse }).byPage(this.#settings(opts)).next();
        if (first.done) return { items: [] };
        const value = first.value;
        const items = value.map((m) => {
          const mediaType = mediaTypes.get(m.digest);
          return { digest: m.digest, tags: [...m.tags], ...(mediaType ? { mediaType } : {}), ...times(m.createdOn, m.lastUpdatedOn) };
        });
        return page(items, (value as ManifestPageResponse).continuationToken);
      },
      () => ({ items: [] }),
    );
  }

  async manifestByTag(registry: string, repository: string, tag: string): Promise<FetchedManifest | undefined> {
    return this.#call(
      registry,
      `${registry}/${repository}:${tag} manifest`,
      async () => {
        // The content client checks the bytes against Docker-Content-Digest (DigestMismatchError otherwise).
        const m = await this.#contentClient(registry, repository).getManifest(tag);
        return { digest: m.digest, mediaType: m.mediaType, content: m.content };
      },
      () => undefined,
    );
  }

  /** By the manifest's attributes (`/acr/v1/<name>/_manifests/<digest>`): the SDK has no HEAD. */
  async manifestExists(registry: string, repository: string, digest: string): Promise<boolean> {
    return this.#call(
      registry,
      `${registry}/${repository}@${digest} manifest`,
      async () => {
        await this.#client(registry).getArtifact(repository, digest).getManifestProperties();
        return true;
      },
      () => false,
    );
  }

  /**
   * The cursor is the SDK's continuation token, the Link the service sent (path and query,
   * `last` and `n` in it); `n` is set to this call's page size, as on a first page, since
   * the SDK would otherwise keep the size of the page the cursor came from.
   */
  #settings(opts: PageOptions): { maxPageSize: number; continuationToken?: string } {
    const maxPageSize = checkPageSize(opts.pageSize ?? this.#pageSize);
    if (opts.cursor === undefined) return { maxPageSize };
    const next = new URL(opts.cursor, 'https://registry.invalid');
    next.searchParams.set('n', String(maxPageSize));
    return { maxPageSize, continuationToken: `${next.pathname}${next.search}` };
  }

  async #call<T>(registry: string, what: string, fn: () => Promise<T>, notFound?: () => T): Promise<T> {
    try {
      return await fn();
    } catch (e) {
      const status = (e as { statusCode?: unknown })?.statusCode;
      if (status === 404 && notFound) return notFound();
      if (status === 401 || status === 403) {
        throw new PermanentError(`${what}: HTTP ${status}: ${registry} refused the service's identity (its token exchange, or the token's scope)`, status, {
          cause: e,
        });
      }
      throw classify(e, what);
    }
  }

  #client(registry: string): ContainerRegistryClient {
    let client = this.#clients.get(registry);
    if (!client) {
      client = new ContainerRegistryClient(`https://${registry}`, this.#credentialOnce(), this.#clientOptions(registry));
      this.#clients.set(registry, client);
    }
    return client;
  }

  #contentClient(registry: string, repository: string): ContainerRegistryContentClient {
    const key = `${registry}/${repository}`;
    let client = this.#contentClients.get(key);
    if (!client) {
      client = new ContainerRegistryContentClient(`https://${registry}`, repository, this.#credentialOnce(), this.#clientOptions(registry));
      if (this.#contentClients.size >= MAX_CONTENT_CLIENTS) this.#contentClients.delete(this.#contentClients.keys().next().value!);
      this.#contentClients.set(key, client);
    }
    return client;
  }

  #credentialOnce(): TokenCredential {
    this.#credential ??= this.options.credential ?? new DefaultAzureCredential();
    return this.#credential;
  }

  /**
   * The SDK passes these policies to its token client as well, so the challenge, the token
   * exchanges and every resend go through the gate and are counted like the listing itself.
   */
  #clientOptions(registry: string): ContainerRegistryClientOptions {
    return {
      audience: KnownContainerRegistryAudience.AzureResourceManagerPublicCloud,
      retryOptions: { maxRetries: this.options.maxRetries },
      additionalPolicies: [
        { position: 'perRetry', policy: gatePolicy(registry, this.options.gate) },
        { position: 'perRetry', policy: requestPolicy(registry, this.options.timeoutMs, this.options.onRequest) },
      ],
    };
  }
}

/**
 * Counts the request and bounds it by `timeoutMs`, answer included: the SDK's own
 * `timeout` stops at the headers, and its token requests carry no abort signal at all.
 */
function requestPolicy(registry: string, timeoutMs: number, onRequest?: (registry: string) => void): RegistryPipelinePolicy {
  return {
    name: 'catalogRequest',
    async sendRequest(request, next) {
      onRequest?.(registry);
      const caller = request.abortSignal;
      const timeout = AbortSignal.timeout(timeoutMs);
      request.abortSignal = caller ? AbortSignal.any([timeout, caller as AbortSignal]) : timeout;
      try {
        const response = await next(request);
        // The SDK resends a 429 only when it names a pause; without one it would fail at
        // once, where the gate's rule is to pause a second and try again.
        if (response.status === 429 && !['retry-after', 'retry-after-ms', 'x-ms-retry-after-ms'].some((h) => response.headers.has(h))) {
          response.headers.set('retry-after', String(DEFAULT_RETRY_AFTER_MS / 1000));
        }
        return response;
      } catch (e) {
        if (timeout.aborted && !caller?.aborted) {
          throw new TransientError(`${registry}: ${request.method} ${new URL(request.url).pathname}: no answer within ${timeoutMs} ms`, undefined, {
            cause: e,
          });
        }
        throw e;
      } finally {
        request.abortSignal = caller;
      }
    },
  };
}

function checkPageSize(n: number): number {
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`page size must be a positive integer, not ${n}`);
  return n;
}

function page<T>(items: T[], next: string | undefined): Page<T> {
  return next ? { items, next } : { items };
}

/** ACR's times have seven fractional digits; the SDK's Dates keep milliseconds, which is what is stored. */
function times(created: Date | undefined, updated: Date | undefined): { createdAt?: string; updatedAt?: string } {
  const iso = (d: Date | undefined) => (d instanceof Date && !Number.isNaN(d.getTime()) ? d.toISOString() : undefined);
  const createdAt = iso(created);
  const updatedAt = iso(updated);
  return { ...(createdAt ? { createdAt } : {}), ...(updatedAt ? { updatedAt } : {}) };
}

function mediaTypesIn(body: string | null | undefined): Array<[string, string]> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body ?? '');
  } catch {
    return [];
  }
  const manifests = (parsed as { manifests?: unknown })?.manifests;
  if (!Array.isArray(manifests)) return [];
  return manifests.flatMap((m: { digest?: unknown; mediaType?: unknown }) =>
    typeof m?.digest === 'string' && typeof m.mediaType === 'string' ? [[m.digest, m.mediaType] as [string, string]] : [],
  );
}
