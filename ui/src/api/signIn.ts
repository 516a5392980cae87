import { modalForm } from '../components/dialog';
import { h } from '../dom';
import { authorizeEndpoint, SIGN_IN_META, tokenEndpoint } from '../../../src/core/signIn';

/**
 * Microsoft Entra ID sign-in for the dashboard, when the service has it on (the page
 * carries the settings in a `<meta>` element, src/http/uiPage.ts): the OAuth 2.0
 * authorization code flow with PKCE (RFC 7636) that the Microsoft identity platform
 * documents for single-page apps ("Microsoft identity platform and OAuth 2.0
 * authorization code flow"). The page is sent to the tenant's `authorize` endpoint, comes
 * back to `/api/ui` with a code, and redeems it at the `token` endpoint from the page
 * itself (Entra answers cross-origin for a redirect URI registered as a single-page app).
 *
 * Written out rather than MSAL.js: the page needs one flow for one API, MSAL's browser
 * bundle is 299 KB minified (77 KB gzip, 1.7 times the whole dashboard), and the flow is
 * a redirect, a POST and a refresh.
 *
 * Tokens are kept in sessionStorage, like the function key: for this tab only, gone when
 * it closes. Entra's refresh tokens for single-page apps last 24 hours; after that, or
 * when one is refused, the person signs in again (usually without a prompt: the
 * tenant's own session remembers them).
 */

export interface SignInSettings {
  /** `<authority host>/<tenant id>`. */
  authority: string;
  clientId: string;
  /** `api://<client id>/<scope>`. */
  scope: string;
}

interface Tokens {
  accessToken: string;
  /** Epoch milliseconds. */
  expiresAt: number;
  refreshToken?: string;
}

interface Pending {
  state: string;
  verifier: string;
  /** The dashboard link the person was on: where the page goes once signed in. */
  returnTo: string;
}

const TOKENS_KEY = 'acr-size-tracker.signIn.tokens';
const PENDING_KEY = 'acr-size-tracker.signIn.pending';
/** A token this close to expiry is refreshed before it is sent, so no request meets a 401 for it. */
const EXPIRY_MARGIN_MS = 60_000;

let settings: SignInSettings | null | undefined;

/** The sign-in settings of this page, or undefined when the service has sign-in off. */
export function signInSettings(): SignInSettings | undefined {
  if (settings === undefined) {
    const content = document.querySelector<HTMLMetaElement>(`meta[name="${SIGN_IN_META}"]`)?.content;
    try {
      settings = content ? (JSON.parse(content) as SignInSettings) : null;
    } catch {
      settings = null;
    }
  }
  return settings ?? undefined;
}

function read<T>(key: string): T | undefined {
  try {
    const v = sessionStorage.getItem(key);
    return v ? (JSON.parse(v) as T) : undefined;
  } catch {
    return undefined;
  }
}

function write(key: string, value: unknown): void {
  try {
    if (value === undefined) sessionStorage.removeItem(key);
    else sessionStorage.setItem(key, JSON.stringify(value));
  } catch {
    // Storage disabled: the person signs in again on the next page load.
  }
}

const base64url = (bytes: ArrayBuffer | Uint8Array): string =>
  btoa(String.fromCharCode(...new Uint8Array(bytes)))
    .replace(/\+/g, '-')
    .replace(/\//g, '_')
    .replace(/=+$/, '');

const randomText = (bytes: number): string => base64url(crypto.getRandomValues(new Uint8Array(bytes)));

/** Where Entra sends the person back: this path, without the view's query (the registered redirect URI is `…/api/ui`). */
const redirectUri = (): string => `${location.origin}${location.pathname}`;

/** A sign-in the tenant refused or the token endpoint would not complete: shown with its description. */
export class SignInError extends Error {}

/** Sends the person to the tenant to sign in; the page is left. */
export async function beginSignIn(): Promise<void> {
  const s = signInSettings();
  if (!s) return;
  // Browsers give the Web Crypto API only to secure pages (https, or localhost).
  if (!globalThis.crypto?.subtle) throw new SignInError('this page is not served over https, and browsers allow sign-in (PKCE) only on secure pages');
  const verifier = randomText(32);
  const challenge = base64url(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(verifier)));
  const pending: Pending = { state: randomText(16), verifier, returnTo: location.href };
  write(PENDING_KEY, pending);
  const url = new URL(authorizeEndpoint(s.authority));
  url.search = new URLSearchParams({
    client_id: s.clientId,
    response_type: 'code',
    redirect_uri: redirectUri(),
    response_mode: 'query',
    // offline_access: a refresh token, so an expired access token is replaced without leaving the page.
    scope: `${s.scope} openid profile offline_access`,
    state: pending.state,
    code_challenge: challenge,
    code_challenge_method: 'S256',
  }).toString();
  location.assign(url.toString());
}

async function redeem(form: Record<string, string>): Promise<Tokens> {
  const s = signInSettings()!;
  let res: Response;
  try {
    res = await fetch(tokenEndpoint(s.authority), {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ client_id: s.clientId, scope: `${s.scope} openid profile offline_access`, ...form }),
    });
  } catch (e) {
    throw new SignInError(`the sign-in service did not answer (${(e as Error).message})`);
  }
  const body = (await res.json().catch(() => ({}))) as {
    access_token?: string;
    expires_in?: number;
    refresh_token?: string;
    error?: string;
    error_description?: string;
  };
  if (!res.ok || !body.access_token) throw new SignInError(body.error_description ?? body.error ?? `HTTP ${res.status} from the token endpoint`);
  const tokens: Tokens = {
    accessToken: body.access_token,
    expiresAt: Date.now() + (body.expires_in ?? 3600) * 1000,
    ...(body.refresh_token ? { refreshToken: body.refresh_token } : {}),
  };
  write(TOKENS_KEY, tokens);
  return tokens;
}

/**
 * On a page load that is Entra's redirect back (`?code=…&state=…`, or `?error=…`):
 * redeems the code and goes back to the link the person was on. Resolves false when the
 * load is not a redirect back; throws SignInError when the sign-in failed.
 */
export async function completeSignIn(): Promise<boolean> {
  if (!signInSettings()) return false;
  const q = new URLSearchParams(location.search);
  const state = q.get('state');
  if (state === null || (!q.has('code') && !q.has('error'))) return false;
  const pending = read<Pending>(PENDING_KEY);
  write(PENDING_KEY, undefined);
  // A state this tab did not send is someone else's redirect (a forged login): never redeemed.
  if (!pending || pending.state !== state) throw new SignInError('this sign-in was not started from this tab: sign in again');
  const error = q.get('error');
  if (error) throw new SignInError(q.get('error_description') ?? error);
  await redeem({ grant_type: 'authorization_code', code: q.get('code')!, redirect_uri: redirectUri(), code_verifier: pending.verifier });
  // Back to a page of this service only, whatever the stored link says.
  const back = URL.canParse(pending.returnTo) ? new URL(pending.returnTo) : undefined;
  location.replace(back?.origin === location.origin ? back.toString() : redirectUri());
  return true;
}

let refreshing: Promise<string | undefined> | undefined;

/**
 * An access token to send, refreshed when it is about to expire; undefined when sign-in
 * is off or the person must sign in. One refresh for every request that needs it at the
 * same time: a refresh token is replaced by the one that comes back, so a second
 * redemption of the old one would be refused.
 */
export async function accessToken(): Promise<string | undefined> {
  if (!signInSettings()) return undefined;
  if (refreshing) return refreshing;
  const tokens = read<Tokens>(TOKENS_KEY);
  if (!tokens) return undefined;
  if (tokens.expiresAt - Date.now() > EXPIRY_MARGIN_MS) return tokens.accessToken;
  if (!tokens.refreshToken) return undefined;
  refreshing = redeem({ grant_type: 'refresh_token', refresh_token: tokens.refreshToken })
    .then((t) => t.accessToken)
    .catch(() => {
      write(TOKENS_KEY, undefined);
      return undefined;
    })
    .finally(() => {
      refreshing = undefined;
    });
  return refreshing;
}

/** Forgets this tab's tokens: after a 401, or when the person signs out. */
export function forgetTokens(): void {
  write(TOKENS_KEY, undefined);
}

/** Who the token says is signed in, for the header; read from the token without verifying it (the API does that). */
export function signedInName(): string | undefined {
  const token = read<Tokens>(TOKENS_KEY)?.accessToken;
  try {
    const payload = JSON.parse(atob((token ?? '').split('.')[1]!.replace(/-/g, '+').replace(/_/g, '/'))) as Record<string, unknown>;
    const name = payload.preferred_username ?? payload.name;
    return typeof name === 'string' ? name : undefined;
  } catch {
    return undefined;
  }
}

let asking: Promise<false> | undefined;

/**
 * The sign-in prompt, once for every request that needs it: "Sign in" leaves the page for
 * the tenant; "Cancel" resolves false, and the page shows that it could not read.
 */
export function askToSignIn(why?: string): Promise<false> {
  if (asking) return asking;
  asking = new Promise<false>((resolve) => {
    const signInButton = h('button', { type: 'submit', value: 'ok' }, 'Sign in with Microsoft');
    const problem = h('p', { class: 'muted', role: 'alert' });
    const modal = modalForm({
      id: 'sign-in',
      title: 'Sign in',
      body: [
        h('p', {}, 'This dashboard is for people of your organisation: sign in with your work account (Microsoft Entra ID).'),
        why ? h('p', { class: 'muted' }, why) : null,
      ],
      after: [problem],
      submit: signInButton,
      onSubmit: () => {
        signInButton.disabled = true;
        beginSignIn().catch((err: unknown) => {
          signInButton.disabled = false;
          problem.textContent = `Sign-in could not start: ${(err as Error)?.message ?? String(err)}`;
        });
      },
      onCancel: () => {
        asking = undefined;
        modal.close();
        resolve(false);
      },
    });
  });
  return asking;
}
