/**
 * A stand-in for one Microsoft Entra ID tenant, over TLS with the test CA: the endpoints
 * of the Microsoft identity platform the app and the dashboard use, at the same paths
 * (`/<tenant>/v2.0/.well-known/openid-configuration`, `/<tenant>/discovery/v2.0/keys`,
 * `/<tenant>/oauth2/v2.0/authorize` and `/token`), signing RS256 v2.0 access tokens with
 * keys it publishes and can roll. `authorize` signs the configured person in at once
 * (there is no login form to drive), and `token` checks what Entra checks of a
 * single-page app: the client, the redirect URI, the PKCE verifier (S256), single-use
 * codes, and answers cross-origin.
 */
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, SignJWT, type JWK, type KeyLike } from 'jose';
import { serverTlsOptions } from './tls';

export interface StandInRequest {
  method: string;
  path: string;
  status: number;
  /** The form fields of a token request (the verifier and the code included, for the test to check). */
  form?: Record<string, string>;
}

export interface MintOptions {
  /** Seconds from now; negative for a token that has expired. */
  expiresIn?: number;
  /** Sign with a key the tenant does not publish. */
  foreignKey?: boolean;
}

export interface EntraStandIn {
  /** `https://localhost:<port>`: what ENTRA_AUTHORITY_HOST is set to. */
  authorityHost: string;
  tenantId: string;
  clientId: string;
  /** The issuer of its v2.0 tokens. */
  issuer: string;
  /** The person `authorize` signs in: claims of the tokens it hands out. */
  user: { oid: string; name: string; preferred_username: string };
  /** Lifetime of the access tokens the token endpoint hands out, in seconds (default 3,600). */
  tokenLifetimeSeconds: number;
  /** An access token with these claims over the defaults (a person's token for the app's scope). */
  mint(claims?: Record<string, unknown>, opts?: MintOptions): Promise<string>;
  /** A new signing key, published beside the old one, signing from now on (as Entra rolls its keys). */
  rollKeys(): Promise<void>;
  /** Answers the key set with 500 while set: the tenant's keys cannot be fetched. */
  keysDown: boolean;
  /** The next sign-in is refused with this error (as when a person declines, or is not assigned to the app). */
  refuseNext?: { error: string; description: string };
  requests: StandInRequest[];
  stop(): Promise<void>;
}

interface SigningKey {
  kid: string;
  privateKey: KeyLike;
  jwk: JWK;
}

async function signingKey(): Promise<SigningKey> {
  const { publicKey, privateKey } = await generateKeyPair('RS256', { extractable: true });
  const kid = randomBytes(8).toString('hex');
  return { kid, privateKey, jwk: { ...(await exportJWK(publicKey)), kid, use: 'sig', kty: 'RSA' } };
}

const s256 = (verifier: string) => createHash('sha256').update(verifier).digest('base64url');

export async function startEntraStandIn(opts: { tenantId?: string; clientId?: string; scope?: string } = {}): Promise<EntraStandIn> {
  const tenantId = opts.tenantId ?? randomUUID();
  const clientId = opts.clientId ?? randomUUID();
  const scope = opts.scope ?? 'access_as_user';
  const keys: SigningKey[] = [await signingKey()];
  const foreign = await signingKey();
  const codes = new Map<string, { challenge: string; redirectUri: string; scope: string; used: boolean }>();
  const refreshTokens = new Set<string>();
  let authorityHost = '';

  const standIn: EntraStandIn = {
    authorityHost: '',
    tenantId,
    clientId,
    issuer: '',
    user: { oid: randomUUID(), name: 'Ada Lovelace', preferred_username: 'ada@contoso.example' },
    tokenLifetimeSeconds: 3600,
    keysDown: false,
    requests: [],
    async mint(claims = {}, mintOpts = {}) {
      const key = mintOpts.foreignKey ? foreign : keys[keys.length - 1]!;
      const now = Math.floor(Date.now() / 1000);
      const exp = now + (mintOpts.expiresIn ?? standIn.tokenLifetimeSeconds);
      return new SignJWT({
        aud: clientId,
        iss: standIn.issuer,
        tid: tenantId,
        ver: '2.0',
        scp: scope,
        azp: randomUUID(),
        ...standIn.user,
        iat: Math.min(now, exp - 60),
        nbf: Math.min(now, exp - 60),
        exp,
        ...claims,
      })
        .setProtectedHeader({ alg: 'RS256', typ: 'JWT', kid: key.kid })
        .sign(key.privateKey);
    },
    async rollKeys() {
      keys.push(await signingKey());
    },
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };

  const send = (res: import('node:http').ServerResponse, entry: StandInRequest, status: number, body?: unknown, headers: Record<string, string> = {}) => {
    entry.status = status;
    res.writeHead(status, { ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...headers });
    res.end(body !== undefined ? JSON.stringify(body) : undefined);
  };

  const server = https.createServer(serverTlsOptions(), (req, res) => {
    const url = new URL(req.url ?? '/', authorityHost);
    const entry: StandInRequest = { method: req.method ?? 'GET', path: url.pathname + url.search, status: 0 };
    standIn.requests.push(entry);
    const base = `/${tenantId}`;
    // What Entra answers a single-page app's cross-origin token request with.
    const cors = { 'access-control-allow-origin': req.headers.origin ?? '*', vary: 'Origin' };
    if (req.method === 'GET' && url.pathname === `${base}/v2.0/.well-known/openid-configuration`) {
      return send(res, entry, 200, {
        issuer: standIn.issuer,
        authorization_endpoint: `${authorityHost}${base}/oauth2/v2.0/authorize`,
        token_endpoint: `${authorityHost}${base}/oauth2/v2.0/token`,
        jwks_uri: `${authorityHost}${base}/discovery/v2.0/keys`,
        response_types_supported: ['code'],
        id_token_signing_alg_values_supported: ['RS256'],
      });
    }
    if (req.method === 'GET' && url.pathname === `${base}/discovery/v2.0/keys`) {
      if (standIn.keysDown) return send(res, entry, 500, { error: 'server_error' });
      return send(res, entry, 200, { keys: keys.map((k) => k.jwk) });
    }
    if (req.method === 'GET' && url.pathname === `${base}/oauth2/v2.0/authorize`) {
      const q = url.searchParams;
      const redirectUri = q.get('redirect_uri') ?? '';
      if (q.get('client_id') !== clientId || !/^https?:\/\//.test(redirectUri)) {
        return send(res, entry, 400, { error: 'invalid_request', error_description: 'unknown client_id or redirect_uri' });
      }
      const back = new URL(redirectUri);
      const state = q.get('state');
      if (state !== null) back.searchParams.set('state', state);
      const requested = (q.get('scope') ?? '').split(' ');
      const problem =
        q.get('response_type') !== 'code'
          ? 'response_type must be code'
          : q.get('code_challenge_method') !== 'S256' || !q.get('code_challenge')
            ? 'PKCE with S256 is required for a single-page app'
            : !requested.includes(`api://${clientId}/${scope}`)
              ? `scope must include api://${clientId}/${scope}`
              : undefined;
      const refusal = problem ? { error: 'invalid_request', description: problem } : standIn.refuseNext;
      standIn.refuseNext = undefined;
      if (refusal) {
        back.searchParams.set('error', refusal.error);
        back.searchParams.set('error_description', refusal.description);
      } else {
        const code = randomBytes(24).toString('base64url');
        codes.set(code, { challenge: q.get('code_challenge')!, redirectUri, scope: requested.join(' '), used: false });
        back.searchParams.set('code', code);
      }
      return send(res, entry, 302, undefined, { location: back.toString() });
    }
    if (req.method === 'POST' && url.pathname === `${base}/oauth2/v2.0/token`) {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        void (async () => {
          const form = Object.fromEntries(new URLSearchParams(Buffer.concat(chunks).toString('utf8')));
          entry.form = form;
          const refuse = (error: string, description: string) => send(res, entry, 400, { error, error_description: description }, cors);
          if (!req.headers.origin) return refuse('invalid_request', 'AADSTS9002327: tokens for a single-page app are redeemed only by cross-origin requests');
          if (form.client_id !== clientId) return refuse('invalid_client', 'unknown client_id');
          if (form.grant_type === 'authorization_code') {
            const grant = codes.get(form.code ?? '');
            if (!grant || grant.used) return refuse('invalid_grant', 'the code is unknown or was redeemed already');
            grant.used = true;
            if (form.redirect_uri !== grant.redirectUri) return refuse('invalid_grant', 'redirect_uri differs from the authorize request');
            if (!form.code_verifier || s256(form.code_verifier) !== grant.challenge)
              return refuse('invalid_grant', 'the code_verifier does not match the code_challenge');
          } else if (form.grant_type === 'refresh_token') {
            if (!refreshTokens.delete(form.refresh_token ?? '')) return refuse('invalid_grant', 'the refresh token is unknown or was used');
          } else {
            return refuse('unsupported_grant_type', String(form.grant_type));
          }
          const refresh = randomBytes(24).toString('base64url');
          refreshTokens.add(refresh);
          send(
            res,
            entry,
            200,
            {
              token_type: 'Bearer',
              scope: `api://${clientId}/${scope}`,
              expires_in: standIn.tokenLifetimeSeconds,
              access_token: await standIn.mint(),
              refresh_token: refresh,
            },
            cors,
          );
        })();
      });
      return;
    }
    send(res, entry, 404, { error: 'not_found' });
  });
  const port = await new Promise<number>((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port)));
  authorityHost = `https://localhost:${port}`;
  standIn.authorityHost = authorityHost;
  standIn.issuer = `${authorityHost}/${tenantId}/v2.0`;
  return standIn;
}
