/**
 * The policy API's registrations, as the Functions host receives them: reads and writes
 * are two functions on one route, writes under their own, stricter auth level.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { activateRegistry, FunctionRegistry, installFunctionsCore, type FunctionRegistration } from '@acr-size-tracker/local-host';

let functions: FunctionRegistration[];
const saved = { ...process.env };

beforeAll(async () => {
  // Reads opened to anonymous, as an operator might; writes must keep a key requirement.
  Object.assign(process.env, {
    AzureWebJobsStorage: 'UseDevelopmentStorage=true',
    WEBHOOK_SECRET: 'a-secret-of-enough-length',
    ALLOWED_REGISTRIES: 'r.azurecr.io',
    API_AUTH_LEVEL: 'anonymous',
    API_WRITE_AUTH_LEVEL: 'admin',
  });
  installFunctionsCore();
  const registry = new FunctionRegistry(() => {});
  activateRegistry(registry);
  await import('../../src/functions/policy.js');
  functions = registry.functions;
  activateRegistry(undefined);
});
afterAll(() => {
  process.env = saved;
});

describe('policy API registrations', () => {
  it('registers reads under API_AUTH_LEVEL and writes under API_WRITE_AUTH_LEVEL, on the same route', () => {
    const byName = Object.fromEntries(functions.map((f) => [f.name, f.trigger]));
    expect(Object.keys(byName).sort()).toEqual(['policy', 'policyWrite']);
    expect(byName.policy).toMatchObject({ type: 'httpTrigger', route: 'policy', methods: ['GET'], authLevel: 'anonymous' });
    expect(byName.policyWrite).toMatchObject({ type: 'httpTrigger', route: 'policy', methods: ['PUT', 'DELETE'], authLevel: 'admin' });
  });
});
