import { z } from 'zod';
import type { Config } from '../config';
import { estimateCosts, estimatePull, imageForEstimate, type CostEstimates, type MeasuredSizes, type PullEstimates } from '../core/estimates/estimates';
import { DEFAULT_PRICES, mergePrices, RegistryProfileSchema, SkuSchema, type PriceTable, type RegistryProfile } from '../core/estimates/pricing';
import {
  DEFAULT_PULL_MODEL,
  mergePullModel,
  PullModelOverrideSchema,
  TARGETS,
  type PullModelOverride,
  type PullModelParams,
} from '../core/estimates/pullModel';
import type { PlatformImage } from '../core/sizing';
import type { PointEstimates } from '../core/trend';
import { issuesOf, oneOf } from '../core/validation';

/** Everything an estimate depends on besides the image: prices, the pull model, each registry's SKU. */
export interface EstimateContext {
  prices: PriceTable;
  pullModel: PullModelParams;
  profile(registry: string): RegistryProfile;
}

export function estimateContext(config: Pick<Config, 'ACR_PRICES' | 'PULL_MODEL' | 'ACR_SKU' | 'ACR_GEO_REPLICAS' | 'REGISTRY_PROFILES'>): EstimateContext {
  const fallback: RegistryProfile = { sku: config.ACR_SKU, replicas: config.ACR_GEO_REPLICAS };
  const profiles = config.REGISTRY_PROFILES ?? {};
  return {
    prices: mergePrices(DEFAULT_PRICES, config.ACR_PRICES),
    pullModel: mergePullModel(DEFAULT_PULL_MODEL, config.PULL_MODEL),
    profile: (registry) => profiles[registry] ?? fallback,
  };
}

export interface Estimates {
  registryProfile: RegistryProfile;
  cost: CostEstimates;
  pull: PullEstimates;
}

/** Seconds to 0.01 s and money to 1/10,000 when stored or answered: the models are unrounded on purpose. */
const round = (n: number, places: number) => Math.round(n * 10 ** places) / 10 ** places;
function roundPull(p: PullEstimates): PullEstimates {
  const s = (n: number) => round(n, 2);
  const d = (n: number | null) => (n === null ? null : s(n));
  return {
    aci: { coldStartSeconds: s(p.aci.coldStartSeconds), coldStartDeltaSeconds: d(p.aci.coldStartDeltaSeconds) },
    appService: {
      coldStartSeconds: s(p.appService.coldStartSeconds),
      restartSeconds: s(p.appService.restartSeconds),
      coldStartDeltaSeconds: d(p.appService.coldStartDeltaSeconds),
    },
    aks: {
      coldStartSeconds: s(p.aks.coldStartSeconds),
      warmNodeSeconds: s(p.aks.warmNodeSeconds),
      coldStartDeltaSeconds: d(p.aks.coldStartDeltaSeconds),
      serialImagePulls: p.aks.serialImagePulls,
    },
  };
}

export function estimate(
  input: {
    image: PlatformImage;
    baseline?: PlatformImage;
    newRegistryBytes: number;
    registryBytesBefore: number;
    /** Uncompressed layer sizes measured by reading the layers, where known: they replace the assumed ratio. */
    measured?: MeasuredSizes;
  },
  profile: RegistryProfile,
  prices: PriceTable,
  pullModel: PullModelParams,
): Estimates {
  const cost = estimateCosts(
    { sizeBytes: input.image.sizeBytes, newRegistryBytes: input.newRegistryBytes, registryBytesBefore: input.registryBytesBefore },
    profile,
    prices,
  );
  const pull = estimatePull(
    imageForEstimate(input.image, input.measured),
    input.baseline ? imageForEstimate(input.baseline, input.measured) : undefined,
    profile.sku,
    pullModel,
  );
  return {
    registryProfile: profile,
    cost: { ...cost, imageMonthly: round(cost.imageMonthly, 4), pushMarginalMonthly: round(cost.pushMarginalMonthly, 4) },
    pull: roundPull(pull),
  };
}

/** The estimates stored with a new trend point, with the settings in force at ingest. */
export function pointEstimator(ctx: EstimateContext) {
  return (input: {
    registry: string;
    image: PlatformImage;
    baseline?: PlatformImage;
    newRegistryBytes: number;
    registryBytesBefore: number;
  }): PointEstimates => {
    const { cost, pull } = estimate(input, ctx.profile(input.registry), ctx.prices, ctx.pullModel);
    return { cost, pull };
  };
}

// ----------------------------------------------------------------- what-if overrides

const num = z.coerce.number({ error: 'must be a number' });
const TARGET_PARAMS = ['throughputMBps', 'parallelDownloads', 'perLayerOverheadMs', 'startBaselineSeconds'] as const;
const TARGET_PARAM_TEXT: Record<(typeof TARGET_PARAMS)[number], string> = {
  throughputMBps: 'MB/s the target downloads compressed layers at',
  parallelDownloads: 'Layers downloaded at once',
  perLayerOverheadMs: 'Milliseconds of request round trips per layer',
  startBaselineSeconds: 'Start time in seconds with the image already local',
};

/** Every what-if parameter with what it overrides: the set the parser accepts, and what the OpenAPI document lists. */
export const ESTIMATE_OVERRIDES: Readonly<Record<string, string>> = {
  sku: 'The SKU: `Basic`, `Standard` or `Premium`.',
  replicas: 'Regions holding the registry, home region included (above 1 only with Premium).',
  compressionRatio: 'Uncompressed / compressed bytes, for layers whose uncompressed size was not measured.',
  extractMBps: 'MB/s the unpacked files are written at.',
  'aks.serialImagePulls': "`true` or `false`: kubelet's `serializeImagePulls`, one image at a time per node.",
  'aks.otherImageBytesOnNewNode': 'Compressed bytes of the other images (daemonsets…) a new AKS node pulls alongside.',
  ...Object.fromEntries(TARGET_PARAMS.map((p) => [p, `${TARGET_PARAM_TEXT[p]}, on every target.`])),
  ...Object.fromEntries(TARGETS.flatMap((t) => TARGET_PARAMS.map((p) => [`${t}.${p}`, `${TARGET_PARAM_TEXT[p]}, on ${t} (wins over \`${p}\`).`]))),
};
const OVERRIDE_KEYS = new Set(Object.keys(ESTIMATE_OVERRIDES));

/**
 * Query-string overrides for `GET /api/estimate`: `sku`, `replicas`, the pull-model
 * numbers, and per target `aci.throughputMBps`-style keys that win over the bare ones.
 */
export function parseOverrides(
  query: Record<string, string>,
  base: { profile: RegistryProfile; pullModel: PullModelParams },
): { ok: true; profile: RegistryProfile; pullModel: PullModelParams } | { ok: false; problems: { parameter: string; message: string }[] } {
  const problems: { parameter: string; message: string }[] = [];
  for (const key of Object.keys(query)) {
    if (!OVERRIDE_KEYS.has(key)) problems.push({ parameter: key, message: `is not an estimate parameter; known: ${[...OVERRIDE_KEYS].join(', ')}` });
  }
  const read = (key: string, schema: z.ZodType = num): unknown => {
    if (!(key in query)) return undefined;
    const r = schema.safeParse(query[key]);
    if (!r.success)
      problems.push(
        ...issuesOf(r.error)
          .slice(0, 1)
          .map((i) => ({ parameter: key, message: i.message })),
      );
    return r.success ? r.data : undefined;
  };
  const override: PullModelOverride & { targets: NonNullable<PullModelOverride['targets']> } = { targets: {} };
  const given = (prefix: string): Record<string, unknown> =>
    Object.fromEntries(TARGET_PARAMS.map((p): [string, unknown] => [p, read(`${prefix}${p}`)]).filter(([, v]) => v !== undefined));
  const bare = given('');
  for (const target of TARGETS) {
    const specific = given(`${target}.`);
    const merged = { ...bare, ...specific };
    if (Object.keys(merged).length) override.targets[target] = merged;
  }
  const compressionRatio = read('compressionRatio');
  const extractMBps = read('extractMBps');
  if (compressionRatio !== undefined) override.compressionRatio = compressionRatio as number;
  if (extractMBps !== undefined) override.extractMBps = extractMBps as number;
  const serial = read('aks.serialImagePulls', oneOf(['true', 'false']));
  const other = read('aks.otherImageBytesOnNewNode');
  if (serial !== undefined || other !== undefined) {
    override.aks = {
      ...(serial !== undefined ? { serialImagePulls: serial === 'true' } : {}),
      ...(other !== undefined ? { otherImageBytesOnNewNode: other as number } : {}),
    };
  }
  const validated = PullModelOverrideSchema.safeParse(override);
  if (!validated.success) {
    for (const i of issuesOf(validated.error, ['targets'])) problems.push({ parameter: i.path, message: i.message });
  }
  const sku = read('sku', SkuSchema);
  const replicas = read('replicas');
  const profile = RegistryProfileSchema.safeParse({
    sku: sku ?? base.profile.sku,
    replicas: replicas ?? (sku && sku !== 'Premium' ? 1 : base.profile.replicas),
  });
  if (!profile.success) for (const i of issuesOf(profile.error)) problems.push({ parameter: i.path || 'sku', message: i.message });
  if (problems.length > 0 || !validated.success || !profile.success) return { ok: false, problems };
  return { ok: true, profile: profile.data, pullModel: mergePullModel(base.pullModel, validated.data) };
}
