/**
 * Issue 7, RDS side: the real state machines against the stricter sandbox (docs/aws-behaviour.md
 * §10, 11, 13, 15, 15b). Each test failed before its fix (see the issue note).
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { DemoDatabaseSpec } from '../../sandbox/fleet';
import type { ExecutionRecord } from '../../sandbox/runner';
import type { LocalEnvironment } from '../../sandbox/environment';
import { childFor, configWith, entered, fleetEnvironment, managed } from './helpers';

let env: LocalEnvironment | undefined;
afterEach(() => {
  env?.dispose();
  env = undefined;
});

/** A config backing up exactly `fleet` (no discovery, no export), with optional changes. */
const configFor = (fleet: readonly DemoDatabaseSpec[], patch: (c: Record<string, any>) => void = () => {}) =>
  configWith((c) => {
    c.databases = fleet.map((d) => ({ identifier: d.identifier, kind: d.kind }));
    c.discovery = undefined;
    c.export = undefined;
    patch(c);
  });

const polls = (child: ExecutionRecord) => ({
  source: entered(child, 'PollSourceCopy'),
  vault: entered(child, 'PollVaultCopy'),
  dr: entered(child, 'PollDrCopy'),
});

describe('polling measures elapsed time from the copy step, not SnapshotCreateTime (§13)', () => {
  it('the 4 TiB Aurora cluster reaches the vault and the DR Region with at most a few dozen polls per copy', async () => {
    const fleet: DemoDatabaseSpec[] = [{ identifier: 'catalog-aurora', kind: 'cluster', engine: 'aurora-postgresql', allocatedStorageGiB: 4096, encryption: 'customer-key' }];
    env = await fleetEnvironment({ config: configFor(fleet), fleet });
    const run = await env.startBackupRun({});
    const child = childFor(run, 'catalog-aurora');
    expect(child.status, `${child.error} ${child.cause}`).toBe('SUCCEEDED');
    const p = polls(child);
    // Before the fix every poll saw elapsed 0, waited 30 s and hit the 500-poll bound after ~4 h.
    expect(p, JSON.stringify(p)).toEqual({ source: expect.any(Number), vault: expect.any(Number), dr: expect.any(Number) });
    for (const n of Object.values(p)) expect(n).toBeLessThan(80);
    const vault = env.sandbox.rds.listSnapshots(env.config.vault.accountId!, 'us-west-2').filter((s) => s.dbIdentifier === 'catalog-aurora');
    expect(vault.map((s) => s.status)).toEqual(['available']);
  });

  it('maxWaitHours fires from the copy step\'s own start: a stalled copy ends in SnapshotCopyTimedOut after the bound, not after 500 polls', async () => {
    const fleet: DemoDatabaseSpec[] = [{ identifier: 'orders-db', kind: 'instance', engine: 'postgres', allocatedStorageGiB: 20, encryption: 'customer-key' }];
    env = await fleetEnvironment({ config: configFor(fleet, (c) => (c.polling = { maxWaitHours: 2 })), fleet });
    const e = env;
    // Stall the source copy as soon as RDS has it.
    const stop = setInterval(() => {
      for (const s of e.sandbox.rds.listSnapshots(e.config.source.accountId, e.config.source.region)) {
        if (s.snapshotType === 'manual' && s.status === 'creating') e.sandbox.rds.stallSnapshot(s.arn);
      }
    }, 1);
    const run = await env.startBackupRun({}).finally(() => clearInterval(stop));
    const child = childFor(run, 'orders-db');
    expect(child.status).toBe('FAILED');
    expect(child.error).toBe('SnapshotCopyTimedOut');
    const m = /after (\d+) polls and (\d+) seconds/.exec(child.cause ?? '');
    expect(m, child.cause).not.toBeNull();
    expect(Number(m![2])).toBeGreaterThan(2 * 3600);
    expect(Number(m![2])).toBeLessThan(3 * 3600);
    expect(Number(m![1])).toBeLessThan(500);
  });
});

describe('copy slots busy (§11): RDS rejects copies past the in-flight limit; the workflow waits for a slot', () => {
  it('more cluster copies requested at once than the destination allows all complete; none fails', async () => {
    const fleet: DemoDatabaseSpec[] = [1, 2, 3].map((i) => ({ identifier: `cluster-${i}`, kind: 'cluster', engine: 'aurora-postgresql', allocatedStorageGiB: 20, encryption: 'customer-key' }));
    env = await fleetEnvironment({ config: configFor(fleet, (c) => (c.concurrency = { maxDatabasesInParallel: 3 })), fleet });
    // One DB cluster snapshot copy at a time in the source account and in the vault Regions.
    env.sandbox.rds.setQuota(env.config.source.accountId, env.config.source.region, { concurrentDbClusterSnapshotCopies: 1 });
    env.sandbox.rds.setQuota(env.config.vault.accountId!, env.config.vault.region, { concurrentDbClusterSnapshotCopies: 1 });
    const run = await env.startBackupRun({});
    for (const d of fleet) {
      const child = childFor(run, d.identifier);
      expect(child.status, `${d.identifier}: ${child.error} ${child.cause}`).toBe('SUCCEEDED');
    }
    expect(run.status).toBe('SUCCEEDED');
    // RDS did refuse copies (the limit was hit), and the refusals were retried as CopySlotsBusy.
    const refused = env.sandbox.calls.filter((c) => c.operation === 'CopyDBClusterSnapshot' && c.errorName === 'SnapshotQuotaExceededFault');
    expect(refused.length).toBeGreaterThan(0);
    const retried = run.children.flatMap((c) => c.events).filter((ev) => ev.error === 'CopySlotsBusy');
    expect(retried.length).toBeGreaterThan(0);
  });
});

describe('DB cluster snapshot identifiers (§10: at most 63 characters)', () => {
  it('a DB cluster with a 63-character identifier reaches the vault under a 63-character rsv- copy identifier', async () => {
    const id = `c${'x'.repeat(51)}-aurora-ab1`;
    expect(id).toHaveLength(63);
    const fleet: DemoDatabaseSpec[] = [{ identifier: id, kind: 'cluster', engine: 'aurora-postgresql', allocatedStorageGiB: 20, encryption: 'customer-key' }];
    env = await fleetEnvironment({ config: configFor(fleet), fleet });
    const run = await env.startBackupRun({});
    const child = childFor(run, id);
    expect(child.status, `${child.error} ${child.cause}`).toBe('SUCCEEDED');
    const vault = env.sandbox.rds.listSnapshots(env.config.vault.accountId!, env.config.vault.region).filter((s) => s.dbIdentifier === id);
    expect(vault).toHaveLength(1);
    expect(vault[0]!.identifier).toMatch(/^rsv-cx+-[0-9a-f]{8}-\d{12}$/);
    expect(vault[0]!.identifier.length).toBeLessThanOrEqual(63);
    expect(managed(vault[0]!.tags)).toBe(true);
    expect(vault[0]!.tags['rds-snapshot-vault:database']).toBe(id);
  });
});

describe('automated snapshots by identifier need SnapshotType=automated (§15)', () => {
  it('an event-started run (sourceSnapshotArn = the new automated snapshot) backs the database up instead of skipping it as "not found"', async () => {
    const fleet: DemoDatabaseSpec[] = [{ identifier: 'billing-db', kind: 'instance', engine: 'mysql', allocatedStorageGiB: 20, encryption: 'default-key' }];
    env = await fleetEnvironment({ config: configFor(fleet), fleet });
    const auto = env.sandbox.rds.listSnapshots(env.config.source.accountId, env.config.source.region).find((s) => s.snapshotType === 'automated')!;
    const run = await env.startBackupRun({ trigger: 'event', sourceSnapshotArn: auto.arn });
    expect(run.status, `${run.error} ${run.cause}`).toBe('SUCCEEDED');
    expect(run.children).toHaveLength(1);
    expect(childFor(run, 'billing-db').status).toBe('SUCCEEDED');
    expect((childFor(run, 'billing-db').input as { sourceSnapshotArn?: string }).sourceSnapshotArn).toBe(auto.arn);
  });
});

describe('tag values (§15b)', () => {
  it('a run name with characters RDS refuses in tags still makes the copies (the run tag is sanitised)', async () => {
    const fleet: DemoDatabaseSpec[] = [{ identifier: 'billing-db', kind: 'instance', engine: 'mysql', allocatedStorageGiB: 20, encryption: 'default-key' }];
    env = await fleetEnvironment({ config: configFor(fleet), fleet });
    const run = await env.startBackupRun({}, "nightly!re-run(2)'x");
    expect(run.status, `${run.error} ${run.cause}`).toBe('SUCCEEDED');
    const copy = env.sandbox.rds.listSnapshots(env.config.vault.accountId!, env.config.vault.region).find((s) => s.dbIdentifier === 'billing-db')!;
    expect(copy.tags['rds-snapshot-vault:run']).toBe('nightly_re-run_2__x');
  });
});
