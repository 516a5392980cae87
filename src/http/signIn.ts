import type { HttpRequest, HttpResponseInit, InvocationContext } from '@azure/functions';
import { SignInUnavailableError, TokenRefusedError } from '../adapters/entraTokens';
import { bearerToken, type Refusal } from '../core/signIn';
import { getRuntime } from '../runtime';
import type { DetailsOf, SignInRefused } from './contract/errors';
import { STORAGE_RETRY_AFTER_SECONDS } from './handler';
import { problem } from './responses';

type Handler = (request: HttpRequest, context: InvocationContext) => Promise<HttpResponseInit>;

/**
 * The 401 of RFC 6750 §3: `WWW-Authenticate: Bearer` names where to sign in, and, for a
 * token that was presented, `error="invalid_token"` with why. The body says the same for
 * people, and `signIn: "entra"` tells the dashboard to sign in rather than ask for a key.
 */
function refused(reason: Refusal, message: string, authorizationUri: string): HttpResponseInit {
  const challenge = [`Bearer realm="acr-size-tracker"`, `authorization_uri="${authorizationUri}"`];
  if (reason !== 'missing') challenge.push(`error="invalid_token"`, `error_description="${message.replace(/["\\]/g, "'")}"`);
  return problem(401, `sign-in required: ${message}`, { signIn: 'entra', reason } satisfies DetailsOf<SignInRefused>, {
    'www-authenticate': challenge.join(', '),
  });
}

/**
 * Lets a read or write API's handler run only for a caller with an Entra access token for
 * this app, when sign-in is on (ENTRA_TENANT_ID and ENTRA_CLIENT_ID); otherwise the
 * handler runs as it is, under its function key level alone. The function key, when
 * its level asks for one, is the Functions host's to check, before this.
 */
export function signedIn(fn: Handler): Handler {
  return async (request, context) => {
    const tokens = getRuntime().signIn;
    if (!tokens) return fn(request, context);
    const token = bearerToken(request.headers.get('authorization'));
    if (!token) return refused('missing', 'no bearer token (Authorization: Bearer <Entra access token>)', tokens.authorizationUri);
    try {
      const caller = await tokens.verify(token);
      // A change names who made it; a read is only traced.
      const who = `${request.method} ${new URL(request.url).pathname} by ${caller.kind} ${caller.name ?? caller.id} (${caller.id})`;
      if (request.method === 'GET') context.trace(who);
      else context.info(who);
    } catch (e) {
      if (e instanceof TokenRefusedError) return refused(e.reason, e.message, tokens.authorizationUri);
      if (e instanceof SignInUnavailableError) {
        context.warn(`answered 503: ${e.message}`);
        return problem(503, `${e.message}; retry later`, { reason: 'signIn' }, { 'retry-after': String(STORAGE_RETRY_AFTER_SECONDS) });
      }
      throw e;
    }
    return fn(request, context);
  };
}
