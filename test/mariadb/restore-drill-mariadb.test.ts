/**
 * Issue 9, second test command (`npm run test:mariadb`): the same RestoreDrill against a REAL
 * MariaDB server (Debian's `mariadb-server`), for `mariadb` and `mysql` DB instances, with
 * validate-restore's real `mysql2` driver. The test starts and stops its own private server
 * (mariadb-install-db + mariadbd on a private datadir and port) and FAILS when MariaDB is not
 * installed: it is never skipped.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPrivateMariaDb, stopDatabaseServers, useMariaDb, type PrivateMariaDb } from '../../sandbox/simulator/index';
import { createLocalEnvironment, type LocalEnvironment } from '../../sandbox/harness/index';
import { seedFleet, takeAutomatedSnapshots, type DemoDatabaseSpec } from '../../sandbox/harness/index';
import { configWith } from '../workflow/helpers';

const FLEET: DemoDatabaseSpec[] = [
  { identifier: 'legacy-reports', kind: 'instance', engine: 'mariadb', allocatedStorageGiB: 20, encryption: 'customer-key' },
  { identifier: 'billing-db', kind: 'instance', engine: 'mysql', allocatedStorageGiB: 20, encryption: 'default-key' },
];

describe('RestoreDrill against a real MariaDB server', () => {
  let server: PrivateMariaDb;
  let env: LocalEnvironment;

  beforeAll(async () => {
    server = await startPrivateMariaDb(); // throws MariaDbNotInstalled: the suite fails, never skips
    useMariaDb(server);
    const config = configWith((raw) => {
      raw.databases = [
        {
          identifier: 'legacy-reports',
          kind: 'instance',
          drill: {
            checks: [
              { name: 'reports-present', sql: 'SELECT id FROM reports', expect: { minRows: 2 } },
              { name: 'report-recent', sql: 'SELECT max(created_at) FROM reports', expect: { maxAgeHours: 26 } },
            ],
          },
        },
        { identifier: 'billing-db', kind: 'instance', drill: { checks: [{ name: 'invoice-total', sql: 'SELECT sum(amount) FROM invoices', expect: { equals: 300 } }] } },
      ];
      raw.discovery = undefined;
      raw.export = undefined;
      raw.vault.drRegions = [];
      raw.restoreDrill = { schedule: { cron: 'cron(0 6 ? * SUN *)' }, maxWaitHours: 2 };
    });
    env = await createLocalEnvironment({ config });
    seedFleet(env, FLEET);
    const { accountId, region } = config.source;
    const at = new Date(env.clock.nowMs() - 3 * 3600_000);
    env.sandbox.rdsRestore.setSqlFixture({
      accountId, region, kind: 'instance', dbIdentifier: 'legacy-reports', at,
      sql: "CREATE TABLE reports (id INT PRIMARY KEY, created_at DATETIME NOT NULL); INSERT INTO reports VALUES (1, '2026-11-19 22:00:00'), (2, '2026-11-20 02:00:00');",
    });
    // billing-db: one invoice was lost before the snapshot, so the total is wrong.
    env.sandbox.rdsRestore.setSqlFixture({ accountId, region, kind: 'instance', dbIdentifier: 'billing-db', at, sql: 'CREATE TABLE invoices (id INT, amount INT); INSERT INTO invoices VALUES (1, 100), (2, 100);' });
    takeAutomatedSnapshots(env, FLEET);
    expect((await env.startBackupRun({})).status).toBe('SUCCEEDED');
  });
  afterAll(async () => {
    env?.dispose();
    useMariaDb(undefined);
    await stopDatabaseServers();
    await server?.stop();
  });

  it('a MariaDB drill passes with real SQL through mysql2; a MySQL drill fails its equals check with the query and values', async () => {
    const run = await env.startRestoreDrill({}, 'drill-mariadb');
    expect(run.status).toBe('FAILED');
    expect(run.error).toBe('RestoreDrillFailed');
    const bucket = env.sandbox.s3.listBuckets().find((b) => /evidencebucket/i.test(b.name))!;
    const records = env.sandbox.s3.listObjects(bucket.name, 'drills/').map((o) => JSON.parse(o.body) as Record<string, any>);
    const legacy = records.find((r) => r.database.identifier === 'legacy-reports')!;
    expect(legacy).toMatchObject({ outcome: 'PASSED', driver: 'mysql2', engine: 'mariadb', cleanup: { done: true } });
    expect(legacy.checks.map((c: any) => [c.name, c.passed, c.actual])).toEqual([
      ['reports-present', true, { rows: 2 }],
      ['report-recent', true, { rows: 1, newest: '2026-11-20T02:00:00.000Z', ageHours: 1 }],
    ]);
    const billing = records.find((r) => r.database.identifier === 'billing-db')!;
    expect(billing.failure.error).toBe('RestoreCheckFailed');
    expect(billing.failure.message).toContain('invoice-total [SELECT sum(amount) FROM invoices] expected {"equals":300}, actual {"rows":1,"value":"200"}');
    expect(billing.cleanup.done).toBe(true);
    // The restored databases were dropped from the real server.
    const mysql = await import('mysql2/promise');
    const conn = await mysql.createConnection({ host: server.host, port: server.port, user: 'root', password: '' });
    const [rows] = await conn.query("SHOW DATABASES LIKE 'rsv\\_%'");
    await conn.end();
    expect(rows).toEqual([]);
  });
});
