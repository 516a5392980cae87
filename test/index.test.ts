/**
 * The app's entry validates its configuration as it loads, before it registers a single
 * function: that is how `npm start` (and the Functions worker) report a bad setting by name
 * before serving anything.
 */
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { activateRegistry, FunctionRegistry, installFunctionsCore } from '@acr-size-tracker/local-host';

const saved = { ...process.env };
const valid = { AzureWebJobsStorage: 'UseDevelopmentStorage=true', WEBHOOK_SECRET: 'a-secret-of-enough-length', ALLOWED_REGISTRIES: 'r.azurecr.io' };

beforeAll(() => installFunctionsCore());
afterEach(() => {
  activateRegistry(undefined);
  process.env = { ...saved };
  vi.resetModules();
});

async function load(env: Record<string, string>): Promise<{ registry: FunctionRegistry; error?: Error }> {
  process.env = { ...saved, ...env };
  const registry = new FunctionRegistry(() => {});
  activateRegistry(registry);
  try {
    await import('../src/index.js');
    return { registry };
  } catch (error) {
    return { registry, error: error as Error };
  }
}

describe('src/index.ts', () => {
  it('throws a ConfigError naming the bad setting, with no function registered', async () => {
    const { registry, error } = await load({ ...valid, WEBHOOK_SECRET: 'short' });
    expect(error?.name).toBe('ConfigError');
    expect(error?.message).toMatch(/^Invalid configuration:\n {2}- WEBHOOK_SECRET: must be at least 16 characters/);
    expect(registry.functions).toEqual([]);
  });

  it('registers its functions when the configuration is valid', async () => {
    const { registry, error } = await load(valid);
    expect(error).toBeUndefined();
    expect(registry.functions.map((f) => f.name)).toContain('acrWebhook');
  });
});
