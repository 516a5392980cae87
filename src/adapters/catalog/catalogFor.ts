import { AsyncLocalStorage } from 'node:async_hooks';
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
export function catalogFor(registry: string, opts: { gate: RequestGate; onRequest: (registry: string) => void; timeoutMs: number }): RegistryCatalog {
  return isAcr(registry) ? new AcrCatalog(opts) : new DistributionCatalog(opts);
}

/**
 * One catalog per registry for the life of the process, so its clients, credential and ACR
 * tokens (a challenge and two token exchanges per client) serve every unit, where a catalog
 * per unit made them again for each. Each unit still counts its own requests: a call runs
 * with the unit's counter in async-local storage, and the shared catalog reports there.
 */
export class CatalogPool {
  readonly #catalogs = new Map<string, RegistryCatalog>();
  readonly #counter = new AsyncLocalStorage<() => void>();

  constructor(private readonly make: (registry: string, onRequest: () => void) => RegistryCatalog) {}

  for(registry: string, counted: () => void): RegistryCatalog {
    let catalog = this.#catalogs.get(registry);
    if (!catalog) {
      catalog = this.make(registry, () => this.#counter.getStore()?.());
      this.#catalogs.set(registry, catalog);
    }
    const shared = catalog;
    const run = <T>(fn: () => Promise<T>) => this.#counter.run(counted, fn);
    return {
      ordersTagsByUpdate: shared.ordersTagsByUpdate,
      repositories: (r, o) => run(() => shared.repositories(r, o)),
      tags: (r, p, o) => run(() => shared.tags(r, p, o)),
      manifestByTag: (r, p, t) => run(() => shared.manifestByTag(r, p, t)),
      manifestExists: (r, p, d) => run(() => shared.manifestExists(r, p, d)),
      ...(shared.manifests
        ? { manifests: (r: string, p: string, o?: Parameters<NonNullable<RegistryCatalog['manifests']>>[2]) => run(() => shared.manifests!(r, p, o)) }
        : {}),
    };
  }
}
