import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  resolve: {
    // Tests run the local host's sources, as they run the app's; only spawned hosts use its build.
    alias: { '@acr-size-tracker/local-host': fileURLToPath(new URL('./packages/local-host/src/index.ts', import.meta.url)) },
  },
  test: {
    include: ['test/**/*.test.ts', 'packages/*/test/**/*.test.ts'],
    pool: 'forks',
    testTimeout: 30_000,
    hookTimeout: 60_000,
    globalSetup: ['test/globalSetup.ts'],
  },
});
