import { z } from 'zod';
import { formatBytes, formatDeltaBytes, formatDeltaSeconds, formatPercent, formatShare } from './format';
import type { EffectivePolicy } from './policy';

/** The regression rules and the improvement notice, evaluated for one new trend point. */

export const RULES = [
  'growth',
  'budget',
  'largeLayer',
  'coldStart',
  'improvement',
  'finding',
  'minEfficiency',
  'wastedBytes',
  'wastedPercent',
  'newFinding',
] as const;
/** The rules that read what is inside the image: they wait for its layers to be read. */
export const CONTENT_RULES: ReadonlySet<Rule> = new Set(['finding', 'minEfficiency', 'wastedBytes', 'wastedPercent', 'newFinding']);
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
  /** What is inside the image, once its layers are read; without it the content rules stay silent. */
  content?: ContentFacts;
  /** The same of the baseline, for `newFinding`. */
  baselineContent?: Pick<ContentFacts, 'findings'>;
}

export interface ContentFacts {
  efficiency: number;
  wastedBytes: number;
  /** Uncompressed bytes of the layers: what wastedPercent is a share of. */
  shippedBytes: number;
  findings: { category: string; label: string; compressedBytes: number }[];
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
  findings.push(...contentFindings(input, policy));
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

function contentFindings(input: RuleInput, policy: EffectivePolicy): Finding[] {
  const c = input.content;
  if (!c) return [];
  const out: Finding[] = [];
  const base = input.baseline;
  // A first push has nothing to regress from, but a toolchain in it is worth saying on day one.
  const biggest = [...c.findings].sort((a, b) => b.compressedBytes - a.compressedBytes)[0];
  if (!base && policy.findingBytes !== null && biggest && biggest.compressedBytes >= policy.findingBytes) {
    const over = c.findings.filter((f) => f.compressedBytes >= policy.findingBytes!);
    out.push({
      rule: 'finding',
      kind: 'regression',
      summary: `First push ships ${over.map((f) => `${f.label} (${formatBytes(f.compressedBytes)} compressed)`).join(', ')}: at least ${formatBytes(policy.findingBytes)}`,
      observed: biggest.compressedBytes,
      threshold: policy.findingBytes,
    });
  }
  if (policy.minEfficiency !== null && c.efficiency < policy.minEfficiency) {
    out.push({
      rule: 'minEfficiency',
      kind: 'regression',
      summary: `Efficiency ${formatShare(c.efficiency)} (dive's score), under the ${formatShare(policy.minEfficiency)} minimum`,
      observed: c.efficiency,
      threshold: policy.minEfficiency,
    });
  }
  if (policy.wastedBytes !== null && c.wastedBytes > policy.wastedBytes) {
    out.push({
      rule: 'wastedBytes',
      kind: 'regression',
      summary: `${formatBytes(c.wastedBytes)} shipped that the final filesystem does not hold, over the ${formatBytes(policy.wastedBytes)} limit`,
      observed: c.wastedBytes,
      threshold: policy.wastedBytes,
    });
  }
  if (policy.wastedPercent !== null && c.shippedBytes > 0 && c.wastedBytes * 100 > policy.wastedPercent * c.shippedBytes) {
    out.push({
      rule: 'wastedPercent',
      kind: 'regression',
      summary: `${formatShare(c.wastedBytes / c.shippedBytes)} of the bytes shipped is wasted, over ${policy.wastedPercent}%`,
      observed: (c.wastedBytes / c.shippedBytes) * 100,
      threshold: policy.wastedPercent,
    });
  }
  if (policy.newFinding && base && input.baselineContent) {
    const before = new Set(input.baselineContent.findings.map((f) => f.category));
    const fresh = c.findings.filter((f) => !before.has(f.category));
    if (fresh.length > 0) {
      out.push({
        rule: 'newFinding',
        kind: 'regression',
        summary: `New since the baseline: ${fresh.map((f) => `${f.label} (${formatBytes(f.compressedBytes)} compressed)`).join(', ')}`,
        observed: fresh.length,
        threshold: 0,
      });
    }
  }
  return out;
}

/** Whether any content rule is on: the point then waits for its layers to be read, and is always evaluated. */
export function wantsContent(policy: EffectivePolicy, hasBaseline: boolean): boolean {
  return (
    (!hasBaseline && policy.findingBytes !== null) ||
    policy.minEfficiency !== null ||
    policy.wastedBytes !== null ||
    policy.wastedPercent !== null ||
    policy.newFinding
  );
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
 * breaks no rule costs no queue message, evaluation or table read. The content rules read
 * what the point cannot say (its layers are read later): when one is on, any point may fire.
 */
export function mayFind(point: DescribedPoint, policy: EffectivePolicy): boolean {
  const baseline = point.baselineDigest !== undefined && point.sizeDeltaBytes !== null ? { sizeBytes: point.sizeBytes - point.sizeDeltaBytes } : undefined;
  if (wantsContent(policy, baseline !== undefined)) return true;
  const input: RuleInput = {
    sizeBytes: point.sizeBytes,
    ...(baseline ? { baseline } : {}),
    addedLayers: [{ sizeBytes: point.addedBytes }],
    coldStartDeltaSeconds: point.estimates?.pull.aci.coldStartDeltaSeconds ?? null,
  };
  return evaluateRules(input, policy).length > 0;
}
