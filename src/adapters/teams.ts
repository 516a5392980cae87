/**
 * Posts a message to a Teams Workflows webhook ("When a Teams webhook request is
 * received"). Classifies the answer so the outbox knows whether to retry: 429 carries
 * back-pressure in Retry-After, 5xx and network failures may pass, any other 4xx (a
 * deleted flow, a rejected card) will not.
 */

export type DeliveryResult =
  | { ok: true; status: number }
  | { ok: false; transient: boolean; status?: number; retryAfterMs?: number; error: string };

export function parseRetryAfter(value: string | null, now = Date.now()): number | undefined {
  if (!value) return undefined;
  const seconds = Number(value.trim());
  if (Number.isFinite(seconds) && seconds >= 0) return seconds * 1000;
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

export async function postToTeams(url: string, message: unknown, timeoutMs = 10_000): Promise<DeliveryResult> {
  let res: Response;
  try {
    res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(message),
      signal: AbortSignal.timeout(timeoutMs),
      redirect: 'error',
    });
  } catch (e) {
    const err = e as Error;
    return { ok: false, transient: true, error: err.name === 'TimeoutError' ? `no answer within ${timeoutMs} ms` : `${err.message}${(err.cause as Error | undefined)?.message ? `: ${(err.cause as Error).message}` : ''}` };
  }
  // Drain the body so the connection can be reused; Teams answers with little or nothing.
  const text = (await res.text().catch(() => '')).slice(0, 300);
  if (res.ok) return { ok: true, status: res.status };
  const retryAfterMs = parseRetryAfter(res.headers.get('retry-after'));
  const transient = res.status === 408 || res.status === 429 || res.status >= 500;
  return { ok: false, transient, status: res.status, ...(retryAfterMs !== undefined ? { retryAfterMs } : {}), error: `HTTP ${res.status}${text ? `: ${text}` : ''}` };
}
