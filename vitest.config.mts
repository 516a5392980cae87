import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

// Two projects: `unit` needs nothing running (no registry, no Azurite, no browser, no
// TLS setup, no build) and is what `npm run test:unit` runs; `integration` drives the
// real components and needs `npm test` (scripts/test.mjs) to set up TLS and build first.
const INTEGRATION = [
  'test/integration/**/*.test.ts',
  'test/adapters/**/*.test.ts',
  // The local host's tests that start Azurite or spawn the built entry.
  'packages/local-host/test/azurite.test.ts',
  'packages/local-host/test/host.azurite.test.ts',
  'packages/local-host/test/main.test.ts',
];

export default defineConfig({
  resolve: {
    // Tests run the local host's sources, as they run the app's; only spawned hosts use its build.
    alias: { '@acr-size-tracker/local-host': fileURLToPath(new URL('./packages/local-host/src/index.ts', import.meta.url)) },
  },
  test: {
    pool: 'forks',
    testTimeout: 30_000,
    hookTimeout: 60_000,
    projects: [
      { extends: true, test: { name: 'unit', include: ['test/**/*.test.ts', 'packages/*/test/**/*.test.ts'], exclude: INTEGRATION } },
      { extends: true, test: { name: 'integration', include: INTEGRATION, globalSetup: ['test/globalSetup.ts'] } },
    ],
  },
});
