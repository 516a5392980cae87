import { z } from 'zod';

/**
 * Digests as this service accepts them from senders and in queries: the two algorithms
 * the OCI image spec registers, with their exact encoded lengths in lower-case hex
 * (image-spec descriptor.md). Anything else could never match stored content, so it is
 * refused up front instead of being queued, retried and poisoned.
 */
export const DIGEST_ALGORITHMS = { sha256: 64, sha512: 128 } as const;
export const STRICT_DIGEST = /^(?:sha256:[a-f0-9]{64}|sha512:[a-f0-9]{128})$/;
/** The longest accepted digest: `sha512:` and 128 hex digits. */
export const MAX_DIGEST_LENGTH = 'sha512:'.length + DIGEST_ALGORITHMS.sha512;

export const DIGEST_RULE = 'must be sha256: and 64 lower-case hex digits, or sha512: and 128';

/** Length first, so a 70,000-character value is refused without running the pattern over it. */
export const digestSchema = z.string().max(MAX_DIGEST_LENGTH, { message: DIGEST_RULE, abort: true }).regex(STRICT_DIGEST, DIGEST_RULE);
