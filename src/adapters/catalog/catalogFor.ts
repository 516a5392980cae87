import type { RegistryCatalog, RequestGate } from '../../services/catalog';
import { AcrCatalog } from './acrCatalog';
import { DistributionCatalog } from './distributionCatalog';

/** ACR login servers of the public cloud, whose audience the registry clients use (as in registry.ts). */
const ACR_HOST = /\.azurecr\.io$/;

export const isAcr = (registry: string): boolean => ACR_HOST.test(registry);

/**
 * The catalog of a registry: ACR's own listing API (tag times, ordering, manifests) for ACR,
 * the OCI Distribution API for anything else. Every request goes through `gate`.
 */
export function catalogFor(registry: string, opts: { gate: RequestGate; onRequest: () => void; timeoutMs: number }): RegistryCatalog {
  const common = { gate: opts.gate, timeoutMs: opts.timeoutMs, onRequest: () => opts.onRequest() };
  return isAcr(registry) ? new AcrCatalog(common) : new DistributionCatalog(common);
}
