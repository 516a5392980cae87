import { z } from 'zod';
import type { projectIncludedExceeded, registryMonthlyCost } from '../../core/estimates/pricing';
import { SKUS } from '../../core/estimates/pricing';
import { StorageReportSchema } from '../../core/storageReport';
import { limitParam, registryParam } from '../params';
import { ErrorSchema } from './errors';
import type { Operation } from './operation';
import { component, described } from './registry';

export const StorageQuery = z.object({
  registry: registryParam,
  days: described(limitParam(30, 365), 'The growth window in days: an integer from 1 to 365; 30 when absent.'),
});

/** The SKU and regions an estimate is priced for (REGISTRY_PROFILES, ACR_SKU, or a what-if override). */
export const RegistryProfileViewSchema = z.object({ sku: z.enum(SKUS), replicas: z.number().int().positive() });

const RegistryCostSchema = z.object({
  currency: z.string(),
  skuMonthly: z.number(),
  storageMonthly: z.number(),
  totalMonthly: z.number(),
  storedGiB: z.number(),
  includedGiB: z.number(),
  overageGiB: z.number(),
  withinIncluded: z.boolean(),
}) satisfies z.ZodType<ReturnType<typeof registryMonthlyCost>>;

const ProjectionSchema = z.object({
  includedGiB: z.number(),
  alreadyExceeded: z.boolean(),
  /** When steady growth takes the registry over its included storage; null when never, or already over. */
  date: z.string().nullable(),
  daysLeft: z.number().nullable(),
}) satisfies z.ZodType<ReturnType<typeof projectIncludedExceeded>>;

export const StorageAnswerSchema = component(
  'Storage',
  StorageReportSchema.extend({ registry: z.string(), registryProfile: RegistryProfileViewSchema, cost: RegistryCostSchema, projection: ProjectionSchema }),
  "A registry's storage as ACR bills it (each blob once), per repository, its growth over the window, its monthly cost and when the included storage runs out.",
);
export type StorageAnswer = z.infer<typeof StorageAnswerSchema>;

export const storageOperation: Operation = {
  functionName: 'storage',
  operationId: 'getStorage',
  method: 'GET',
  route: 'storage',
  access: 'read',
  tag: 'Registry',
  summary: "A registry's storage, growth and cost",
  query: StorageQuery,
  answers: {
    200: { description: 'The storage report.', body: StorageAnswerSchema },
    404: { description: 'No storage is recorded for the registry.', body: ErrorSchema },
  },
};
