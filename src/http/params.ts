import { z } from 'zod';
import { REPOSITORY, TAG, normalizeRegistryHost } from '../core/events';
import { DIGEST } from '../core/manifest';

/** Query parameter schemas shared by the read APIs. */

export const registryParam = z
  .string({ error: 'is required (a registry login server, e.g. myregistry.azurecr.io)' })
  .min(1, 'is required')
  .transform(normalizeRegistryHost);
export const repositoryParam = z.string({ error: 'is required' }).regex(REPOSITORY, 'is not a repository name');
export const tagParam = z.string().regex(TAG, 'is not a tag');
export const digestParam = z.string({ error: 'is required' }).regex(DIGEST, 'is not a digest (algorithm:hex)');
export const platformParam = z.string().regex(/^[a-z0-9._-]+\/[a-z0-9._-]+(\/[a-z0-9._-]+)?$/i, 'must look like os/arch or os/arch/variant');
export const timeParam = z.iso.datetime({ offset: true, error: 'must be an ISO 8601 date-time, e.g. 2026-01-31T00:00:00Z' }).transform((s) => new Date(s).toISOString());

export function limitParam(def: number, max: number) {
  return z
    .string()
    .optional()
    .transform((v, ctx) => {
      if (v === undefined || v === '') return def;
      const n = Number(v);
      if (!Number.isInteger(n) || n < 1 || n > max) {
        ctx.addIssue({ code: 'custom', message: `must be an integer from 1 to ${max}` });
        return z.NEVER;
      }
      return n;
    });
}

/** Opaque to clients: base64url JSON naming where the previous page stopped. */
export const continuationParam = z.string().transform((v, ctx) => {
  try {
    const parsed = JSON.parse(Buffer.from(v, 'base64url').toString('utf8')) as { after?: unknown };
    if (typeof parsed.after === 'string' && parsed.after.startsWith('p|')) return parsed.after;
  } catch {
    // fall through
  }
  ctx.addIssue({ code: 'custom', message: 'is not a continuation token from this API' });
  return z.NEVER;
});

export function continuationToken(after: string): string {
  return Buffer.from(JSON.stringify({ after })).toString('base64url');
}
