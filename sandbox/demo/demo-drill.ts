/**
 * The restore-drill part of `npm run demo` (issue 9): SQL fixtures for the demo fleet (set each
 * day just before RDS takes its snapshots, so each snapshot holds that day's data) and, at the end,
 * a RestoreDrill of every configured database and every tag-discovered one (restore and RTO only): real SQL checks against embedded PostgreSQL, and
 * against a private MariaDB server when `mariadb-server` is installed (otherwise the MySQL-family
 * databases that have checks are left out, said in the output). Prints RTO per database and the
 * evidence records, checks that every drill resource was deleted, and stops the servers.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { MariaDbNotInstalled, serverFamilyOf, startPrivateMariaDb, stopDatabaseServers, useMariaDb, type PrivateMariaDb } from '../simulator/index';
import type { DemoDatabase, LocalEnvironment } from '../harness/index';

const sqlTime = (d: Date, mysql: boolean) => (mysql ? d.toISOString().slice(0, 19).replace('T', ' ') : d.toISOString());

/** The demo's SQL fixture of a database as of `at` (an order placed an hour before). */
function fixtureFor(db: DemoDatabase, at: Date): string | undefined {
  const mysql = serverFamilyOf(db.engine) === 'mysql';
  const recent = sqlTime(new Date(at.getTime() - 3600_000), mysql);
  const ts = mysql ? 'DATETIME' : 'timestamptz';
  switch (db.identifier) {
    case 'orders-db':
      return `CREATE TABLE orders (id int PRIMARY KEY, created_at ${ts} NOT NULL); INSERT INTO orders VALUES (1, '${sqlTime(new Date(at.getTime() - 86_400_000), mysql)}'), (2, '${recent}');
CREATE TABLE currencies (code varchar(3)); INSERT INTO currencies VALUES ('EUR'), ('USD');`;
    case 'billing-db':
      return 'CREATE TABLE invoices (id int PRIMARY KEY, amount int); INSERT INTO invoices VALUES (1, 120), (2, 80);';
    case 'legacy-reports':
      return `CREATE TABLE reports (id int PRIMARY KEY, created_at ${ts}); INSERT INTO reports VALUES (1, '${recent}');`;
    case 'catalog-aurora':
      return "CREATE TABLE products (sku varchar(16)); INSERT INTO products VALUES ('sku-1'), ('sku-2'), ('sku-3');";
    case 'analytics-db':
      return 'CREATE TABLE events (id int); INSERT INTO events VALUES (1);';
    default:
      return undefined;
  }
}

/** Sets each demo database's fixture as of clock now (call just before the day's snapshots). */
export function setDemoFixtures(env: LocalEnvironment, fleet: readonly DemoDatabase[]): void {
  const { accountId, region } = env.config.source;
  for (const db of fleet) {
    const sql = fixtureFor(db, env.clock.now());
    if (sql) env.sandbox.rdsRestore.setSqlFixture({ accountId, region, kind: db.kind, dbIdentifier: db.identifier, sql });
  }
}

/**
 * Runs the drill and prints it. @returns failure lines (empty when every drilled database passed
 * and everything was cleaned up)
 */
export async function runDemoDrill(env: LocalEnvironment, fleet: readonly DemoDatabase[], out: { line: (s?: string) => void; bold: (s: string) => string; outDir: string }): Promise<string[]> {
  const { config, sandbox, clock } = env;
  const { line, bold } = out;
  const failures: string[] = [];
  if (!config.restoreDrill) return failures;
  let mariadb: PrivateMariaDb | undefined;
  let note = '';
  try {
    mariadb = await startPrivateMariaDb();
    useMariaDb(mariadb);
  } catch (e) {
    if (!(e instanceof MariaDbNotInstalled)) throw e;
    note = 'MariaDB is not installed (apt-get install mariadb-server): MySQL-family databases with checks are not drilled.';
  }
  try {
    const engineOf = new Map(fleet.map((d) => [d.identifier, d.engine]));
    const databases = config.databases
      .filter((d) => mariadb || serverFamilyOf(engineOf.get(d.identifier) ?? '') !== 'mysql' || (d.drill?.checks.length ?? 0) === 0)
      .map((d) => d.identifier);
    // Tag-discovered databases (not in the config, with managed copies in the vault): restore and RTO only.
    const configuredIds = new Set(config.databases.map((d) => d.identifier));
    const inVault = new Set(
      sandbox.rds.listSnapshots(config.vault.accountId ?? config.source.accountId, config.vault.region).filter((s) => s.tags['rds-snapshot-vault:managed'] === 'true').map((s) => s.tags['rds-snapshot-vault:database'] ?? s.dbIdentifier),
    );
    databases.push(...fleet.filter((d) => !configuredIds.has(d.identifier) && inVault.has(d.identifier)).map((d) => d.identifier));
    line();
    line(bold(`RestoreDrill in the vault account (${config.vault.region}): ${databases.join(', ')}`));
    if (note) line(`  ${note}`);
    const run = await env.startRestoreDrill({ databases }, `restore-drill-${clock.now().toISOString().slice(0, 10)}`);
    const bucket = sandbox.s3.listBuckets().find((b) => /evidencebucket/i.test(b.name));
    const records = bucket ? sandbox.s3.listObjects(bucket.name, 'drills/').filter((o) => o.key.endsWith(`/${run.name}.json`)) : [];
    const sweep = (run.output as { sweep?: { deleted?: string[] } } | undefined)?.sweep;
    line(`  ${run.status}; leftover drill resources swept first: ${sweep?.deleted?.length ? sweep.deleted.join(', ') : 'none'}`);
    line(`  ${'database'.padEnd(16)} ${'engine'.padEnd(18)} ${'outcome'.padEnd(8)} ${'RTO'.padStart(8)}  ${'RPO at drill'.padStart(12)}  checks`);
    for (const o of records) {
      const r = JSON.parse(o.body) as Record<string, any>;
      const checks = (r.checks as Array<{ name: string; passed: boolean }>).map((c) => `${c.name} ${c.passed ? 'ok' : 'FAILED'}`).join(', ') || r.dataChecks;
      const rto = typeof r.rtoSeconds === 'number' ? `${Math.floor(r.rtoSeconds / 60)}m ${String(r.rtoSeconds % 60).padStart(2, '0')}s` : '-';
      line(`  ${String(r.database.identifier).padEnd(16)} ${String(r.engine).padEnd(18)} ${String(r.outcome).padEnd(8)} ${rto.padStart(8)}  ${`${r.rpoHoursAtDrill} h`.padStart(12)}  ${checks}`);
      if (r.outcome !== 'PASSED' || !r.cleanup.done) failures.push(`restore drill ${r.database.identifier}: ${r.failure?.error ?? 'cleanup not done'}: ${r.failure?.message ?? ''}`);
    }
    if (run.status !== 'SUCCEEDED' && records.length === 0) failures.push(`${run.name}: ${run.error}: ${run.cause}`);
    line();
    line(bold(`Evidence records (s3://${bucket?.name ?? '?'}/drills/, Object Lock governance mode)`));
    mkdirSync(path.join(out.outDir, 'evidence'), { recursive: true });
    // One record in full (the one with the most data checks), the others by key (all in out/evidence/).
    const checksOf = (body: string) => ((JSON.parse(body) as { checks?: unknown[] }).checks ?? []).length;
    const shown = records.reduce((best, o) => (best === undefined || checksOf(o.body) > checksOf(best.body) ? o : best), undefined as (typeof records)[number] | undefined);
    records.forEach((o) => {
      line(`  ${o.key}`);
      if (o === shown) line(o.body.split('\n').map((l) => `    ${l}`).join('\n'));
      writeFileSync(path.join(out.outDir, 'evidence', o.key.replace(/\//g, '_')), o.body);
    });
    if (records.length > 0) line(`  (all ${records.length} records in full in ${path.join(out.outDir, 'evidence')}/)`);
    // Every drill resource deleted: `deleting` now, gone once RDS finishes.
    await clock.sleep(600);
    const left = sandbox.rdsRestore.listRestored();
    line();
    line(left.length === 0 ? 'Drill resources left: none (every drill DB instance / DB cluster and its database deleted).' : `Drill resources left: ${left.map((r) => `${r.identifier} (${r.status})`).join(', ')}`);
    if (left.length > 0) failures.push(`restore drill left ${left.length} resources behind`);
  } finally {
    useMariaDb(undefined);
    await stopDatabaseServers();
    await mariadb?.stop();
  }
  return failures;
}
