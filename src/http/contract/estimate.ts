import { z } from 'zod';
import { CostEstimatesSchema, PullEstimatesSchema } from '../../core/estimates/estimates';
import { SKUS, type PriceTable } from '../../core/estimates/pricing';
import type { PullModelParams } from '../../core/estimates/pullModel';
import { ESTIMATE_OVERRIDES } from '../../services/estimates';
import { digestParam, platformParam, registryParam, repositoryParam } from '../params';
import { BadRequestSchema } from './errors';
import { PlatformChoiceSchema } from './files';
import type { Operation } from './operation';
import { component, described } from './registry';
import { RegistryProfileViewSchema } from './storage';

/**
 * The identifying parameters, then the what-if overrides. The overrides are read from the
 * query by `parseOverrides` (services/estimates.ts), which refuses unknown ones; here they
 * are text like every query value, listed so the document names each.
 */
export const EstimateQuery = z
  .object({
    registry: registryParam,
    repository: repositoryParam,
    digest: digestParam,
    platform: described(platformParam.optional(), 'The platform, when `digest` names an index of several.'),
    baseline: described(digestParam.optional(), "The image to compare with, instead of the point's own baseline."),
    ...Object.fromEntries(Object.entries(ESTIMATE_OVERRIDES).map(([name, text]) => [name, described(z.string().optional(), `What-if: ${text}`)])),
  })
  // The function key may come as `code`; every other name is checked by parseOverrides.
  .loose();

const Rate = z.number().positive();
const TargetParamsSchema = z.object({
  throughputMBps: Rate,
  parallelDownloads: z.number().int().positive(),
  perLayerOverheadMs: z.number(),
  startBaselineSeconds: z.number(),
});

const PullModelParamsSchema = z.object({
  compressionRatio: z.number(),
  decompressMBps: z.object({ gzip: Rate, zstd: Rate, unknown: Rate }),
  extractMBps: Rate,
  skuDownloadMBps: z.object({ Basic: Rate, Standard: Rate, Premium: Rate }),
  targets: z.object({ aci: TargetParamsSchema, appService: TargetParamsSchema, aks: TargetParamsSchema }),
  aks: z.object({ serialImagePulls: z.boolean(), otherImageBytesOnNewNode: z.number().int().nonnegative() }),
}) satisfies z.ZodType<PullModelParams>;

const SkuPriceSchema = z.object({ dailyPrice: z.number(), includedGiB: z.number(), perGiBDay: z.number() });
const PriceTableSchema = z.object({
  currency: z.string(),
  hoursPerMonth: z.number(),
  skus: z.object(Object.fromEntries(SKUS.map((sku) => [sku, SkuPriceSchema])) as Record<(typeof SKUS)[number], typeof SkuPriceSchema>),
}) satisfies z.ZodType<PriceTable>;

const Bytes = z.number().int().nonnegative();

export const EstimateAnswerSchema = component(
  'Estimate',
  z.object({
    registry: z.string(),
    repository: z.string(),
    digest: z.string(),
    indexDigest: z.string().optional(),
    platform: z.string(),
    sizeBytes: Bytes,
    layerCount: Bytes,
    /** The image compared with: `baseline`, else the point's own baseline; null without one. */
    baselineDigest: z.string().nullable(),
    newRegistryBytes: Bytes,
    /** Layers unpacked at the uncompressed size measured when the service read them; the others at `compressionRatio`. */
    measuredLayers: Bytes,
    registryProfile: RegistryProfileViewSchema,
    cost: CostEstimatesSchema,
    pull: PullEstimatesSchema,
    /** The model's parameters as used, the overrides applied. */
    parameters: z.object({ pullModel: PullModelParamsSchema, prices: PriceTableSchema }),
  }),
  "An image's cost and pull-time estimates against its baseline, with the parameters they were computed with (see docs/estimates.md).",
);
export type EstimateAnswer = z.infer<typeof EstimateAnswerSchema>;

export const estimateOperation: Operation = {
  functionName: 'estimate',
  operationId: 'estimateImage',
  method: 'GET',
  route: 'estimate',
  access: 'read',
  tag: 'Images',
  summary: "An image's cost and pull-time estimates, with what-if overrides",
  description:
    'Parameters other than the identifying ones override the model (`sku`, `replicas`, `throughputMBps`, `aci.throughputMBps`, …); unknown ones are refused.',
  query: EstimateQuery,
  answers: {
    200: { description: 'The estimates.', body: EstimateAnswerSchema },
    400: {
      description: 'A parameter or override does not validate (`problems` names each one), or an index of several platforms was named without `platform`.',
      body: z.union([BadRequestSchema, PlatformChoiceSchema]),
    },
    404: { description: 'The image, its platform or the baseline is not recorded.', body: PlatformChoiceSchema },
  },
};
