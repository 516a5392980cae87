import type { AlertRef, AlertRecord, AlertTable } from '../adapters/tables/alertTable';
import type { DeliveryResult } from '../adapters/teams';
import type { AlertSubject, AlertView } from '../core/alert';
import { alertMessage } from '../core/card';
import { imageMonthlyStorageCost } from '../core/estimates/pricing';
import type { LayerDiff } from '../core/layerDiff';
import type { EffectivePolicy } from '../core/policy';
import { evaluateRules } from '../core/rules';
import type { PlatformImage } from '../core/sizing';
import type { TrendPoint } from '../core/trend';
import type { EstimateContext } from './estimates';

export interface AlertDeps {
  alerts: AlertTable;
  estimates: EstimateContext;
  teamsWebhookUrl?: string;
  publicBaseUrl?: string;
  maxAttempts: number;
  inlineRetries: number;
  /** First wait before the timer's next attempt; doubles per attempt. */
  retryBaseMs: number;
  post: (url: string, message: unknown) => Promise<DeliveryResult>;
  sleep?: (ms: number) => Promise<void>;
  now?: () => Date;
  log?: (level: 'info' | 'warn', message: string) => void;
}

export interface PointContext {
  registry: string;
  repository: string;
  point: TrendPoint;
  image: PlatformImage;
  baseline?: PlatformImage;
  diff?: LayerDiff;
  policy: EffectivePolicy;
}

/** A lease long enough for the inline retries, so the re-send timer never sends the same alert alongside. */
const LEASE_MS = 5 * 60_000;
/** Waits longer than this are left to the re-send timer rather than held in the invocation. */
const MAX_INLINE_WAIT_MS = 30_000;
const MAX_BACKOFF_MS = 60 * 60_000;

/**
 * Evaluates the rules for a trend point and writes an alert to the outbox when any
 * fires (and was not alerted for this image before). Returns the alert to deliver.
 */
export async function raiseAlert(deps: AlertDeps, ctx: PointContext): Promise<AlertRef | undefined> {
  const { point, policy } = ctx;
  if (policy.muted) return undefined;
  const findings = evaluateRules(
    {
      sizeBytes: point.sizeBytes,
      ...(ctx.baseline ? { baseline: { sizeBytes: ctx.baseline.sizeBytes } } : {}),
      addedLayers: ctx.diff?.added ?? ctx.image.layers,
      coldStartDeltaSeconds: point.estimates?.pull.aci.coldStartDeltaSeconds ?? null,
    },
    policy,
  );
  if (findings.length === 0) return undefined;

  const view = alertView(deps, ctx);
  const now = (deps.now ?? (() => new Date()))().toISOString();
  const url = policy.teamsRoute ?? deps.teamsWebhookUrl ?? null;
  const created = await deps.alerts.create(
    { ...subject(ctx), createdAt: now },
    findings,
    { kind: policy.teamsRoute ? 'policy' : 'default', url },
    (remaining) =>
      alertMessage({ ...view, findings: remaining, kind: remaining.some((f) => f.kind === 'regression') ? 'regression' : 'improvement' }).message,
  );
  if (!created) return undefined;
  deps.log?.('info', `alert ${created.record.id} (${created.record.rules.join(', ')}) for ${ctx.repository}:${point.tag} ${point.platform}: ${created.record.state}`);
  return created.record.state === 'pending' ? created.ref : undefined;
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
      ? `${deps.publicBaseUrl}/api/compare?${new URLSearchParams({ registry: ctx.registry, repository: ctx.repository, from: baseline.digest, to: point.digest })}`
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
    ...(compareUrl ? { compareUrl } : {}),
  };
}

function backoffMs(attempts: number, base: number): number {
  return Math.min(base * 2 ** Math.max(0, attempts - 1), MAX_BACKOFF_MS);
}

/**
 * Sends one alert: claims it, posts it, retries within the invocation while the waits
 * are short (honouring Retry-After), and otherwise leaves it pending for the re-send
 * timer. After `maxAttempts` it is marked failed and stays visible.
 */
export async function deliver(deps: AlertDeps, ref: AlertRef, inlineRetries = deps.inlineRetries): Promise<AlertRecord | undefined> {
  const now = deps.now ?? (() => new Date());
  const sleep = deps.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const claimed = await deps.alerts.claim(ref, now(), LEASE_MS);
  if (!claimed) return undefined;
  if (!claimed.routeUrl) {
    return deps.alerts.settle(claimed, { state: 'failed', attempts: claimed.record.attempts, nextAttemptAt: claimed.record.nextAttemptAt, lastError: 'no Teams route configured' });
  }
  let attempts = claimed.record.attempts;
  for (let inline = 0; ; inline++) {
    const result = await deps.post(claimed.routeUrl, claimed.message);
    attempts++;
    const at = now();
    if (result.ok) return deps.alerts.settle(claimed, { state: 'sent', attempts, nextAttemptAt: at.toISOString(), sentAt: at.toISOString(), lastError: '' });
    const what = `alert ${claimed.record.id} attempt ${attempts}: ${result.error}`;
    if (!result.transient || attempts >= deps.maxAttempts) {
      deps.log?.('warn', `${what}; giving up`);
      return deps.alerts.settle(claimed, { state: 'failed', attempts, nextAttemptAt: at.toISOString(), lastError: result.error });
    }
    const wait = result.retryAfterMs ?? backoffMs(attempts, 1000);
    if (inline < inlineRetries && wait <= MAX_INLINE_WAIT_MS) {
      deps.log?.('info', `${what}; retrying in ${wait} ms`);
      await sleep(wait);
      continue;
    }
    const next = new Date(at.getTime() + Math.max(wait, backoffMs(attempts, deps.retryBaseMs)));
    deps.log?.('info', `${what}; next attempt at ${next.toISOString()}`);
    return deps.alerts.settle(claimed, { state: 'pending', attempts, nextAttemptAt: next.toISOString(), lastError: result.error });
  }
}

/** The timer's job: every pending alert whose next attempt is due gets one attempt. */
export async function resendDue(deps: AlertDeps): Promise<{ due: number; sent: number; failed: number }> {
  const refs = await deps.alerts.due((deps.now ?? (() => new Date()))());
  let sent = 0;
  let failed = 0;
  for (const ref of refs) {
    const record = await deliver(deps, ref, 0);
    if (record?.state === 'sent') sent++;
    if (record?.state === 'failed') failed++;
  }
  return { due: refs.length, sent, failed };
}
