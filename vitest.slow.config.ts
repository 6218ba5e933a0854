import { defineConfig } from 'vitest/config';

/**
 * The slow tests (`npm run test:slow`), which CI runs after `npm test`: the long workflow tests
 * (`*.slow.test.ts`: DR and export paths, fault injection) and the fast-check property tests of
 * retention at 10,000 generated histories per property (`FC_NUM_RUNS`).
 */
export default defineConfig({
  test: {
    include: ['test/**/*.slow.test.ts', 'test/functions/retention-sweep.test.ts', 'test/functions/retention-adversary.test.ts'],
    setupFiles: ['test/setup.ts'],
    environment: 'node',
    env: { FC_NUM_RUNS: '10000' },
    testTimeout: 120_000,
    hookTimeout: 120_000,
    pool: 'forks',
    // Test files share a worker's module cache (each builds its own local environment and sandbox;
    // nothing is shared through module state): the suite passes the same either way, in half the time.
    isolate: false,
  },
});
