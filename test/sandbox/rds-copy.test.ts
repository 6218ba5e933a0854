/**
 * CopyDBSnapshot / CopyDBClusterSnapshot rules (docs/aws-behaviour.md §3, 4, 6-14), through real RDSClients.
 */
import {
  CopyDBClusterSnapshotCommand,
  CopyDBSnapshotCommand,
  DeleteDBClusterSnapshotCommand,
  DeleteDBSnapshotCommand,
  DescribeAccountAttributesCommand,
  DescribeDBClusterSnapshotsCommand,
  DescribeDBSnapshotsCommand,
  ModifyDBClusterSnapshotAttributeCommand,
} from '@aws-sdk/client-rds';
import { afterEach, describe, expect, it } from 'vitest';
import { copyDurationSeconds, type PolicyDocument } from '../../sandbox/simulator/index';
import { expectAwsError, newWorld, R1, R2, root, sharedEncryptedSnapshot, sharedKeyPolicy, SOURCE, VAULT, type World } from './helpers';

const allow = (actions: string[], resource: string | string[] = '*'): PolicyDocument => ({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: actions, Resource: resource }] });

describe('RDS snapshot copies', () => {
  let w: World;
  afterEach(() => w.sandbox.uninstall());

  function instanceDb(opts: { encrypted?: boolean; sizeGiB?: number; kmsKeyId?: string; region?: string; account?: string; id?: string } = {}) {
    const accountId = opts.account ?? SOURCE;
    const region = opts.region ?? R1;
    const identifier = opts.id ?? 'orders-db';
    w.sandbox.rds.createDbInstance({ accountId, region, identifier, engine: 'postgres', allocatedStorageGiB: opts.sizeGiB ?? 20, storageEncrypted: opts.encrypted ?? false, ...(opts.kmsKeyId ? { kmsKeyId: opts.kmsKeyId } : {}) });
    return w.sandbox.rds.createAutomatedSnapshot({ accountId, region, dbIdentifier: identifier, kind: 'instance' });
  }
  function clusterDb(opts: { encrypted?: boolean; sizeGiB?: number; kmsKeyId?: string; region?: string; id?: string } = {}) {
    const region = opts.region ?? R1;
    const identifier = opts.id ?? 'catalog';
    w.sandbox.rds.createDbCluster({ accountId: SOURCE, region, identifier, engine: 'aurora-postgresql', allocatedStorageGiB: opts.sizeGiB ?? 20, storageEncrypted: opts.encrypted ?? false, ...(opts.kmsKeyId ? { kmsKeyId: opts.kmsKeyId } : {}) });
    return w.sandbox.rds.createAutomatedSnapshot({ accountId: SOURCE, region, dbIdentifier: identifier, kind: 'cluster' });
  }

  it('rule 10: automated snapshots are named rds:<db>-<yyyy-mm-dd-hh-mm>', () => {
    w = newWorld(new Date('2026-11-20T03:07:59Z'));
    const auto = instanceDb();
    expect(auto.identifier).toBe('rds:orders-db-2026-11-20-03-07');
    expect(auto.arn).toBe(`arn:aws:rds:${R1}:${SOURCE}:snapshot:rds:orders-db-2026-11-20-03-07`);
  });

  it('rule 13: a copy is creating with PercentProgress rising over virtual time and no SnapshotCreateTime, then available at 100 with one', async () => {
    w = newWorld();
    const auto = instanceDb({ sizeGiB: 20 });
    const rds = w.rds(root(SOURCE));
    const out = await rds.send(new CopyDBSnapshotCommand({ SourceDBSnapshotIdentifier: auto.identifier, TargetDBSnapshotIdentifier: 'copy-1' }));
    expect(out.DBSnapshot).toMatchObject({ Status: 'creating', PercentProgress: 0, SnapshotType: 'manual', DBSnapshotIdentifier: 'copy-1', AllocatedStorage: 20, Engine: 'postgres' });
    // SnapshotCreateTime is absent until the copy is available; OriginalSnapshotCreateTime is there throughout.
    expect(out.DBSnapshot?.SnapshotCreateTime).toBeUndefined();
    expect(out.DBSnapshot?.OriginalSnapshotCreateTime).toEqual(new Date('2026-11-20T05:00:00Z'));
    const duration = copyDurationSeconds({ sizeGiB: 20, kind: 'instance', crossRegion: false });
    expect(duration).toBe(240);
    const progress: number[] = [];
    for (let t = 0; t < duration; t += 60) {
      const d = await rds.send(new DescribeDBSnapshotsCommand({ DBSnapshotIdentifier: 'copy-1' }));
      expect(d.DBSnapshots?.[0]?.Status).toBe('creating');
      expect(d.DBSnapshots?.[0]).not.toHaveProperty('SnapshotCreateTime');
      progress.push(d.DBSnapshots?.[0]?.PercentProgress ?? -1);
      w.clock.advance(60);
    }
    expect(progress).toEqual([0, 25, 50, 75]);
    const done = await rds.send(new DescribeDBSnapshotsCommand({ DBSnapshotIdentifier: 'copy-1' }));
    expect(done.DBSnapshots?.[0]).toMatchObject({ Status: 'available', PercentProgress: 100 });
    // On the finished copy it is the copy's own time (when it was requested), not the source's.
    expect(done.DBSnapshots?.[0]?.SnapshotCreateTime).toEqual(new Date('2026-11-20T05:00:00Z'));
    // DB cluster snapshot copies too.
    const cauto = clusterDb({ encrypted: false });
    const c = await rds.send(new CopyDBClusterSnapshotCommand({ SourceDBClusterSnapshotIdentifier: cauto.identifier, TargetDBClusterSnapshotIdentifier: 'c-copy' }));
    expect(c.DBClusterSnapshot).toMatchObject({ Status: 'creating' });
    expect(c.DBClusterSnapshot).not.toHaveProperty('SnapshotCreateTime');
    const cd = await rds.send(new DescribeDBClusterSnapshotsCommand({ DBClusterSnapshotIdentifier: 'c-copy' }));
    expect(cd.DBClusterSnapshots?.[0]).not.toHaveProperty('SnapshotCreateTime');
  });

  it('rule 13: a 4 TiB (~10 h) copy finishes instantly in wall time when the virtual clock is advanced', async () => {
    w = newWorld();
    const auto = instanceDb({ sizeGiB: 4096 });
    const rds = w.rds(root(SOURCE));
    const wallStart = Date.now();
    await rds.send(new CopyDBSnapshotCommand({ SourceDBSnapshotIdentifier: auto.identifier, TargetDBSnapshotIdentifier: 'big' }));
    const seconds = copyDurationSeconds({ sizeGiB: 4096, kind: 'instance', crossRegion: false });
    expect(seconds / 3600).toBeGreaterThan(9.5);
    expect(seconds / 3600).toBeLessThan(11);
    let polls = 0;
    for (;;) {
      const s = (await rds.send(new DescribeDBSnapshotsCommand({ DBSnapshotIdentifier: 'big' }))).DBSnapshots?.[0];
      if (s?.Status === 'available') break;
      polls++;
      w.clock.advance(15 * 60);
    }
    expect(polls).toBe(Math.ceil(seconds / 900));
    expect(w.clock.nowMs() - Date.parse('2026-11-20T05:00:00Z')).toBeGreaterThanOrEqual(seconds * 1000);
    expect(Date.now() - wallStart).toBeLessThan(2000);
  });

  it('rule 13: a failed copy reports failed; a stalled copy stays creating forever', async () => {
    w = newWorld();
    const auto = instanceDb();
    const other = instanceDb({ id: 'billing-db' }); // another source DB: copies of one source DB run one after another
    const rds = w.rds(root(SOURCE));
    const a = await rds.send(new CopyDBSnapshotCommand({ SourceDBSnapshotIdentifier: auto.identifier, TargetDBSnapshotIdentifier: 'will-fail' }));
    const b = await rds.send(new CopyDBSnapshotCommand({ SourceDBSnapshotIdentifier: other.identifier, TargetDBSnapshotIdentifier: 'will-stall' }));
    w.clock.advance(60);
    w.sandbox.rds.failSnapshot(a.DBSnapshot!.DBSnapshotArn!);
    w.sandbox.rds.stallSnapshot(b.DBSnapshot!.DBSnapshotArn!);
    w.clock.advance(100 * 3600);
    const byId = Object.fromEntries(w.sandbox.rds.listSnapshots(SOURCE, R1).map((s) => [s.identifier, s]));
    expect(byId['will-fail']).toMatchObject({ status: 'failed', percentProgress: 25 });
    expect(byId['will-stall']).toMatchObject({ status: 'creating', percentProgress: 25 });
  });

  it('copy shapes (setCopyShape): steady by default; queued-then-jump shows 0% and no start while queued, then progress, holds a copy slot while queued; only matching copies, later ones', async () => {
    w = newWorld();
    const a = instanceDb({ id: 'steady-db' });
    const b = instanceDb({ id: 'queued-db' });
    const rds = w.rds(root(SOURCE));
    w.sandbox.rds.setCopyShape({ match: (c) => c.dbIdentifier === 'queued-db', shape: { kind: 'queued-then-jump', queuedSeconds: 600 }, durationSeconds: 400 });
    await rds.send(new CopyDBSnapshotCommand({ SourceDBSnapshotIdentifier: a.identifier, TargetDBSnapshotIdentifier: 'steady-copy' }));
    await rds.send(new CopyDBSnapshotCommand({ SourceDBSnapshotIdentifier: b.identifier, TargetDBSnapshotIdentifier: 'queued-copy' }));
    const seen = async () =>
      Object.fromEntries(((await rds.send(new DescribeDBSnapshotsCommand({ SnapshotType: 'manual' }))).DBSnapshots ?? []).map((s) => [s.DBSnapshotIdentifier, `${s.Status}:${s.PercentProgress}`]));
    const view = (id: string) => w.sandbox.rds.listSnapshots(SOURCE, R1).find((s) => s.identifier === id);
    // The steady copy: 20 GiB, size-based 240 s, progress from its request.
    w.clock.advance(120);
    expect(await seen()).toEqual({ 'steady-copy': 'creating:50', 'queued-copy': 'creating:0' });
    w.clock.advance(479); // 599 s: still queued, no sign of life (AWS shows no progress while queued, §11)
    expect((await seen())['queued-copy']).toBe('creating:0');
    expect(view('queued-copy')?.copyStartedAt).toBeUndefined();
    // A queued copy is in progress for the per-destination limit (rule 11, stricter reading).
    w.sandbox.rds.setQuota(SOURCE, R1, { concurrentDbSnapshotCopies: 1 });
    const busy = await expectAwsError(rds.send(new CopyDBSnapshotCommand({ SourceDBSnapshotIdentifier: a.identifier, TargetDBSnapshotIdentifier: 'one-more' })), 'SnapshotQuotaExceededFault');
    expect(busy.message).toMatch(/Cannot copy more than 1 snapshots/);
    w.clock.advance(201); // 800 s: 200 of its 400 s transfer
    expect((await seen())['queued-copy']).toBe('creating:50');
    expect(view('queued-copy')?.copyStartedAt).toBe(new Date(Date.parse('2026-11-20T05:00:00Z') + 600_000).toISOString());
    w.clock.advance(200); // 1000 s = 600 queued + 400 transfer
    expect(await seen()).toEqual({ 'steady-copy': 'available:100', 'queued-copy': 'available:100' });
    // clearCopyShapes: later copies are steady and size-based again.
    w.sandbox.rds.clearCopyShapes();
    w.sandbox.rds.setQuota(SOURCE, R1, { concurrentDbSnapshotCopies: 20 });
    await rds.send(new CopyDBSnapshotCommand({ SourceDBSnapshotIdentifier: b.identifier, TargetDBSnapshotIdentifier: 'queued-db-again' }));
    w.clock.advance(120);
    expect((await seen())['queued-db-again']).toBe('creating:50');
    expect(() => w.sandbox.rds.setCopyShape({ shape: { kind: 'queued-then-jump', queuedSeconds: -1 } })).toThrow(RangeError);
  });

  it('same account and Region: an encrypted copy without KmsKeyId keeps the source key; with KmsKeyId it is re-encrypted', async () => {
    w = newWorld();
    const app = w.sandbox.kms.createKey({ accountId: SOURCE, region: R1, alias: 'alias/app' });
    const stack = w.sandbox.kms.createKey({ accountId: SOURCE, region: R1, alias: 'alias/stack' });
    const auto = instanceDb({ encrypted: true, kmsKeyId: app.arn });
    const rds = w.rds(root(SOURCE));
    const same = await rds.send(new CopyDBSnapshotCommand({ SourceDBSnapshotIdentifier: auto.identifier, TargetDBSnapshotIdentifier: 'same-key' }));
    expect(same.DBSnapshot).toMatchObject({ Encrypted: true, KmsKeyId: app.arn });
    const re = await rds.send(new CopyDBSnapshotCommand({ SourceDBSnapshotIdentifier: auto.arn, TargetDBSnapshotIdentifier: 'stack-key', KmsKeyId: 'alias/stack' }));
    expect(re.DBSnapshot).toMatchObject({ Encrypted: true, KmsKeyId: stack.arn });
    const byId = await rds.send(new CopyDBSnapshotCommand({ SourceDBSnapshotIdentifier: auto.identifier, TargetDBSnapshotIdentifier: 'by-key-id', KmsKeyId: stack.keyId }));
    expect(byId.DBSnapshot?.KmsKeyId).toBe(stack.arn);
    const byAliasArn = await rds.send(new CopyDBSnapshotCommand({ SourceDBSnapshotIdentifier: auto.identifier, TargetDBSnapshotIdentifier: 'by-alias-arn', KmsKeyId: `arn:aws:kms:${R1}:${SOURCE}:alias/stack` }));
    expect(byAliasArn.DBSnapshot?.KmsKeyId).toBe(stack.arn);
  });

  it('rule 4: a snapshot of another account must be given by ARN and shared with the caller, else DBSnapshotNotFoundFault', async () => {
    w = newWorld();
    const { snap } = await sharedEncryptedSnapshot(w);
    const vaultKey = w.sandbox.kms.createKey({ accountId: VAULT, region: R1, alias: 'alias/vault' });
    const vault = w.rds(root(VAULT));
    await expectAwsError(vault.send(new CopyDBSnapshotCommand({ SourceDBSnapshotIdentifier: 'share-me', TargetDBSnapshotIdentifier: 'v1', KmsKeyId: vaultKey.arn })), 'DBSnapshotNotFoundFault');
    w.sandbox.rds.createManualSnapshot({ accountId: SOURCE, region: R1, dbIdentifier: 'orders-db', kind: 'instance', identifier: 'not-shared' });
    await expectAwsError(
      vault.send(new CopyDBSnapshotCommand({ SourceDBSnapshotIdentifier: `arn:aws:rds:${R1}:${SOURCE}:snapshot:not-shared`, TargetDBSnapshotIdentifier: 'v1', KmsKeyId: vaultKey.arn })),
      'DBSnapshotNotFoundFault',
    );
    const ok = await vault.send(new CopyDBSnapshotCommand({ SourceDBSnapshotIdentifier: snap.arn, TargetDBSnapshotIdentifier: 'v1', KmsKeyId: 'alias/vault' }));
    expect(ok.DBSnapshot).toMatchObject({ DBSnapshotArn: `arn:aws:rds:${R1}:${VAULT}:snapshot:v1`, KmsKeyId: vaultKey.arn, SourceDBSnapshotIdentifier: snap.arn, Status: 'creating' });
  });

  it('rule 4: copying a shared encrypted snapshot without KmsKeyId fails with KMSKeyNotAccessibleFault', async () => {
    w = newWorld();
    const { snap } = await sharedEncryptedSnapshot(w);
    const e = await expectAwsError(w.rds(root(VAULT)).send(new CopyDBSnapshotCommand({ SourceDBSnapshotIdentifier: snap.arn, TargetDBSnapshotIdentifier: 'v1' })), 'KMSKeyNotAccessibleFault');
    expect(e.message).toContain('[None]');
  });

  it('rule 4: the source key policy must allow the target account, else KMSKeyNotAccessibleFault naming the key and the account', async () => {
    w = newWorld();
    const { key, snap } = await sharedEncryptedSnapshot(w, { keyPolicy: sharedKeyPolicy(SOURCE, []) });
    const vaultKey = w.sandbox.kms.createKey({ accountId: VAULT, region: R1 });
    const copy = () => w.rds(root(VAULT)).send(new CopyDBSnapshotCommand({ SourceDBSnapshotIdentifier: snap.arn, TargetDBSnapshotIdentifier: 'v1', KmsKeyId: vaultKey.arn }));
    const e = await expectAwsError(copy(), 'KMSKeyNotAccessibleFault');
    expect(e.message).toContain(key.arn);
    expect(e.message).toContain(VAULT);
    // Missing only kms:CreateGrant is still not enough.
    w.sandbox.kms.putKeyPolicy(key.arn, sharedKeyPolicy(SOURCE, [VAULT], ['kms:Decrypt', 'kms:DescribeKey', 'kms:ReEncrypt*', 'kms:GenerateDataKey*']));
    expect((await expectAwsError(copy(), 'KMSKeyNotAccessibleFault')).message).toContain('kms:CreateGrant');
    // Naming the account by id works as well as by root ARN.
    w.sandbox.kms.putKeyPolicy(key.arn, sharedKeyPolicy(SOURCE, [VAULT]));
    await expect(copy()).resolves.toMatchObject({ DBSnapshot: { Status: 'creating' } });
  });

  it('rule 4: the target role IAM policy must allow the KMS actions on the source key', async () => {
    w = newWorld();
    const { key, snap } = await sharedEncryptedSnapshot(w);
    const vaultKey = w.sandbox.kms.createKey({ accountId: VAULT, region: R1 });
    const rdsOnly = allow(['rds:CopyDBSnapshot', 'rds:DescribeDBSnapshots']);
    const roleArn = w.sandbox.iam.putRole({ accountId: VAULT, roleName: 'vault-copier', trustPolicy: { Statement: [] }, policies: [rdsOnly, allow(['kms:CreateGrant', 'kms:DescribeKey'], vaultKey.arn)] });
    const copy = (id: string) => w.rds(roleArn).send(new CopyDBSnapshotCommand({ SourceDBSnapshotIdentifier: snap.arn, TargetDBSnapshotIdentifier: id, KmsKeyId: vaultKey.arn }));
    const e = await expectAwsError(copy('v1'), 'KMSKeyNotAccessibleFault');
    expect(e.message).toContain(key.arn);
    expect(e.message).toContain(roleArn);
    w.sandbox.iam.putRole({
      accountId: VAULT,
      roleName: 'vault-copier',
      trustPolicy: { Statement: [] },
      policies: [rdsOnly, allow(['kms:CreateGrant', 'kms:DescribeKey'], vaultKey.arn), allow(['kms:Decrypt', 'kms:DescribeKey', 'kms:CreateGrant', 'kms:ReEncrypt*', 'kms:GenerateDataKey*'], key.arn)],
    });
    await expect(copy('v2')).resolves.toMatchObject({ DBSnapshot: { KmsKeyId: vaultKey.arn } });
  });

  it('rule 6: a KmsKeyId of another Region (or another account, or a disabled key) fails with KMSKeyNotAccessibleFault', async () => {
    w = newWorld();
    const { snap } = await sharedEncryptedSnapshot(w);
    const otherRegion = w.sandbox.kms.createKey({ accountId: VAULT, region: R2, alias: 'alias/vault' });
    const sourceAcctKey = w.sandbox.kms.createKey({ accountId: SOURCE, region: R1 });
    const disabled = w.sandbox.kms.createKey({ accountId: VAULT, region: R1 });
    w.sandbox.kms.disableKey(disabled.arn);
    const vault = w.rds(root(VAULT));
    for (const KmsKeyId of [otherRegion.arn, 'alias/vault', otherRegion.keyId, sourceAcctKey.arn, disabled.arn, 'alias/does-not-exist']) {
      const e = await expectAwsError(vault.send(new CopyDBSnapshotCommand({ SourceDBSnapshotIdentifier: snap.arn, TargetDBSnapshotIdentifier: 'v1', KmsKeyId })), 'KMSKeyNotAccessibleFault');
      expect(e.message).toContain(`[${KmsKeyId}]`);
    }
    // The vault's own aws/rds key works for its own copies.
    const ok = await vault.send(new CopyDBSnapshotCommand({ SourceDBSnapshotIdentifier: snap.arn, TargetDBSnapshotIdentifier: 'v1', KmsKeyId: 'alias/aws/rds' }));
    expect(ok.DBSnapshot?.KmsKeyId).toBe(w.sandbox.kms.defaultRdsKey(VAULT, R1));
  });

  it('rule 7: a DB instance snapshot copy with KmsKeyId encrypts an unencrypted snapshot', async () => {
    w = newWorld();
    const auto = instanceDb({ encrypted: false });
    const key = w.sandbox.kms.createKey({ accountId: SOURCE, region: R1 });
    const out = await w.rds(root(SOURCE)).send(new CopyDBSnapshotCommand({ SourceDBSnapshotIdentifier: auto.identifier, TargetDBSnapshotIdentifier: 'now-encrypted', KmsKeyId: key.arn }));
    expect(out.DBSnapshot).toMatchObject({ Encrypted: true, KmsKeyId: key.arn });
    const plain = await w.rds(root(SOURCE)).send(new CopyDBSnapshotCommand({ SourceDBSnapshotIdentifier: auto.identifier, TargetDBSnapshotIdentifier: 'still-plain' }));
    expect(plain.DBSnapshot?.Encrypted).toBe(false);
    expect(plain.DBSnapshot?.KmsKeyId).toBeUndefined();
  });

  it('rule 7: a DB cluster snapshot copy cannot encrypt an unencrypted cluster snapshot (InvalidParameterValue)', async () => {
    w = newWorld();
    const auto = clusterDb({ encrypted: false });
    const key = w.sandbox.kms.createKey({ accountId: SOURCE, region: R1 });
    const rds = w.rds(root(SOURCE));
    const e = await expectAwsError(rds.send(new CopyDBClusterSnapshotCommand({ SourceDBClusterSnapshotIdentifier: auto.identifier, TargetDBClusterSnapshotIdentifier: 'enc', KmsKeyId: key.arn })), 'InvalidParameterValue');
    expect(e.message).toMatch(/cannot encrypt an unencrypted DB cluster snapshot/);
    const ok = await rds.send(new CopyDBClusterSnapshotCommand({ SourceDBClusterSnapshotIdentifier: auto.identifier, TargetDBClusterSnapshotIdentifier: 'plain' }));
    expect(ok.DBClusterSnapshot).toMatchObject({ StorageEncrypted: false, Status: 'creating', DBClusterIdentifier: 'catalog' });
  });

  it('rule 8: a cross-Region copy runs in the destination Region from a source ARN, needs a destination-Region key when encrypted, and is slower', async () => {
    w = newWorld();
    const srcKey = w.sandbox.kms.createKey({ accountId: SOURCE, region: R1 });
    const dstKey = w.sandbox.kms.createKey({ accountId: SOURCE, region: R2, alias: 'alias/dr' });
    const auto = instanceDb({ encrypted: true, kmsKeyId: srcKey.arn, sizeGiB: 100 });
    const dest = w.rds(root(SOURCE), R2);
    // By name the source is looked up in the destination Region: not found.
    await expectAwsError(dest.send(new CopyDBSnapshotCommand({ SourceDBSnapshotIdentifier: auto.identifier, TargetDBSnapshotIdentifier: 'dr', KmsKeyId: 'alias/dr' })), 'DBSnapshotNotFoundFault');
    const noKey = await expectAwsError(dest.send(new CopyDBSnapshotCommand({ SourceDBSnapshotIdentifier: auto.arn, TargetDBSnapshotIdentifier: 'dr' })), 'InvalidParameterValue');
    expect(noKey.message).toBe('Must specify new KMS key for cross region encrypted snapshot copy.');
    await expectAwsError(dest.send(new CopyDBSnapshotCommand({ SourceDBSnapshotIdentifier: auto.arn, TargetDBSnapshotIdentifier: 'dr', KmsKeyId: srcKey.arn })), 'KMSKeyNotAccessibleFault');
    const out = await dest.send(new CopyDBSnapshotCommand({ SourceDBSnapshotIdentifier: auto.arn, TargetDBSnapshotIdentifier: 'dr', KmsKeyId: 'alias/dr' }));
    expect(out.DBSnapshot).toMatchObject({ DBSnapshotArn: `arn:aws:rds:${R2}:${SOURCE}:snapshot:dr`, KmsKeyId: dstKey.arn, SourceRegion: R1, SourceDBSnapshotIdentifier: auto.arn });
    const local = copyDurationSeconds({ sizeGiB: 100, kind: 'instance', crossRegion: false });
    const cross = copyDurationSeconds({ sizeGiB: 100, kind: 'instance', crossRegion: true });
    expect(cross).toBeGreaterThan(local);
    w.clock.advance(cross - 1);
    expect(w.sandbox.rds.listSnapshots(SOURCE, R2)[0]?.status).toBe('creating');
    w.clock.advance(1);
    expect(w.sandbox.rds.listSnapshots(SOURCE, R2)[0]).toMatchObject({ status: 'available', percentProgress: 100, sourceArn: auto.arn });
  });

  it('rule 9: cross-account and cross-Region cluster copy in one step is allowed by default and can be switched off (InvalidParameterValue)', async () => {
    w = newWorld();
    const srcKey = w.sandbox.kms.createKey({ accountId: SOURCE, region: R1, policy: sharedKeyPolicy(SOURCE, [VAULT]) });
    const auto = clusterDb({ encrypted: true, kmsKeyId: srcKey.arn });
    const rdsSource = w.rds(root(SOURCE));
    await rdsSource.send(new CopyDBClusterSnapshotCommand({ SourceDBClusterSnapshotIdentifier: auto.identifier, TargetDBClusterSnapshotIdentifier: 'to-share' }));
    w.clock.advance(3600);
    await rdsSource.send(new ModifyDBClusterSnapshotAttributeCommand({ DBClusterSnapshotIdentifier: 'to-share', AttributeName: 'restore', ValuesToAdd: [VAULT] }));
    const vaultKeyR2 = w.sandbox.kms.createKey({ accountId: VAULT, region: R2 });
    const vaultR2 = w.rds(root(VAULT), R2);
    const sourceArn = `arn:aws:rds:${R1}:${SOURCE}:cluster-snapshot:to-share`;
    const one = await vaultR2.send(new CopyDBClusterSnapshotCommand({ SourceDBClusterSnapshotIdentifier: sourceArn, TargetDBClusterSnapshotIdentifier: 'one-step', KmsKeyId: vaultKeyR2.arn }));
    expect(one.DBClusterSnapshot).toMatchObject({ SourceDBClusterSnapshotArn: sourceArn, KmsKeyId: vaultKeyR2.arn });
    w.sandbox.rds.setCrossAccountCrossRegionClusterCopy(false);
    const e = await expectAwsError(
      vaultR2.send(new CopyDBClusterSnapshotCommand({ SourceDBClusterSnapshotIdentifier: sourceArn, TargetDBClusterSnapshotIdentifier: 'two', KmsKeyId: vaultKeyR2.arn })),
      'InvalidParameterValue',
    );
    expect(e.message).toContain('same AWS Region');
    // The two-hop fallback: into the vault in the source Region, then across Regions inside the vault.
    const vaultKeyR1 = w.sandbox.kms.createKey({ accountId: VAULT, region: R1 });
    await w.rds(root(VAULT), R1).send(new CopyDBClusterSnapshotCommand({ SourceDBClusterSnapshotIdentifier: sourceArn, TargetDBClusterSnapshotIdentifier: 'hop-1', KmsKeyId: vaultKeyR1.arn }));
    w.clock.advance(3600);
    const hop2 = await vaultR2.send(
      new CopyDBClusterSnapshotCommand({ SourceDBClusterSnapshotIdentifier: `arn:aws:rds:${R1}:${VAULT}:cluster-snapshot:hop-1`, TargetDBClusterSnapshotIdentifier: 'hop-2', KmsKeyId: vaultKeyR2.arn }),
    );
    expect(hop2.DBClusterSnapshot?.Status).toBe('creating');
  });

  it('rule 10: invalid target identifiers fail with InvalidParameterValue; identifiers are stored lower-case; existing ones fail with DBSnapshotAlreadyExistsFault / DBClusterSnapshotAlreadyExistsFault', async () => {
    w = newWorld();
    const auto = instanceDb();
    const cauto = clusterDb();
    const rds = w.rds(root(SOURCE));
    for (const bad of ['1starts-with-digit', 'ends-with-', 'double--hyphen', 'has_underscore', 'rds:colon', '', 'a'.repeat(256)]) {
      const e = await expectAwsError(rds.send(new CopyDBSnapshotCommand({ SourceDBSnapshotIdentifier: auto.identifier, TargetDBSnapshotIdentifier: bad })), bad === '' ? 'MissingParameter' : 'InvalidParameterValue');
      if (bad !== '') expect(e.message).toContain('TargetDBSnapshotIdentifier is not a valid identifier');
    }
    const out = await rds.send(new CopyDBSnapshotCommand({ SourceDBSnapshotIdentifier: auto.identifier.toUpperCase(), TargetDBSnapshotIdentifier: 'My-Copy-' + 'a'.repeat(200) }));
    expect(out.DBSnapshot?.DBSnapshotIdentifier).toBe('my-copy-' + 'a'.repeat(200));
    await rds.send(new CopyDBSnapshotCommand({ SourceDBSnapshotIdentifier: auto.identifier, TargetDBSnapshotIdentifier: 'Dup' }));
    const dup = await expectAwsError(rds.send(new CopyDBSnapshotCommand({ SourceDBSnapshotIdentifier: auto.identifier, TargetDBSnapshotIdentifier: 'DUP' })), 'DBSnapshotAlreadyExistsFault');
    expect(dup.message).toContain('dup');
    await rds.send(new CopyDBClusterSnapshotCommand({ SourceDBClusterSnapshotIdentifier: cauto.identifier, TargetDBClusterSnapshotIdentifier: 'cdup' }));
    await expectAwsError(rds.send(new CopyDBClusterSnapshotCommand({ SourceDBClusterSnapshotIdentifier: cauto.identifier, TargetDBClusterSnapshotIdentifier: 'cdup' })), 'DBClusterSnapshotAlreadyExistsFault');
    // DB cluster snapshot identifiers are limited to 63 characters.
    await expectAwsError(rds.send(new CopyDBClusterSnapshotCommand({ SourceDBClusterSnapshotIdentifier: cauto.identifier, TargetDBClusterSnapshotIdentifier: 'c'.repeat(64) })), 'InvalidParameterValue');
  });

  it('rule 11: beyond 5 DB cluster snapshot copies in progress RDS rejects the copy at once (SnapshotQuotaExceededFault, a copy message, not the manual quota one)', async () => {
    w = newWorld();
    const autos = [1, 2, 3, 4, 5, 6].map((i) => clusterDb({ id: `catalog-${i}` }));
    const rds = w.rds(root(SOURCE));
    const copy = (i: number, target: string) => rds.send(new CopyDBClusterSnapshotCommand({ SourceDBClusterSnapshotIdentifier: autos[i - 1]!.identifier, TargetDBClusterSnapshotIdentifier: target }));
    for (let i = 1; i <= 5; i++) expect((await copy(i, `c${i}`)).DBClusterSnapshot).toMatchObject({ Status: 'creating', PercentProgress: 0 });
    const err = await expectAwsError(copy(6, 'c6'), 'SnapshotQuotaExceededFault');
    expect(err.message).toBe('Cannot copy more than 5 cluster snapshots at the same time');
    expect(err.message).not.toMatch(/manual/);
    expect(err.$metadata?.httpStatusCode).toBe(400);
    // Nothing was created or queued.
    expect(w.sandbox.rds.listSnapshots(SOURCE, R1).some((s) => s.identifier === 'c6')).toBe(false);
    const duration = copyDurationSeconds({ sizeGiB: 20, kind: 'cluster', crossRegion: false });
    w.clock.advance(duration / 2);
    const progress = async () =>
      Object.fromEntries(((await rds.send(new DescribeDBClusterSnapshotsCommand({ SnapshotType: 'manual' }))).DBClusterSnapshots ?? []).map((s) => [s.DBClusterSnapshotIdentifier, `${s.Status}:${s.PercentProgress}`]));
    expect(await progress()).toEqual({ c1: 'creating:50', c2: 'creating:50', c3: 'creating:50', c4: 'creating:50', c5: 'creating:50' });
    // Cancelling (deleting) c1 frees a slot at once: the retried request is accepted.
    await rds.send(new DeleteDBClusterSnapshotCommand({ DBClusterSnapshotIdentifier: 'c1' }));
    expect((await copy(6, 'c6')).DBClusterSnapshot).toMatchObject({ Status: 'creating' });
    // The limit is configurable per account/Region (setQuota): with 7 a seventh copy fits.
    await expectAwsError(copy(1, 'c7'), 'SnapshotQuotaExceededFault');
    w.sandbox.rds.setQuota(SOURCE, R1, { concurrentDbClusterSnapshotCopies: 7 });
    await copy(1, 'c7');
  });

  it('rule 11: copies requested for the same source DB queue at 0% and run one after another', async () => {
    w = newWorld();
    const auto = clusterDb({ sizeGiB: 20 });
    const rds = w.rds(root(SOURCE));
    for (let i = 1; i <= 3; i++) await rds.send(new CopyDBClusterSnapshotCommand({ SourceDBClusterSnapshotIdentifier: auto.identifier, TargetDBClusterSnapshotIdentifier: `c${i}` }));
    const duration = copyDurationSeconds({ sizeGiB: 20, kind: 'cluster', crossRegion: false });
    const progress = async () =>
      Object.fromEntries(((await rds.send(new DescribeDBClusterSnapshotsCommand({ SnapshotType: 'manual' }))).DBClusterSnapshots ?? []).map((s) => [s.DBClusterSnapshotIdentifier, `${s.Status}:${s.PercentProgress}`]));
    w.clock.advance(duration / 2);
    expect(await progress()).toEqual({ c1: 'creating:50', c2: 'creating:0', c3: 'creating:0' });
    w.clock.advance(duration);
    expect(await progress()).toEqual({ c1: 'available:100', c2: 'creating:50', c3: 'creating:0' });
    w.clock.advance(duration);
    expect(await progress()).toEqual({ c1: 'available:100', c2: 'available:100', c3: 'creating:50' });
    expect(w.sandbox.rds.listSnapshots(SOURCE, R1).find((s) => s.identifier === 'c3')?.copyStartedAt).toBe(new Date(Date.parse('2026-11-20T05:00:00Z') + 2 * duration * 1000).toISOString());
    // copyLog (the bench's measurements): every copy with its request, start and end; a deleted copy ends when deleted.
    const t0 = Date.parse('2026-11-20T05:00:00Z');
    await rds.send(new DeleteDBClusterSnapshotCommand({ DBClusterSnapshotIdentifier: 'c1' }));
    const log = w.sandbox.rds.copyLog().map((c) => [c.kind, c.requestedAtMs - t0, c.startedAtMs === undefined ? undefined : c.startedAtMs - t0, c.endedAtMs === undefined ? undefined : c.endedAtMs - t0]);
    const d = duration * 1000;
    expect(log).toEqual([
      ['cluster', 0, 0, d],
      ['cluster', 0, d, 2 * d],
      ['cluster', 0, 2 * d, undefined],
    ]);
  });

  it('rule 11: up to 20 DB snapshot copies in progress per destination account and Region; the 21st is rejected; the limit is configurable (setQuota)', async () => {
    w = newWorld();
    const autos = Array.from({ length: 21 }, (_, i) => instanceDb({ sizeGiB: 20, id: `db-${i + 1}` }));
    const rds = w.rds(root(SOURCE));
    const copy = (i: number) => rds.send(new CopyDBSnapshotCommand({ SourceDBSnapshotIdentifier: autos[i - 1]!.identifier, TargetDBSnapshotIdentifier: `s${i}` }));
    for (let i = 1; i <= 20; i++) await copy(i);
    const err = await expectAwsError(copy(21), 'SnapshotQuotaExceededFault');
    expect(err.message).toBe('Cannot copy more than 20 snapshots at the same time');
    w.clock.advance(60);
    expect(w.sandbox.rds.listSnapshots(SOURCE, R1).filter((s) => s.snapshotType === 'manual' && s.percentProgress > 0)).toHaveLength(20);
    // Raising the quota lets the 21st copy in.
    w.sandbox.rds.setQuota(SOURCE, R1, { concurrentDbSnapshotCopies: 21 });
    await copy(21);
  });

  it('rule 12: more than the manual snapshot quota fails with SnapshotQuotaExceededFault', async () => {
    w = newWorld();
    const auto = instanceDb();
    const rds = w.rds(root(SOURCE));
    w.sandbox.rds.setQuota(SOURCE, R1, { manualDbSnapshots: 3 });
    for (let i = 1; i <= 3; i++) await rds.send(new CopyDBSnapshotCommand({ SourceDBSnapshotIdentifier: auto.identifier, TargetDBSnapshotIdentifier: `q${i}` }));
    const e = await expectAwsError(rds.send(new CopyDBSnapshotCommand({ SourceDBSnapshotIdentifier: auto.identifier, TargetDBSnapshotIdentifier: 'q4' })), 'SnapshotQuotaExceededFault');
    expect(e.message).toContain('3');
    await rds.send(new DeleteDBSnapshotCommand({ DBSnapshotIdentifier: 'q1' }));
    await expect(rds.send(new CopyDBSnapshotCommand({ SourceDBSnapshotIdentifier: auto.identifier, TargetDBSnapshotIdentifier: 'q4' }))).resolves.toBeDefined();
  });

  it('rule 12: the default quota is 100 manual DB snapshots per account and Region', async () => {
    w = newWorld();
    instanceDb();
    for (let i = 1; i <= 100; i++) w.sandbox.rds.createManualSnapshot({ accountId: SOURCE, region: R1, dbIdentifier: 'orders-db', kind: 'instance', identifier: `m${i}` });
    const auto = w.sandbox.rds.listSnapshots(SOURCE, R1).find((s) => s.snapshotType === 'automated')!;
    await expectAwsError(w.rds(root(SOURCE)).send(new CopyDBSnapshotCommand({ SourceDBSnapshotIdentifier: auto.identifier, TargetDBSnapshotIdentifier: 'one-more' })), 'SnapshotQuotaExceededFault');
    // Automated snapshots and other Regions do not count.
    instanceDb({ region: R2 });
    const autoR2 = w.sandbox.rds.listSnapshots(SOURCE, R2)[0]!;
    await expect(w.rds(root(SOURCE), R2).send(new CopyDBSnapshotCommand({ SourceDBSnapshotIdentifier: autoR2.identifier, TargetDBSnapshotIdentifier: 'one-more' }))).resolves.toBeDefined();
  });

  it('rule 12: DescribeAccountAttributes reports ManualSnapshots / ManualClusterSnapshots (Used, Max) per account and Region; AccessDenied without the action', async () => {
    w = newWorld();
    const auto = instanceDb();
    clusterDb();
    for (let i = 1; i <= 3; i++) w.sandbox.rds.createManualSnapshot({ accountId: SOURCE, region: R1, dbIdentifier: 'orders-db', kind: 'instance', identifier: `m${i}` });
    w.sandbox.rds.createManualSnapshot({ accountId: SOURCE, region: R1, dbIdentifier: 'catalog', kind: 'cluster', identifier: 'c1' });
    const rds = w.rds(root(SOURCE));
    // A copy in progress is a manual snapshot already (it counts toward the quota at once).
    await rds.send(new CopyDBSnapshotCommand({ SourceDBSnapshotIdentifier: auto.identifier, TargetDBSnapshotIdentifier: 'in-flight' }));
    w.sandbox.rds.setQuota(SOURCE, R1, { manualDbClusterSnapshots: 250 });
    const quotas = async (client = rds) => {
      const out = await client.send(new DescribeAccountAttributesCommand({}));
      return Object.fromEntries((out.AccountQuotas ?? []).map((q) => [q.AccountQuotaName, [q.Used, q.Max]]));
    };
    expect(await quotas()).toMatchObject({ ManualSnapshots: [4, 100], ManualClusterSnapshots: [1, 250] });
    // Another Region and another account have their own counts (automated snapshots never count).
    instanceDb({ region: R2 });
    expect(await quotas(w.rds(root(SOURCE), R2))).toMatchObject({ ManualSnapshots: [0, 100], ManualClusterSnapshots: [0, 100] });
    expect(await quotas(w.rds(root(VAULT)))).toMatchObject({ ManualSnapshots: [0, 100] });
    const reader = w.sandbox.iam.putRole({ accountId: SOURCE, roleName: 'reader', trustPolicy: { Statement: [] }, policies: [{ Statement: [{ Effect: 'Allow', Action: 'rds:DescribeDBSnapshots', Resource: '*' }] }] });
    await expectAwsError(w.rds(reader).send(new DescribeAccountAttributesCommand({})), 'AccessDenied');
  });

  it('rule 14: the source of a copy must be available (InvalidDBSnapshotStateFault); deleting it while a copy is creating fails the copy', async () => {
    w = newWorld();
    const auto = instanceDb({ sizeGiB: 100 });
    const rds = w.rds(root(SOURCE));
    await rds.send(new CopyDBSnapshotCommand({ SourceDBSnapshotIdentifier: auto.identifier, TargetDBSnapshotIdentifier: 'first' }));
    await expectAwsError(rds.send(new CopyDBSnapshotCommand({ SourceDBSnapshotIdentifier: 'first', TargetDBSnapshotIdentifier: 'second' })), 'InvalidDBSnapshotStateFault');
    w.clock.advance(copyDurationSeconds({ sizeGiB: 100, kind: 'instance', crossRegion: false }));
    await rds.send(new CopyDBSnapshotCommand({ SourceDBSnapshotIdentifier: 'first', TargetDBSnapshotIdentifier: 'second' }));
    await rds.send(new CopyDBSnapshotCommand({ SourceDBSnapshotIdentifier: 'first', TargetDBSnapshotIdentifier: 'third' }));
    w.clock.advance(60);
    await rds.send(new DeleteDBSnapshotCommand({ DBSnapshotIdentifier: 'first' }));
    w.clock.advance(24 * 3600);
    const rows = Object.fromEntries(w.sandbox.rds.listSnapshots(SOURCE, R1).map((s) => [s.identifier, s.status]));
    expect(rows).toEqual({ [auto.identifier]: 'available', second: 'failed', third: 'failed' });
  });

  it('rule 14: deleting the shared source fails the vault copy reading from it; deleting the database removes its automated snapshots', async () => {
    w = newWorld();
    const { snap } = await sharedEncryptedSnapshot(w);
    const vaultKey = w.sandbox.kms.createKey({ accountId: VAULT, region: R1 });
    await w.rds(root(VAULT)).send(new CopyDBSnapshotCommand({ SourceDBSnapshotIdentifier: snap.arn, TargetDBSnapshotIdentifier: 'v1', KmsKeyId: vaultKey.arn }));
    await w.rds(root(SOURCE)).send(new DeleteDBSnapshotCommand({ DBSnapshotIdentifier: 'share-me' }));
    expect(w.sandbox.rds.listSnapshots(VAULT, R1)[0]?.status).toBe('failed');
    w.sandbox.rds.createAutomatedSnapshot({ accountId: SOURCE, region: R1, dbIdentifier: 'orders-db', kind: 'instance' });
    w.sandbox.rds.deleteDatabase(SOURCE, R1, 'orders-db', 'instance');
    expect(w.sandbox.rds.listSnapshots(SOURCE, R1)).toEqual([]);
  });

  it('Tags and CopyTags are applied to the copy; reserved aws: keys fail with InvalidParameterValue', async () => {
    w = newWorld();
    instanceDb();
    const src = w.sandbox.rds.createManualSnapshot({ accountId: SOURCE, region: R1, dbIdentifier: 'orders-db', kind: 'instance', identifier: 'tagged', tags: { team: 'payments', env: 'prod' } });
    const rds = w.rds(root(SOURCE));
    const out = await rds.send(
      new CopyDBSnapshotCommand({ SourceDBSnapshotIdentifier: src.identifier, TargetDBSnapshotIdentifier: 't1', CopyTags: true, Tags: [{ Key: 'rds-snapshot-vault:managed', Value: 'true' }, { Key: 'env', Value: 'dr' }] }),
    );
    expect(Object.fromEntries(out.DBSnapshot!.TagList!.map((t) => [t.Key, t.Value]))).toEqual({ team: 'payments', env: 'dr', 'rds-snapshot-vault:managed': 'true' });
    const noCopy = await rds.send(new CopyDBSnapshotCommand({ SourceDBSnapshotIdentifier: src.identifier, TargetDBSnapshotIdentifier: 't2' }));
    expect(noCopy.DBSnapshot?.TagList).toEqual([]);
    await expectAwsError(rds.send(new CopyDBSnapshotCommand({ SourceDBSnapshotIdentifier: src.identifier, TargetDBSnapshotIdentifier: 't3', Tags: [{ Key: 'aws:x', Value: '1' }] })), 'InvalidParameterValue');
  });
});
