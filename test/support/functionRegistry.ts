import { afterAll, beforeAll } from 'vitest';
import { activateRegistry, FunctionRegistry, installFunctionsCore, type FunctionRegistration } from '@acr-size-tracker/local-host';

/**
 * The registrations `load` (an import of the app's function modules) makes, as the Functions
 * host would receive them, under the minimum settings the app starts with plus `env`
 * (auth levels, say). Call it where `beforeAll` may be: the returned list is filled before
 * the tests run, and the environment is put back after them.
 */
export function registeredFunctions(load: () => Promise<unknown>, env: Record<string, string>): FunctionRegistration[] {
  const functions: FunctionRegistration[] = [];
  const saved = { ...process.env };
  beforeAll(async () => {
    Object.assign(process.env, {
      AzureWebJobsStorage: 'UseDevelopmentStorage=true',
      WEBHOOK_SECRET: 'a-secret-of-enough-length',
      ALLOWED_REGISTRIES: 'r.azurecr.io',
      ...env,
    });
    installFunctionsCore();
    const registry = new FunctionRegistry(() => {});
    activateRegistry(registry);
    await load();
    functions.push(...registry.functions);
    activateRegistry(undefined);
  });
  afterAll(() => {
    process.env = saved;
  });
  return functions;
}
