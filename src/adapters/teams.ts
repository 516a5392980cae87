import { isTransientDeliveryStatus, parseRetryAfter, type DeliveryResult } from '../core/alert';
import { redactUrls } from '../core/redact';

/**
 * Posts a message to a Teams Workflows webhook ("When a Teams webhook request is
 * received") and reports the answer; what it means for the outbox is core/alert.ts's.
 */
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
      return {
        ok: false,
        transient: true,
        unknownOutcome: true,
        error: `outcome unknown: no answer within ${timeoutMs / 1000} s (the card may have been posted)`,
      };
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
  const transient = isTransientDeliveryStatus(res.status);
  return {
    ok: false,
    transient,
    status: res.status,
    ...(retryAfterMs !== undefined ? { retryAfterMs } : {}),
    error: redactUrls(`HTTP ${res.status}${text ? `: ${text}` : ''}`),
  };
}
