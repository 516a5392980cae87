/**
 * Azurite for integration tests, via the local host's own launcher
 * (packages/local-host/src/azurite.ts) so tests and `npm start` exercise the same start-up code.
 */
import { startAzurite, type AzuriteOptions, type RunningAzurite } from '@acr-size-tracker/local-host';

export { startAzurite };

/** Throwaway Azurite: in memory, on free ports, quiet. */
export function startTestAzurite(opts: Pick<AzuriteOptions, 'silent'> = {}): Promise<RunningAzurite> {
  return startAzurite({ inMemory: true, ports: 'auto', silent: true, ...opts });
}
