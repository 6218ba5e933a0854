/**
 * Issue 3 on the real state machines: DR Regions (two-hop and single-step), export to S3,
 * same-account mode, event-driven start, tag discovery.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../infra/config/schema';
import { createLocalEnvironment, type LocalEnvironment } from '../../sandbox/environment';
import { DEMO_FLEET, DISCOVERED_DATABASE, type DemoDatabaseSpec, seedFleet, takeAutomatedSnapshots, UNMANAGED_DATABASE } from '../../sandbox/fleet';
import { childFor, configWith, entered, fleetEnvironment, managed } from './helpers';

let env: LocalEnvironment | undefined;
afterEach(() => {
  env?.dispose();
  env = undefined;
});

const SOURCE_TAG = 'rds-snapshot-vault:source-snapshot';

describe('DR Regions', () => {
  it('two-hop: the vault copy goes on to the DR Region inside the vault account, under that Region\'s vault key', async () => {
    env = await fleetEnvironment();
    const { config, sandbox } = env;
    expect(config.vault.drRegions).toEqual(['us-west-2']);
    const run = await env.startBackupRun({});
    expect(run.status, `${run.error} ${run.cause}`).toBe('SUCCEEDED');
    const vaultAccount = config.vault.accountId!;
    const drKey = env.drVaults[0]!.keys.find((k) => k.aliases.includes(`alias/${config.deploymentName}`))!.arn;
    const primary = sandbox.rds.listSnapshots(vaultAccount, config.vault.region);
    const dr = sandbox.rds.listSnapshots(vaultAccount, 'us-west-2');
    for (const db of DEMO_FLEET) {
      const p = primary.find((s) => s.dbIdentifier === db.identifier)!;
      const d = dr.find((s) => s.dbIdentifier === db.identifier);
      expect(d, db.identifier).toMatchObject({ status: 'available', encrypted: true, kmsKeyId: drKey, identifier: p.identifier });
      expect(managed(d!.tags)).toBe(true);
      expect(d!.tags[SOURCE_TAG]).toBe(p.arn); // copied from the vault copy (second hop)
      expect(entered(childFor(run, db.identifier), 'PollDrCopy')).toBeGreaterThan(0);
    }
    // Cross-Region copies are started in the destination Region (docs/aws-behaviour.md §8).
    const drCopyCalls = sandbox.calls.filter((c) => /^CopyDB(Cluster)?Snapshot$/.test(c.operation) && c.region === 'us-west-2' && !c.errorName);
    expect(drCopyCalls).toHaveLength(DEMO_FLEET.length);
    expect(drCopyCalls.every((c) => c.accountId === vaultAccount)).toBe(true);
  });

  it('single-step: each DR copy is made straight from the shared source copy, beside the vault copy', async () => {
    const config = configWith((c) => {
      c.vault.drCopyMode = 'single-step';
      // Single-step cluster copies are not allowed by older Aurora docs; this test uses DB instances only.
      c.databases = c.databases.filter((d: { kind: string }) => d.kind === 'instance');
    });
    env = await fleetEnvironment({ config, fleet: DEMO_FLEET.filter((d) => d.kind === 'instance') });
    const run = await env.startBackupRun({});
    expect(run.status, `${run.error} ${run.cause}`).toBe('SUCCEEDED');
    const source = env.sandbox.rds.listSnapshots(config.source.accountId, config.source.region).filter((s) => s.snapshotType === 'manual');
    for (const d of env.sandbox.rds.listSnapshots(config.vault.accountId!, 'us-west-2')) {
      const src = source.find((s) => s.dbIdentifier === d.dbIdentifier)!;
      expect(d.tags[SOURCE_TAG]).toBe(src.arn);
      expect(d.status).toBe('available');
    }
    // The DR copy did not wait for the vault copy: it started before the vault copy was available.
    const orders = childFor(run, 'orders-db');
    const drStart = orders.events.find((e) => e.state === 'CopyToDrRegion')!.at;
    const vaultReady = orders.events.filter((e) => e.state === 'IsVaultCopyReady').at(-1)!.at;
    expect(Date.parse(drStart)).toBeLessThan(Date.parse(vaultReady));
  });

  it('a DR Region whose vault key is missing fails that database after the vault copy is kept, and names the Region', async () => {
    env = await fleetEnvironment({ fleet: DEMO_FLEET.filter((d) => d.identifier === 'billing-db') });
    const { config, sandbox } = env;
    const drKey = env.drVaults[0]!.keys.find((k) => k.aliases.includes(`alias/${config.deploymentName}`))!.arn;
    sandbox.kms.disableKey(drKey);
    const run = await env.startBackupRun({ databases: ['billing-db'] });
    expect(run.status).toBe('FAILED');
    const child = childFor(run, 'billing-db');
    expect(child.error).toBe('KmsKeyNotAccessible');
    expect(child.cause).toContain('us-west-2');
    expect(sandbox.rds.listSnapshots(config.vault.accountId!, config.vault.region).map((s) => s.status)).toEqual(['available']);
    expect(entered(child, 'SweepSourceRetention')).toBe(1); // the vault copy exists, so the source sweep still ran
  });
});

describe('export to S3', () => {
  it('exports the run\'s manual copy of an exporting database as Parquet under a prefix per database and date', async () => {
    env = await fleetEnvironment();
    const { config, sandbox } = env;
    const run = await env.startBackupRun({});
    expect(run.status, `${run.error} ${run.cause}`).toBe('SUCCEEDED');
    const orders = childFor(run, 'orders-db');
    const out = orders.output as { export: { task: { exportTask: { s3Uri: string; s3Bucket: string; s3Prefix: string; sourceArn: string } }; ready: { status: string } } };
    expect(out.export.ready.status).toBe('COMPLETE');
    expect(out.export.task.exportTask.s3Prefix).toBe(`${config.export?.prefix ?? 'exports'}/orders-db/2026-11-20`);
    const copy = sandbox.rds.listSnapshots(config.source.accountId, config.source.region).find((s) => s.dbIdentifier === 'orders-db' && s.snapshotType === 'manual')!;
    expect(out.export.task.exportTask.sourceArn).toBe(copy.arn);
    const keys = sandbox.s3.listObjects(out.export.task.exportTask.s3Bucket, out.export.task.exportTask.s3Prefix).map((o) => o.key);
    expect(keys.some((k) => k.endsWith('.parquet'))).toBe(true);
    expect(keys.some((k) => /export_info_/.test(k))).toBe(true);
    // Only the exporting database was exported.
    for (const db of DEMO_FLEET.filter((d) => d.identifier !== 'orders-db')) expect((childFor(run, db.identifier).output as { export: unknown }).export).toBeNull();
    // Exports wait in few, long polls.
    expect(entered(orders, 'PollExport')).toBeLessThan(20);
  });

  it('eight exports at once: the 5-task limit is hit, retried, and all eight complete without duplicates', async () => {
    const fleet: DemoDatabaseSpec[] = Array.from({ length: 8 }, (_, i) => ({
      identifier: `shop-${i + 1}`,
      kind: 'instance',
      engine: 'postgres',
      allocatedStorageGiB: 50,
      encryption: 'default-key',
    }));
    const config = configWith((c) => {
      c.databases = fleet.map((d) => ({ identifier: d.identifier, kind: d.kind, export: true }));
      c.vault.drRegions = [];
      c.discovery = undefined;
      c.concurrency = { maxDatabasesInParallel: 8 };
    });
    env = await fleetEnvironment({ config, fleet });
    const run = await env.startBackupRun({});
    expect(run.status, `${run.error} ${run.cause}`).toBe('SUCCEEDED');
    const starts = env.sandbox.calls.filter((c) => c.operation === 'StartExportTask');
    expect(starts.filter((c) => !c.errorName)).toHaveLength(8);
    // The copy slot table (issue 12) holds exports to 5 per account, so RDS never refuses one; the limit
    // was really hit: some of the eight started only after another had ended, never more than 5 at once.
    expect(starts.filter((c) => c.errorName)).toHaveLength(0);
    const tasks = env.sandbox.rds.listExportTasks();
    expect(tasks).toHaveLength(8);
    const running = (t: string) => tasks.filter((x) => x.taskStartTime <= t && (x.taskEndTime === undefined || x.taskEndTime > t)).length;
    expect(Math.max(...tasks.map((t) => running(t.taskStartTime)))).toBe(5);
    expect(tasks.some((t) => tasks.some((u) => u.taskEndTime !== undefined && u.taskEndTime <= t.taskStartTime))).toBe(true);
    for (const c of run.children) expect((c.output as { export: { ready: { status: string } } }).export.ready.status).toBe('COMPLETE');
  });
});

describe('same-account mode', () => {
  it('copies into another Region of the source account with no share and no role', async () => {
    const config = loadConfig('config/same-account.json');
    env = await createLocalEnvironment({ config });
    const fleet = DEMO_FLEET.filter((d) => config.databases.some((c) => c.identifier === d.identifier));
    seedFleet(env, fleet);
    takeAutomatedSnapshots(env, fleet);
    const run = await env.startBackupRun({});
    expect(run.status, `${run.error} ${run.cause}`).toBe('SUCCEEDED');
    const copies = env.sandbox.rds.listSnapshots(config.source.accountId, config.vault.region);
    expect(copies.map((s) => s.dbIdentifier).sort()).toEqual(fleet.map((d) => d.identifier).sort());
    expect(copies.every((s) => s.status === 'available' && managed(s.tags))).toBe(true);
    expect(env.sandbox.calls.filter((c) => c.service === 'sts')).toHaveLength(0);
    expect(env.sandbox.calls.filter((c) => /SnapshotAttribute$/.test(c.operation) && c.operation.startsWith('Modify'))).toHaveLength(0);
  });
});

describe('event-driven start and tag discovery', () => {
  it('an automated snapshot event starts a run for just that database; the scheduled run after it copies nothing new', async () => {
    env = await fleetEnvironment({ fleet: [] });
    const { config, sandbox } = env;
    seedFleet(env, [DEMO_FLEET[1]!]);
    takeAutomatedSnapshots(env, [DEMO_FLEET[1]!], { emitEvents: true });
    const [eventRun] = await env.waitForEventRuns();
    expect(eventRun?.status, `${eventRun?.error} ${eventRun?.cause}`).toBe('SUCCEEDED');
    expect(eventRun?.children.map((c) => (c.input as { database: { identifier: string } }).database.identifier)).toEqual(['billing-db']);
    const copiesAfterEvent = sandbox.calls.filter((c) => /^Copy/.test(c.operation) && !c.errorName).length;
    const scheduled = await env.startBackupRun({ trigger: 'schedule', databases: ['billing-db'] });
    expect(scheduled.status).toBe('SUCCEEDED');
    expect(sandbox.calls.filter((c) => /^Copy/.test(c.operation) && !c.errorName)).toHaveLength(copiesAfterEvent);
    expect(sandbox.rds.listSnapshots(config.vault.accountId!, config.vault.region)).toHaveLength(1);
  });

  it('a duplicate event after a scheduled run makes no new copy', async () => {
    env = await fleetEnvironment({ fleet: [DEMO_FLEET[1]!] });
    const { config, sandbox } = env;
    const scheduled = await env.startBackupRun({ trigger: 'schedule', databases: ['billing-db'] });
    expect(scheduled.status).toBe('SUCCEEDED');
    const before = sandbox.calls.filter((c) => /^Copy/.test(c.operation) && !c.errorName).length;
    const auto = sandbox.rds.listSnapshots(config.source.accountId, config.source.region).find((s) => s.snapshotType === 'automated')!;
    for (let i = 0; i < 2; i++) {
      sandbox.events.putEvent({
        accountId: config.source.accountId,
        region: config.source.region,
        source: 'aws.rds',
        detailType: 'RDS DB Snapshot Event',
        detail: { EventCategories: ['creation'], SourceType: 'SNAPSHOT', SourceArn: auto.arn, SourceIdentifier: auto.identifier, Message: 'Automated snapshot created', EventID: 'RDS-EVENT-0091' },
        resources: [auto.arn],
      });
    }
    const runs = await env.waitForEventRuns();
    expect(runs).toHaveLength(2);
    for (const r of runs) expect(r.status).toBe('SUCCEEDED');
    expect(sandbox.calls.filter((c) => /^Copy/.test(c.operation) && !c.errorName)).toHaveLength(before);
  });

  it('an event for a database that is neither configured nor tagged is ignored, not an error', async () => {
    env = await fleetEnvironment({ fleet: [] });
    seedFleet(env, [UNMANAGED_DATABASE]);
    takeAutomatedSnapshots(env, [UNMANAGED_DATABASE], { emitEvents: true });
    const [run] = await env.waitForEventRuns();
    expect(run?.status).toBe('SUCCEEDED');
    expect(run?.children).toHaveLength(0);
    expect(entered(run!, 'NothingToBackUp')).toBe(1);
    expect(env.sandbox.rds.listSnapshots(env.config.source.accountId, env.config.source.region).filter((s) => s.snapshotType === 'manual')).toHaveLength(0);
  });

  it('tag discovery backs up a tagged database that is not in the config, and not an untagged one', async () => {
    const config = configWith((c) => {
      c.databases = [{ identifier: 'billing-db', kind: 'instance' }];
    });
    env = await fleetEnvironment({ config, fleet: [DEMO_FLEET[1]!, DISCOVERED_DATABASE, UNMANAGED_DATABASE] });
    const run = await env.startBackupRun({});
    expect(run.status, `${run.error} ${run.cause}`).toBe('SUCCEEDED');
    const ids = run.children.map((c) => (c.input as { database: { identifier: string } }).database.identifier);
    expect(ids.sort()).toEqual(['analytics-db', 'billing-db']); // plan-run orders the fleet longest copy first
    expect(env.sandbox.rds.listSnapshots(config.vault.accountId!, config.vault.region).map((s) => s.dbIdentifier).sort()).toEqual(['analytics-db', 'billing-db']);
    // The vault's retention covers the discovered database too (its copies are found by their managed tag).
    const sweep = await env.startVaultRetention({ dryRun: true });
    expect(sweep.status, `${sweep.error} ${sweep.cause}`).toBe('SUCCEEDED');
    const swept = (sweep.output as { results: Array<{ database: { identifier: string } }> }).results.map((r) => r.database.identifier);
    expect(swept).toContain('analytics-db');
  });
});

describe('RDS copy limits per destination Region (docs/aws-behaviour.md §11)', () => {
  const clusters: DemoDatabaseSpec[] = Array.from({ length: 6 }, (_, i) => ({
    identifier: `cluster-${i + 1}`,
    kind: 'cluster',
    engine: 'aurora-postgresql',
    allocatedStorageGiB: 50,
    encryption: 'default-key',
  }));
  /** Copy requests RDS refused for the in-flight copy limit (SnapshotQuotaExceeded), per destination account/Region. */
  const refused = (e: LocalEnvironment, accountId: string, region: string) =>
    e.sandbox.calls.filter((c) => c.operation === 'CopyDBClusterSnapshot' && c.errorName === 'SnapshotQuotaExceededFault' && c.accountId === accountId && c.region === region);
  const clusterConfig = (parallel: number) => {
    const config = configWith((c) => {
      c.databases = clusters.map((d) => ({ identifier: d.identifier, kind: d.kind }));
      c.discovery = undefined;
      c.concurrency = { maxDatabasesInParallel: 5 };
    });
    return { ...config, concurrency: { ...config.concurrency, maxDatabasesInParallel: parallel } };
  };

  it('with the configured bound (5 databases at a time) RDS never refuses a DB cluster snapshot copy', async () => {
    env = await fleetEnvironment({ config: clusterConfig(5), fleet: clusters });
    const run = await env.startBackupRun({});
    expect(run.status, `${run.error} ${run.cause}`).toBe('SUCCEEDED');
    const { config } = env;
    for (const [account, region] of [[config.source.accountId, config.source.region], [config.vault.accountId!, config.vault.region], [config.vault.accountId!, 'us-west-2']] as const) {
      expect(refused(env, account, region), `${account} ${region}`).toEqual([]);
    }
  });

  it('6 at a time: the copy slot table refuses the sixth copy before RDS sees it (the step waits for a slot, aimed), RDS never refuses, every database succeeds', async () => {
    env = await fleetEnvironment({ config: clusterConfig(6), fleet: clusters });
    const run = await env.startBackupRun({});
    expect(run.status, `${run.error} ${run.cause}`).toBe('SUCCEEDED');
    expect(refused(env, env.config.source.accountId, env.config.source.region)).toEqual([]);
    // Refused copies waited for a slot in their aimed Wait (WaitFor<Step>Slot), not by failing.
    expect(run.children.flatMap((c) => c.events).some((e) => e.type === 'StateEntered' && /^WaitFor.*Slot$/.test(e.state ?? ''))).toBe(true);
  });
});
