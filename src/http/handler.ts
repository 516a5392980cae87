import type { HttpHandler, HttpRequest, HttpResponseInit, InvocationContext } from '@azure/functions';
import { HttpProblem, problem } from './responses';

/**
 * Wraps an HTTP handler so request problems thrown while parsing become their 4xx
 * answer, and anything unexpected becomes a JSON 500 with the invocation id to quote,
 * never a stack trace.
 */
export function handle(fn: (request: HttpRequest, context: InvocationContext) => Promise<HttpResponseInit>): HttpHandler {
  return async (request, context) => {
    try {
      return await fn(request, context);
    } catch (e) {
      if (e instanceof HttpProblem) return e.response;
      context.error(`unhandled error: ${(e as Error)?.stack ?? String(e)}`);
      return problem(500, 'internal error', { invocationId: context.invocationId });
    }
  };
}
