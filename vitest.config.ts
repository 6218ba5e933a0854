import { configDefaults, defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // MariaDB restore drills run in their own command (`npm run test:mariadb`, vitest.mariadb.config.ts).
    exclude: [...configDefaults.exclude, 'test/mariadb/**'],
    setupFiles: ['test/setup.ts'],
    environment: 'node',
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
  },
});
