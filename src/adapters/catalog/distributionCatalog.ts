import { createHash } from 'node:crypto';
import { z } from 'zod';
import { parseRetryAfter } from '../../core/alert';
import { PermanentError, TransientError, isTransientStatus } from '../../core/errors';
import { MediaType, isManifestMediaType } from '../../core/mediaTypes';
import type { FetchedManifest } from '../../services/contentResolver';
import type { Page, PageOptions, RegistryCatalog, RequestGate, TagEntry, TagOrder } from '../../services/catalog';
import { DEFAULT_RETRY_AFTER_MS } from './gatePolicy';

/**
 * A registry that speaks only the OCI Distribution API (CNCF Distribution, Debian's
 * `docker-registry`, Harbor, …), read anonymously over HTTPS: the service's Azure
 * identity means nothing to it, so a registry that wants credentials is out of reach.
 */

export interface DistributionCatalogOptions {
  gate: RequestGate;
  /** Per HTTP request sent, from the request to the last byte of the answer. */
  timeoutMs: number;
  /** Entries per page when the caller names no size. */
  pageSize?: number;
  /** Sends of one request while the registry answers 429; the last 429 is a TransientError. */
  maxAttempts?: number;
  /** Called once per HTTP request sent, retries and redirects included. */
  onRequest?: (registry: string) => void;
}

const DEFAULT_PAGE_SIZE = 100;
const DEFAULT_MAX_ATTEMPTS = 4;
const MAX_REDIRECTS = 3;
/** The cap the Azure SDK puts on a manifest; a bigger one is not an image manifest. */
const MAX_MANIFEST_BYTES = 4 * 1024 * 1024;
/** A whole tag list fits (Distribution 2.x ignores `n` for tags); this only stops a runaway answer. */
const MAX_LISTING_BYTES = 32 * 1024 * 1024;

/**
 * Every manifest type the app can read. Distribution answers 404 to a GET or HEAD of an
 * OCI manifest or index whose Accept does not name its type, as if it did not exist.
 */
const MANIFEST_ACCEPT = [
  MediaType.ociManifest,
  MediaType.ociIndex,
  MediaType.dockerManifest,
  MediaType.dockerManifestList,
  MediaType.dockerSchema1Signed,
  MediaType.dockerSchema1,
].join(', ');

// The Distribution grammar (distribution/reference): lowercase path components, so a valid
// name can sit in a URL path as it is, its slashes being the path's own.
const REPOSITORY_NAME = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:\/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*$/;
const TAG = /^[\w][\w.-]{0,127}$/;
const DIGEST = /^[a-z0-9]+(?:[+._-][a-z0-9]+)*:[a-zA-Z0-9=_-]+$/;

const CatalogBody = z.object({ repositories: z.array(z.string()).nullish() });
// A repository whose every tag was deleted answers `"tags": null`.
const TagsBody = z.object({ tags: z.array(z.string()).nullish() });
const ErrorBody = z.object({ errors: z.array(z.object({ code: z.string().optional(), message: z.string().optional() })) });

interface Send {
  method: 'GET' | 'HEAD';
  accept: string;
  maxBytes: number;
}

interface Answer {
  status: number;
  headers: Headers;
  body: Buffer;
  /** Where the answer came from, after redirects: relative Link targets resolve against it. */
  url: URL;
}

export class DistributionCatalog implements RegistryCatalog {
  readonly ordersTagsByUpdate = false;
  readonly #pageSize: number;
  readonly #maxAttempts: number;

  constructor(private readonly options: DistributionCatalogOptions) {
    this.#pageSize = checkPageSize(options.pageSize ?? DEFAULT_PAGE_SIZE);
    this.#maxAttempts = options.maxAttempts ?? DEFAULT_MAX_ATTEMPTS;
    if (!Number.isInteger(this.#maxAttempts) || this.#maxAttempts < 1) throw new RangeError(`maxAttempts must be a positive integer, not ${this.#maxAttempts}`);
  }

  async repositories(registry: string, opts: PageOptions = {}): Promise<Page<string>> {
    const what = `${registry} catalog`;
    const answer = await this.#listing(registry, '/v2/_catalog', opts, what);
    if (answer.status !== 200) throw failure(answer, registry, what);
    const body = parseJson(CatalogBody, answer.body, what);
    return page(body.repositories ?? [], nextCursor(answer, opts.cursor, what));
  }

  async tags(registry: string, repository: string, opts: PageOptions & { order?: TagOrder } = {}): Promise<Page<TagEntry>> {
    const what = `${registry}/${repository} tags`;
    if (opts.order === 'lastUpdatedDescending') {
      throw new PermanentError(`${what}: a Distribution registry lists tags by name only; ordering by last update needs the ACR catalog`);
    }
    const answer = await this.#listing(registry, `/v2/${repositoryPath(repository)}/tags/list`, opts, what);
    // The catalog names a repository that holds only untagged manifests, but its tag list
    // answers 404 NAME_UNKNOWN: no tags, not a failure.
    if (answer.status === 404) return { items: [] };
    if (answer.status !== 200) throw failure(answer, registry, what);
    const body = parseJson(TagsBody, answer.body, what);
    // Distribution 2.x ignores `n` and `last` for tags and answers every tag in storage
    // order in one page; sorting gives the lexical order the API promises (and that a
    // paginating registry already keeps within and across its pages).
    const tags = [...(body.tags ?? [])].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    return page(
      tags.map((tag) => ({ tag })),
      nextCursor(answer, opts.cursor, what),
    );
  }

  async manifestByTag(registry: string, repository: string, tag: string): Promise<FetchedManifest | undefined> {
    const what = `${registry}/${repository}:${tag} manifest`;
    if (!TAG.test(tag)) throw new PermanentError(`${what}: "${tag}" is not a valid tag`);
    const path = `/v2/${repositoryPath(repository)}/manifests/${encodeURIComponent(tag)}`;
    const answer = await this.#request(registry, path, { method: 'GET', accept: MANIFEST_ACCEPT, maxBytes: MAX_MANIFEST_BYTES }, what);
    if (answer.status === 404) return undefined;
    if (answer.status !== 200) throw failure(answer, registry, what);
    const digest = `sha256:${createHash('sha256').update(answer.body).digest('hex')}`;
    const served = answer.headers.get('docker-content-digest');
    if (served !== null && !servedDigestMatches(served, answer.body)) {
      throw new PermanentError(`${what}: the registry says Docker-Content-Digest ${served}, but the bytes it served hash to ${digest}`);
    }
    return { digest, mediaType: manifestMediaType(answer, what), content: answer.body };
  }

  async manifestExists(registry: string, repository: string, digest: string): Promise<boolean> {
    const what = `${registry}/${repository}@${digest} manifest`;
    if (!DIGEST.test(digest)) throw new PermanentError(`${what}: "${digest}" is not a digest`);
    const path = `/v2/${repositoryPath(repository)}/manifests/${digest}`;
    const answer = await this.#request(registry, path, { method: 'HEAD', accept: MANIFEST_ACCEPT, maxBytes: 0 }, what);
    if (answer.status === 404) return false;
    if (answer.status !== 200) throw failure(answer, registry, what);
    return true;
  }

  /**
   * A listing page. The cursor is the query of the registry's `Link: <…>; rel="next"` but
   * for its `n` (Distribution's is `last=<name>`), so whatever paging parameters a registry
   * uses survive; `n` is always this call's page size.
   */
  async #listing(registry: string, path: string, opts: PageOptions, what: string): Promise<Answer> {
    const query = new URLSearchParams(opts.cursor ?? '');
    query.set('n', String(checkPageSize(opts.pageSize ?? this.#pageSize)));
    return this.#request(registry, `${path}?${query.toString()}`, { method: 'GET', accept: 'application/json', maxBytes: MAX_LISTING_BYTES }, what);
  }

  /**
   * One request as the registry finally answers it. Each send passes the gate first; a 429
   * reports its Retry-After and is sent again (the gate holds it until the pause is over);
   * redirects are followed here, not by fetch, so that they are gated and counted too.
   */
  async #request(registry: string, pathAndQuery: string, send: Send, what: string): Promise<Answer> {
    let url = new URL(pathAndQuery, origin(registry));
    for (let attempt = 1, redirects = 0; ;) {
      await this.options.gate.gate(registry);
      this.options.onRequest?.(registry);
      const answer = await this.#send(url, send, what);
      if (answer.status === 429) {
        await this.options.gate.throttled(registry, parseRetryAfter(answer.headers.get('retry-after')) ?? DEFAULT_RETRY_AFTER_MS);
        if (attempt++ < this.#maxAttempts) continue;
        return answer;
      }
      if (answer.status >= 300 && answer.status < 400 && answer.status !== 304) {
        const location = answer.headers.get('location');
        if (!location) throw new PermanentError(`${what}: HTTP ${answer.status} without a Location`, answer.status);
        url = new URL(location, url);
        if (url.protocol !== 'https:') throw new PermanentError(`${what}: redirected to ${url.origin}, which is not HTTPS`, answer.status);
        if (++redirects > MAX_REDIRECTS) throw new PermanentError(`${what}: more than ${MAX_REDIRECTS} redirects`, answer.status);
        continue;
      }
      return answer;
    }
  }

  async #send(url: URL, { method, accept, maxBytes }: Send, what: string): Promise<Answer> {
    const timeoutMs = this.options.timeoutMs;
    const signal = AbortSignal.timeout(timeoutMs);
    try {
      const res = await fetch(url, { method, headers: { accept }, redirect: 'manual', signal });
      const body = method === 'HEAD' ? Buffer.alloc(0) : await readBody(res, maxBytes, what);
      return { status: res.status, headers: res.headers, body, url };
    } catch (e) {
      if (e instanceof PermanentError || e instanceof TransientError) throw e;
      if (signal.aborted) throw new TransientError(`${what}: no answer within ${timeoutMs} ms`, undefined, { cause: e });
      throw networkFailure(e, what);
    }
  }
}

function checkPageSize(n: number): number {
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`page size must be a positive integer, not ${n}`);
  return n;
}

/** `https://<registry>` and nothing else: a registry string that smuggles a path, user or scheme is refused. */
function origin(registry: string): URL {
  let url: URL | undefined;
  try {
    url = new URL(`https://${registry}`);
  } catch {
    // Reported below.
  }
  if (!url || url.host !== registry.toLowerCase() || url.username || url.password || url.pathname !== '/') {
    throw new PermanentError(`"${registry}" is not a registry host[:port]`);
  }
  return url;
}

function repositoryPath(repository: string): string {
  if (!REPOSITORY_NAME.test(repository)) throw new PermanentError(`"${repository}" is not a valid repository name`);
  return repository;
}

function page<T>(items: T[], next: string | undefined): Page<T> {
  return next === undefined ? { items } : { items, next };
}

/** The query of the `rel="next"` Link, or undefined on the last page. */
function nextCursor(answer: Answer, current: string | undefined, what: string): string | undefined {
  const link = answer.headers.get('link');
  if (!link) return undefined;
  for (const [, target, params] of link.matchAll(/<([^>]*)>((?:\s*;[^;,]*)*)/g)) {
    if (!/;\s*rel="?next"?(?:[\s;]|$)/i.test(params ?? '')) continue;
    const next = new URL(target ?? '', answer.url).searchParams;
    next.delete('n');
    const cursor = next.toString();
    if (!cursor) return undefined;
    // A registry that ignores its own cursor would send a caller round this page forever.
    const now = new URLSearchParams(current ?? '');
    now.delete('n');
    if (cursor === now.toString()) throw new PermanentError(`${what}: the registry's next-page link points back at the page it came from (${target})`);
    return cursor;
  }
  return undefined;
}

async function readBody(res: Response, maxBytes: number, what: string): Promise<Buffer> {
  if (!res.body) return Buffer.alloc(0);
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return Buffer.concat(chunks);
    total += value.byteLength;
    if (total > maxBytes) {
      await reader.cancel();
      throw new PermanentError(`${what}: the answer is larger than ${maxBytes} bytes`, res.status);
    }
    chunks.push(value);
  }
}

function parseJson<T>(schema: z.ZodType<T>, body: Buffer, what: string): T {
  let value: unknown;
  try {
    value = JSON.parse(body.toString('utf8'));
  } catch (e) {
    throw new PermanentError(`${what}: the answer is not JSON`, 200, { cause: e });
  }
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw new PermanentError(`${what}: unexpected answer: ${z.prettifyError(parsed.error)}`, 200);
  return parsed.data;
}

/** The served Content-Type when it names a manifest type, else the manifest's own `mediaType`. */
function manifestMediaType(answer: Answer, what: string): string {
  const served = answer.headers.get('content-type')?.split(';')[0]?.trim();
  if (isManifestMediaType(served)) return served!;
  let field: unknown;
  try {
    field = (JSON.parse(answer.body.toString('utf8')) as { mediaType?: unknown }).mediaType;
  } catch {
    // Not JSON: only the served type can say.
  }
  if (typeof field === 'string' && isManifestMediaType(field)) return field;
  if (served) return served;
  throw new PermanentError(`${what}: served without a media type`);
}

function servedDigestMatches(served: string, body: Buffer): boolean {
  const [algorithm, hex] = served.split(':', 2);
  if ((algorithm !== 'sha256' && algorithm !== 'sha512') || !hex) return false;
  return createHash(algorithm).update(body).digest('hex') === hex.toLowerCase();
}

function failure(answer: Answer, registry: string, what: string): Error {
  const { status } = answer;
  const detail = registryError(answer.body);
  if (status === 401 || status === 403) {
    return new PermanentError(
      `${what}: HTTP ${status}: ${registry} requires credentials the service cannot present (it reads Distribution registries anonymously)${detail}`,
      status,
    );
  }
  const message = `${what}: HTTP ${status}${detail}`;
  return isTransientStatus(status) ? new TransientError(message, status) : new PermanentError(message, status);
}

/** The registry's own error code and message (`{"errors":[{"code","message"}]}`), when it sent them. */
function registryError(body: Buffer): string {
  let value: unknown;
  try {
    value = JSON.parse(body.toString('utf8'));
  } catch {
    return '';
  }
  const parsed = ErrorBody.safeParse(value);
  if (!parsed.success || parsed.data.errors.length === 0) return '';
  return `: ${parsed.data.errors.map((e) => [e.code, e.message].filter(Boolean).join(' ')).join('; ')}`;
}

function networkFailure(e: unknown, what: string): Error {
  const cause = (e as { cause?: { code?: unknown; message?: unknown } })?.cause;
  const code = typeof cause?.code === 'string' ? cause.code : undefined;
  const message = `${what}: ${typeof cause?.message === 'string' ? cause.message : ((e as Error)?.message ?? String(e))}`;
  // A certificate the trust store rejects stays rejected until someone changes one of them.
  if (code && /CERT|SELF_SIGNED|UNABLE_TO_VERIFY|ERR_TLS/.test(code)) return new PermanentError(`${message} (${code})`, undefined, { cause: e });
  return new TransientError(code ? `${message} (${code})` : message, undefined, { cause: e });
}
