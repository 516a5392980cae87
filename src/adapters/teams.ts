import { redactUrls } from '../core/redact';

/**
 * Posts a message to a Teams Workflows webhook ("When a Teams webhook request is
 * received"). Classifies the answer so the outbox knows whether to retry: 429 carries
 * back-pressure in Retry-After, 5xx and network failures may pass, any other 4xx (a
 * deleted flow, a rejected card) will not. Workflows answer 202 with an empty body:
 * any 2xx is delivered.
 */

export type DeliveryResult =
  | { ok: true; status: number }
  | {
      ok: false;
      transient: boolean;
      status?: number;
      retryAfterMs?: number;
      /** No answer in time: the card may or may not have been posted. */
      unknownOutcome?: boolean;
      /** Never contains the URL's signature or credentials. */
      error: string;
    };

export function parseRetryAfter(value: string | null, now = Date.now()): number | undefined {
  if (!value) return undefined;
  const seconds = Number(value.trim());
  if (Number.isFinite(seconds) && seconds >= 0) return seconds * 1000;
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

export async function postToTeams(url: string, message: unknown, timeoutMs: number): Promise<DeliveryResult> {
  const signal = AbortSignal.timeout(timeoutMs);
  let res: Response;
  try {
    res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(message),
      signal,
      redirect: 'error',
    });
  } catch (e) {
    const err = e as Error;
    if (err.name === 'TimeoutError') {
      return { ok: false, transient: true, unknownOutcome: true, error: `outcome unknown: no answer within ${timeoutMs / 1000} s (the card may have been posted)` };
    }
    // Undici quotes the URL in some messages (one with credentials, for instance).
    const cause = (err.cause as Error | undefined)?.message;
    return { ok: false, transient: true, error: redactUrls(`${err.message}${cause ? `: ${cause}` : ''}`) };
  }
  // Drain the body so the connection can be reused; Teams answers with little or nothing.
  // The status is the answer: a body cut off by the timeout does not make a 2xx a failure.
  const text = (await res.text().catch(() => '')).slice(0, 300);
  if (res.ok) return { ok: true, status: res.status };
  const retryAfterMs = parseRetryAfter(res.headers.get('retry-after'));
  const transient = res.status === 408 || res.status === 429 || res.status >= 500;
  return { ok: false, transient, status: res.status, ...(retryAfterMs !== undefined ? { retryAfterMs } : {}), error: redactUrls(`HTTP ${res.status}${text ? `: ${text}` : ''}`) };
}
