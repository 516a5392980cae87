import { app, type HttpRequest, type HttpResponseInit, type InvocationContext } from '@azure/functions';
import type { z } from 'zod';
import { getConfig } from '../config';
import { handle } from './handler';
import { parseQuery } from './query';
import { signedIn } from './signIn';

/**
 * Registers a read API: `GET /api/<name>`, its query validated by `query` (400 naming
 * each bad parameter), under the shared API_AUTH_LEVEL and, when it is on, Entra ID sign-in.
 * One registration per function.
 */
export function registerReadApi<S extends z.ZodType>(
  name: string,
  query: S,
  answer: (q: z.output<S>, request: HttpRequest, context: InvocationContext) => Promise<HttpResponseInit>,
): void {
  app.http(name, {
    methods: ['GET'],
    route: name,
    authLevel: getConfig().API_AUTH_LEVEL,
    handler: handle(signedIn((request, context) => answer(parseQuery(request, query), request, context))),
  });
}
