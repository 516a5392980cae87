import type { PullEstimates } from './estimates/estimates';
import type { BaseChange, StepDelta } from './layerDiff';
import type { Layer } from './manifest';
import { z } from 'zod';
import { FindingSchema, RULES, type Finding, type Rule } from './rules';

/** Which image of which push an alert is about. */
export interface AlertSubject {
  registry: string;
  repository: string;
  tag: string;
  platform: string;
  /** The platform manifest's digest. */
  digest: string;
  indexDigest?: string;
  pushedAt: string;
}

/** Everything an alert card shows, gathered by the alert service; the card is built from this alone. */
export interface AlertView extends AlertSubject {
  kind: 'regression' | 'improvement';
  sizeBytes: number;
  baseline?: { digest: string; tag: string; sizeBytes: number };
  findings: Finding[];
  /** Every aligned Dockerfile step with its size before and after (empty without a baseline). */
  steps: StepDelta[];
  /** Layers the baseline does not have (all layers without a baseline). */
  addedLayers: Layer[];
  base?: BaseChange;
  cost: {
    currency: string;
    /** The image's own bytes per month, before (the baseline) and after. */
    monthlyBefore: number | null;
    monthlyAfter: number;
    /** What this push added to the bill: zero while the registry is within its included storage. */
    pushMarginalMonthly: number;
    withinIncluded: boolean;
    note: string;
  };
  pull?: PullEstimates;
  /** What is inside the image, when its layers were read in time. */
  content?: AlertContent;
  /** Link to `GET /api/compare` for this change, when PUBLIC_BASE_URL is set. */
  compareUrl?: string;
}

export type AlertContent =
  | {
      status: 'done';
      complete: boolean;
      onDiskBytes: number;
      wastedBytes: number;
      efficiency: number;
      /** The largest findings, with their advice (evidence and saving). */
      findings: { label: string; advice: string }[];
      /** Files and directories that grew most since the baseline, with the step that wrote them. */
      grown: { path: string; deltaBytes: number; step?: string }[];
    }
  /** Not read in time (ALERT_CONTENT_WAIT_SECONDS), or never asked for (analysis off, an older image). */
  | { status: 'timed out' | 'not requested'; waitedSeconds?: number };

/** `backfilled`: found on a backfill's history; recorded, never sent (a thousand regressions from years ago are noise). */
export const ALERT_STATES = ['pending', 'sent', 'failed', 'backfilled'] as const;
export type AlertState = (typeof ALERT_STATES)[number];

/** An alert of the outbox and its history. */
export interface AlertRecord extends AlertSubject {
  id: string;
  kind: 'regression' | 'improvement';
  rules: Rule[];
  findings: Finding[];
  state: AlertState;
  attempts: number;
  createdAt: string;
  nextAttemptAt: string;
  sentAt?: string;
  lastError?: string;
  /** Which route it goes to; the URL itself (it carries a signature) is never returned by the API. */
  route: 'default' | 'policy';
}

export const AlertRecordSchema = z.object({
  registry: z.string(),
  repository: z.string(),
  tag: z.string(),
  platform: z.string(),
  digest: z.string(),
  indexDigest: z.string().optional(),
  pushedAt: z.string(),
  id: z.string(),
  kind: z.enum(['regression', 'improvement']),
  rules: z.array(z.enum(RULES)),
  findings: z.array(FindingSchema),
  state: z.enum(ALERT_STATES),
  attempts: z.number().int().nonnegative(),
  createdAt: z.string(),
  nextAttemptAt: z.string(),
  sentAt: z.string().optional(),
  lastError: z.string().optional(),
  route: z.enum(['default', 'policy']),
}) satisfies z.ZodType<AlertRecord>;

export const NO_ROUTE = 'no Teams route: set TEAMS_WEBHOOK_URL or the policy teamsRoute';

/** A card is a regression when any finding is; only improvements make an improvement notice. */
export function alertKind(findings: Pick<Finding, 'kind'>[]): AlertRecord['kind'] {
  return findings.some((f) => f.kind === 'regression') ? 'regression' : 'improvement';
}

/**
 * A new alert for the findings not alerted before: pending delivery, or failed at once
 * when it has nowhere to go (it stays visible in the history with the reason), or
 * `backfilled` when it was found on a backfill's history.
 */
export function newAlert(
  subject: AlertSubject & { createdAt: string },
  findings: Finding[],
  route: { kind: AlertRecord['route']; url: string | null },
  id: string,
  backfilled = false,
): AlertRecord {
  // A backfilled alert is history: recorded with what fired, never sent, so no route is missing.
  const state = backfilled ? 'backfilled' : route.url ? 'pending' : 'failed';
  return {
    ...subject,
    id,
    kind: alertKind(findings),
    rules: findings.map((f) => f.rule),
    findings,
    state,
    attempts: 0,
    nextAttemptAt: subject.createdAt,
    route: route.kind,
    ...(state === 'failed' ? { lastError: NO_ROUTE } : {}),
  };
}

/**
 * What Teams' answer means for the outbox: any 2xx is delivered (Workflows answer 202
 * with an empty body); 408, 429 (back-pressure, with Retry-After) and 5xx may pass; any
 * other 4xx (a deleted flow, a rejected card) will not.
 */
export type DeliveryResult =
  | { ok: true; status: number }
  | {
      ok: false;
      transient: boolean;
      status?: number;
      retryAfterMs?: number;
      /** No answer in time: the card may or may not have been posted. */
      unknownOutcome?: boolean;
      /** Never contains the URL's signature or credentials. */
      error: string;
    };

export function isTransientDeliveryStatus(status: number): boolean {
  return status === 408 || status === 429 || status >= 500;
}

/** A Retry-After header, in seconds or as an HTTP date, as milliseconds from `now`. */
export function parseRetryAfter(value: string | null, now = Date.now()): number | undefined {
  if (!value) return undefined;
  const seconds = Number(value.trim());
  if (Number.isFinite(seconds) && seconds >= 0) return seconds * 1000;
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}
