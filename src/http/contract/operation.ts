import type { z } from 'zod';
import { BadRequestSchema, InternalErrorSchema, StorageUnavailableSchema } from './errors';

/**
 * One HTTP operation of the app as the OpenAPI document describes it: the function that
 * serves it, the schemas its query and body are validated with, and a schema for every
 * status it answers. The function registrations and this list are compared by a test, so
 * neither can gain an operation the other lacks.
 */

/**
 * Who may call: `read` and `write` are under API_AUTH_LEVEL and API_WRITE_AUTH_LEVEL (a
 * function key in Azure unless the level is `anonymous`); `webhook` checks the
 * `Authorization: Bearer` secret itself; `public` needs nothing.
 */
export type Access = 'read' | 'write' | 'webhook' | 'public';

export type Method = 'GET' | 'POST' | 'PUT' | 'DELETE' | 'OPTIONS';

export interface Answer {
  description: string;
  /** The body's schema; absent for an answer without a body. */
  body?: z.ZodType;
  /** The body's media type when it is not JSON (e.g. text/html); such a body has no schema. */
  mediaType?: string;
  /** Response headers that matter to the caller, with what they say. */
  headers?: Record<string, string>;
}

export interface Operation {
  /** The name the function is registered under (`app.http` / `registerReadApi`). */
  functionName: string;
  /** Unique per operation: a function serving two methods has two. */
  operationId: string;
  method: Method;
  /** The route under the `/api` prefix. */
  route: string;
  access: Access;
  tag: string;
  summary: string;
  description?: string;
  /** The schema the function parses the query with; each key of its shape is a parameter. */
  query?: z.ZodObject;
  /** The query is read as it comes, never refused: no 400 for it. */
  queryUnchecked?: true;
  /** Request headers the operation reads, besides authentication. */
  headers?: { name: string; required: boolean; description: string }[];
  body?: { description: string; required: boolean; content: Record<string, z.ZodType> };
  /** Every status the function answers besides the ones every operation shares (see `commonAnswers`). */
  answers: Partial<Record<number, Answer>>;
}

/** Answers every operation may give: every handler runs inside `handle` (src/http/handler.ts). */
export function commonAnswers(op: Pick<Operation, 'query' | 'queryUnchecked'>): Partial<Record<number, Answer>> {
  return {
    ...(op.query && !op.queryUnchecked
      ? { 400: { description: 'A query parameter does not validate: `problems` names each one.', body: BadRequestSchema } }
      : {}),
    500: { description: 'An unexpected failure, or a stored record that does not match its schema (named in the answer).', body: InternalErrorSchema },
    503: {
      description: 'Storage could not be reached or did not answer in time.',
      body: StorageUnavailableSchema,
      headers: { 'Retry-After': 'Seconds to wait before trying again.' },
    },
  };
}
