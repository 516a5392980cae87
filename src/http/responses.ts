import type { HttpResponseInit } from '@azure/functions';

export function json(status: number, body: unknown, headers: Record<string, string> = {}): HttpResponseInit {
  return { status, jsonBody: body, headers: { 'cache-control': 'no-store', ...headers } };
}

/** Every error answer has the same shape: `{"error": "<what is wrong>", ...details}`. */
export function problem(status: number, error: string, details: Record<string, unknown> = {}, headers: Record<string, string> = {}): HttpResponseInit {
  return json(status, { error, ...details }, headers);
}

/** Thrown by request parsing helpers; the handler wrapper turns it into the response. */
export class HttpProblem extends Error {
  constructor(readonly response: HttpResponseInit) {
    super(String((response.jsonBody as { error?: string } | undefined)?.error ?? 'bad request'));
  }
}
