import { newAlert, NO_ROUTE, type AlertRecord, type AlertState, type AlertSubject, type AlertView, type DeliveryResult } from '../core/alert';
import type { AlertRef } from '../core/alertMessages';
import { randomUUID } from 'node:crypto';
import { alertMessage } from '../core/card';
import { compareLink } from '../core/links';
import { PermanentError } from '../core/errors';
import { imageMonthlyStorageCost } from '../core/estimates/pricing';
import { diffImages, type LayerDiff } from '../core/layerDiff';
import type { EffectivePolicy } from '../core/policy';
import { redactUrls } from '../core/redact';
import { evaluateRules, wantsContent, type Finding, type RuleInput } from '../core/rules';
import type { PlatformImage } from '../core/sizing';
import type { PointRef, TrendPoint } from '../core/trend';
import { ContentResolver, storedOnly, type ContentStore } from './contentResolver';
import type { EstimateContext } from './estimates';
import { alertContent, contentState, factsOf, type ContentSources } from './alertContent';
import type { AlertContent } from '../core/alert';

/**
 * Alerts in three steps, each its own queued invocation, so nothing Teams does can hold
 * up ingestion: ingest stores a point and queues its evaluation behind the settle delay;
 * the evaluation runs the rules on the stored (by then settled) point and writes the
 * outbox; a delivery posts one alert once and, on a transient failure, queues its own
 * retry behind the back-off. The re-send timer only re-queues what is due and was lost.
 */

type Log = (level: 'info' | 'warn', message: string) => void;

/** An alert taken for one delivery attempt (under a lease): what to send, and where. */
export interface ClaimedAlert {
  ref: AlertRef;
  record: AlertRecord;
  routeUrl: string | null;
  message: unknown;
}

export type DeliveryPatch = Pick<AlertRecord, 'state' | 'attempts' | 'nextAttemptAt'> & Partial<Pick<AlertRecord, 'sentAt' | 'lastError'>>;

/** The alert outbox and history. */
export interface AlertStore {
  /** Records the alert `compose` makes of the findings not alerted before for this image; nothing when none are left. */
  create(
    image: { registry: string; repository: string; digest: string },
    findings: Finding[],
    compose: (remaining: Finding[]) => { record: AlertRecord; routeUrl: string | null; message: unknown },
  ): Promise<{ ref: AlertRef; record: AlertRecord } | undefined>;
  /** Takes a pending, due alert for one attempt, or undefined when it is not (sent, leased, not due). */
  claim(ref: AlertRef, now: Date, leaseMs: number): Promise<ClaimedAlert | undefined>;
  settle(claimed: ClaimedAlert, patch: DeliveryPatch): Promise<AlertRecord>;
  /** Pending alerts of a registry whose next attempt is due. */
  due(registry: string, now: Date): Promise<AlertRef[]>;
  list(registry: string, q: { repository?: string; since?: string; state?: AlertState; limit: number }): Promise<AlertRecord[]>;
}

/** Where the next attempt of an alert is queued (hidden for `delaySeconds`). */
export interface DeliveryQueue {
  send(ref: AlertRef, delaySeconds?: number): Promise<void>;
}

export interface AlertDeps {
  alerts: AlertStore;
  estimates: EstimateContext;
  teamsWebhookUrl?: string;
  publicBaseUrl?: string;
  now?: () => Date;
  log?: Log;
}

export interface EvaluationDeps extends AlertDeps {
  points: { get(ref: PointRef): Promise<TrendPoint | undefined> };
  content: ContentStore;
  policyFor: (registry: string, repository: string) => Promise<EffectivePolicy>;
  deliveries: DeliveryQueue;
  /** What is inside images (LAYER_ANALYSIS); absent, alerts are decided and shown without it. */
  contentSources?: ContentSources;
  /** Where an evaluation waiting for its image's content is queued again. */
  evaluations?: { send(ref: WaitingRef, delaySeconds: number): Promise<void> };
}

/** A point to evaluate, with when its evaluation first waited for the image's content. */
export type WaitingRef = PointRef & { waitingSince?: string };

export interface DeliveryDeps {
  alerts: AlertStore;
  deliveries: DeliveryQueue;
  maxAttempts: number;
  /** Wait after the first failed attempt; doubles per attempt, at most an hour. */
  retryBaseMs: number;
  /** Longer than one POST may take, so a lease never expires under a running attempt. */
  leaseMs: number;
  /** Why a stored route may no longer be posted to (the allow-lists changed), or undefined. */
  routeProblem: (url: string) => string | undefined;
  post: (url: string, message: unknown) => Promise<DeliveryResult>;
  /** Caps the POSTs in flight per route in this process. */
  slots: RouteSlots;
  now?: () => Date;
  log?: Log;
}

/**
 * POSTs in flight per Teams route (scheme, host and path) in this process. A delivery
 * holds its queue slot for up to TEAMS_TIMEOUT_SECONDS; without a cap, one hanging flow
 * would take every delivery slot of the instance and starve the alerts of other routes.
 */
export class RouteSlots {
  readonly #inUse = new Map<string, number>();

  constructor(readonly perRoute: number) {}

  /** A release function, or undefined when the route is at its cap. */
  tryTake(url: string): (() => void) | undefined {
    let key: string;
    try {
      const u = new URL(url);
      key = `${u.protocol}//${u.host}${u.pathname}`;
    } catch {
      key = url;
    }
    const used = this.#inUse.get(key) ?? 0;
    if (used >= this.perRoute) return undefined;
    this.#inUse.set(key, used + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const left = (this.#inUse.get(key) ?? 1) - 1;
      if (left > 0) this.#inUse.set(key, left);
      else this.#inUse.delete(key);
    };
  }
}

/** How long an alert waits when its route is at its cap; it keeps its attempts. */
const ROUTE_BUSY_DEFER_MS = 5_000;

export interface PointContext {
  registry: string;
  repository: string;
  point: TrendPoint;
  image: PlatformImage;
  baseline?: PlatformImage;
  diff?: LayerDiff;
  policy: EffectivePolicy;
  /** What the rules read of the image's content and its baseline's, once read. */
  facts?: Pick<RuleInput, 'content' | 'baselineContent'>;
  content?: AlertContent;
}

const MAX_BACKOFF_MS = 60 * 60_000;
/** A Retry-After beyond a day is not back-pressure any more; it is capped there. */
const MAX_RETRY_AFTER_MS = 24 * 60 * 60_000;

export type Evaluation =
  | { outcome: 'gone' }
  | { outcome: 'unreadable'; reason: string }
  | { outcome: 'muted' }
  | { outcome: 'quiet' }
  | { outcome: 'waiting for content'; delaySeconds: number }
  | { outcome: 'alerted before'; findings: Finding[] }
  | { outcome: 'alerted'; alert: AlertRecord };

/**
 * The evaluation step: the stored point as it is now (a later re-description changed
 * its baseline, perhaps), its image and baseline from stored content, the policy in
 * force, the rules; a new alert goes to the outbox and its first delivery is queued.
 */
export async function evaluatePoint(deps: EvaluationDeps, ref: WaitingRef): Promise<Evaluation> {
  const point = await deps.points.get(ref);
  if (!point) return { outcome: 'gone' };
  const policy = await deps.policyFor(ref.registry, ref.repository);
  if (policy.muted) return { outcome: 'muted' };
  const resolver = new ContentResolver(deps.content, storedOnly, ref.registry, ref.repository);
  const imageOf = async (digest: string) => {
    const m = await resolver.manifest(digest);
    if (m.kind !== 'image') throw new PermanentError(`manifest ${digest} is not an image manifest`);
    return resolver.platformImage(digest, m, point.platform);
  };
  let image: PlatformImage;
  let baseline: PlatformImage | undefined;
  try {
    image = await imageOf(point.digest);
    if (point.baselineDigest) baseline = await imageOf(point.baselineDigest);
  } catch (e) {
    if (e instanceof PermanentError) return { outcome: 'unreadable', reason: e.message };
    throw e;
  }
  const ctx: PointContext = {
    registry: ref.registry,
    repository: ref.repository,
    point,
    image,
    policy,
    ...(baseline ? { baseline, diff: diffImages(baseline, image) } : {}),
  };
  // Whatever fires waits for the image's layers (up to ALERT_CONTENT_WAIT_SECONDS), so the card can say what is inside.
  const src = deps.contentSources;
  if (src && (wantsContent(policy, !!baseline) || evaluateRules(ruleInput(ctx), policy).length > 0)) {
    const now = (deps.now ?? (() => new Date()))();
    const state = await contentState(src, ref.registry, point.digest, point.pushedAt, ref.waitingSince, now);
    if (state.state === 'wait' && deps.evaluations) {
      const { waitingSince: _w, ...pointRef } = ref;
      await deps.evaluations.send({ ...pointRef, waitingSince: state.since }, state.delaySeconds);
      return { outcome: 'waiting for content', delaySeconds: state.delaySeconds };
    }
    if (state.state !== 'wait') {
      const content = factsOf(state.state === 'done' ? state.record : undefined);
      const baselineContent = content && baseline && policy.newFinding ? factsOf(await src.layers.image(ref.registry, baseline.digest)) : undefined;
      ctx.facts = { ...(content ? { content } : {}), ...(baselineContent ? { baselineContent } : {}) };
      ctx.content = await alertContent(src, ref.registry, state, baseline?.digest);
    }
  }
  const raised = await raiseAlert(deps, ctx);
  if (raised.findings.length === 0) return { outcome: 'quiet' };
  if (!raised.created) return { outcome: 'alerted before', findings: raised.findings };
  // A failure here fails the evaluation; its retry finds the alert recorded, and the
  // timer queues the delivery of a pending alert that has no message.
  if (raised.created.record.state === 'pending') await deps.deliveries.send(raised.created.ref);
  return { outcome: 'alerted', alert: raised.created.record };
}

/**
 * Evaluates the rules for a trend point and writes an alert to the outbox for the
 * findings not alerted for this image before.
 */
export async function raiseAlert(deps: AlertDeps, ctx: PointContext): Promise<{ findings: Finding[]; created?: { ref: AlertRef; record: AlertRecord } }> {
  const { point, policy } = ctx;
  const findings = evaluateRules(ruleInput(ctx), policy);
  if (findings.length === 0) return { findings };

  const view = alertView(deps, ctx);
  const now = (deps.now ?? (() => new Date()))().toISOString();
  const url = policy.teamsRoute ?? deps.teamsWebhookUrl ?? null;
  const route = { kind: policy.teamsRoute ? ('policy' as const) : ('default' as const), url };
  const created = await deps.alerts.create({ registry: ctx.registry, repository: ctx.repository, digest: point.digest }, findings, (remaining) => {
    const record = newAlert({ ...subject(ctx), createdAt: now }, remaining, route, randomUUID(), point.origin === 'backfill');
    return { record, routeUrl: url, message: alertMessage({ ...view, findings: remaining, kind: record.kind }).message };
  });
  if (!created) return { findings };
  deps.log?.(
    'info',
    `alert ${created.record.id} (${created.record.rules.join(', ')}) for ${ctx.repository}:${point.tag} ${point.platform}: ${created.record.state}`,
  );
  return { findings, created };
}

function ruleInput(ctx: PointContext): RuleInput {
  const { point } = ctx;
  return {
    sizeBytes: point.sizeBytes,
    ...(ctx.baseline ? { baseline: { sizeBytes: ctx.baseline.sizeBytes } } : {}),
    addedLayers: ctx.diff?.added ?? ctx.image.layers,
    coldStartDeltaSeconds: point.estimates?.pull.aci.coldStartDeltaSeconds ?? null,
    ...ctx.facts,
  };
}

function subject({ registry, repository, point }: PointContext): AlertSubject {
  return {
    registry,
    repository,
    tag: point.tag,
    platform: point.platform,
    digest: point.digest,
    ...(point.indexDigest ? { indexDigest: point.indexDigest } : {}),
    pushedAt: point.pushedAt,
  };
}

function alertView(deps: AlertDeps, ctx: PointContext): AlertView {
  const { point, baseline, diff } = ctx;
  const profile = deps.estimates.profile(ctx.registry);
  const prices = deps.estimates.prices;
  const cost = point.estimates?.cost;
  const monthlyAfter = cost?.imageMonthly ?? imageMonthlyStorageCost(point.sizeBytes, profile, prices).monthly;
  const monthlyBefore = baseline ? imageMonthlyStorageCost(baseline.sizeBytes, profile, prices).monthly : null;
  const compareUrl =
    deps.publicBaseUrl && baseline
      ? compareLink(deps.publicBaseUrl, {
          registry: ctx.registry,
          repository: ctx.repository,
          from: baseline.digest,
          to: point.digest,
          platform: point.platform,
        })
      : undefined;
  return {
    kind: 'regression',
    ...subject(ctx),
    sizeBytes: point.sizeBytes,
    ...(baseline && point.baselineDigest ? { baseline: { digest: baseline.digest, tag: point.baselineTag ?? '', sizeBytes: baseline.sizeBytes } } : {}),
    findings: [],
    steps: diff?.steps ?? [],
    addedLayers: diff?.added ?? ctx.image.layers,
    ...(diff ? { base: diff.base } : {}),
    cost: {
      currency: cost?.currency ?? prices.currency,
      monthlyBefore,
      monthlyAfter,
      pushMarginalMonthly: cost?.pushMarginalMonthly ?? 0,
      withinIncluded: cost?.withinIncluded ?? true,
      note: cost?.note ?? '',
    },
    ...(point.estimates ? { pull: point.estimates.pull } : {}),
    ...(ctx.content ? { content: ctx.content } : {}),
    ...(compareUrl ? { compareUrl } : {}),
  };
}

function backoffMs(attempts: number, base: number): number {
  return Math.min(base * 2 ** Math.max(0, attempts - 1), MAX_BACKOFF_MS);
}

export type Delivery = { outcome: 'skipped' } | { outcome: AlertRecord['state'] | 'deferred'; record: AlertRecord };

/**
 * The delivery step: one attempt at one alert. Sent on any 2xx; failed on a refusal
 * (4xx), a route no longer allowed, or after the last attempt; otherwise (5xx, 429, a
 * network error, a timeout whose outcome is unknown) pending, with the next attempt
 * queued behind the back-off or Retry-After, whichever is longer. Never waits itself.
 */
export async function deliverOnce(deps: DeliveryDeps, ref: AlertRef): Promise<Delivery> {
  const now = deps.now ?? (() => new Date());
  const claimed = await deps.alerts.claim(ref, now(), deps.leaseMs);
  if (!claimed) return { outcome: 'skipped' };
  const { record } = claimed;
  const settled = async (patch: DeliveryPatch): Promise<Delivery> => {
    const r = await deps.alerts.settle(claimed, patch);
    return { outcome: r.state, record: r };
  };
  if (!claimed.routeUrl) {
    return settled({ state: 'failed', attempts: record.attempts, nextAttemptAt: record.nextAttemptAt, lastError: NO_ROUTE });
  }
  const refused = deps.routeProblem(claimed.routeUrl);
  if (refused) {
    deps.log?.('warn', `alert ${record.id}: not sent, its route is no longer allowed: ${refused}`);
    return settled({
      state: 'failed',
      attempts: record.attempts,
      nextAttemptAt: record.nextAttemptAt,
      lastError: `not sent: the route is no longer allowed (${refused})`,
    });
  }
  const release = deps.slots.tryTake(claimed.routeUrl);
  if (!release) {
    const later = new Date(now().getTime() + ROUTE_BUSY_DEFER_MS);
    const r = await deps.alerts.settle(claimed, { state: 'pending', attempts: record.attempts, nextAttemptAt: later.toISOString() });
    await requeue(deps, ref, ROUTE_BUSY_DEFER_MS, record.id);
    return { outcome: 'deferred', record: r };
  }
  let result: DeliveryResult;
  try {
    result = await deps.post(claimed.routeUrl, claimed.message);
  } finally {
    release();
  }
  const attempts = record.attempts + 1;
  const at = now();
  if (result.ok) return settled({ state: 'sent', attempts, nextAttemptAt: at.toISOString(), sentAt: at.toISOString(), lastError: '' });
  const error = redactUrls(result.error);
  const what = `alert ${record.id} attempt ${attempts}: ${error}`;
  if (!result.transient || attempts >= deps.maxAttempts) {
    deps.log?.('warn', `${what}; giving up`);
    return settled({
      state: 'failed',
      attempts,
      nextAttemptAt: at.toISOString(),
      lastError: result.transient ? `${error} (gave up after ${attempts} attempts)` : error,
    });
  }
  const delayMs = Math.max(Math.min(result.retryAfterMs ?? 0, MAX_RETRY_AFTER_MS), backoffMs(attempts, deps.retryBaseMs));
  const next = new Date(at.getTime() + delayMs);
  const pending = await settled({ state: 'pending', attempts, nextAttemptAt: next.toISOString(), lastError: error });
  deps.log?.('info', `${what}; next attempt at ${next.toISOString()}`);
  await requeue(deps, ref, delayMs, record.id);
  return pending;
}

async function requeue(deps: DeliveryDeps, ref: AlertRef, delayMs: number, id: string): Promise<void> {
  try {
    await deps.deliveries.send(ref, delayMs / 1000);
  } catch (e) {
    // Recorded as pending and due then: the re-send timer queues it.
    deps.log?.('warn', `alert ${id}: could not queue the next attempt (the re-send timer will): ${(e as Error).message}`);
  }
}

/**
 * The re-send timer's job, a backstop for lost delivery messages: every pending alert
 * that is due gets a delivery message (a duplicate of one still queued finds the alert
 * claimed or not yet due, and does nothing). One key-range read per registry.
 */
export async function resendDue(deps: {
  alerts: Pick<AlertStore, 'due'>;
  deliveries: DeliveryQueue;
  registries: readonly string[];
  now?: () => Date;
}): Promise<{ due: number }> {
  const now = (deps.now ?? (() => new Date()))();
  let due = 0;
  for (const registry of deps.registries) {
    const refs = await deps.alerts.due(registry, now);
    for (const ref of refs) await deps.deliveries.send(ref);
    due += refs.length;
  }
  return { due };
}

/** The alert history of a registry, newest first. */
export function listAlerts(deps: { alerts: Pick<AlertStore, 'list'> }, registry: string, q: Parameters<AlertStore['list']>[1]): Promise<AlertRecord[]> {
  return deps.alerts.list(registry, q);
}
