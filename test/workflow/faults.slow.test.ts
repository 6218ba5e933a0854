/**
 * The fault matrix (issue 4): one workflow test per fault, on the real synthesized state machines,
 * the real handlers and the sandbox. Each test asserts
 * - the execution's outcome (status, error name of the run and of the failed database),
 * - the end state of BOTH accounts (every copy that was good before is still there and available,
 *   no duplicate copies, shares only with the vault account, nothing left `creating`/`failed` that
 *   the workflow could have avoided),
 * - the notification's words: which database, which error, and what to do.
 *
 * Small databases (20-100 GiB) so that copies take minutes of virtual time; the configuration is
 * the example one (vault DR Region included, two-hop) without S3 exports, tag discovery or events,
 * which have their own tests.
 */
import { RDSClient, DeleteDBSnapshotCommand } from '@aws-sdk/client-rds';
import { afterEach, describe, expect, it } from 'vitest';
import type { VaultConfig } from '../../infra/config/schema';
import type { LocalEnvironment } from '../../sandbox/harness/index';
import type { DemoDatabaseSpec } from '../../sandbox/harness/index';
import { takeAutomatedSnapshots } from '../../sandbox/harness/index';
import type { ExecutionRecord } from '../../sandbox/harness/index';
import type { SnapshotRecordView } from '../../sandbox/simulator/index';
import { childFor, configWith, entered, fleetEnvironment, managed } from './helpers';

/** The example fleet, shrunk to 20-100 GiB. */
const SMALL_FLEET: readonly DemoDatabaseSpec[] = [
  { identifier: 'orders-db', kind: 'instance', engine: 'postgres', allocatedStorageGiB: 50, encryption: 'customer-key' },
  { identifier: 'billing-db', kind: 'instance', engine: 'mysql', allocatedStorageGiB: 20, encryption: 'default-key' },
  { identifier: 'legacy-reports', kind: 'instance', engine: 'mariadb', allocatedStorageGiB: 40, encryption: 'unencrypted' },
  { identifier: 'catalog-aurora', kind: 'cluster', engine: 'aurora-postgresql', allocatedStorageGiB: 100, encryption: 'customer-key' },
];

/** The example configuration without exports, discovery and events (and any further patch). */
const faultConfig = (patch: (raw: Record<string, any>) => void = () => undefined): VaultConfig =>
  configWith((c) => {
    c.databases = c.databases.map((d: { identifier: string; kind: string }) => ({ identifier: d.identifier, kind: d.kind }));
    delete c.export;
    delete c.discovery;
    c.events = { enabled: false };
    patch(c);
  });

let env: LocalEnvironment | undefined;
afterEach(() => {
  env?.dispose();
  env = undefined;
});

const start = async (opts: { config?: VaultConfig; fleet?: readonly DemoDatabaseSpec[] } = {}) => {
  env = await fleetEnvironment({ config: opts.config ?? faultConfig(), fleet: opts.fleet ?? SMALL_FLEET });
  return env;
};

// ---------------------------------------------------------------- end-state helpers

const vaultAccount = (e: LocalEnvironment) => e.config.vault.accountId ?? e.config.source.accountId;
const vaultRegions = (e: LocalEnvironment): string[] => [e.config.vault.region, ...((e.config.vault as { drRegions?: string[] }).drRegions ?? [])];

/** Every snapshot of both accounts (source Region; vault Region and DR Regions). */
function inventory(e: LocalEnvironment): { source: SnapshotRecordView[]; vault: SnapshotRecordView[] } {
  const { source } = e.config;
  return {
    source: e.sandbox.rds.listSnapshots(source.accountId, source.region),
    vault: vaultRegions(e).flatMap((r) => e.sandbox.rds.listSnapshots(vaultAccount(e), r)),
  };
}

/** ARNs of the snapshots that are `available` now (taken before a fault is injected). */
const goodCopies = (e: LocalEnvironment): string[] => {
  const inv = inventory(e);
  return [...inv.source, ...inv.vault].filter((s) => s.status === 'available').map((s) => s.arn);
};

/** Managed copies of a database: `{ account/region: count }`. */
function copiesOf(e: LocalEnvironment, db: string): Record<string, number> {
  const inv = inventory(e);
  const out: Record<string, number> = {};
  for (const s of [...inv.source, ...inv.vault]) {
    if (s.dbIdentifier !== db || !managed(s.tags)) continue;
    const k = `${s.accountId === e.config.source.accountId && s.region === e.config.source.region ? 'source' : 'vault'}:${s.region}`;
    out[k] = (out[k] ?? 0) + 1;
  }
  return out;
}

/** One available managed copy of `db` in the source and in every vault Region. */
function expectBackedUp(e: LocalEnvironment, db: string): void {
  const want: Record<string, number> = { [`source:${e.config.source.region}`]: 1 };
  for (const r of vaultRegions(e)) want[`vault:${r}`] = (want[`vault:${r}`] ?? 0) + 1;
  // Same Region for source and vault in the example: keys differ by account, so count per side.
  expect(copiesOf(e, db), db).toEqual(want);
  const inv = inventory(e);
  for (const s of [...inv.source, ...inv.vault].filter((x) => x.dbIdentifier === db && managed(x.tags))) expect(s.status, s.arn).toBe('available');
}

/**
 * The invariants every fault must keep:
 * - every snapshot that was available before is still there and available (no good copy lost);
 * - no duplicate managed copy of the same source in one account/Region;
 * - manual snapshots are shared with nobody but the vault account, and only managed ones;
 * - nothing `creating` or `failed` except the ARNs the test names as unavoidable.
 */
function expectSafeEndState(e: LocalEnvironment, before: readonly string[], opts: { leftOver?: readonly string[] } = {}): void {
  const inv = inventory(e);
  const all = [...inv.source, ...inv.vault];
  const byArn = new Map(all.map((s) => [s.arn, s]));
  for (const arn of before) expect(byArn.get(arn)?.status, `good copy ${arn} lost`).toBe('available');
  const seen = new Map<string, string>();
  for (const s of all.filter((x) => managed(x.tags))) {
    const key = `${s.accountId}/${s.region}/${s.tags['rds-snapshot-vault:source-snapshot']}`;
    expect(seen.get(key), `duplicate copies ${seen.get(key)} and ${s.arn}`).toBeUndefined();
    seen.set(key, s.arn);
  }
  for (const s of inv.source) {
    if (s.sharedWith.length === 0) continue;
    expect(s.sharedWith, s.arn).toEqual([vaultAccount(e)]);
    expect(managed(s.tags), `${s.arn} shared but not a managed copy`).toBe(true);
  }
  const unfinished = all.filter((s) => s.status !== 'available').map((s) => s.arn);
  expect(unfinished.sort()).toEqual([...(opts.leftOver ?? [])].sort());
}

/** The last notification published to the source account's topic. */
function lastNote(e: LocalEnvironment): { subject: string; message: string } {
  const notes = e.sandbox.sns.messages.filter((m) => m.topicArn.includes(`:${e.config.source.accountId}:`));
  const n = notes.at(-1);
  if (!n) throw new Error('no notification was published');
  return { subject: n.subject ?? '', message: n.message };
}

/** The failed database's child: its error name and (Lambda) errorMessage. */
function failure(run: ExecutionRecord, db: string): { error: string; message: string } {
  const child = childFor(run, db);
  expect(child.status, `${db}: ${child.error} ${child.cause}`).toBe('FAILED');
  let message = child.cause ?? '';
  try {
    const parsed = JSON.parse(message) as { errorMessage?: string };
    if (typeof parsed.errorMessage === 'string') message = parsed.errorMessage;
  } catch {
    /* a plain-text cause (e.g. a Pass-built timeout cause) */
  }
  return { error: child.error ?? '', message };
}

const sourceKeyOf = (e: LocalEnvironment) => e.source.keys.find((k) => k.aliases.some((a) => a.endsWith('-source')))!;
const vaultKeyOf = (e: LocalEnvironment) => e.vault.keys.find((k) => k.aliases.includes(`alias/${e.config.deploymentName}`))!;
const vaultCopyRoleArn = (e: LocalEnvironment) => e.vault.roles.find((r) => r.name.endsWith('-vault-copy'))!.arn;

/** Sleeps on the virtual clock until `cond` holds (the run proceeds meanwhile). */
async function until(e: LocalEnvironment, cond: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 10_000; i++) {
    if (cond()) return;
    await e.clock.sleep(30);
  }
  throw new Error(`timed out waiting for ${what}`);
}

// ---------------------------------------------------------------- the matrix

describe('fault matrix: transient faults are retried and the run succeeds', () => {
  it('throttling on every RDS, STS and SNS operation (twice each) -> retried with backoff, SUCCEEDED', async () => {
    const e = await start();
    const ops: Array<['rds' | 'sts' | 'sns', string]> = [
      ['rds', 'DescribeDBSnapshots'], ['rds', 'DescribeDBClusterSnapshots'], ['rds', 'CopyDBSnapshot'], ['rds', 'CopyDBClusterSnapshot'],
      ['rds', 'DescribeDBSnapshotAttributes'], ['rds', 'DescribeDBClusterSnapshotAttributes'], ['rds', 'ModifyDBSnapshotAttribute'],
      ['rds', 'ModifyDBClusterSnapshotAttribute'], ['rds', 'ListTagsForResource'], ['rds', 'DescribeDBInstances'], ['rds', 'DescribeDBClusters'],
      ['sts', 'AssumeRole'], ['sns', 'Publish'],
    ];
    for (const [service, operation] of ops) e.sandbox.faults.inject({ service, operation, error: { name: 'ThrottlingException', message: 'Rate exceeded' }, times: 2 });
    const run = await e.startBackupRun({ databases: ['orders-db', 'catalog-aurora'] });
    expect(run.status, `${run.error} ${run.cause}`).toBe('SUCCEEDED');
    // Every operation the run used was throttled twice and then went through.
    const throttled = new Map<string, number>();
    for (const c of e.sandbox.calls.filter((x) => x.errorName === 'ThrottlingException')) throttled.set(`${c.service}:${c.operation}`, (throttled.get(`${c.service}:${c.operation}`) ?? 0) + 1);
    for (const op of ['rds:DescribeDBSnapshots', 'rds:DescribeDBClusterSnapshots', 'rds:CopyDBSnapshot', 'rds:CopyDBClusterSnapshot', 'sts:AssumeRole', 'sns:Publish']) {
      expect(throttled.get(op), op).toBe(2);
    }
    expect(e.sandbox.calls.filter((c) => c.errorName === undefined && c.operation === 'Publish')).toHaveLength(1);
    for (const db of ['orders-db', 'catalog-aurora']) expectBackedUp(e, db);
    expectSafeEndState(e, []);
    expect(lastNote(e).subject).toBe('rds-snapshot-vault: 2/2 databases backed up');
  });

  it('Lambda.ServiceException twice on every function -> retried, SUCCEEDED', async () => {
    const e = await start();
    for (const entry of ['plan-run', 'create-copy', 'poll-status', 'share', 'cross-account-copy', 'retention-sweep', 'notify']) {
      e.runner.lambdaFaults.push({ entry, error: 'Lambda.ServiceException', times: 2 });
    }
    const run = await e.startBackupRun({ databases: ['billing-db'] });
    expect(run.status, `${run.error} ${run.cause}`).toBe('SUCCEEDED');
    const failedInvocations = e.runner.invocations.filter((i) => i.error === 'Lambda.ServiceException').map((i) => i.entry);
    for (const entry of ['plan-run', 'create-copy', 'poll-status', 'share', 'cross-account-copy', 'retention-sweep', 'notify']) {
      expect(failedInvocations.filter((x) => x === entry), entry).toHaveLength(2);
    }
    expectBackedUp(e, 'billing-db');
    expectSafeEndState(e, []);
    expect(lastNote(e).subject).toBe('rds-snapshot-vault: 1/1 databases backed up');
  });
});

describe('fault matrix: quotas', () => {
  it('SnapshotQuotaExceeded in the source account -> that database FAILED, the others copied, the note says which quota to raise', async () => {
    const e = await start();
    // The quota is large enough for what retention.source keeps (plan-run's check passes), but other
    // manual snapshots fill it: the copy itself hits SnapshotQuotaExceeded (the run-time backstop).
    const { accountId, region } = e.config.source;
    e.sandbox.rds.setQuota(accountId, region, { manualDbSnapshots: 40 });
    for (let i = 1; i <= 40; i++) e.sandbox.rds.createManualSnapshot({ accountId, region, dbIdentifier: 'billing-db', kind: 'instance', identifier: `someone-elses-${i}` });
    const before = goodCopies(e);
    const run = await e.startBackupRun({ databases: ['orders-db', 'catalog-aurora'] });
    expect(run.status).toBe('FAILED');
    expect(run.error).toBe('BackupRunFailed');
    const f = failure(run, 'orders-db');
    expect(f.error).toBe('SnapshotQuotaExceeded');
    expect(f.message).toContain(`account ${e.config.source.accountId} in Region ${e.config.source.region}`);
    expect(f.message).toMatch(/Service Quotas/);
    // Not retried: a quota does not go away by waiting.
    expect(entered(childFor(run, 'orders-db'), 'CreateCopy')).toBe(1);
    expect(copiesOf(e, 'orders-db')).toEqual({});
    expectBackedUp(e, 'catalog-aurora');
    expectSafeEndState(e, before);
    const note = lastNote(e);
    expect(note.subject).toBe('rds-snapshot-vault: 1/2 databases backed up, 1 FAILED (orders-db)');
    expect(note.message).toContain('SnapshotQuotaExceeded');
    expect(note.message).toMatch(/Raise the RDS quota "Manual DB instance snapshots" in Service Quotas/);
  });

  it('SnapshotQuotaExceeded in the vault account -> FAILED at CopyToVault, the shared source copy kept for the re-run', async () => {
    const e = await start();
    e.sandbox.rds.setQuota(vaultAccount(e), e.config.vault.region, { manualDbSnapshots: 0 });
    const run = await e.startBackupRun({ databases: ['orders-db'] });
    expect(run.status).toBe('FAILED');
    const f = failure(run, 'orders-db');
    expect(f.error).toBe('SnapshotQuotaExceeded');
    expect(f.message).toContain(`account ${vaultAccount(e)}`);
    expect(entered(childFor(run, 'orders-db'), 'CopyToVault')).toBe(1);
    expect(copiesOf(e, 'orders-db')).toEqual({ [`source:${e.config.source.region}`]: 1 });
    expectSafeEndState(e, []);
    expect(lastNote(e).message).toMatch(/SnapshotQuotaExceeded[\s\S]*Service Quotas/);
  });
});

describe('fault matrix: keys and roles', () => {
  it('source key policy missing the vault account -> KmsKeyNotAccessible naming the key and the account to add', async () => {
    const e = await start();
    const key = sourceKeyOf(e);
    e.sandbox.kms.putKeyPolicy(key.arn, {
      Version: '2012-10-17',
      Statement: [{ Sid: 'EnableIamUserPermissions', Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${e.config.source.accountId}:root` }, Action: 'kms:*', Resource: '*' }],
    });
    const run = await e.startBackupRun({ databases: ['billing-db'] });
    expect(run.status).toBe('FAILED');
    const f = failure(run, 'billing-db');
    expect(f.error).toBe('KmsKeyNotAccessible');
    expect(f.message).toContain(vaultAccount(e));
    expect(f.message).toMatch(/key policy/i);
    expect(copiesOf(e, 'billing-db')).toEqual({ [`source:${e.config.source.region}`]: 1 });
    expectSafeEndState(e, []);
    expect(lastNote(e).message).toContain('KmsKeyNotAccessible');
  });

  it('vault key disabled -> KmsKeyNotAccessible naming the vault key; nothing half-made in the vault', async () => {
    const e = await start();
    e.sandbox.kms.disableKey(vaultKeyOf(e).arn);
    const run = await e.startBackupRun({ databases: ['orders-db'] });
    expect(run.status).toBe('FAILED');
    const f = failure(run, 'orders-db');
    expect(f.error).toBe('KmsKeyNotAccessible');
    expect(f.message).toContain(`alias/${e.config.deploymentName}`);
    expect(inventory(e).vault).toEqual([]);
    expectSafeEndState(e, []);
    expect(lastNote(e).message).toContain('KmsKeyNotAccessible');
  });

  it('vault role trust policy with another external ID -> VaultRoleNotAssumable, saying to check the external ID', async () => {
    const e = await start();
    const role = e.sandbox.iam.getRole(vaultCopyRoleArn(e))!;
    const wrong = JSON.parse(JSON.stringify(role.trustPolicy).replaceAll(e.config.vault.externalId!, 'someone-elses-external-id'));
    e.sandbox.iam.putRole({ accountId: role.accountId, roleName: role.roleName, trustPolicy: wrong, policies: role.policies });
    const run = await e.startBackupRun({ databases: ['billing-db'] });
    expect(run.status).toBe('FAILED');
    const f = failure(run, 'billing-db');
    expect(f.error).toBe('VaultRoleNotAssumable');
    expect(f.message).toMatch(/external ID/);
    expect(f.message).toContain(vaultCopyRoleArn(e));
    expect(inventory(e).vault).toEqual([]);
    expect(copiesOf(e, 'billing-db')).toEqual({ [`source:${e.config.source.region}`]: 1 });
    expectSafeEndState(e, []);
    expect(lastNote(e).message).toContain('VaultRoleNotAssumable');
  });

  it('vault role trust removed -> VaultRoleNotAssumable, saying to check the trust policy', async () => {
    const e = await start();
    const role = e.sandbox.iam.getRole(vaultCopyRoleArn(e))!;
    e.sandbox.iam.putRole({ accountId: role.accountId, roleName: role.roleName, trustPolicy: { Version: '2012-10-17', Statement: [] }, policies: role.policies });
    const run = await e.startBackupRun({ databases: ['billing-db'] });
    expect(run.status).toBe('FAILED');
    const f = failure(run, 'billing-db');
    expect(f.error).toBe('VaultRoleNotAssumable');
    expect(f.message).toMatch(/trust policy/);
    expect(inventory(e).vault).toEqual([]);
    expectSafeEndState(e, []);
  });
});

describe('fault matrix: copies that go wrong', () => {
  it('the source copy goes to failed -> SnapshotCopyFailed, the note says to delete it and re-run', async () => {
    const e = await start();
    const runP = e.startBackupRun({ databases: ['orders-db'] });
    const src = () => e.sandbox.rds.listSnapshots(e.config.source.accountId, e.config.source.region).find((s) => s.snapshotType === 'manual' && s.dbIdentifier === 'orders-db');
    await until(e, () => src() !== undefined, 'the source copy');
    e.sandbox.rds.failSnapshot(src()!.arn);
    const run = await runP;
    expect(run.status).toBe('FAILED');
    const f = failure(run, 'orders-db');
    expect(f.error).toBe('SnapshotCopyFailed');
    expect(f.message).toMatch(/delete the failed snapshot, then re-run/);
    expect(entered(childFor(run, 'orders-db'), 'ShareWithVault')).toBe(0);
    // The failed copy stays (nothing may delete what is not available); nothing reached the vault.
    expectSafeEndState(e, [], { leftOver: [src()!.arn] });
    expect(inventory(e).vault).toEqual([]);
    expect(lastNote(e).message).toContain('SnapshotCopyFailed');
  });

  it('a copy stuck in creating past polling.maxWaitHours -> SnapshotCopyTimedOut with status and progress', async () => {
    const e = await start({ config: faultConfig((c) => (c.polling = { maxWaitHours: 1 })) });
    const runP = e.startBackupRun({ databases: ['billing-db'] });
    const src = () => e.sandbox.rds.listSnapshots(e.config.source.accountId, e.config.source.region).find((s) => s.snapshotType === 'manual' && s.dbIdentifier === 'billing-db');
    await until(e, () => src() !== undefined, 'the source copy');
    e.sandbox.rds.stallSnapshot(src()!.arn);
    const run = await runP;
    expect(run.status).toBe('FAILED');
    const child = childFor(run, 'billing-db');
    expect(child.error).toBe('SnapshotCopyTimedOut');
    expect(child.cause).toMatch(/is still creating at \d+% after \d+ polls/);
    expect(child.cause).toContain('3600 seconds');
    // Bounded: it gave up after about the bound, not after 48 h.
    expect(Date.parse(child.stopDate!) - Date.parse(child.startDate)).toBeLessThan(2 * 3_600_000);
    expectSafeEndState(e, [], { leftOver: [src()!.arn] });
    expect(lastNote(e).message).toContain('SnapshotCopyTimedOut');
  });

  it('the shared source copy deleted while the vault copy reads it -> the vault copy fails, SnapshotCopyFailed', async () => {
    const e = await start();
    const runP = e.startBackupRun({ databases: ['orders-db'] });
    const vaultCopy = () => e.sandbox.rds.listSnapshots(vaultAccount(e), e.config.vault.region).find((s) => s.dbIdentifier === 'orders-db');
    await until(e, () => vaultCopy() !== undefined, 'the vault copy');
    expect(vaultCopy()!.status).toBe('creating');
    const src = e.sandbox.rds.listSnapshots(e.config.source.accountId, e.config.source.region).find((s) => s.snapshotType === 'manual' && s.dbIdentifier === 'orders-db')!;
    // A production admin deletes the shared copy mid-copy (docs/aws-behaviour.md §14).
    const admin = new RDSClient({ region: e.config.source.region, credentials: e.sandbox.credentialsFor(`arn:aws:iam::${e.config.source.accountId}:root`) });
    await admin.send(new DeleteDBSnapshotCommand({ DBSnapshotIdentifier: src.identifier }));
    const failedVaultCopy = vaultCopy()!.arn;
    const run = await runP;
    expect(run.status).toBe('FAILED');
    const f = failure(run, 'orders-db');
    expect(f.error).toBe('SnapshotCopyFailed');
    expect(f.message).toContain(vaultAccount(e));
    // The failed vault copy cannot be removed from production (the copy role cannot delete): a vault admin must.
    expectSafeEndState(e, [], { leftOver: [failedVaultCopy] });
    expect(lastNote(e).message).toMatch(/SnapshotCopyFailed[\s\S]*delete the failed snapshot/);
  });
});

describe('fault matrix: databases that changed', () => {
  it('the database deleted since the last run -> DatabaseNotFound; the earlier copies in both accounts are kept', async () => {
    const e = await start();
    const first = await e.startBackupRun({ databases: ['billing-db'] }, 'day-1');
    expect(first.status, `${first.error} ${first.cause}`).toBe('SUCCEEDED');
    const before = goodCopies(e).filter((a) => !a.includes(':snapshot:rds:'));
    e.sandbox.rds.deleteDatabase(e.config.source.accountId, e.config.source.region, 'billing-db', 'instance');
    e.clock.advance(86_400);
    const run = await e.startBackupRun({ databases: ['billing-db'] }, 'day-2');
    expect(run.status).toBe('FAILED');
    const f = failure(run, 'billing-db');
    expect(f.error).toBe('DatabaseNotFound');
    expect(f.message).toMatch(/does not exist .*Fix the identifier/);
    expectBackedUp(e, 'billing-db');
    expectSafeEndState(e, before);
    expect(lastNote(e).subject).toContain('FAILED (billing-db)');
  });

  it('a database with no automated snapshot yet -> NoAutomatedSnapshot, saying to enable backups or wait', async () => {
    const fresh: DemoDatabaseSpec = { identifier: 'orders-db', kind: 'instance', engine: 'postgres', allocatedStorageGiB: 30, encryption: 'customer-key' };
    const e = await start({ fleet: [] });
    const { seedFleet } = await import('../../sandbox/harness/index');
    seedFleet(e, [fresh, SMALL_FLEET[1]!]);
    takeAutomatedSnapshots(e, [SMALL_FLEET[1]!]);
    const run = await e.startBackupRun({ databases: ['orders-db', 'billing-db'] });
    expect(run.status).toBe('FAILED');
    const f = failure(run, 'orders-db');
    expect(f.error).toBe('NoAutomatedSnapshot');
    expect(f.message).toMatch(/Enable automated backups .* or wait for the first backup window/);
    expect(copiesOf(e, 'orders-db')).toEqual({});
    expectBackedUp(e, 'billing-db');
    expectSafeEndState(e, []);
  });
});

describe('fault matrix: notification and concurrency', () => {
  it('SNS publish failing -> NotificationFailed; every database is backed up and the summary stays in the history', async () => {
    const e = await start();
    e.sandbox.faults.inject({ service: 'sns', operation: 'Publish', error: { name: 'AuthorizationErrorException', message: 'not authorized to publish' }, times: Infinity, match: (_i, ctx) => ctx.accountId === e.config.source.accountId });
    const run = await e.startBackupRun({ databases: ['billing-db'] });
    expect(run.status).toBe('FAILED');
    expect(run.error).toBe('NotificationFailed');
    expect(run.cause).toMatch(/could not be published/);
    expect(childFor(run, 'billing-db').status).toBe('SUCCEEDED');
    expectBackedUp(e, 'billing-db');
    expectSafeEndState(e, []);
    // The run result stays visible without the message: the run took the RecordNotificationError path (its
    // counts come from Notify, issue 12, so Summarise is not reached), the database's record is in the
    // run ledger and its DatabaseBackup execution holds its full output (vault copy ARN).
    expect(entered(run, 'Notify')).toBe(1);
    expect(entered(run, 'Summarise')).toBe(0);
    expect(entered(run, 'RecordNotificationError')).toBe(1);
    const ledger = e.sandbox.s3.listBuckets().find((b) => e.sandbox.s3.listObjects(b.name, `runs/${run.name}/`).length > 0)!;
    expect(JSON.parse(e.sandbox.s3.listObjects(ledger.name, `runs/${run.name}/billing-db.json`)[0]!.body)).toMatchObject({ status: 'SUCCEEDED' });
    const out = childFor(run, 'billing-db').output as { vaultCopy: { snapshot: { arn: string; accountId: string } } };
    expect(out.vaultCopy.snapshot.accountId).toBe(vaultAccount(e));
    expect(inventory(e).vault.map((x) => x.arn)).toContain(out.vaultCopy.snapshot.arn);
    expect(e.sandbox.sns.messages.filter((m) => m.topicArn.includes(`:${e.config.source.accountId}:`))).toHaveLength(0);
  });

  it('two runs for the same database at once -> both SUCCEEDED, exactly one copy in each account and Region', async () => {
    const e = await start();
    const [a, b] = await Promise.all([e.startBackupRun({ databases: ['orders-db'] }, 'run-a'), e.startBackupRun({ databases: ['orders-db'] }, 'run-b')]);
    expect(a.status, `${a.error} ${a.cause}`).toBe('SUCCEEDED');
    expect(b.status, `${b.error} ${b.cause}`).toBe('SUCCEEDED');
    expectBackedUp(e, 'orders-db');
    expectSafeEndState(e, []);
    const created = [a, b].map((r) => (childFor(r, 'orders-db').output as { vaultCopy: { created: boolean } }).vaultCopy.created);
    expect(created.filter(Boolean).length).toBeLessThanOrEqual(1);
  });

  it('a re-run after a partial failure finishes the work with no duplicates', async () => {
    const e = await start();
    e.sandbox.rds.setQuota(vaultAccount(e), e.config.vault.region, { manualDbSnapshots: 0 });
    const first = await e.startBackupRun({ databases: ['orders-db', 'catalog-aurora'] }, 'first');
    expect(first.status).toBe('FAILED');
    expect(failure(first, 'orders-db').error).toBe('SnapshotQuotaExceeded');
    expectBackedUp(e, 'catalog-aurora');
    const before = goodCopies(e);
    e.sandbox.rds.setQuota(vaultAccount(e), e.config.vault.region, { manualDbSnapshots: 100 });
    const copyCalls = () => e.sandbox.calls.filter((c) => /^Copy/.test(c.operation) && !c.errorName).length;
    const callsBefore = copyCalls();
    const rerun = await e.startBackupRun({ databases: ['orders-db', 'catalog-aurora'] }, 'rerun');
    expect(rerun.status, `${rerun.error} ${rerun.cause}`).toBe('SUCCEEDED');
    const out = childFor(rerun, 'orders-db').output as { sourceCopy: { created: boolean }; vaultCopy: { created: boolean } };
    expect(out.sourceCopy.created).toBe(false);
    expect(out.vaultCopy.created).toBe(true);
    expect((childFor(rerun, 'catalog-aurora').output as { vaultCopy: { created: boolean } }).vaultCopy.created).toBe(false);
    for (const db of ['orders-db', 'catalog-aurora']) expectBackedUp(e, db);
    expectSafeEndState(e, before);
    // Only orders-db's missing copies were made: the vault copy plus one per DR Region.
    expect(copyCalls() - callsBefore).toBe(vaultRegions(e).length);
    expect(lastNote(e).subject).toBe('rds-snapshot-vault: 2/2 databases backed up');
  });

  it('one database failing in a fleet of 20 -> 19 backed up, the note names the one and why', async () => {
    const fleet: DemoDatabaseSpec[] = Array.from({ length: 20 }, (_, i) => ({
      identifier: `fleet-db-${String(i + 1).padStart(2, '0')}`,
      kind: i % 5 === 4 ? 'cluster' : 'instance',
      engine: i % 5 === 4 ? 'aurora-mysql' : 'postgres',
      allocatedStorageGiB: 20 + (i % 5) * 20,
      encryption: i % 3 === 0 ? 'default-key' : 'customer-key',
    }));
    const config = faultConfig((c) => {
      c.databases = fleet.map(({ identifier, kind }) => ({ identifier, kind }));
      c.concurrency = { maxDatabasesInParallel: 5 };
    });
    const e = await start({ config, fleet: [] });
    // 20 databases keep more manual snapshots than AWS's default 100 (plan-run checks it): raised, as the quota would be.
    e.sandbox.rds.setQuota(e.config.source.accountId, e.config.source.region, { manualDbSnapshots: 1000, manualDbClusterSnapshots: 1000 });
    const { seedFleet } = await import('../../sandbox/harness/index');
    seedFleet(e, fleet);
    takeAutomatedSnapshots(e, fleet.filter((d) => d.identifier !== 'fleet-db-07'));
    const run = await e.startBackupRun({});
    expect(run.status).toBe('FAILED');
    expect(run.children).toHaveLength(20);
    expect(failure(run, 'fleet-db-07').error).toBe('NoAutomatedSnapshot');
    for (const db of fleet.filter((d) => d.identifier !== 'fleet-db-07')) {
      expect(childFor(run, db.identifier).status, `${db.identifier}: ${childFor(run, db.identifier).error} ${childFor(run, db.identifier).cause}`).toBe('SUCCEEDED');
      expectBackedUp(e, db.identifier);
    }
    expectSafeEndState(e, []);
    const note = lastNote(e);
    expect(note.subject).toBe('rds-snapshot-vault: 19/20 databases backed up, 1 FAILED (fleet-db-07)');
    expect(note.message).toMatch(/fleet-db-07[\s\S]*NoAutomatedSnapshot/);
    // The parent's history stays small however big the fleet (one child execution per database).
    expect(run.events.length).toBeLessThan(1000);
  });
});
