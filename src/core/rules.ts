import { z } from 'zod';
import { formatBytes, formatDeltaBytes, formatDeltaSeconds, formatPercent } from './format';
import type { EffectivePolicy } from './policy';

/** The regression rules and the improvement notice, evaluated for one new trend point. */

export const RULES = ['growth', 'budget', 'largeLayer', 'coldStart', 'improvement'] as const;
export type Rule = (typeof RULES)[number];

export interface Finding {
  rule: Rule;
  kind: 'regression' | 'improvement';
  /** One line a person reads in the card, with the figures and the threshold. */
  summary: string;
  observed: number;
  threshold: number;
}

/** A finding as stored with its alert. */
export const FindingSchema = z.object({
  rule: z.enum(RULES),
  kind: z.enum(['regression', 'improvement']),
  summary: z.string(),
  observed: z.number(),
  threshold: z.number(),
}) satisfies z.ZodType<Finding>;

export interface RuleInput {
  sizeBytes: number;
  /** Without a baseline only the budget and the large-layer rule apply: a first push has no size to regress from. */
  baseline?: { sizeBytes: number };
  /** Layers the baseline does not have; without a baseline, every layer (all of them are new). */
  addedLayers: { sizeBytes: number }[];
  /** Change of the ACI cold-start estimate against the baseline. */
  coldStartDeltaSeconds: number | null;
}

/** At the threshold counts as reaching it ("at least 10%"); budgets and layer limits are exceeded only above. */
export function evaluateRules(input: RuleInput, policy: EffectivePolicy): Finding[] {
  const findings: Finding[] = [];
  const base = input.baseline;
  const delta = base ? input.sizeBytes - base.sizeBytes : 0;
  // Compare percentages without dividing, so a zero-byte baseline cannot divide by zero.
  const reachesPercent = (bytes: number) => !!base && bytes * 100 >= policy.growthPercent * base.sizeBytes;
  const fraction = base && base.sizeBytes > 0 ? delta / base.sizeBytes : 0;

  if (base && delta > 0 && delta >= policy.growthBytes && reachesPercent(delta)) {
    findings.push({
      rule: 'growth',
      kind: 'regression',
      summary: `Grew ${formatDeltaBytes(delta)} (${formatPercent(fraction)}): at least ${policy.growthPercent}% and ${formatBytes(policy.growthBytes)}`,
      observed: delta,
      threshold: policy.growthBytes,
    });
  }
  if (policy.budgetBytes !== null && input.sizeBytes > policy.budgetBytes) {
    // Already over and not growing: the team knows; alert when it goes over or gets worse.
    const newlyOrWorse = !base || base.sizeBytes <= policy.budgetBytes || input.sizeBytes > base.sizeBytes;
    if (newlyOrWorse) {
      findings.push({
        rule: 'budget',
        kind: 'regression',
        summary: `${formatBytes(input.sizeBytes)} is over the ${formatBytes(policy.budgetBytes)} budget by ${formatBytes(input.sizeBytes - policy.budgetBytes)}`,
        observed: input.sizeBytes,
        threshold: policy.budgetBytes,
      });
    }
  }
  // A first push brings every layer new, so a 110 MiB toolchain layer is worth saying then too.
  const largest = Math.max(0, ...input.addedLayers.map((l) => l.sizeBytes));
  if (largest > policy.layerBytes) {
    findings.push({
      rule: 'largeLayer',
      kind: 'regression',
      summary: `A new layer of ${formatBytes(largest)}, over the ${formatBytes(policy.layerBytes)} limit${base ? '' : ' (first push: every layer is new)'}`,
      observed: largest,
      threshold: policy.layerBytes,
    });
  }
  const cold = input.coldStartDeltaSeconds;
  if (base && cold !== null && cold > 0 && cold >= policy.coldStartSeconds) {
    findings.push({
      rule: 'coldStart',
      kind: 'regression',
      summary: `ACI cold start ${formatDeltaSeconds(cold)}: at least ${policy.coldStartSeconds} s`,
      observed: cold,
      threshold: policy.coldStartSeconds,
    });
  }
  if (policy.improvements && base && delta < 0 && -delta >= policy.growthBytes && reachesPercent(-delta)) {
    findings.push({
      rule: 'improvement',
      kind: 'improvement',
      summary: `Shrank ${formatDeltaBytes(delta)} (${formatPercent(fraction)})`,
      observed: -delta,
      threshold: policy.growthBytes,
    });
  }
  return findings;
}

/** What a stored point says of itself that the rules read. */
export interface DescribedPoint {
  sizeBytes: number;
  baselineDigest?: string;
  sizeDeltaBytes: number | null;
  addedBytes: number;
  estimates?: { pull: { aci: { coldStartDeltaSeconds: number | null } } };
}

/**
 * Whether the rules could find anything in a point as it is stored, without its layers:
 * exact for every rule but the large layer, whose largest added layer is bounded by the
 * bytes added. Ingest queues an evaluation only for such points, so the common push that
 * breaks no rule costs no queue message, evaluation or table read.
 */
export function mayFind(point: DescribedPoint, policy: EffectivePolicy): boolean {
  const baseline = point.baselineDigest !== undefined && point.sizeDeltaBytes !== null ? { sizeBytes: point.sizeBytes - point.sizeDeltaBytes } : undefined;
  const input: RuleInput = {
    sizeBytes: point.sizeBytes,
    ...(baseline ? { baseline } : {}),
    addedLayers: [{ sizeBytes: point.addedBytes }],
    coldStartDeltaSeconds: point.estimates?.pull.aci.coldStartDeltaSeconds ?? null,
  };
  return evaluateRules(input, policy).length > 0;
}
