import { createRemoteJWKSet, jwtVerify, type JWTPayload } from 'jose';
import { z } from 'zod';
import { admit, authorityOf, authorizeEndpoint, type Caller, type Refusal, type SignInPolicy } from '../core/signIn';

/**
 * Verifies Microsoft Entra ID access tokens for this app: the tenant's OpenID Connect
 * metadata names the issuer and the signing keys (JWKS), which `jose` fetches, caches and
 * fetches again when a token names a key it does not have (Entra rolls its keys). Then
 * the claims go through the pure policy (src/core/signIn.ts).
 *
 * Only v2.0 tokens are accepted: their issuer is `<authority host>/<tenant>/v2.0` and their
 * audience the app's client id. An API's app registration hands out v1.0 tokens unless its
 * manifest says `"requestedAccessTokenVersion": 2`, so a v1.0 token's refusal says so.
 */

export interface EntraTokenOptions extends SignInPolicy {
  /** `https://login.microsoftonline.com`, or a sovereign cloud's (ENTRA_AUTHORITY_HOST). */
  authorityHost: string;
  /** The app registration's application (client) id: the tokens' audience. */
  clientId: string;
  /** How long the metadata and key requests may take. */
  timeoutMs?: number;
  /** The least time between two key-set fetches caused by unknown keys (jose's cooldown; 30 s). */
  keysCooldownMs?: number;
}

/** A token the app does not accept; `reason` goes into the 401 answer. */
export class TokenRefusedError extends Error {
  override readonly name = 'TokenRefusedError';
  constructor(
    readonly reason: Refusal,
    message: string,
  ) {
    super(message);
  }
}

/** The tenant's metadata or keys could not be fetched: nobody can be checked until they can (a 503, never a 401). */
export class SignInUnavailableError extends Error {
  override readonly name = 'SignInUnavailableError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** The fields of the OpenID Connect discovery document the verifier uses. */
const MetadataSchema = z.object({ issuer: z.url(), jwks_uri: z.url() });

/** Clocks that differ: a token is accepted up to this long after `exp` (and before `nbf`), the skew Microsoft's own token validation (Microsoft.IdentityModel) allows by default. */
const CLOCK_TOLERANCE_SECONDS = 300;

type KeySet = ReturnType<typeof createRemoteJWKSet>;

/** The `code` of a jose error, which is how its kinds are told apart. */
const joseCode = (e: unknown): string | undefined => (e as { code?: unknown } | null)?.code as string | undefined;

export class EntraTokens {
  private readonly authority: string;
  private keys: Promise<{ issuer: string; keySet: KeySet }> | undefined;

  constructor(private readonly opts: EntraTokenOptions) {
    this.authority = authorityOf(opts.authorityHost, opts.tenantId);
  }

  /** The URL people are sent to for signing in: what a 401's `WWW-Authenticate` names. */
  get authorizationUri(): string {
    return authorizeEndpoint(this.authority);
  }

  /** The caller the token stands for, or TokenRefusedError / SignInUnavailableError. */
  async verify(token: string): Promise<Caller> {
    const { issuer, keySet } = await this.keySet();
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, keySet, {
        issuer,
        audience: [this.opts.clientId, `api://${this.opts.clientId}`],
        algorithms: ['RS256'],
        clockTolerance: CLOCK_TOLERANCE_SECONDS,
        requiredClaims: ['exp', 'tid'],
      }));
    } catch (e) {
      throw this.refusal(e, token);
    }
    const admission = admit(payload, this.opts);
    if (!admission.ok) throw new TokenRefusedError(admission.reason, admission.message);
    return admission.caller;
  }

  private refusal(e: unknown, token: string): Error {
    const message = (e as Error)?.message ?? String(e);
    switch (joseCode(e)) {
      case 'ERR_JWT_EXPIRED':
        return new TokenRefusedError('expired', 'the token has expired: sign in again');
      case 'ERR_JWT_CLAIM_VALIDATION_FAILED': {
        const claim = (e as { claim?: string }).claim;
        if (claim === 'iss') {
          const iss = unverifiedClaim(token, 'iss');
          const v1 = typeof iss === 'string' && iss.startsWith('https://sts.windows.net/');
          return new TokenRefusedError(
            'issuer',
            v1
              ? `the token is a v1.0 token (issuer ${iss}): set "requestedAccessTokenVersion": 2 in the app registration's manifest`
              : `the token's issuer ${String(iss)} is not this tenant's (${this.authority}/v2.0)`,
          );
        }
        if (claim === 'aud') {
          return new TokenRefusedError('audience', `the token is for ${String(unverifiedClaim(token, 'aud'))}, not this app (${this.opts.clientId})`);
        }
        if (claim === 'nbf') return new TokenRefusedError('expired', 'the token is not valid yet');
        return new TokenRefusedError('malformed', `the token's ${claim ?? 'claims'} did not validate: ${message}`);
      }
      case 'ERR_JWKS_NO_MATCHING_KEY':
      case 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED':
      case 'ERR_JOSE_ALG_NOT_ALLOWED':
        return new TokenRefusedError('signature', `the token is not signed by a key of tenant ${this.opts.tenantId}`);
      case 'ERR_JWS_INVALID':
      case 'ERR_JWT_INVALID':
      case 'ERR_JOSE_NOT_SUPPORTED':
        return new TokenRefusedError('malformed', `the bearer token is not a JWT access token: ${message}`);
      default:
        // The keys could not be fetched (timeout, refused, not JSON): nothing is known about the token.
        return new SignInUnavailableError(`the signing keys of tenant ${this.opts.tenantId} could not be fetched: ${message}`, { cause: e });
    }
  }

  /** The metadata, fetched once per process; a failed fetch is tried again by the next request. */
  private keySet(): Promise<{ issuer: string; keySet: KeySet }> {
    this.keys ??= this.discover().catch((e: unknown) => {
      this.keys = undefined;
      throw e;
    });
    return this.keys;
  }

  private async discover(): Promise<{ issuer: string; keySet: KeySet }> {
    const url = `${this.authority}/v2.0/.well-known/openid-configuration`;
    const timeoutMs = this.opts.timeoutMs ?? 10_000;
    let body: unknown;
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs), headers: { accept: 'application/json' } });
      if (!res.ok) throw new Error(`HTTP ${res.status}`);
      body = await res.json();
    } catch (e) {
      throw new SignInUnavailableError(`the sign-in metadata ${url} could not be read: ${(e as Error).message}`, { cause: e });
    }
    const metadata = MetadataSchema.safeParse(body);
    if (!metadata.success) throw new SignInUnavailableError(`the sign-in metadata ${url} has no issuer or jwks_uri`);
    const keySet = createRemoteJWKSet(new URL(metadata.data.jwks_uri), {
      timeoutDuration: timeoutMs,
      cooldownDuration: this.opts.keysCooldownMs ?? 30_000,
    });
    return { issuer: metadata.data.issuer, keySet };
  }
}

/** A claim of a token that failed to verify, read only to say why in the refusal. */
function unverifiedClaim(token: string, claim: string): unknown {
  try {
    return (JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8')) as Record<string, unknown>)[claim];
  } catch {
    return undefined;
  }
}
