/**
 * Who may read the dashboard and the APIs when Microsoft Entra ID sign-in is on: what a
 * verified access token's claims must say, decided without I/O (the signature, issuer,
 * audience and lifetime are the adapter's: src/adapters/entraTokens.ts).
 *
 * An app registration in one tenant lets that tenant's people sign in; its access tokens
 * name the tenant (`tid`), and a delegated token (a person signed in through a client)
 * lists what it was consented for in `scp`, an app-only token (client credentials) its
 * app roles in `roles` (Microsoft identity platform, "Access token claims reference").
 * Entra issues app-only tokens for an API to any app of the tenant that asks, with no
 * `roles` when nothing was granted, so an app token is let in only with the role named.
 */

export interface SignInPolicy {
  /** The directory (tenant) id: only its people and apps are let in. */
  tenantId: string;
  /** The delegated permission a person's token must carry (ENTRA_SCOPE), e.g. `access_as_user`. */
  scope: string;
  /** The app role an app-only token must carry (ENTRA_APP_ROLE); app-only tokens are refused without it. */
  appRole?: string;
}

/** Who called, as the token says. */
export interface Caller {
  kind: 'user' | 'app';
  /** The object id (`oid`) of the person or the app's service principal. */
  id: string;
  /** A name to show or log: `preferred_username`, `name`, or the app id. */
  name?: string;
}

/** Why a token is refused: the answer's `reason`, so a client can tell an expired token from a wrong one. */
export const REFUSALS = ['missing', 'malformed', 'expired', 'signature', 'issuer', 'audience', 'tenant', 'scope', 'role'] as const;
export type Refusal = (typeof REFUSALS)[number];

export type Admission = { ok: true; caller: Caller } | { ok: false; reason: Refusal; message: string };

const text = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);

/** The claims of a token whose signature, issuer, audience and times were verified: are its caller let in? */
export function admit(claims: Record<string, unknown>, policy: SignInPolicy): Admission {
  const tid = text(claims.tid);
  if (!tid || tid.toLowerCase() !== policy.tenantId.toLowerCase()) {
    return { ok: false, reason: 'tenant', message: `the token is from tenant ${tid ?? '(none)'}, not ${policy.tenantId}` };
  }
  const id = text(claims.oid) ?? text(claims.sub) ?? '(unknown)';
  const scp = text(claims.scp);
  if (scp !== undefined) {
    const scopes = scp.split(' ');
    if (!scopes.includes(policy.scope)) {
      return { ok: false, reason: 'scope', message: `the token grants ${scopes.join(', ')}, not the scope ${policy.scope}` };
    }
    return { ok: true, caller: { kind: 'user', id, name: text(claims.preferred_username) ?? text(claims.name) } };
  }
  const roles = Array.isArray(claims.roles) ? claims.roles.filter((r): r is string => typeof r === 'string') : [];
  if (!policy.appRole) {
    return { ok: false, reason: 'role', message: 'the token is an app-only token (no scp claim), and no app role is accepted (ENTRA_APP_ROLE is not set)' };
  }
  if (!roles.includes(policy.appRole)) {
    return {
      ok: false,
      reason: 'role',
      message: `the app-only token carries ${roles.length ? `the roles ${roles.join(', ')}` : 'no roles'}, not ${policy.appRole}`,
    };
  }
  return { ok: true, caller: { kind: 'app', id, name: text(claims.azp) ?? text(claims.appid) } };
}

/** The token of an `Authorization: Bearer <token>` header, or undefined. */
export function bearerToken(header: string | null | undefined): string | undefined {
  const match = /^Bearer[ \t]+([A-Za-z0-9\-._~+/]+=*)[ \t]*$/i.exec(header ?? '');
  return match?.[1];
}

/** The scope people's tokens are asked for and carry: the app registration's exposed API (`api://<client id>`) and its scope. */
export const apiScope = (clientId: string, scope: string): string => `api://${clientId}/${scope}`;

/**
 * Where a tenant's Microsoft identity platform (v2.0) endpoints are: under
 * `<authority host>/<tenant id>`, the authority. The API, the OpenAPI document and the
 * dashboard all take them from here.
 */
export const authorityOf = (authorityHost: string, tenantId: string): string => `${authorityHost.replace(/\/+$/, '')}/${tenantId}`;
export const authorizeEndpoint = (authority: string): string => `${authority}/oauth2/v2.0/authorize`;
export const tokenEndpoint = (authority: string): string => `${authority}/oauth2/v2.0/token`;

/** The name of the `<meta>` element that carries the sign-in settings into the dashboard's pages (ui/src/api/signIn.ts reads it). */
export const SIGN_IN_META = 'acr-size-tracker-sign-in';
