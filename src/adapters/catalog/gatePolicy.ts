import type { ContainerRegistryClientOptions } from '@azure/container-registry';
import { parseRetryAfter } from '../../core/alert';
import type { RequestGate } from '../../services/catalog';

/** A pipeline policy as the registry clients take it (`additionalPolicies`). */
export type RegistryPipelinePolicy = NonNullable<ContainerRegistryClientOptions['additionalPolicies']>[number]['policy'];

/** A 429 without Retry-After still pauses everyone for a moment rather than not at all. */
export const DEFAULT_RETRY_AFTER_MS = 1_000;

/**
 * An Azure SDK pipeline policy (position `perRetry`, so the SDK's own retries pass it too):
 * each request waits for the shared rate, and a 429 pauses every instance for its
 * Retry-After before the SDK's throttling policy sends it again.
 */
export function gatePolicy(registry: string, gate: RequestGate): RegistryPipelinePolicy {
  return {
    name: 'registryRateGate',
    async sendRequest(request, next) {
      await gate.gate(registry);
      const response = await next(request);
      if (response.status === 429) await gate.throttled(registry, parseRetryAfter(response.headers.get('retry-after') ?? null) ?? DEFAULT_RETRY_AFTER_MS);
      return response;
    },
  };
}
