/**
 * An HTTPS server that answers as Azure Container Registry's data-plane REST API does, for
 * the calls a catalog makes through `@azure/container-registry`: the bearer challenge, the
 * token exchanges, the `/acr/v1` listings and `/v2/<name>/manifests/<ref>`. It holds its
 * registry in memory, as the test sets it up, and records every request it answers.
 *
 * What it follows, and where that is written down:
 * - The REST API: Azure/azure-rest-api-specs, specification/containerregistry/data-plane/
 *   Azure.ContainerRegistry/stable/2021-07-01/containerregistry.json (the spec the SDK is
 *   generated from): `GET /acr/v1/_catalog` (ContainerRegistry_GetRepositories: `last`, `n`),
 *   `GET /acr/v1/{name}/_tags` (ContainerRegistry_GetTags: `last`, `n`, `orderby` =
 *   none | timedesc | timeasc, `digest`), `GET /acr/v1/{name}/_manifests` (GetManifests:
 *   `last`, `n`, `orderby`), `GET /acr/v1/{name}/_manifests/{digest}`, each answering a
 *   `Link` header ("next paginated result") while more remain; TagAttributesBase
 *   (`name`, `digest`, `createdTime`, `lastUpdateTime`, `changeableAttributes`) and
 *   ManifestAttributesBase (`digest`, `imageSize`, `createdTime`, `lastUpdateTime`,
 *   `architecture`, `os`, `references`, `configMediaType`, `tags`; its examples, and the
 *   service, also carry `mediaType`, which the 2021-07-01 schema leaves out).
 * - Authentication: Azure/acr, docs/AAD-OAuth.md. A request without a token is answered
 *   401 with `WWW-Authenticate: Bearer realm="https://<host>/oauth2/token",
 *   service="<host>",scope="<scope>"` (`registry:catalog:*` for the catalog,
 *   `repository:<name>:metadata_read` for `/acr/v1`, `repository:<name>:pull` for `/v2`);
 *   `POST /oauth2/exchange` (form: `grant_type=access_token`, `service`, `tenant`,
 *   `access_token` = the AAD token) answers `{"refresh_token": <JWT>}`; `POST /oauth2/token`
 *   (form: `grant_type=refresh_token`, `service`, `scope`, `refresh_token`) answers
 *   `{"access_token": <JWT>}` good for that scope only, so a client re-exchanges on the next
 *   scope's challenge. The SDK reads the refresh token's `exp`, so both tokens are JWTs.
 * - The Link format as the service sends it, the repository name unencoded and `orderby`
 *   carried along: `</acr/v1/hello-world/_tags?last=v1&n=2&orderby=timedesc>; rel="next"`
 *   (AAD-OAuth.md's pagination examples; the SDK's own recorded tests).
 * Times are ACR's: ISO 8601 UTC with seven fractional digits ("2018-09-07T16:30:46.6583219Z").
 */
import { createHash, randomBytes } from 'node:crypto';
import type http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { serverTlsOptions } from './tls';

export interface AcrTag {
  name: string;
  createdTime: string;
  lastUpdateTime: string;
}

export interface AcrManifestInput {
  /** The manifest's bytes; its digest is their sha256. */
  content: Buffer;
  mediaType: string;
  createdTime: string;
  lastUpdateTime: string;
  tags?: AcrTag[];
  architecture?: string;
  os?: string;
  configMediaType?: string;
  /** Sent as Docker-Content-Digest instead of the true digest: a registry serving other bytes than it names. */
  servedDigest?: string;
}

interface StoredManifest extends AcrManifestInput {
  digest: string;
  tags: AcrTag[];
}

export interface AcrRequest {
  method: string;
  /** Path and query as received. */
  path: string;
  status: number;
  /** The answer came from failNext, not the registry. */
  injected: boolean;
  time: number;
}

export interface AcrEmulator {
  /** "localhost:PORT", the SDK's endpoint host and the token `service`. */
  loginServer: string;
  url: string;
  /** The AAD access token `/oauth2/exchange` accepts: what the test's credential must return. */
  aadToken: string;
  /** Adds (or replaces) a manifest; its tags move to it from any other manifest of the repository. Returns its digest. */
  putManifest(repository: string, manifest: AcrManifestInput): string;
  /** Deletes a manifest and its tags, as `az acr repository delete --image` does. */
  deleteManifest(repository: string, digest: string): void;
  /** Answer `status` (with `headers`) to the next `n` requests whose path matches `path`, before any auth check. */
  failNext(n: number, status: number, opts?: { path?: RegExp; headers?: Record<string, string> }): void;
  /** Leaves requests whose path matches unanswered (a registry that stalls) until the returned function is called. */
  hold(path: RegExp): () => void;
  requests(): AcrRequest[];
  /** Drops the request log and pending faults (not the registry, nor the tokens issued). */
  reset(): void;
  stop(): Promise<void>;
}

const ACR_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{7}Z$/;
const DEFAULT_PAGE = 100;
const CHANGEABLE = { deleteEnabled: true, writeEnabled: true, readEnabled: true, listEnabled: true };

interface Access {
  type: string;
  name: string;
  actions: string[];
}

const b64url = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

function jwt(claims: Record<string, unknown>): string {
  const now = Math.floor(Date.now() / 1000);
  const body = { jti: randomBytes(8).toString('hex'), iat: now, nbf: now, exp: now + 3 * 3600, iss: 'Azure Container Registry', ...claims };
  return `${b64url({ typ: 'JWT', alg: 'RS256' })}.${b64url(body)}.${randomBytes(16).toString('base64url')}`;
}

/** `repository:team/app:pull,push` → one access entry (names may hold slashes, never colons). */
function parseScope(scope: string): Access | undefined {
  const first = scope.indexOf(':');
  const last = scope.lastIndexOf(':');
  if (first < 0 || last <= first) return undefined;
  return { type: scope.slice(0, first), name: scope.slice(first + 1, last), actions: scope.slice(last + 1).split(',') };
}

const scopeText = (a: Access) => `${a.type}:${a.name}:${a.actions.join(',')}`;

/**
 * A page of `items` after the one whose key is `last`, `n` long, and whether more remain.
 * A `last` no longer there (deleted between pages) continues after where its key sorts.
 */
function pageAfter<T>(items: T[], key: (item: T) => string, last: string | null, n: number): { page: T[]; more: boolean } {
  let from = 0;
  if (last !== null) {
    const at = items.findIndex((item) => key(item) === last);
    const after = items.findIndex((item) => key(item) > last);
    from = at >= 0 ? at + 1 : after >= 0 ? after : items.length;
  }
  return { page: items.slice(from, from + n), more: from + n < items.length };
}

export async function startAcrEmulator(): Promise<AcrEmulator> {
  const repositories = new Map<string, Map<string, StoredManifest>>();
  const refreshTokens = new Set<string>();
  const accessTokens = new Map<string, Access[]>();
  const log: AcrRequest[] = [];
  let faults: Array<{ status: number; path?: RegExp; headers?: Record<string, string> }> = [];
  const holds = new Set<{ path: RegExp; held: Array<() => void> }>();
  const aadToken = `aad-${randomBytes(8).toString('hex')}`;
  let host = '';

  const server = https.createServer(serverTlsOptions(), (req, res) => {
    const entry: AcrRequest = { method: req.method ?? 'GET', path: req.url ?? '/', status: 0, injected: false, time: Date.now() };
    log.push(entry);
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const send = (status: number, body: unknown, headers: Record<string, string> = {}) => {
        entry.status = status;
        const text = body === undefined ? '' : JSON.stringify(body);
        res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': String(Buffer.byteLength(text)), ...headers });
        res.end(entry.method === 'HEAD' ? undefined : text);
      };
      const go = () => {
        try {
          answer(req, Buffer.concat(chunks), entry, send, res);
        } catch (e) {
          send(500, { errors: [{ code: 'INTERNAL', message: (e as Error).message }] });
        }
      };
      const hold = [...holds].find((h) => h.path.test(entry.path));
      if (hold) hold.held.push(go);
      else go();
    });
  });

  const errors = (code: string, message: string, detail?: unknown) => ({ errors: [{ code, message, ...(detail === undefined ? {} : { detail }) }] });

  function answer(
    req: http.IncomingMessage,
    body: Buffer,
    entry: AcrRequest,
    send: (status: number, body: unknown, headers?: Record<string, string>) => void,
    res: http.ServerResponse,
  ): void {
    const url = new URL(entry.path, `https://${host}`);
    const rawPath = entry.path.split('?')[0] ?? '/';

    const faultAt = faults.findIndex((f) => !f.path || f.path.test(entry.path));
    if (faultAt >= 0) {
      const [fault] = faults.splice(faultAt, 1);
      entry.injected = true;
      send(fault!.status, errors(fault!.status === 429 ? 'TOOMANYREQUESTS' : 'UNAVAILABLE', `injected fault ${fault!.status}`), fault!.headers);
      return;
    }

    if (entry.method === 'POST' && rawPath === '/oauth2/exchange') {
      const form = new URLSearchParams(body.toString());
      if (form.get('grant_type') !== 'access_token' || form.get('service') !== host || form.get('access_token') !== aadToken) {
        send(401, errors('UNAUTHORIZED', 'invalid AAD access token, grant type or service'));
        return;
      }
      const refresh = jwt({ aud: host, grant_type: 'refresh_token', tenant: form.get('tenant') ?? undefined, permissions: { actions: ['*'], notActions: [] } });
      refreshTokens.add(refresh);
      send(200, { refresh_token: refresh });
      return;
    }
    if (entry.method === 'POST' && rawPath === '/oauth2/token') {
      const form = new URLSearchParams(body.toString());
      const scopes = form.getAll('scope').flatMap((s) => s.split(' ').filter(Boolean));
      const access = scopes.map(parseScope);
      if (
        form.get('grant_type') !== 'refresh_token' ||
        form.get('service') !== host ||
        !refreshTokens.has(form.get('refresh_token') ?? '') ||
        access.some((a) => !a)
      ) {
        send(401, errors('UNAUTHORIZED', 'invalid refresh token, grant type, service or scope'));
        return;
      }
      const token = jwt({ aud: host, grant_type: 'refresh_token', access });
      accessTokens.set(token, access as Access[]);
      send(200, { access_token: token });
      return;
    }

    const route = routeOf(rawPath, entry.method);
    if (!route) {
      send(404, errors('NOT_FOUND', `no such API: ${entry.method} ${rawPath}`));
      return;
    }
    const bearer = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
    const granted = bearer ? accessTokens.get(bearer) : undefined;
    const needed = route.scope;
    const allowed = granted?.some(
      (g) => g.type === needed.type && g.name === needed.name && (g.actions.includes('*') || needed.actions.every((a) => g.actions.includes(a))),
    );
    if (!allowed) {
      send(
        401,
        errors('UNAUTHORIZED', 'authentication required, visit https://aka.ms/acr/authorization for more information.', [
          { Type: needed.type, Name: needed.name, Action: needed.actions.join(',') },
        ]),
        {
          'www-authenticate': `Bearer realm="https://${host}/oauth2/token",service="${host}",scope="${scopeText(needed)}"`,
        },
      );
      return;
    }

    const n = Number(url.searchParams.get('n') ?? DEFAULT_PAGE);
    const last = url.searchParams.get('last');
    const orderby = url.searchParams.get('orderby') ?? '';
    if (!Number.isInteger(n) || n < 1) {
      send(400, errors('PAGINATION_NUMBER_INVALID', `invalid number of results requested: ${url.searchParams.get('n')}`));
      return;
    }
    const link = (path: string, lastKey: string, extra: Record<string, string> = {}) => ({
      link: `<${path}?${new URLSearchParams({ last: lastKey, n: String(n), orderby, ...extra }).toString()}>; rel="next"`,
    });

    if (route.kind === 'catalog') {
      const names = [...repositories.keys()].sort();
      const { page, more } = pageAfter(names, (name) => name, last, n);
      send(200, { repositories: page }, more ? link('/acr/v1/_catalog', page.at(-1)!) : {});
      return;
    }

    const repo = repositories.get(route.name);
    if (!repo) {
      send(404, errors('NAME_UNKNOWN', 'repository name not known to registry', { name: route.name }));
      return;
    }
    const byTime = (a: { lastUpdateTime: string }, b: { lastUpdateTime: string }) =>
      a.lastUpdateTime < b.lastUpdateTime ? -1 : a.lastUpdateTime > b.lastUpdateTime ? 1 : 0;
    const ordered = <T extends { lastUpdateTime: string }>(items: T[], key: (item: T) => string): T[] => {
      const byKey = items.sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
      if (orderby === 'timedesc') return byKey.sort((a, b) => byTime(b, a));
      if (orderby === 'timeasc') return byKey.sort(byTime);
      return byKey;
    };

    if (route.kind === 'tags') {
      const digest = url.searchParams.get('digest');
      const tags = [...repo.values()].filter((m) => digest === null || m.digest === digest).flatMap((m) => m.tags.map((t) => ({ ...t, digest: m.digest })));
      const { page, more } = pageAfter(
        ordered(tags, (t) => t.name),
        (t) => t.name,
        last,
        n,
      );
      const items = page.map((t) => ({
        name: t.name,
        digest: t.digest,
        createdTime: t.createdTime,
        lastUpdateTime: t.lastUpdateTime,
        signed: false,
        changeableAttributes: CHANGEABLE,
      }));
      send(
        200,
        { registry: host, imageName: route.name, tags: items },
        more ? link(`/acr/v1/${route.name}/_tags`, page.at(-1)!.name, digest === null ? {} : { digest }) : {},
      );
      return;
    }

    if (route.kind === 'manifests') {
      const { page, more } = pageAfter(
        ordered([...repo.values()], (m) => m.digest),
        (m) => m.digest,
        last,
        n,
      );
      send(
        200,
        { registry: host, imageName: route.name, manifests: page.map(attributes) },
        more ? link(`/acr/v1/${route.name}/_manifests`, page.at(-1)!.digest) : {},
      );
      return;
    }

    const manifest = route.kind === 'manifestProperties' ? repo.get(route.reference) : find(repo, route.reference);
    if (!manifest) {
      send(404, errors('MANIFEST_UNKNOWN', `manifest ${route.reference} is not found`, { Name: route.name, Revision: route.reference }));
      return;
    }
    if (route.kind === 'manifestProperties') {
      send(200, { registry: host, imageName: route.name, manifest: attributes(manifest) });
      return;
    }
    entry.status = 200;
    res.writeHead(200, {
      'content-type': manifest.mediaType,
      'content-length': String(manifest.content.length),
      'docker-content-digest': manifest.servedDigest ?? manifest.digest,
    });
    res.end(entry.method === 'HEAD' ? undefined : manifest.content);
  }

  const port = await new Promise<number>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port));
  });
  host = `localhost:${port}`;

  return {
    loginServer: host,
    url: `https://${host}`,
    aadToken,
    putManifest(repository, input) {
      for (const t of [input.createdTime, input.lastUpdateTime, ...(input.tags ?? []).flatMap((tag) => [tag.createdTime, tag.lastUpdateTime])]) {
        if (!ACR_TIME.test(t)) throw new Error(`"${t}" is not an ACR time (seven fractional digits, Z)`);
      }
      const digest = `sha256:${createHash('sha256').update(input.content).digest('hex')}`;
      const repo = repositories.get(repository) ?? new Map<string, StoredManifest>();
      repositories.set(repository, repo);
      const names = new Set((input.tags ?? []).map((t) => t.name));
      for (const other of repo.values()) other.tags = other.tags.filter((t) => !names.has(t.name));
      repo.set(digest, { ...input, digest, tags: [...(input.tags ?? [])] });
      return digest;
    },
    deleteManifest(repository, digest) {
      repositories.get(repository)?.delete(digest);
    },
    failNext(n, status, opts = {}) {
      for (let i = 0; i < n; i++) faults.push({ status, ...opts });
    },
    hold(path) {
      const h = { path, held: [] as Array<() => void> };
      holds.add(h);
      return () => {
        holds.delete(h);
        for (const release of h.held.splice(0)) release();
      };
    },
    requests: () => log.map((r) => ({ ...r })),
    reset() {
      faults = [];
      log.length = 0;
    },
    async stop() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

type Route =
  | { kind: 'catalog'; scope: Access }
  | { kind: 'tags'; name: string; scope: Access }
  | { kind: 'manifests'; name: string; scope: Access }
  | { kind: 'manifestProperties'; name: string; reference: string; scope: Access }
  | { kind: 'manifest'; name: string; reference: string; scope: Access };

/**
 * The SDK sends a repository name percent-encoded (`team%2Fapp`) on a first page and as the
 * Link gave it (`team/app`) on the next ones; both mean the same repository.
 */
function routeOf(rawPath: string, method: string): Route | undefined {
  const metadata = (name: string): Access => ({ type: 'repository', name, actions: ['metadata_read'] });
  if (method === 'GET' && rawPath === '/acr/v1/_catalog') return { kind: 'catalog', scope: { type: 'registry', name: 'catalog', actions: ['*'] } };
  let m = /^\/acr\/v1\/(.+)\/_manifests\/([^/]+)$/.exec(rawPath);
  if (method === 'GET' && m) {
    const name = decodeURIComponent(m[1]!);
    return { kind: 'manifestProperties', name, reference: decodeURIComponent(m[2]!), scope: metadata(name) };
  }
  m = /^\/acr\/v1\/(.+)\/(_tags|_manifests)$/.exec(rawPath);
  if (method === 'GET' && m) {
    const name = decodeURIComponent(m[1]!);
    return m[2] === '_tags' ? { kind: 'tags', name, scope: metadata(name) } : { kind: 'manifests', name, scope: metadata(name) };
  }
  m = /^\/v2\/(.+)\/manifests\/([^/]+)$/.exec(rawPath);
  if ((method === 'GET' || method === 'HEAD') && m) {
    const name = decodeURIComponent(m[1]!);
    return { kind: 'manifest', name, reference: decodeURIComponent(m[2]!), scope: { type: 'repository', name, actions: ['pull'] } };
  }
  return undefined;
}

function find(repo: Map<string, StoredManifest>, reference: string): StoredManifest | undefined {
  return reference.includes(':') ? repo.get(reference) : [...repo.values()].find((m) => m.tags.some((t) => t.name === reference));
}

function attributes(m: StoredManifest) {
  return {
    digest: m.digest,
    imageSize: m.content.length,
    createdTime: m.createdTime,
    lastUpdateTime: m.lastUpdateTime,
    ...(m.architecture ? { architecture: m.architecture } : {}),
    ...(m.os ? { os: m.os } : {}),
    mediaType: m.mediaType,
    ...(m.configMediaType ? { configMediaType: m.configMediaType } : {}),
    // ACR leaves `tags` out of an untagged manifest's attributes.
    ...(m.tags.length > 0 ? { tags: m.tags.map((t) => t.name) } : {}),
    changeableAttributes: CHANGEABLE,
  };
}
