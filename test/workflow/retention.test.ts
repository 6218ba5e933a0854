import { CopyDBSnapshotCommand, RDSClient } from '@aws-sdk/client-rds';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalEnvironment } from '../../sandbox/harness/index';
import { type DemoDatabaseSpec, seedFleet, takeAutomatedSnapshots } from '../../sandbox/harness/index';
import { createLocalEnvironment } from '../../sandbox/harness/index';
import { configWith, managed } from './helpers';

const FLEET: DemoDatabaseSpec[] = [
  { identifier: 'billing-db', kind: 'instance', engine: 'mysql', allocatedStorageGiB: 20, encryption: 'default-key' },
  { identifier: 'catalog-aurora', kind: 'cluster', engine: 'aurora-postgresql', allocatedStorageGiB: 100, encryption: 'customer-key' },
];
const DAYS = 8;

/**
 * Eight daily runs at 05:00 UTC. Source policy: keep newest 2, delete after 3 days, never before 1.
 * Vault policy: keep newest 3, delete after 5 days, never before 2.
 * After day 8: source keeps the copies of days 6-8 (ages ~2, ~1, ~0 days); the day-5 copy is just
 * over 3 days old and goes. The vault keeps days 4-8 (ages up to ~4 days) and deletes days 1-3.
 */
describe('retention across eight daily runs', () => {
  let env: LocalEnvironment;
  let unmanagedArn: string;
  beforeAll(async () => {
    const config = configWith((c) => {
      c.databases = FLEET.map(({ identifier, kind }) => ({ identifier, kind }));
      c.retention = { source: { keepLast: 2, maxAgeDays: 3, minAgeDays: 1 }, vault: { keepLast: 3, maxAgeDays: 5, minAgeDays: 2 } };
    });
    env = await createLocalEnvironment({ config });
    seedFleet(env, FLEET);
    for (let day = 1; day <= DAYS; day++) {
      takeAutomatedSnapshots(env, FLEET);
      if (day === 1) {
        // Somebody's own manual snapshot, not made by this tool: retention must never touch it.
        const root = new RDSClient({ region: config.source.region, credentials: env.sandbox.credentialsFor(`arn:aws:iam::${config.source.accountId}:root`) });
        const auto = env.sandbox.rds.listSnapshots(config.source.accountId, config.source.region).find((s) => s.dbIdentifier === 'billing-db' && s.snapshotType === 'automated')!;
        const out = await root.send(new CopyDBSnapshotCommand({ SourceDBSnapshotIdentifier: auto.identifier, TargetDBSnapshotIdentifier: 'billing-db-before-migration' }));
        unmanagedArn = out.DBSnapshot!.DBSnapshotArn!;
      }
      const run = await env.startBackupRun({}, `day-${day}`);
      expect(run.status, `day ${day}: ${run.error} ${run.cause}`).toBe('SUCCEEDED');
      const next = Date.parse(run.startDate) + 86_400_000;
      if (day < DAYS && env.clock.nowMs() < next) env.clock.advance((next - env.clock.nowMs()) / 1000);
    }
  });
  afterAll(() => env?.dispose());

  const copies = (accountId: string, region: string, db: string) =>
    env.sandbox.rds
      .listSnapshots(accountId, region)
      .filter((s) => s.dbIdentifier === db && managed(s.tags))
      .map((s) => s.createTime.slice(0, 10))
      .sort();

  it('the source sweep keeps the newest copies within the policy and never the unmanaged snapshot', () => {
    const { accountId, region } = env.config.source;
    for (const { identifier } of FLEET) expect(copies(accountId, region, identifier)).toEqual(['2026-11-25', '2026-11-26', '2026-11-27']);
    expect(env.sandbox.rds.listSnapshots(accountId, region).some((s) => s.arn === unmanagedArn)).toBe(true);
  });

  it('the source account never deleted anything in the vault', () => {
    const vaultDeletes = env.sandbox.calls.filter((c) => c.accountId === env.config.vault.accountId && /^Delete/.test(c.operation));
    expect(vaultDeletes).toHaveLength(0);
    const { region } = env.config.vault;
    const accountId = env.config.vault.accountId!;
    for (const { identifier } of FLEET) expect(copies(accountId, region, identifier)).toHaveLength(DAYS);
  });

  it('a dry run of VaultRetention reports what it would delete and deletes nothing', async () => {
    const { region } = env.config.vault;
    const accountId = env.config.vault.accountId!;
    const before = env.sandbox.rds.listSnapshots(accountId, region).length;
    const run = await env.startVaultRetention({ dryRun: true }, 'vault-dry-run');
    expect(run.status, `${run.error} ${run.cause}`).toBe('SUCCEEDED');
    expect(env.sandbox.rds.listSnapshots(accountId, region)).toHaveLength(before);
    // The output counts them (their names are in each iteration's SweepVaultRetention result and the function's log): 1,000 lists would not fit the state.
    const results = (run.output as { results: Array<{ deleted: number; foreignKeyCopies: unknown[] }> }).results;
    expect(results.map((r) => r.deleted)).toEqual([3, 3]);
    // Every sweep reports the copies under a KMS key the vault does not own (none here) in the summary.
    expect(results.map((r) => r.foreignKeyCopies)).toEqual([[], []]);
  });

  it('VaultRetention, run by the vault account, deletes only managed copies past the vault policy', async () => {
    const run = await env.startVaultRetention({}, 'vault-retention');
    expect(run.status, `${run.error} ${run.cause}`).toBe('SUCCEEDED');
    const { region } = env.config.vault;
    const accountId = env.config.vault.accountId!;
    for (const { identifier } of FLEET) expect(copies(accountId, region, identifier)).toEqual(['2026-11-23', '2026-11-24', '2026-11-25', '2026-11-26', '2026-11-27']);
    const deletes = env.sandbox.calls.filter((c) => c.accountId === accountId && /^Delete/.test(c.operation) && !c.errorName);
    expect(deletes).toHaveLength(6);
    for (const d of deletes) expect(d.principalArn).toContain(`:${accountId}:`);
    const summary = env.sandbox.sns.messages.filter((m) => m.topicArn.includes(accountId)).at(-1);
    expect(summary?.subject).toContain('2 databases, 0 failed');
  });
});

/**
 * A three-day vault outage: the vault copy fails on days 3-5 (CopyDBSnapshot into the vault
 * refused). Source policy keep newest 2, delete after 3 days. The source copies of days 3-5 never
 * reached the vault, so source retention must keep them (they may be the only copy of those days
 * once RDS's automated snapshots expire); copies that did reach the vault go by the policy.
 */
describe('source retention after a vault outage', () => {
  const fleet: DemoDatabaseSpec[] = [{ identifier: 'billing-db', kind: 'instance', engine: 'mysql', allocatedStorageGiB: 20, encryption: 'default-key' }];
  let env: LocalEnvironment;
  beforeAll(async () => {
    const config = configWith((c) => {
      c.databases = fleet.map(({ identifier, kind }) => ({ identifier, kind }));
      c.vault.drRegions = [];
      c.retention = { source: { keepLast: 2, maxAgeDays: 3, minAgeDays: 1 }, vault: { keepLast: 3, maxAgeDays: 5, minAgeDays: 2 } };
    });
    env = await createLocalEnvironment({ config });
    seedFleet(env, fleet);
    // A database removed from the configuration: its earlier managed source copies are swept by the
    // source policy at the end of each run. The two newest never reached the vault (kept, and they
    // hold the keepLast days), so the newest vaulted one (20 days) is kept only by the rule for
    // removed databases; the older vaulted ones go.
    const { accountId, region } = config.source;
    env.sandbox.rds.createDbInstance({ accountId, region, identifier: 'gone-db', engine: 'postgres', allocatedStorageGiB: 20, storageEncrypted: false });
    for (const [daysAgo, vaulted] of [[30, true], [25, true], [20, true], [15, false], [10, false]] as const) {
      const at = new Date(env.clock.nowMs() - daysAgo * 86_400_000);
      env.sandbox.rds.createManualSnapshot({
        accountId, region, dbIdentifier: 'gone-db', kind: 'instance', identifier: `rsv-gone-db-${daysAgo}`, at,
        tags: { 'rds-snapshot-vault:managed': 'true', 'rds-snapshot-vault:database': 'gone-db', ...(vaulted && { 'rds-snapshot-vault:vaulted': 'true' }) },
      });
    }
    for (let day = 1; day <= 8; day++) {
      takeAutomatedSnapshots(env, fleet);
      const outage = day >= 3 && day <= 5;
      if (outage) {
        env.sandbox.faults.inject({
          service: 'rds',
          operation: 'CopyDBSnapshot',
          error: { name: 'InternalFailure', message: 'vault outage' },
          times: 20,
          match: (_input, ctx) => ctx.accountId === config.vault.accountId,
        });
      }
      const run = await env.startBackupRun({}, `outage-day-${day}`);
      expect(run.status, `day ${day}: ${run.error} ${run.cause}`).toBe(outage ? 'FAILED' : 'SUCCEEDED');
      env.sandbox.faults.clear();
      const next = Date.parse(run.startDate) + 86_400_000;
      if (env.clock.nowMs() < next) env.clock.advance((next - env.clock.nowMs()) / 1000);
    }
  });
  afterAll(() => env?.dispose());

  it('sweeps a database removed from the config by the same policy: keeps its unvaulted copies and its newest vaulted copy, deletes the rest', () => {
    const { accountId, region } = env.config.source;
    const gone = env.sandbox.rds.listSnapshots(accountId, region).filter((s) => s.dbIdentifier === 'gone-db').map((s) => s.identifier).sort();
    expect(gone).toEqual(['rsv-gone-db-10', 'rsv-gone-db-15', 'rsv-gone-db-20']);
    // Deleted once each, by the source account's retention-sweep role.
    const deletes = env.sandbox.calls.filter((c) => c.operation === 'DeleteDBSnapshot' && !c.errorName && /rsv-gone-db/.test(JSON.stringify(c.input)));
    expect(deletes.map((c) => (c.input as { DBSnapshotIdentifier: string }).DBSnapshotIdentifier).sort()).toEqual(['rsv-gone-db-25', 'rsv-gone-db-30']);
    for (const d of deletes) expect(d.accountId).toBe(accountId);
    const sweepRole = env.source.functions.find((f) => f.entry === 'retention-sweep')!.roleArn;
    for (const d of deletes) expect(d.principalArn).toBe(sweepRole);
  });

  it('keeps every source copy that never reached the vault, and only those beyond the policy', () => {
    const { accountId, region } = env.config.source;
    const source = env.sandbox.rds.listSnapshots(accountId, region).filter((s) => s.dbIdentifier === 'billing-db' && managed(s.tags));
    const days = (pred: (t: Record<string, string>) => boolean) => source.filter((s) => pred(s.tags)).map((s) => s.createTime.slice(0, 10)).sort();
    // Days 3-5 (2026-11-22 .. 24): never vaulted, all kept.
    expect(days((t) => t['rds-snapshot-vault:vaulted'] !== 'true')).toEqual(['2026-11-22', '2026-11-23', '2026-11-24']);
    // Vaulted copies: the policy's (newest 2 days + not older than 3 days), days 6-8.
    expect(days((t) => t['rds-snapshot-vault:vaulted'] === 'true')).toEqual(['2026-11-25', '2026-11-26', '2026-11-27']);
  });

  // Reuses this vault-only deployment (runs after the retention checks above; it adds a day 9).
  it('issue 12: a vault-only backup of a 24 h copy with steady progress takes at most 4 polls per copy and 40 state transitions', async () => {
    env.sandbox.rds.setCopyShape({ match: (c) => c.dbIdentifier === 'billing-db', shape: { kind: 'steady' }, durationSeconds: 24 * 3600 });
    takeAutomatedSnapshots(env, fleet);
    const run = await env.startBackupRun({}, 'polling-day-9');
    env.sandbox.rds.clearCopyShapes();
    expect(run.status, `${run.error} ${run.cause}`).toBe('SUCCEEDED');
    const child = run.children[0]!;
    const polls = (state: string) => child.events.filter((e) => e.type === 'StateEntered' && e.state === state).length;
    expect(polls('PollSourceCopy')).toBeLessThanOrEqual(4);
    expect(polls('PollVaultCopy')).toBeLessThanOrEqual(4);
    // The copies really took a day each (the old rule: ~100 polls per copy, ~610 transitions).
    expect(Date.parse(child.stopDate!) - Date.parse(child.startDate)).toBeGreaterThanOrEqual(2 * 24 * 3600 * 1000);
    expect(child.transitions).toBeLessThanOrEqual(40);
  });
});

describe('a failed sweep of removed databases', () => {
  it('fails the run after every database was backed up and the notification was sent, and deletes nothing', async () => {
    const fleet: DemoDatabaseSpec[] = [{ identifier: 'billing-db', kind: 'instance', engine: 'mysql', allocatedStorageGiB: 20, encryption: 'default-key' }];
    const config = configWith((c) => {
      c.databases = fleet.map(({ identifier, kind }) => ({ identifier, kind }));
      c.vault.drRegions = [];
    });
    const env = await createLocalEnvironment({ config });
    try {
      seedFleet(env, fleet);
      takeAutomatedSnapshots(env, fleet);
      const sweepRole = env.source.functions.find((f) => f.entry === 'retention-sweep')!.roleArn;
      // Only the removed-database sweep lists every DB snapshot of the account (no DBInstanceIdentifier).
      env.sandbox.faults.inject({
        service: 'rds',
        operation: 'DescribeDBSnapshots',
        error: { name: 'AccessDenied', message: 'listing refused' },
        times: 50,
        match: (input, ctx) => ctx.principalArn === sweepRole && (input as { DBInstanceIdentifier?: string }).DBInstanceIdentifier === undefined,
      });
      const run = await env.startBackupRun({}, 'removed-sweep-fails');
      expect(run.status).toBe('FAILED');
      expect(run.error).toBe('RemovedDatabasesSweepFailed');
      const child = env.runner.executions.find((e) => e.kind === 'DatabaseBackup');
      expect(child?.status).toBe('SUCCEEDED');
      expect(env.sandbox.sns.messages.some((m) => m.topicArn.includes(config.source.accountId))).toBe(true);
      expect(env.sandbox.calls.filter((c) => /^Delete/.test(c.operation) && !c.errorName)).toHaveLength(0);
    } finally {
      env.dispose();
    }
  });
});
