/**
 * Issue 9: RestoreDrill end to end on the sandbox: the synthesized state machine, the real Lambda
 * code, real SQL against embedded PostgreSQL (started once for this file). One backup run feeds
 * every drill below (cheap); each drill is its own execution (distinct drill ids).
 */
import { RestoreDBInstanceFromDBSnapshotCommand, RDSClient } from '@aws-sdk/client-rds';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createHandler as createCheckHandler } from '../../functions/check-recovery-points/index';
import { createClientFactory } from '../../functions/shared/clients';
import { TAGS } from '../../contracts/shapes';
import { DRILL_TAG } from '../../contracts/drill';
import { listPostgresDatabases, stopDatabaseServers } from '../../sandbox/simulator/index';
import type { LocalEnvironment } from '../../sandbox/harness/index';
import { seedFleet, takeAutomatedSnapshots, type DemoDatabaseSpec } from '../../sandbox/harness/index';
import { createLocalEnvironment } from '../../sandbox/harness/index';
import { configWith } from './helpers';

const FLEET: DemoDatabaseSpec[] = [
  { identifier: 'orders-db', kind: 'instance', engine: 'postgres', allocatedStorageGiB: 20, encryption: 'customer-key' },
  { identifier: 'ledger-db', kind: 'instance', engine: 'postgres', allocatedStorageGiB: 20, encryption: 'default-key' },
  { identifier: 'catalog-aurora', kind: 'cluster', engine: 'aurora-postgresql', allocatedStorageGiB: 100, encryption: 'customer-key' },
  { identifier: 'erp-oracle', kind: 'instance', engine: 'oracle-ee', allocatedStorageGiB: 20, encryption: 'customer-key' },
];

const ORDERS_SQL = `
CREATE TABLE orders (id int PRIMARY KEY, created_at timestamptz NOT NULL);
INSERT INTO orders VALUES (1, '2026-11-19T20:00:00Z'), (2, '2026-11-20T01:30:00Z');
CREATE TABLE currencies (code text); INSERT INTO currencies VALUES ('EUR'), ('USD');`;

describe('RestoreDrill (sandbox, real PostgreSQL)', () => {
  let env: LocalEnvironment;
  const evidence = () => {
    const bucket = env.sandbox.s3.listBuckets().find((b) => /evidencebucket/i.test(b.name));
    if (!bucket) throw new Error('no evidence bucket deployed');
    return env.sandbox.s3.listObjects(bucket.name, 'drills/').map((o) => ({ key: o.key, kmsKeyArn: o.kmsKeyArn, record: JSON.parse(o.body) as Record<string, any> }));
  };

  beforeAll(async () => {
    const config = configWith((raw) => {
      raw.databases = [
        {
          identifier: 'orders-db',
          kind: 'instance',
          drill: {
            checks: [
              { name: 'orders-present', sql: 'SELECT id FROM orders LIMIT 1', expect: { nonEmpty: true } },
              { name: 'orders-recent', sql: 'SELECT max(created_at) FROM orders', expect: { maxAgeHours: 26 } },
              { name: 'currency-eur', sql: "SELECT count(*) FROM currencies WHERE code = 'EUR'", expect: { equals: 1 } },
            ],
          },
        },
        { identifier: 'ledger-db', kind: 'instance', drill: { checks: [{ name: 'entries-present', sql: 'SELECT id FROM entries', expect: { minRows: 1 } }] } },
        { identifier: 'catalog-aurora', kind: 'cluster', drill: { checks: [{ name: 'products', sql: 'SELECT sku FROM products', expect: { minRows: 3 } }] } },
        { identifier: 'erp-oracle', kind: 'instance' },
      ];
      raw.discovery = undefined;
      raw.vault.drRegions = [];
      raw.restoreDrill = { schedule: { cron: 'cron(0 6 ? * SUN *)' }, maxWaitHours: 2, maxConcurrency: 2 };
    });
    env = await createLocalEnvironment({ config });
    seedFleet(env, FLEET);
    const { accountId, region } = config.source;
    const snapshotAt = new Date(env.clock.nowMs() - 2 * 3600_000);
    const fixture = (dbIdentifier: string, kind: 'instance' | 'cluster', sql: string, at: Date) => env.sandbox.rdsRestore.setSqlFixture({ accountId, region, kind, dbIdentifier, sql, at });
    fixture('orders-db', 'instance', ORDERS_SQL, new Date(snapshotAt.getTime() - 3600_000));
    fixture('catalog-aurora', 'cluster', "CREATE TABLE products (sku text); INSERT INTO products VALUES ('a'), ('b'), ('c');", new Date(snapshotAt.getTime() - 3600_000));
    // ledger-db: the table had rows, then was emptied BEFORE the snapshot was taken.
    fixture('ledger-db', 'instance', 'CREATE TABLE entries (id int); INSERT INTO entries VALUES (1), (2);', new Date(snapshotAt.getTime() - 7200_000));
    fixture('ledger-db', 'instance', 'CREATE TABLE entries (id int);', new Date(snapshotAt.getTime() - 60_000));
    takeAutomatedSnapshots(env, FLEET);
    const run = await env.startBackupRun({});
    expect(run.status).toBe('SUCCEEDED');
  });
  afterAll(async () => {
    env?.dispose();
    await stopDatabaseServers();
  });

  it('passes for a DB instance and an Aurora DB cluster: real SQL checks, RTO and evidence recorded, everything deleted', async () => {
    const run = await env.startRestoreDrill({ databases: ['orders-db', 'catalog-aurora', 'erp-oracle'] }, 'drill-pass');
    expect(run.status, JSON.stringify(run.output ?? run.cause)).toBe('SUCCEEDED');
    const results = (run.output as { results: Array<Record<string, any>> }).results;
    expect(results.map((r) => [r.database, r.status, r.checksPassed, r.checksTotal, r.cleanupDone])).toEqual([
      ['orders-db', 'PASSED', 3, 3, true],
      ['catalog-aurora', 'PASSED', 1, 1, true],
      ['erp-oracle', 'PASSED', 0, 0, true],
    ]);
    for (const r of results) expect(r.rtoSeconds).toBeGreaterThan(0);

    const records = evidence().filter((e) => e.key.includes('/drill-pass.json'));
    expect(records).toHaveLength(3);
    const orders = records.find((e) => e.record.database.identifier === 'orders-db')!;
    expect(orders.kmsKeyArn).toBeDefined();
    expect(orders.record).toMatchObject({ outcome: 'PASSED', driver: 'pg', engine: 'postgres', cleanup: { done: true } });
    expect(orders.record.vaultCopyArn).toMatch(/^arn:aws:rds:us-east-1:222222222222:snapshot:rsv-orders-db-/);
    // The recovery point is the SOURCE snapshot's time (OriginalSnapshotCreateTime), not the copy's.
    expect(orders.record.snapshotTime).toBe('2026-11-20T03:00:00.000Z');
    expect(orders.record.checks.find((c: any) => c.name === 'orders-recent').actual).toEqual({ rows: 1, newest: '2026-11-20T01:30:00.000Z', ageHours: 1.5 });
    const oracle = records.find((e) => e.record.database.identifier === 'erp-oracle')!;
    expect(oracle.record.dataChecks).toMatch(/no driver for engine oracle-ee/);

    // Drill resources: orders instance, oracle instance, Aurora cluster + its instance, all deleted
    // (deleting or already gone); their databases dropped from the real server.
    const deleted = records.flatMap((e) => e.record.cleanup.deleted as string[]).sort();
    const h = /^rsv-drill-([0-9a-f]{8})-/.exec(deleted[0] ?? '')?.[1];
    expect(deleted).toEqual([`rsv-drill-${h}-catalog-aurora`, `rsv-drill-${h}-catalog-aurora-i1`, `rsv-drill-${h}-erp-oracle`, `rsv-drill-${h}-orders-db`]);
    expect(env.sandbox.rdsRestore.listRestored().filter((r) => r.tags['rds-snapshot-vault:drill-id'] === 'drill-pass' && r.status !== 'deleting')).toEqual([]);
    expect((await listPostgresDatabases()).filter((d) => d.startsWith('rsv_'))).toEqual([]);
    // The restore was private, in the drill subnet group, deletion protection off, smallest class.
    const restore = env.sandbox.calls.find((c) => c.operation === 'RestoreDBInstanceFromDBSnapshot' && (c.input as any).DBInstanceIdentifier.endsWith('orders-db'))!.input as Record<string, unknown>;
    expect(restore).toMatchObject({ PubliclyAccessible: false, DeletionProtection: false, DBInstanceClass: 'db.t4g.micro', DBSubnetGroupName: 'rds-snapshot-vault-drill' });
  });

  it('data that fails a check (table emptied before the snapshot): RestoreCheckFailed with the query, expected and actual; cleanup done; alarmable failure', async () => {
    const run = await env.startRestoreDrill({ databases: ['ledger-db'] }, 'drill-empty');
    expect(run.status).toBe('FAILED');
    expect(run.error).toBe('RestoreDrillFailed');
    const record = evidence().find((e) => e.key === `drills/ledger-db/${env.clock.iso().slice(0, 10)}/drill-empty.json`)!.record;
    expect(record.outcome).toBe('FAILED');
    expect(record.failure.error).toBe('RestoreCheckFailed');
    expect(record.failure.message).toContain('entries-present [SELECT id FROM entries] expected {"minRows":1}, actual {"rows":0}');
    expect(record.checks).toEqual([{ name: 'entries-present', sql: 'SELECT id FROM entries', expect: { minRows: 1 }, passed: false, actual: { rows: 0 } }]);
    expect(record.cleanup.done).toBe(true);
    expect(env.sandbox.rdsRestore.listRestored().filter((r) => r.tags['rds-snapshot-vault:drill-id'] === 'drill-empty').every((r) => r.status === 'deleting')).toBe(true);
    const summary = env.sandbox.sns.messages.at(-1)!;
    expect(summary.message).toContain('RestoreCheckFailed');
  });

  it('a restore that never becomes available: RestoreTimedOut after the bound, resources deleted, evidence says so', async () => {
    env.sandbox.rdsRestore.stallRestoresMatching(/^rsv-drill-.*-orders-db$/);
    const started = env.clock.nowMs();
    const run = await env.startRestoreDrill({ databases: ['orders-db'] }, 'drill-stuck');
    expect(run.status).toBe('FAILED');
    expect((env.clock.nowMs() - started) / 1000).toBeGreaterThanOrEqual(2 * 3600);
    const record = evidence().find((e) => e.key.endsWith('/drill-stuck.json'))!.record;
    expect(record).toMatchObject({ outcome: 'FAILED', failure: { error: 'RestoreTimedOut' }, rtoSeconds: null, cleanup: { done: true } });
    expect(record.cleanup.deleted).toHaveLength(1);
    expect(env.sandbox.rdsRestore.listRestored().find((r) => r.tags['rds-snapshot-vault:drill-id'] === 'drill-stuck')?.status).toBe('deleting');
  });

  it('sweeps leftover drill resources at the start, and never touches a DB instance that is not a drill', async () => {
    const vault = env.config.vault.accountId!;
    const rds = new RDSClient({ region: env.config.vault.region, credentials: env.sandbox.credentialsFor(`arn:aws:iam::${vault}:root`) });
    const copy = env.sandbox.rds.listSnapshots(vault, env.config.vault.region).find((s) => s.identifier.startsWith('rsv-orders-db-'))!;
    const base = { DBSnapshotIdentifier: copy.arn, DBSubnetGroupName: 'rds-snapshot-vault-drill', DBInstanceClass: 'db.t4g.micro' };
    await rds.send(new RestoreDBInstanceFromDBSnapshotCommand({ ...base, DBInstanceIdentifier: 'rsv-drill-leftover-orders', Tags: [{ Key: DRILL_TAG, Value: 'true' }] }));
    await rds.send(new RestoreDBInstanceFromDBSnapshotCommand({ ...base, DBInstanceIdentifier: 'rsv-drill-not-tagged' }));
    const run = await env.startRestoreDrill({ databases: ['catalog-aurora'] }, 'drill-sweep');
    expect(run.status).toBe('SUCCEEDED');
    expect((run.output as { sweep: { deleted: string[] } }).sweep.deleted).toEqual(['rsv-drill-leftover-orders']);
    const byId = new Map(env.sandbox.rdsRestore.listRestored().map((r) => [r.identifier, r.status]));
    expect([undefined, 'deleting']).toContain(byId.get('rsv-drill-leftover-orders'));
    expect(byId.get('rsv-drill-not-tagged')).toBe('available');
  });

  it('recovery point age: VaultRetention measures it from OriginalSnapshotCreateTime, emits EMF per database, and reports a stopped database as RecoveryPointStale', async () => {
    const vault = env.vault;
    const fn = vault.functions.find((f) => f.entry === 'check-recovery-points')!;
    const handler = createCheckHandler({
      env: { ...fn.environment, AWS_REGION: fn.region },
      clients: createClientFactory({ region: fn.region, credentials: env.sandbox.credentialsFor(fn.roleArn) }),
      now: () => env.clock.now(),
    });
    const written: string[] = [];
    const spy = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => (written.push(String(chunk)), true));
    let out: Awaited<ReturnType<typeof handler>> | undefined;
    try {
      out = await handler({ databases: [{ identifier: 'orders-db', kind: 'instance', rpoHours: 26 }, { identifier: 'catalog-aurora', kind: 'cluster', rpoHours: 26 }] }, {} as never);
    } finally {
      spy.mockRestore();
    }
    const now = env.clock.nowMs();
    const ageOf = (iso: string) => Math.round((now - Date.parse(iso)) / 1000);
    expect(out!.recoveryPoints.map((r) => [r.database, r.status, r.recoveryPointTime])).toEqual([
      ['orders-db', 'OK', '2026-11-20T03:00:00.000Z'],
      ['catalog-aurora', 'OK', '2026-11-20T03:00:00.000Z'],
    ]);
    const emf = written.flatMap((l) => l.split('\n')).filter((l) => l.includes('"_aws"')).map((l) => JSON.parse(l) as Record<string, any>);
    const ages = emf.filter((e) => e.RecoveryPointAge !== undefined);
    expect(ages.map((e) => [e.Database, e.Region, e.service, e.RecoveryPointAge])).toEqual([
      ['orders-db', 'us-east-1', 'check-recovery-points', ageOf('2026-11-20T03:00:00.000Z')],
      ['catalog-aurora', 'us-east-1', 'check-recovery-points', ageOf('2026-11-20T03:00:00.000Z')],
    ]);
    expect(ages[0]!._aws.CloudWatchMetrics[0]).toMatchObject({ Namespace: 'RdsSnapshotVault', Dimensions: [expect.arrayContaining(['Database', 'Region', 'service'])], Metrics: [{ Name: 'RecoveryPointAge', Unit: 'Seconds' }] });
    // The fleet metric the one alarm per Region watches: the databases past their 26 h objective (none yet).
    const fleet = emf.filter((e) => e.RecoveryPointsOverObjective !== undefined);
    expect(fleet.length).toBeGreaterThan(0);
    const over = ages.filter((e) => e.Region === env.config.vault.region && e.RecoveryPointAge > 26 * 3600).length;
    expect(fleet.at(-1)).toMatchObject({ Region: env.config.vault.region, service: 'check-recovery-points', RecoveryPointsOverObjective: over });

    // The databases are "stopped": no new automated snapshot for two days. The vault copies are
    // fresh copies (SnapshotCreateTime recent) of old data: the age must come from the source time.
    env.clock.advance(2 * 86_400);
    const sweep = await env.startVaultRetention({ dryRun: true }, 'retention-rpo');
    const rp = (sweep.output as { recoveryPoints: { recoveryPoints: Array<Record<string, any>>; stale: string[] } }).recoveryPoints;
    expect(rp.stale.sort()).toEqual(['catalog-aurora', 'erp-oracle', 'ledger-db', 'orders-db']);
    const hours = Math.round(((env.clock.nowMs() - Date.parse('2026-11-20T03:00:00.000Z')) / 3_600_000) * 100) / 100;
    expect(hours).toBeGreaterThan(48);
    expect(rp.recoveryPoints.find((r) => r.database === 'orders-db')).toMatchObject({ status: 'RecoveryPointStale', objectiveHours: 26, ageHours: hours });

    // Source side: the daily backup of the stopped databases reuses the old copies; the notification
    // says RecoveryPointStale with the age, never OK.
    const backup = await env.startBackupRun({}, 'run-stopped');
    expect(backup.status).toBe('SUCCEEDED');
    const note = env.sandbox.sns.messages.filter((m) => m.topicArn.includes(`:${env.config.source.accountId}:`)).at(-1)!;
    expect(note.subject).toContain('STALE');
    expect(note.message).toContain(`[STALE] orders-db (instance): RecoveryPointStale: the newest recovery point was ${hours} h old when this backup started, objective 26 h`);
    expect(note.message).not.toMatch(/\[OK\] orders-db/);
  });

  it('drills a database that is not configured but has managed copies in the vault (restore and RTO only, no checks)', async () => {
    // A database removed from the config (or tag-discovered): its managed copy stays in the vault.
    const vault = env.config.vault.accountId!;
    const region = env.config.vault.region;
    env.sandbox.rds.createDbInstance({ accountId: vault, region, identifier: 'gone-db', engine: 'postgres', allocatedStorageGiB: 20, storageEncrypted: true });
    env.sandbox.rdsRestore.setSqlFixture({ accountId: vault, region, kind: 'instance', dbIdentifier: 'gone-db', sql: 'CREATE TABLE t (id int);', at: new Date(env.clock.nowMs() - 7200_000) });
    const stamp = new Date(env.clock.nowMs() - 3600_000).toISOString().replace(/[-:T]/g, '').slice(0, 12);
    env.sandbox.rds.createManualSnapshot({
      accountId: vault, region, kind: 'instance', dbIdentifier: 'gone-db', identifier: `rsv-gone-db-${stamp}`,
      tags: { [TAGS.MANAGED]: 'true', [TAGS.DATABASE]: 'gone-db' },
    });
    await env.clock.sleep(3600);
    const run = await env.startRestoreDrill({ databases: ['gone-db'] }, 'drill-discovered');
    expect(run.status, JSON.stringify(run.output ?? run.cause)).toBe('SUCCEEDED');
    const results = (run.output as { results: Array<Record<string, any>> }).results;
    expect(results.map((r) => [r.database, r.status, r.checksTotal, r.cleanupDone])).toEqual([['gone-db', 'PASSED', 0, true]]);
    expect(results[0]!.rtoSeconds).toBeGreaterThan(0);
    const record = evidence().find((e) => e.key.includes('/drill-discovered.json'))!.record;
    expect(record.vaultCopyArn).toBe(`arn:aws:rds:${region}:${vault}:snapshot:rsv-gone-db-${stamp}`);
    expect(record.dataChecks).toMatch(/^not configured \(found in the vault by its managed copies\): restore and RTO only/);
  });

  it('rejects a database that is neither configured nor has managed copies in the vault, before restoring anything', async () => {
    const before = env.sandbox.calls.filter((c) => c.operation.startsWith('Restore')).length;
    const run = await env.startRestoreDrill({ databases: ['nope-db'] }, 'drill-unknown');
    expect(run.status).toBe('FAILED');
    expect(run.error).toBe('UnknownDatabase');
    expect(env.sandbox.calls.filter((c) => c.operation.startsWith('Restore')).length).toBe(before);
  });
});
