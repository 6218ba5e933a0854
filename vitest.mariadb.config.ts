import { defineConfig } from 'vitest/config';

/**
 * The second test command (`npm run test:mariadb`, issue 9): restore drills against a real MariaDB
 * server. Needs Debian's `mariadb-server` installed (the tests start and stop a private server and
 * fail without it); `npm test` does not run these.
 */
export default defineConfig({
  test: {
    include: ['test/mariadb/**/*.test.ts'],
    setupFiles: ['sandbox/harness/setup/index.ts'],
    environment: 'node',
    testTimeout: 120_000,
    hookTimeout: 120_000,
    pool: 'forks',
  },
});
