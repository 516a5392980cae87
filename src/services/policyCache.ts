import type { Policy, StoredPolicy } from '../core/policy';
import type { PolicyStore } from './policies';

/**
 * Every push and every alert evaluation reads its registry's policy list, which changes
 * when someone writes a policy: a few times a week, not a few times a second. The list is
 * kept for `maxAgeMs` per registry; a write through this instance drops its registry's
 * copy at once, one through another instance is seen within `maxAgeMs`. Single patterns
 * (`GET /api/policy?repository=`) are always read from the store.
 */
export class CachedPolicies implements PolicyStore {
  readonly #lists = new Map<string, { at: number; list: Promise<StoredPolicy[]> }>();

  constructor(
    private readonly store: PolicyStore,
    private readonly maxAgeMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  list(registry: string): Promise<StoredPolicy[]> {
    const cached = this.#lists.get(registry);
    if (cached && this.now() - cached.at < this.maxAgeMs) return cached.list;
    const list = this.store.list(registry);
    if (this.maxAgeMs > 0) {
      const entry = { at: this.now(), list };
      this.#lists.set(registry, entry);
      // A failed read is not kept: the next caller reads again.
      list.catch(() => {
        if (this.#lists.get(registry) === entry) this.#lists.delete(registry);
      });
    }
    return list;
  }

  get(registry: string, pattern: string): Promise<StoredPolicy | undefined> {
    return this.store.get(registry, pattern);
  }

  async put(registry: string, pattern: string, policy: Policy, at: string): Promise<{ created: boolean; stored: StoredPolicy }> {
    try {
      return await this.store.put(registry, pattern, policy, at);
    } finally {
      this.#lists.delete(registry);
    }
  }

  async delete(registry: string, pattern: string): Promise<boolean> {
    try {
      return await this.store.delete(registry, pattern);
    } finally {
      this.#lists.delete(registry);
    }
  }
}
