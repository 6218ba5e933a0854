/**
 * Bounds and timeouts agree: each state machine's TimeoutSeconds follows from its sequential waits
 * and polling.maxWaitHours (statemachines/timeouts.ts), so a copy that never finishes ends in the
 * named SnapshotCopyTimedOut (which Notify reports) and never in an anonymous TIMED_OUT of the
 * execution (docs/aws-behaviour.md §18a: TIMED_OUT runs no Catch, so only the alarm would say it).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { type LocalEnvironment, synthesize } from '../../sandbox/harness/index';
import { DEMO_FLEET } from '../../sandbox/harness/index';
import { takeBlockedConnections } from '../../sandbox/harness/setup/index';
import { childFor, configWith, exampleConfig, fleetEnvironment } from './helpers';

let env: LocalEnvironment | undefined;
afterEach(() => {
  env?.dispose();
  env = undefined;
});

describe('execution timeouts follow from the waits', () => {
  it('two-hop DR with maxWaitHours 72: source and vault copies of ~70 h each, a DR copy that never finishes -> SnapshotCopyTimedOut, not TIMED_OUT', async () => {
    const config = configWith((c) => {
      c.polling = { maxWaitHours: 72 };
      c.databases = [{ identifier: 'huge-db', kind: 'instance' }];
      delete c.discovery;
    });
    expect(config.vault.drCopyMode).toBe('two-hop');
    // Same-Region copies at 9 s/GiB: 28,000 GiB take 70 h; the cross-Region DR copy (13.5 s/GiB) would take 105 h.
    env = await fleetEnvironment({ config, fleet: [{ identifier: 'huge-db', kind: 'instance', engine: 'postgres', allocatedStorageGiB: 28_000, encryption: 'default-key' }] });
    const run = await env.startBackupRun({});
    const child = childFor(run, 'huge-db');
    const hours = (Date.parse(child.stopDate!) - Date.parse(child.startDate)) / 3_600_000;
    expect(child.status, `after ${hours.toFixed(1)} h: ${child.error}`).toBe('FAILED');
    expect(child.error).toBe('SnapshotCopyTimedOut');
    expect(child.cause).toMatch(/us-west-2.*is still creating/);
    expect(hours).toBeGreaterThan(7 * 24); // three waits in a row: more than the old 7-day timeout
    // The run itself reports it: Notify ran and named the database and the error.
    expect(run.status).toBe('FAILED');
    expect(run.error).toBe('BackupRunFailed');
    const note = env.sandbox.sns.messages.filter((m) => m.topicArn.includes(env!.config.source.accountId)).at(-1);
    expect(note?.message).toMatch(/\[FAILED\] huge-db[\s\S]*SnapshotCopyTimedOut/);
  });

  it('an execution past its TimeoutSeconds ends TIMED_OUT: no Catch, Notify never runs, its children are stopped; only the alarm reports it', async () => {
    env = await fleetEnvironment({ config: exampleConfig() });
    // BackupRun with a one-hour timeout (the deployed one is computed; this shortens it the way a
    // mis-sized timeout would behave): the 4 TiB cluster copies for ~10 h.
    const backupRun = env.source.stateMachines.find((m) => m.kind === 'BackupRun')!;
    (backupRun.definition as { TimeoutSeconds?: number }).TimeoutSeconds = 3600;
    const run = await env.startBackupRun({});
    expect(run.status).toBe('TIMED_OUT');
    expect(Date.parse(run.stopDate!) - Date.parse(run.startDate)).toBe(3_600_000);
    expect(run.events.some((e) => e.type === 'StateEntered' && e.state === 'Notify')).toBe(false);
    expect(env.sandbox.sns.messages.filter((m) => m.topicArn.includes(env!.config.source.accountId))).toEqual([]);
    const aurora = childFor(run, 'catalog-aurora');
    expect(aurora.status).toBe('ABORTED');
    // Nothing of the stopped children runs afterwards: no copy is started in the vault for the cluster.
    const vaultCopies = () => env!.sandbox.rds.listSnapshots(env!.config.vault.accountId!, env!.config.vault.region).filter((s) => s.dbIdentifier === 'catalog-aurora');
    const calls = env.runner.invocations.length;
    await env.clock.sleep(2 * 86_400);
    expect(vaultCopies()).toEqual([]);
    expect(env.runner.invocations.length).toBe(calls);
    expect(run.children).toHaveLength(DEMO_FLEET.length);
    // The deployed alarm on ExecutionsTimedOut is what tells someone.
    const resources = Object.values(synthesize(env.config).source.template.Resources ?? {}) as Array<{ Type: string; Properties: Record<string, any> }>;
    const timedOutAlarm = resources.find(
      (r) => r.Type === 'AWS::CloudWatch::Alarm' && r.Properties.MetricName === 'ExecutionsTimedOut' && JSON.stringify(r.Properties.Dimensions).includes(backupRun.logicalId),
    );
    expect(timedOutAlarm?.Properties.AlarmActions).toHaveLength(1);
  });

  it('dispose() mid-run stops every execution: nothing calls an SDK client afterwards (no real network attempt)', async () => {
    env = await fleetEnvironment({ config: exampleConfig() });
    const e = env;
    const pending = e.startBackupRun({});
    await e.clock.sleep(3600); // the 4 TiB cluster is still copying; the others are done or on their way
    const calls = e.runner.invocations.length;
    e.dispose();
    const run = await pending;
    expect(run.status).toBe('ABORTED');
    expect(run.children.filter((c) => c.status === 'ABORTED').map((c) => (c.input as { database: { identifier: string } }).database.identifier)).toContain('catalog-aurora');
    expect(e.runner.running).toEqual([]);
    await e.clock.sleep(2 * 86_400);
    expect(e.runner.invocations.length).toBe(calls);
    expect(takeBlockedConnections()).toEqual([]);
  });
});
