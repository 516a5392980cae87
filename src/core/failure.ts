import { createHash } from 'node:crypto';
import { z } from 'zod';
import { RegistryEventSchema, type RegistryEvent } from './events';

/**
 * An event the service gave up on, kept where people can see it and replay it: messages
 * that are not registry events, events naming a registry that is not allowed, and events
 * whose every attempt failed.
 */
export const FAILURE_KINDS = ['invalid', 'refused', 'exhausted'] as const;
export type FailureKind = (typeof FAILURE_KINDS)[number];

export interface FailureRecord {
  /** Stable per message content, so the same event failing again updates one record. */
  id: string;
  /** The registry the message names, or `-` when it names none that can be read. */
  registry: string;
  kind: FailureKind;
  reason: string;
  /** The message as received (JSON), at most a queue message's 64 KiB. */
  message: string;
  event?: RegistryEvent;
  /** Attempts of the last failure (the queue's dequeue count). */
  attempts: number;
  /** How many times the message failed for good (a replay that fails again adds one). */
  failures: number;
  firstFailedAt: string;
  lastFailedAt: string;
  state: 'failed' | 'replayed';
  replayedAt?: string;
}

export const FailureRecordSchema = z.object({
  id: z.string(),
  registry: z.string(),
  kind: z.enum(FAILURE_KINDS),
  reason: z.string(),
  message: z.string(),
  event: RegistryEventSchema.optional(),
  attempts: z.number().int().nonnegative(),
  failures: z.number().int().nonnegative(),
  firstFailedAt: z.string(),
  lastFailedAt: z.string(),
  state: z.enum(['failed', 'replayed']),
  replayedAt: z.string().optional(),
}) satisfies z.ZodType<FailureRecord>;

export const UNKNOWN_REGISTRY = '-';

export function failureId(message: string): string {
  return createHash('sha256').update(message).digest('hex').slice(0, 32);
}

/** The registry a message names, if it names one as text at all: failures are filed under it. */
export function registryNamedBy(message: unknown): string {
  const r = (message as { registry?: unknown } | null)?.registry;
  return typeof r === 'string' && r.length > 0 && r.length <= 253 ? r.toLowerCase() : UNKNOWN_REGISTRY;
}

/** Replayable: an event, and (checked again at replay time) of a registry that is allowed now. */
export function replayProblem(f: FailureRecord, allowed: readonly string[]): string | undefined {
  if (!f.event) return 'not a registry event: nothing to replay';
  if (!allowed.includes(f.event.registry)) return `registry ${f.event.registry} is not in ALLOWED_REGISTRIES`;
  if (f.state === 'replayed') return 'already replayed; it has not failed since';
  return undefined;
}
