import { defineConfig } from 'vitest/config';

// Two projects: `unit` needs nothing running (no registry, no Azurite, no browser, no
// TLS setup) and is what `npm run test:unit` runs; `integration` drives the real
// components and needs `npm test` (scripts/test.mjs) to set up TLS and build first.
const INTEGRATION = ['test/integration/**/*.test.ts', 'test/adapters/**/*.test.ts', 'test/local/**/*.test.ts'];

export default defineConfig({
  test: {
    pool: 'forks',
    testTimeout: 30_000,
    hookTimeout: 60_000,
    projects: [
      { extends: true, test: { name: 'unit', include: ['test/**/*.test.ts'], exclude: INTEGRATION } },
      { extends: true, test: { name: 'integration', include: INTEGRATION, globalSetup: ['test/globalSetup.ts'] } },
    ],
  },
});
