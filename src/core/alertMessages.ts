import { z } from 'zod';
import { describeIssues } from './validation';
import { REPOSITORY, TAG } from './events';
import type { PointRef } from './trend';

/**
 * Messages of the alert queues. Anyone with queue access can write them, so the
 * triggers validate them like any other input; the registry must also be allowed.
 */

/** Stricter than manifests' generic `algorithm:encoded`: the digests registries compute. */
const PLATFORM_DIGEST = /^(?:sha256:[a-f0-9]{64}|sha512:[a-f0-9]{128})$/;

const loginServer = z
  .string()
  .min(1)
  .max(253)
  .regex(/^[a-z0-9]([a-z0-9.-]*[a-z0-9])?(:[0-9]{1,5})?$/, 'is not a login server');

/** `acrsize-alerts`: a stored point whose rules are to run (after the settle delay). */
export const PointRefMessage = z.strictObject({
  registry: loginServer,
  repository: z.string().max(256).regex(REPOSITORY, 'is not a repository name'),
  platform: z
    .string()
    .min(1)
    .max(128)
    .regex(/^[a-z0-9._-]+(?:\/[a-z0-9._-]+){0,2}$/i, 'is not a platform'),
  pushedAt: z.iso.datetime({ offset: true }),
  tag: z.string().regex(TAG, 'is not a tag'),
  digest: z.string().regex(PLATFORM_DIGEST, 'is not a sha256 or sha512 digest'),
  /** When this evaluation first waited for the image's content (ALERT_CONTENT_WAIT_SECONDS counts from it). */
  waitingSince: z.iso.datetime({ offset: true }).optional(),
}) satisfies z.ZodType<PointRef>;

/** `acrsize-deliveries`: an outbox alert to attempt once. */
export const AlertRefMessage = z.strictObject({
  registry: loginServer,
  rowKey: z.string().regex(/^a\|\d{13}\|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/, 'is not an alert row key'),
});
export type AlertRef = z.infer<typeof AlertRefMessage>;

/** Parses a queue message; the error names each bad field, for the poison-queue log line. */
export function parseMessage<S extends z.ZodType>(schema: S, message: unknown, allowedRegistries: readonly string[], what: string): z.output<S> {
  const parsed = schema.safeParse(message);
  if (!parsed.success) throw new Error(`message is not ${what}: ${describeIssues(parsed.error, { root: '(message)' })}`);
  const registry = (parsed.data as { registry: string }).registry;
  if (!allowedRegistries.includes(registry)) throw new Error(`message is not ${what}: registry ${registry} is not in ALLOWED_REGISTRIES`);
  return parsed.data;
}
