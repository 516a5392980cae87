import { z } from 'zod';
import { BaselineModeSchema } from './baseline';

/**
 * Alert policies: defaults from settings, overridden per repository by a stored policy
 * whose pattern names the repository or matches it as a glob (`team-a/*`).
 */

const Bytes = z.number().int('must be a whole number of bytes').nonnegative('must be ≥ 0');

/** What a stored policy may set; anything absent falls back to the defaults. */
export const PolicySchema = z.strictObject({
  /** Growth alerts need both: at least this percentage… */
  growthPercent: z.number().nonnegative('must be ≥ 0').max(100_000).optional(),
  /** …and at least this many bytes. Shrinking by both is an improvement. */
  growthBytes: Bytes.optional(),
  /** A single new layer (not in the baseline) larger than this. */
  layerBytes: Bytes.optional(),
  /** Growth of the ACI cold-start estimate, in seconds. */
  coldStartSeconds: z.number().nonnegative('must be ≥ 0').optional(),
  /** Size budget of a platform image in bytes; `null` removes a default budget. */
  budgetBytes: Bytes.positive('must be > 0').nullable().optional(),
  baselineMode: BaselineModeSchema.optional(),
  /**
   * Content rules (what is inside the image, once its layers are read). A first push alerts
   * on a finding of at least this many compressed bytes; `null` turns that off.
   */
  findingBytes: Bytes.positive('must be > 0').nullable().optional(),
  /** dive's efficiency score below this (0–1) alerts, like dive's `lowestEfficiency` CI gate; `null` off. */
  minEfficiency: z.number().min(0, 'must be between 0 and 1').max(1, 'must be between 0 and 1').nullable().optional(),
  /** Wasted bytes (shipped, not in the final filesystem) above this alert; `null` off. */
  wastedBytes: Bytes.nullable().optional(),
  /** Wasted bytes above this percentage of the uncompressed bytes shipped alert; `null` off. */
  wastedPercent: z.number().min(0, 'must be between 0 and 100').max(100, 'must be between 0 and 100').nullable().optional(),
  /** A finding category (a compiler, a package cache, .git…) the baseline did not have alerts. */
  newFinding: z.boolean().optional(),
  muted: z.boolean().optional(),
  improvements: z.boolean().optional(),
  /** A Teams Workflows webhook URL for this repository's alerts instead of TEAMS_WEBHOOK_URL. */
  teamsRoute: z
    .url({ protocol: /^https?$/, error: 'must be an http(s) URL' })
    .max(2048, 'must be at most 2048 characters')
    .optional(),
});
export type Policy = z.infer<typeof PolicySchema>;

/** A policy as stored: the pattern it applies to and when it was last written. */
export interface StoredPolicy {
  pattern: string;
  policy: Policy;
  updatedAt: string;
}

export const StoredPolicySchema = z.object({ pattern: z.string(), policy: PolicySchema, updatedAt: z.string() }) satisfies z.ZodType<StoredPolicy>;

/** The policy a repository's pushes are judged by: the defaults, overridden by the stored policy that matches it. */
export const EffectivePolicySchema = z.object({
  growthPercent: z.number(),
  growthBytes: z.number(),
  layerBytes: z.number(),
  coldStartSeconds: z.number(),
  budgetBytes: z.number().nullable(),
  baselineMode: BaselineModeSchema,
  findingBytes: z.number().nullable(),
  minEfficiency: z.number().nullable(),
  wastedBytes: z.number().nullable(),
  wastedPercent: z.number().nullable(),
  newFinding: z.boolean(),
  muted: z.boolean(),
  improvements: z.boolean(),
  teamsRoute: z.string().optional(),
  /** The stored policy that applied, if any. */
  matchedPattern: z.string().nullable(),
});
export type EffectivePolicy = z.infer<typeof EffectivePolicySchema>;

/** The settings' defaults, which every stored policy overrides field by field. */
export const PolicyDefaultsSchema = EffectivePolicySchema.omit({ matchedPattern: true, teamsRoute: true });
export type PolicyDefaults = z.infer<typeof PolicyDefaultsSchema>;

/** Repository name characters plus the glob wildcards. */
export const POLICY_PATTERN = /^[a-z0-9*]+(?:(?:\.|_|__|-+|\/)[a-z0-9*]+)*$/;

/** Longest repository name or glob a policy may be stored under (the OCI limit for names). */
export const MAX_POLICY_PATTERN_LENGTH = 256;

type GlobToken = { literal: string } | 'segment' | 'any';

/** A run of two or more stars is `**`: `***` matched what `**` matches under the old regex translation too. */
function tokenizeGlob(pattern: string): GlobToken[] {
  const tokens: GlobToken[] = [];
  for (let i = 0; i < pattern.length;) {
    if (pattern[i] !== '*') {
      tokens.push({ literal: pattern[i]! });
      i++;
      continue;
    }
    let j = i;
    while (pattern[j] === '*') j++;
    tokens.push(j - i === 1 ? 'segment' : 'any');
    i = j;
  }
  return tokens;
}

/**
 * Whether `name` matches the glob: `*` within one path segment, `**` across segments.
 * Dynamic programming over (pattern token, name position), O(pattern × name) time and
 * O(name) space whatever the pattern: a backtracking regex took seconds on
 * `*a*a*a…*b`, and one lookup blocks every request the process serves.
 */
export function globMatches(pattern: string, name: string): boolean {
  const n = name.length;
  // matched[j]: the tokens so far match the first j characters of the name.
  let matched = new Array<boolean>(n + 1).fill(false);
  matched[0] = true;
  for (const token of tokenizeGlob(pattern)) {
    const next = new Array<boolean>(n + 1).fill(false);
    if (typeof token === 'object') {
      for (let j = 0; j < n; j++) next[j + 1] = matched[j]! && name[j] === token.literal;
    } else {
      next[0] = matched[0]!;
      for (let j = 1; j <= n; j++) next[j] = matched[j]! || (next[j - 1]! && (token === 'any' || name[j - 1] !== '/'));
    }
    matched = next;
    if (!matched.includes(true)) return false;
  }
  return matched[n]!;
}

/**
 * The exact repository name wins; otherwise the most specific matching glob: the one with
 * the most literal characters, so `team-a/api-*` beats `team-a/*`, which beats `**`.
 */
export function matchPolicy<P>(repository: string, policies: { pattern: string; policy: P }[]): { pattern: string; policy: P } | undefined {
  const exact = policies.find((p) => p.pattern === repository);
  if (exact) return exact;
  const literal = (p: string) => p.replace(/\*/g, '').length;
  return policies
    .filter((p) => p.pattern.includes('*') && globMatches(p.pattern, repository))
    .sort((a, b) => literal(b.pattern) - literal(a.pattern) || a.pattern.localeCompare(b.pattern))[0];
}

export function effectivePolicy(defaults: PolicyDefaults, repository: string, stored: { pattern: string; policy: Policy }[]): EffectivePolicy {
  const match = matchPolicy(repository, stored);
  const p = match?.policy ?? {};
  return {
    growthPercent: p.growthPercent ?? defaults.growthPercent,
    growthBytes: p.growthBytes ?? defaults.growthBytes,
    layerBytes: p.layerBytes ?? defaults.layerBytes,
    coldStartSeconds: p.coldStartSeconds ?? defaults.coldStartSeconds,
    budgetBytes: p.budgetBytes === undefined ? defaults.budgetBytes : p.budgetBytes,
    baselineMode: p.baselineMode ?? defaults.baselineMode,
    findingBytes: p.findingBytes === undefined ? defaults.findingBytes : p.findingBytes,
    minEfficiency: p.minEfficiency === undefined ? defaults.minEfficiency : p.minEfficiency,
    wastedBytes: p.wastedBytes === undefined ? defaults.wastedBytes : p.wastedBytes,
    wastedPercent: p.wastedPercent === undefined ? defaults.wastedPercent : p.wastedPercent,
    newFinding: p.newFinding ?? defaults.newFinding,
    muted: p.muted ?? defaults.muted,
    improvements: p.improvements ?? defaults.improvements,
    ...(p.teamsRoute ? { teamsRoute: p.teamsRoute } : {}),
    matchedPattern: match?.pattern ?? null,
  };
}
