import { z } from 'zod';
import { numberText } from '../core/validation';
import { MAX_POLICY_PATTERN_LENGTH, POLICY_PATTERN } from '../core/policy';
import { DIGEST_RULE, MAX_DIGEST_LENGTH, STRICT_DIGEST } from '../core/digest';
import { MAX_KEY_LENGTH } from '../core/keys';
import { LOGIN_SERVER, MAX_PLATFORM_LENGTH, MAX_REGISTRY_LENGTH, MAX_REPOSITORY_LENGTH, REPOSITORY, TAG, normalizeRegistryHost } from '../core/events';
import { described } from './contract/registry';

/**
 * Query parameter schemas shared by the read APIs. Every one is bounded: keys are built
 * from them, and Table Storage refuses keys over 1 KiB, which would otherwise surface as
 * a 500 instead of a 400 naming the parameter. Lengths are checked before patterns, and
 * a failed length check stops there (`abort`), so a huge value costs no pattern match.
 */

export const registryParam = described(
  z
    .string({ error: 'is required (a registry login server, e.g. myregistry.azurecr.io)' })
    .min(1, 'is required')
    .max(MAX_REGISTRY_LENGTH, { message: `must be at most ${MAX_REGISTRY_LENGTH} characters`, abort: true })
    .transform(normalizeRegistryHost)
    .pipe(z.string().regex(LOGIN_SERVER, 'is not a registry login server (host or host:port, e.g. myregistry.azurecr.io)')),
  'The registry login server (host or host:port, any case), e.g. `myregistry.azurecr.io`.',
);
export const repositoryParam = described(
  z
    .string({ error: 'is required' })
    .max(MAX_REPOSITORY_LENGTH, { message: `must be at most ${MAX_REPOSITORY_LENGTH} characters`, abort: true })
    .regex(REPOSITORY, 'is not a repository name'),
  'A repository name, e.g. `team-a/api`.',
);
/** A repository name or glob, as policies and backfills name repositories (`team-a/*`, `team-a/**`). */
export const repositoryPatternParam = z
  .string()
  .max(MAX_POLICY_PATTERN_LENGTH, `must be at most ${MAX_POLICY_PATTERN_LENGTH} characters`)
  .regex(POLICY_PATTERN, 'is not a repository name or glob (team-a/*, team-a/**)');
export const tagParam = described(z.string().regex(TAG, 'is not a tag (at most 128 of letters, digits, _ . -; not starting with . or -)'), 'A tag, e.g. `v1`.');
export const digestParam = described(
  z.string({ error: 'is required' }).max(MAX_DIGEST_LENGTH, { message: DIGEST_RULE, abort: true }).regex(STRICT_DIGEST, DIGEST_RULE),
  'A manifest digest, `sha256:` and 64 lower-case hex digits.',
);
export const platformParam = described(
  z
    .string()
    .max(MAX_PLATFORM_LENGTH, { message: `must be at most ${MAX_PLATFORM_LENGTH} characters`, abort: true })
    .regex(/^[a-z0-9._-]+\/[a-z0-9._-]+(\/[a-z0-9._-]+)?$/i, 'must look like os/arch or os/arch/variant'),
  'A platform, `os/arch` or `os/arch/variant`, e.g. `linux/arm64/v8`.',
);
export const timeParam = described(
  z.iso.datetime({ offset: true, error: 'must be an ISO 8601 date-time, e.g. 2026-01-31T00:00:00Z' }).transform((s) => new Date(s).toISOString()),
  'An ISO 8601 date-time, e.g. `2026-01-31T00:00:00Z`.',
);

/** A page size from 1 to `max`, `def` when absent; documented as what it is on the wire, text. */
export function limitParam(def: number, max: number) {
  return described(numberText(def, { min: 1, max }), `An integer from 1 to ${max}; ${def} when absent.`);
}

/** A RowKey is at most 1 KiB; its base64url JSON wrapper about 4/3 of that plus a little. */
const MAX_CONTINUATION_LENGTH = 2048;

/**
 * Opaque to clients: base64url JSON naming the RowKey where the previous page stopped.
 * Only keys of the paged range (`prefix`) are taken, so a token cannot reach other rows.
 */
export function keyContinuationParam(prefix: string) {
  const token = z.string().transform((v, ctx) => {
    try {
      const parsed = (v.length <= MAX_CONTINUATION_LENGTH ? JSON.parse(Buffer.from(v, 'base64url').toString('utf8')) : {}) as { after?: unknown };
      if (typeof parsed.after === 'string' && parsed.after.startsWith(prefix) && parsed.after.length > 0 && parsed.after.length <= MAX_KEY_LENGTH)
        return parsed.after;
    } catch {
      // fall through
    }
    ctx.addIssue({ code: 'custom', message: 'is not a continuation token from this API' });
    return z.NEVER;
  });
  return described(token, 'The `continuationToken` of the previous page, as it was answered.');
}

/** A trend page's token: the point keys start `p|`. */
export const continuationParam = keyContinuationParam('p|');

export function continuationToken(after: string): string {
  return Buffer.from(JSON.stringify({ after })).toString('base64url');
}
