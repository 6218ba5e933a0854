/**
 * The real synthesized state machines, run locally with the real handlers against the sandbox.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { LocalEnvironment } from '../../sandbox/harness/index';
import { DEMO_FLEET } from '../../sandbox/harness/index';
import { childFor, configWith, entered, fleetEnvironment, managed } from './helpers';

let env: LocalEnvironment | undefined;
afterEach(() => {
  env?.dispose();
  env = undefined;
});

describe('BackupRun on the example fleet', () => {
  it('copies every database into the vault under the vault KMS key, re-encrypting default-key and unencrypted instances', async () => {
    env = await fleetEnvironment();
    const { config, sandbox } = env;
    const run = await env.startBackupRun({});
    expect(run.status, `${run.error} ${run.cause}`).toBe('SUCCEEDED');
    expect(run.children).toHaveLength(DEMO_FLEET.length);

    const sourceKeyArn = env.source.keys.find((k) => k.aliases.some((a) => a.endsWith('-source')))?.arn;
    const vaultKeyArn = env.vault.keys.find((k) => k.aliases.includes(`alias/${config.deploymentName}`))?.arn;
    expect(sourceKeyArn).toBeDefined();
    expect(vaultKeyArn).toBeDefined();

    const sourceCopies = sandbox.rds.listSnapshots(config.source.accountId, config.source.region).filter((s) => s.snapshotType === 'manual');
    const vaultCopies = sandbox.rds.listSnapshots(config.vault.accountId!, config.vault.region);
    for (const db of DEMO_FLEET) {
      const src = sourceCopies.find((s) => s.dbIdentifier === db.identifier);
      const vault = vaultCopies.find((s) => s.dbIdentifier === db.identifier);
      expect(src, db.identifier).toMatchObject({ status: 'available', encrypted: true, kmsKeyId: sourceKeyArn, sharedWith: [config.vault.accountId] });
      expect(vault, db.identifier).toMatchObject({ status: 'available', encrypted: true, kmsKeyId: vaultKeyArn, snapshotType: 'manual' });
      expect(managed(vault!.tags)).toBe(true);
      expect(vault!.tags['rds-snapshot-vault:source-snapshot']).toBe(src!.arn);
      expect(vault!.identifier).toBe(src!.identifier);
    }
    // One notification for the run, that says every database made it.
    const notes = sandbox.sns.messages.filter((m) => m.topicArn.includes(config.source.accountId));
    expect(notes).toHaveLength(1);
    expect(notes[0]?.subject).toMatch(/4\/4/);
    expect(notes[0]?.subject).not.toMatch(/FAIL/i);
  });

  it("runs as many children at once as the plan chose (MaxConcurrencyPath $.plan.concurrency, at most concurrency.maxDatabasesInParallel)", async () => {
    // Without discovery (its allowance of 100 databases, 2 at a time, would not fit the one-year timeout).
    const config = configWith((c) => {
      c.concurrency = { maxDatabasesInParallel: 2 };
      delete c.discovery;
    });
    env = await fleetEnvironment({ config });
    const run = await env.startBackupRun({});
    expect(run.status, `${run.error} ${run.cause}`).toBe('SUCCEEDED');
    // The Map Run's children (one per database) overlapped two at a time, never three.
    const edges = run.mapRunExecutions.flatMap((c) => [[Date.parse(c.startDate), 1], [Date.parse(c.stopDate ?? c.startDate), -1]] as const).sort((a, b) => a[0] - b[0] || a[1] - b[1]);
    let now = 0;
    let most = 0;
    for (const [, d] of edges) most = Math.max(most, (now += d));
    expect(run.mapRunExecutions).toHaveLength(config.databases.length);
    expect(config.databases.length).toBeGreaterThan(2);
    expect(most).toBe(2);
  });

  it('waits on long copies with Wait/Poll loops in the state machine, not in a Lambda', async () => {
    env = await fleetEnvironment();
    const run = await env.startBackupRun({});
    const aurora = childFor(run, 'catalog-aurora');
    const small = childFor(run, 'billing-db');
    // The 4 TiB cluster copies for hours of virtual time; the loop waits in the state machine between
    // polls, and aims them by PercentProgress: a few polls however long the copy (issue 12: at most 4
    // for steady progress; the old half-the-remaining-time rule took over 10 here).
    const hours = (Date.parse(aurora.stopDate!) - Date.parse(aurora.startDate)) / 3_600_000;
    expect(hours).toBeGreaterThan(4);
    expect(entered(aurora, 'PollSourceCopy')).toBeGreaterThanOrEqual(3);
    expect(entered(aurora, 'PollSourceCopy')).toBeLessThanOrEqual(4);
    expect(entered(aurora, 'WaitForSourceCopy')).toBe(entered(aurora, 'PollSourceCopy'));
    expect(entered(small, 'PollSourceCopy')).toBeLessThan(entered(aurora, 'PollSourceCopy'));
    // A fleet run stays far below the 25,000-event history cap because each database is a child execution.
    expect(run.events.length).toBeLessThan(200);
    expect(aurora.events.length).toBeLessThan(25_000);
  });

  it('an identical re-run reuses the copies: no duplicates, no new copy calls', async () => {
    env = await fleetEnvironment();
    const { config, sandbox } = env;
    const first = await env.startBackupRun({});
    expect(first.status).toBe('SUCCEEDED');
    const before = {
      source: sandbox.rds.listSnapshots(config.source.accountId, config.source.region).map((s) => s.arn).sort(),
      vault: sandbox.rds.listSnapshots(config.vault.accountId!, config.vault.region).map((s) => s.arn).sort(),
    };
    const copyCalls = () => sandbox.calls.filter((c) => /^Copy/.test(c.operation) && !c.errorName).length;
    const copiesAfterFirst = copyCalls();
    const second = await env.startBackupRun({});
    expect(second.status, `${second.error} ${second.cause}`).toBe('SUCCEEDED');
    expect(sandbox.rds.listSnapshots(config.source.accountId, config.source.region).map((s) => s.arn).sort()).toEqual(before.source);
    expect(sandbox.rds.listSnapshots(config.vault.accountId!, config.vault.region).map((s) => s.arn).sort()).toEqual(before.vault);
    expect(copyCalls()).toBe(copiesAfterFirst);
  });

  it('backs up only the subset given at StartExecution', async () => {
    env = await fleetEnvironment();
    const run = await env.startBackupRun({ databases: ['billing-db'] });
    expect(run.status).toBe('SUCCEEDED');
    expect(run.children.map((c) => (c.input as { database: { identifier: string } }).database.identifier)).toEqual(['billing-db']);
    expect(env.sandbox.rds.listSnapshots(env.config.vault.accountId!, env.config.vault.region).map((s) => s.dbIdentifier)).toEqual(['billing-db']);
  });

  it('fails fast with a named error for an unknown database and copies nothing', async () => {
    env = await fleetEnvironment();
    const run = await env.startBackupRun({ databases: ['billing-db', 'no-such-db'] });
    expect(run.status).toBe('FAILED');
    expect(run.error).toBe('UnknownDatabase');
    expect(run.cause).toContain('no-such-db');
    expect(run.children).toHaveLength(0);
    // Tag discovery may describe databases; nothing is copied, shared or deleted.
    expect(env.sandbox.calls.filter((c) => c.service === 'rds' && /^(Copy|Modify|Delete)/.test(c.operation))).toHaveLength(0);
  });

  it('fails fast with InvalidInput for a wrongly typed field', async () => {
    env = await fleetEnvironment();
    const run = await env.startBackupRun({ databases: 'billing-db' });
    expect(run.status).toBe('FAILED');
    expect(run.error).toBe('InvalidInput');
    expect(run.cause).toContain('databases');
    expect(run.children).toHaveLength(0);
  });
});

describe('BackupRun when a database fails', () => {
  it('an unencrypted Aurora cluster fails with a named error while the others are copied; the notification names it and the run fails', async () => {
    const config = configWith((c) => c.databases.push({ identifier: 'plain-aurora', kind: 'cluster' }));
    env = await fleetEnvironment({
      config,
      fleet: [...DEMO_FLEET, { identifier: 'plain-aurora', kind: 'cluster', engine: 'aurora-mysql', allocatedStorageGiB: 50, encryption: 'unencrypted' }],
    });
    const run = await env.startBackupRun({});
    expect(run.status).toBe('FAILED');
    expect(run.error).toBe('BackupRunFailed');
    expect(run.cause).toContain('plain-aurora');
    const failed = childFor(run, 'plain-aurora');
    expect(failed.status).toBe('FAILED');
    expect(failed.error).toBe('UnencryptedClusterNotSupported');
    for (const db of DEMO_FLEET) expect(childFor(run, db.identifier).status).toBe('SUCCEEDED');
    const vault = env.sandbox.rds.listSnapshots(env.config.vault.accountId!, env.config.vault.region);
    expect(vault.map((s) => s.dbIdentifier).sort()).toEqual(DEMO_FLEET.map((d) => d.identifier).sort());
    const note = env.sandbox.sns.messages.at(-1)!;
    expect(note.subject).toMatch(/FAIL/i);
    expect(note.subject).toContain('plain-aurora');
    expect(note.message).toContain('UnencryptedClusterNotSupported');
  });

  it('an iteration that ends without a ledger record (its plan item unreadable, no child) is still reported FAILED by Notify, which reads the plan (issue 12)', async () => {
    env = await fleetEnvironment();
    // The first read of the plan chunk fails with a non-transient error: that iteration starts no child and records nothing.
    env.sandbox.faults.inject({ service: 's3', operation: 'GetObject', error: { name: 'AccessDenied', message: 'denied' }, times: 1, match: (i: { Key?: string }) => /^plans\/.*items-00000\.json$/.test(i.Key ?? '') });
    const run = await env.startBackupRun({ databases: ['orders-db', 'billing-db'] });
    expect(run.status).toBe('FAILED');
    expect(run.error).toBe('BackupRunFailed');
    expect(run.children).toHaveLength(1);
    const started = (run.children[0]!.input as { database: { identifier: string } }).database.identifier;
    const missing = started === 'orders-db' ? 'billing-db' : 'orders-db';
    expect(run.children[0]!.status).toBe('SUCCEEDED');
    expect(run.cause).toBe(`1 of 2 databases failed: ["${missing}"]. See the notification, the run ledger (runs/${run.name}/) and the DatabaseBackup child executions.`);
    const note = env.sandbox.sns.messages.at(-1)!;
    expect(note.subject).toContain(`1 FAILED (${missing})`);
    expect(note.message).toMatch(new RegExp(`\\[FAILED\\] ${missing}[\\s\\S]*LedgerRecordMissing[\\s\\S]*No run ledger record`));
    expect(note.message).toContain(`[OK] ${started}`);
  });

  it('a source key policy missing the vault account fails the vault copy with KmsKeyNotAccessible, keeps the source copies, and says which account to add', async () => {
    env = await fleetEnvironment();
    const { config, sandbox } = env;
    const sourceKey = env.source.keys.find((k) => k.aliases.some((a) => a.endsWith('-source')))!;
    sandbox.kms.putKeyPolicy(sourceKey.arn, {
      Version: '2012-10-17',
      Statement: [{ Sid: 'EnableIamUserPermissions', Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${config.source.accountId}:root` }, Action: 'kms:*', Resource: '*' }],
    });
    const run = await env.startBackupRun({ databases: ['orders-db', 'billing-db'] });
    expect(run.status).toBe('FAILED');
    for (const db of ['orders-db', 'billing-db']) {
      const child = childFor(run, db);
      expect(child.error).toBe('KmsKeyNotAccessible');
      expect(child.cause).toContain(config.vault.accountId!);
      expect(entered(child, 'CopyToVault')).toBeGreaterThan(0);
    }
    // Nothing reached the vault; the source copies are kept (no failure path deletes a good copy).
    expect(sandbox.rds.listSnapshots(config.vault.accountId!, config.vault.region)).toHaveLength(0);
    const sourceManual = sandbox.rds.listSnapshots(config.source.accountId, config.source.region).filter((s) => s.snapshotType === 'manual');
    expect(sourceManual.map((s) => s.status)).toEqual(['available', 'available']);
    expect(sandbox.sns.messages.at(-1)?.message).toContain('KmsKeyNotAccessible');
  });

  it('a copy that goes to failed ends that database with SnapshotCopyFailed', async () => {
    env = await fleetEnvironment();
    const { config, sandbox } = env;
    const runP = env.startBackupRun({ databases: ['orders-db'] });
    // Let the run reach the vault copy, then fail it.
    while (!sandbox.rds.listSnapshots(config.vault.accountId!, config.vault.region).length) await env.clock.sleep(60);
    sandbox.rds.failSnapshot(sandbox.rds.listSnapshots(config.vault.accountId!, config.vault.region)[0]!.arn);
    const run = await runP;
    expect(run.status).toBe('FAILED');
    expect(childFor(run, 'orders-db').error).toBe('SnapshotCopyFailed');
  });
});
