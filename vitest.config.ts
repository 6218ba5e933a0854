import { configDefaults, defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // MariaDB restore drills run in their own command (`npm run test:mariadb`, vitest.mariadb.config.ts).
    // `npm run test:slow` (vitest.slow.config.ts) runs the *.slow.test.ts files and the property
    // tests at 10,000 histories each; `npm test` runs the property tests at FC_NUM_RUNS (default 1,000).
    exclude: [...configDefaults.exclude, 'test/mariadb/**', 'test/**/*.slow.test.ts'],
    setupFiles: ['test/setup.ts'],
    environment: 'node',
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // Test files share a worker's module cache (each builds its own local environment and sandbox;
    // nothing is shared through module state): the suite passes the same either way, in half the time.
    isolate: false,
  },
});
