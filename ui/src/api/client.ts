import { askForKey, storedKey } from './functionKey';
import { accessToken, askToSignIn, forgetTokens, signInSettings } from './signIn';
import type { TrendPage, TrendPointView } from './types';

/** An API's error answer: its status and the `error` it gave, shown as it is. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly path: string,
  ) {
    super(message);
  }
}

type Query = Record<string, string | number | undefined>;

/** The read APIs sit beside the page: `/api/ui` → `/api/trend`, whatever the host and route prefix. */
function apiUrl(name: string, query: Query): string {
  const url = new URL(name, location.href);
  for (const [k, v] of Object.entries(query)) if (v !== undefined && v !== '') url.searchParams.set(k, String(v));
  return url.toString();
}

/** Asks the person to sign in (the page leaves for the tenant), or, when they cancel, fails the read. */
async function signInFirst(name: string, why?: string): Promise<never> {
  await askToSignIn(why);
  throw new ApiError(401, why ?? 'sign in to read this', name);
}

/**
 * GET a read API as JSON. With Entra sign-in on, the request carries the person's access
 * token, and a 401 from sign-in (`signIn: "entra"` in its body) asks them to sign in; a
 * 401 without it is the Functions host's for a missing function key, which asks for a key
 * (once for all requests waiting on it) and tries again with it. Any other error answer
 * becomes an ApiError with the API's own message.
 */
export async function getJson<T>(name: string, query: Query = {}, signal?: AbortSignal): Promise<T> {
  const url = apiUrl(name, query);
  for (let attempt = 0; ; attempt++) {
    const key = storedKey();
    const token = await accessToken();
    if (signInSettings() && !token) return signInFirst(name);
    let res: Response;
    try {
      res = await fetch(url, {
        headers: { accept: 'application/json', ...(key ? { 'x-functions-key': key } : {}), ...(token ? { authorization: `Bearer ${token}` } : {}) },
        signal,
      });
    } catch (e) {
      if ((e as Error).name === 'AbortError') throw e;
      throw new ApiError(0, `the service did not answer (${(e as Error).message})`, name);
    }
    const text = await res.text();
    let body: unknown;
    try {
      body = text ? JSON.parse(text) : undefined;
    } catch {
      body = undefined;
    }
    const error = (body as { error?: unknown } | undefined)?.error;
    if (res.status === 401 && (body as { signIn?: unknown } | undefined)?.signIn === 'entra') {
      forgetTokens();
      return signInFirst(name, typeof error === 'string' ? error : undefined);
    }
    if (res.status === 401 && attempt < 3) {
      if (!(await askForKey(key !== undefined))) throw new ApiError(401, 'a function key is needed to read this', name);
      continue;
    }
    if (!res.ok) throw new ApiError(res.status, typeof error === 'string' ? error : `HTTP ${res.status} from /api/${name}`, name);
    return body as T;
  }
}

/** Every page of a trend, oldest first (the API pages by 1,000). */
export async function getTrend(query: Query, signal?: AbortSignal): Promise<TrendPointView[]> {
  const points: TrendPointView[] = [];
  let token: string | undefined;
  do {
    const page: TrendPage = await getJson<TrendPage>('trend', { ...query, limit: 1000, continuationToken: token }, signal);
    points.push(...page.points);
    token = page.continuationToken ?? undefined;
  } while (token);
  return points;
}

/** Runs `tasks` with at most `limit` at a time, so a page of rows does not open a hundred requests at once. */
export function limiter(limit: number): <T>(task: () => Promise<T>) => Promise<T> {
  let running = 0;
  const queue: (() => void)[] = [];
  return async <T>(task: () => Promise<T>) => {
    if (running >= limit) await new Promise<void>((r) => queue.push(r));
    running++;
    try {
      return await task();
    } finally {
      running--;
      queue.shift()?.();
    }
  };
}
