import { z } from 'zod';
import type { StorageUnavailability } from '../../adapters/storage';
import { REFUSALS } from '../../core/signIn';
import { component } from './registry';

/**
 * The error answers every endpoint shares (src/http/responses.ts `problem`): `error` in
 * words a person can act on, with details beside it. The shapes stay open (extra details
 * are allowed), because the Functions host answers some errors itself (`413`, `404` of an
 * unknown route) with its own details.
 */

/** The details an error answer carries beside `error` (its known fields: the schemas are open, their types have an index signature). */
export type DetailsOf<T> = { [K in keyof T as string extends K ? never : number extends K ? never : K extends 'error' ? never : K]: T[K] };

export const ErrorSchema = component(
  'Error',
  z.object({ error: z.string() }).loose(),
  'An error answer: `error` says what is wrong; details may stand beside it.',
);

export const ParameterProblemSchema = z.object({
  /** The query parameter, or empty for a problem of the query as a whole. */
  parameter: z.string(),
  message: z.string(),
});

export const BadRequestSchema = component(
  'BadRequest',
  z.object({ error: z.string(), problems: z.array(ParameterProblemSchema).optional() }).loose(),
  'The request was refused as it is. When query parameters do not validate, `problems` names each one (`parameter` empty for the query as a whole).',
);
export type BadRequest = z.infer<typeof BadRequestSchema>;

const STORAGE_UNAVAILABLE = ['timeout', 'unreachable', 'unavailable'] as const satisfies readonly StorageUnavailability[];
export const StorageUnavailableReasonSchema = z.enum(STORAGE_UNAVAILABLE);

export const StorageUnavailableSchema = component(
  'StorageUnavailable',
  z.object({ error: z.string(), reason: StorageUnavailableReasonSchema }).loose(),
  'Storage could not be reached or did not answer in time (`timeout`, `unreachable`, or `unavailable`: it answered 5xx, 408 or 429). Retry after `Retry-After` seconds.',
);

export const InternalErrorSchema = component(
  'InternalError',
  z
    .object({
      error: z.string(),
      /** The invocation to quote when asking why (null when the host could not tell). */
      invocationId: z.string().nullable().optional(),
      /** A stored record that does not match its schema: where it is, for whoever repairs or removes it. */
      record: z.object({ table: z.string(), partitionKey: z.string(), rowKey: z.string() }).optional(),
      /** What is wrong with that record. */
      issues: z.string().optional(),
    })
    .loose(),
  'Something went wrong on the server; never a stack trace. A stored record that does not match its schema is named (`record`, `issues`): retrying will not help until it is repaired.',
);
export type InternalError = z.infer<typeof InternalErrorSchema>;

export const TooLargeSchema = component(
  'TooLarge',
  z.object({ error: z.string(), limitBytes: z.number().int().positive().optional() }).loose(),
  'The request body is over the limit (`limitBytes`); the Functions host refuses bodies over its own limit the same way.',
);
export type TooLarge = z.infer<typeof TooLargeSchema>;

export const SignInRefusedSchema = component(
  'SignInRefused',
  z
    .object({
      error: z.string(),
      /** Present when Entra ID sign-in refused the call; absent on the host's own 401 for a missing function key. */
      signIn: z.literal('entra'),
      reason: z.enum(REFUSALS),
    })
    .loose(),
  'Entra ID sign-in is on (ENTRA_TENANT_ID, ENTRA_CLIENT_ID) and the call has no access token for this app, or one it does not accept: `reason` says which check failed (`expired`: sign in again). `WWW-Authenticate` names where to sign in.',
);
export type SignInRefused = z.infer<typeof SignInRefusedSchema>;

export const SignInUnavailableSchema = component(
  'SignInUnavailable',
  z.object({ error: z.string(), reason: z.literal('signIn') }).loose(),
  "The tenant's sign-in metadata or signing keys could not be fetched, so no token can be checked. Retry after `Retry-After` seconds.",
);
