/**
 * Tag discovery inputs (TagList, ListTagsForResource, pagination, Aurora cluster members) and the DR
 * copy paths of issue 3 (docs/aws-behaviour.md §§6, 8, 9, 11).
 */
import {
  CopyDBClusterSnapshotCommand,
  CopyDBSnapshotCommand,
  DescribeDBClustersCommand,
  DescribeDBInstancesCommand,
  DescribeDBSnapshotsCommand,
  ListTagsForResourceCommand,
  ModifyDBClusterSnapshotAttributeCommand,
  ModifyDBSnapshotAttributeCommand,
} from '@aws-sdk/client-rds';
import { afterEach, describe, expect, it } from 'vitest';
import { copyDurationSeconds } from '../../sandbox/simulator/index';
import { expectAwsError, newWorld, R1, R2, root, sharedEncryptedSnapshot, sharedKeyPolicy, SOURCE, VAULT, type World } from './helpers';

describe('RDS tag discovery inputs', () => {
  let w: World;
  afterEach(() => w.sandbox.uninstall());

  it('DescribeDBInstances / DescribeDBClusters return TagList; ListTagsForResource works on db: and cluster: ARNs (DBInstanceNotFoundFault / DBClusterNotFoundFault otherwise)', async () => {
    w = newWorld();
    const tags = { 'rds-snapshot-vault:backup': 'true', team: 'orders' };
    w.sandbox.rds.createDbInstance({ accountId: SOURCE, region: R1, identifier: 'orders-db', engine: 'postgres', allocatedStorageGiB: 20, storageEncrypted: false, tags });
    w.sandbox.rds.createDbCluster({ accountId: SOURCE, region: R1, identifier: 'catalog', engine: 'aurora-postgresql', allocatedStorageGiB: 20, storageEncrypted: false, tags: { 'rds-snapshot-vault:backup': 'false' } });
    const rds = w.rds(root(SOURCE));
    expect((await rds.send(new DescribeDBInstancesCommand({}))).DBInstances?.[0]?.TagList).toEqual([
      { Key: 'rds-snapshot-vault:backup', Value: 'true' },
      { Key: 'team', Value: 'orders' },
    ]);
    expect((await rds.send(new DescribeDBClustersCommand({}))).DBClusters?.[0]?.TagList).toEqual([{ Key: 'rds-snapshot-vault:backup', Value: 'false' }]);
    expect((await rds.send(new ListTagsForResourceCommand({ ResourceName: `arn:aws:rds:${R1}:${SOURCE}:db:orders-db` }))).TagList).toHaveLength(2);
    expect((await rds.send(new ListTagsForResourceCommand({ ResourceName: `arn:aws:rds:${R1}:${SOURCE}:cluster:catalog` }))).TagList).toEqual([{ Key: 'rds-snapshot-vault:backup', Value: 'false' }]);
    await expectAwsError(rds.send(new ListTagsForResourceCommand({ ResourceName: `arn:aws:rds:${R1}:${SOURCE}:db:nope` })), 'DBInstanceNotFoundFault');
    await expectAwsError(rds.send(new ListTagsForResourceCommand({ ResourceName: `arn:aws:rds:${R1}:${SOURCE}:cluster:nope` })), 'DBClusterNotFoundFault');
    await expectAwsError(w.rds(root(SOURCE), R2).send(new ListTagsForResourceCommand({ ResourceName: `arn:aws:rds:${R1}:${SOURCE}:db:orders-db` })), 'DBInstanceNotFoundFault');
  });

  it('DescribeDBInstances paginates with MaxRecords 20-100 and Marker (InvalidParameterValue outside)', async () => {
    w = newWorld();
    for (let i = 0; i < 45; i++) w.sandbox.rds.createDbInstance({ accountId: SOURCE, region: R1, identifier: `db-${String(i).padStart(2, '0')}`, engine: 'mysql', allocatedStorageGiB: 20, storageEncrypted: false });
    const rds = w.rds(root(SOURCE));
    const pages: number[] = [];
    const ids: string[] = [];
    let marker: string | undefined;
    do {
      const out = await rds.send(new DescribeDBInstancesCommand({ MaxRecords: 20, ...(marker ? { Marker: marker } : {}) }));
      pages.push(out.DBInstances?.length ?? 0);
      ids.push(...(out.DBInstances ?? []).map((d) => d.DBInstanceIdentifier!));
      marker = out.Marker;
    } while (marker);
    expect(pages).toEqual([20, 20, 5]);
    expect(new Set(ids).size).toBe(45);
    await expectAwsError(rds.send(new DescribeDBInstancesCommand({ MaxRecords: 19 })), 'InvalidParameterValue');
    await expectAwsError(rds.send(new DescribeDBInstancesCommand({ MaxRecords: 101 })), 'InvalidParameterValue');
    await expectAwsError(rds.send(new DescribeDBInstancesCommand({ Marker: 'bogus' })), 'InvalidParameterValue');
  });

  it('Aurora cluster members: DBClusterIdentifier on the instance, DBClusterMembers on the cluster, filter db-cluster-id; unknown cluster -> DBClusterNotFoundFault; members have no DB snapshots', async () => {
    w = newWorld();
    w.sandbox.rds.createDbCluster({ accountId: SOURCE, region: R1, identifier: 'catalog', engine: 'aurora-postgresql', allocatedStorageGiB: 20, storageEncrypted: false });
    w.sandbox.rds.createDbInstance({ accountId: SOURCE, region: R1, identifier: 'catalog-1', engine: 'aurora-postgresql', allocatedStorageGiB: 20, storageEncrypted: false, dbClusterIdentifier: 'catalog' });
    w.sandbox.rds.createDbInstance({ accountId: SOURCE, region: R1, identifier: 'catalog-2', engine: 'aurora-postgresql', allocatedStorageGiB: 20, storageEncrypted: false, dbClusterIdentifier: 'Catalog' });
    w.sandbox.rds.createDbInstance({ accountId: SOURCE, region: R1, identifier: 'orders-db', engine: 'postgres', allocatedStorageGiB: 20, storageEncrypted: false });
    const rds = w.rds(root(SOURCE));
    const instances = (await rds.send(new DescribeDBInstancesCommand({}))).DBInstances ?? [];
    expect(instances.map((d) => [d.DBInstanceIdentifier, d.DBClusterIdentifier])).toEqual([
      ['catalog-1', 'catalog'],
      ['catalog-2', 'catalog'],
      ['orders-db', undefined],
    ]);
    expect((await rds.send(new DescribeDBClustersCommand({ DBClusterIdentifier: 'catalog' }))).DBClusters?.[0]?.DBClusterMembers).toEqual([
      { DBInstanceIdentifier: 'catalog-1', IsClusterWriter: true, PromotionTier: 1 },
      { DBInstanceIdentifier: 'catalog-2', IsClusterWriter: false, PromotionTier: 1 },
    ]);
    expect((await rds.send(new DescribeDBInstancesCommand({ Filters: [{ Name: 'db-cluster-id', Values: ['catalog'] }] }))).DBInstances?.map((d) => d.DBInstanceIdentifier)).toEqual(['catalog-1', 'catalog-2']);
    expect((await rds.send(new DescribeDBInstancesCommand({ Filters: [{ Name: 'engine', Values: ['postgres'] }] }))).DBInstances?.map((d) => d.DBInstanceIdentifier)).toEqual(['orders-db']);
    await expectAwsError(rds.send(new DescribeDBInstancesCommand({ Filters: [{ Name: 'tag:x', Values: ['y'] }] })), 'InvalidParameterValue');
    expect(() => w.sandbox.rds.createDbInstance({ accountId: SOURCE, region: R1, identifier: 'x-1', engine: 'aurora-postgresql', allocatedStorageGiB: 20, storageEncrypted: false, dbClusterIdentifier: 'nope' })).toThrow(
      expect.objectContaining({ name: 'DBClusterNotFoundFault' }),
    );
    expect(() => w.sandbox.rds.createAutomatedSnapshot({ accountId: SOURCE, region: R1, dbIdentifier: 'catalog-1', kind: 'instance' })).toThrow(/member of Aurora DB cluster catalog/);
  });
});

describe('DR copies across Regions', () => {
  let w: World;
  afterEach(() => w.sandbox.uninstall());

  it('single step: the vault account copies a shared encrypted DB snapshot straight into another Region (started in the destination Region, vault key of that Region)', async () => {
    w = newWorld();
    const { snap } = await sharedEncryptedSnapshot(w, { sizeGiB: 100 });
    const drKey = w.sandbox.kms.createKey({ accountId: VAULT, region: R2, alias: 'alias/rsv' });
    const vaultR2 = w.rds(root(VAULT), R2);
    // A key of the vault's primary Region does not work for a copy into R2 (rule 6).
    const primaryKey = w.sandbox.kms.createKey({ accountId: VAULT, region: R1, alias: 'alias/rsv' });
    await expectAwsError(vaultR2.send(new CopyDBSnapshotCommand({ SourceDBSnapshotIdentifier: snap.arn, TargetDBSnapshotIdentifier: 'dr-1', KmsKeyId: primaryKey.arn })), 'KMSKeyNotAccessibleFault');
    const out = await vaultR2.send(new CopyDBSnapshotCommand({ SourceDBSnapshotIdentifier: snap.arn, TargetDBSnapshotIdentifier: 'dr-1', KmsKeyId: `arn:aws:kms:${R2}:${VAULT}:alias/rsv` }));
    expect(out.DBSnapshot).toMatchObject({ Status: 'creating', SourceRegion: R1, SourceDBSnapshotIdentifier: snap.arn, KmsKeyId: drKey.arn, DBSnapshotArn: `arn:aws:rds:${R2}:${VAULT}:snapshot:dr-1` });
    w.clock.advance(copyDurationSeconds({ sizeGiB: 100, kind: 'instance', crossRegion: true }));
    expect((await vaultR2.send(new DescribeDBSnapshotsCommand({ DBSnapshotIdentifier: 'dr-1' }))).DBSnapshots?.[0]).toMatchObject({ Status: 'available', Encrypted: true, KmsKeyId: drKey.arn });
  });

  it('cluster single step follows setCrossAccountCrossRegionClusterCopy: refused when off (InvalidParameterValue), two hops work either way', async () => {
    w = newWorld();
    const key = w.sandbox.kms.createKey({ accountId: SOURCE, region: R1, policy: sharedKeyPolicy(SOURCE, [VAULT]) });
    w.sandbox.rds.createDbCluster({ accountId: SOURCE, region: R1, identifier: 'catalog', engine: 'aurora-postgresql', allocatedStorageGiB: 20, storageEncrypted: true, kmsKeyId: key.arn });
    const cs = w.sandbox.rds.createManualSnapshot({ accountId: SOURCE, region: R1, dbIdentifier: 'catalog', kind: 'cluster', identifier: 'share-c' });
    await w.rds(root(SOURCE)).send(new ModifyDBClusterSnapshotAttributeCommand({ DBClusterSnapshotIdentifier: 'share-c', AttributeName: 'restore', ValuesToAdd: [VAULT] }));
    w.sandbox.kms.createKey({ accountId: VAULT, region: R1, alias: 'alias/rsv' });
    w.sandbox.kms.createKey({ accountId: VAULT, region: R2, alias: 'alias/rsv' });
    w.sandbox.rds.setCrossAccountCrossRegionClusterCopy(false);
    const single = { SourceDBClusterSnapshotIdentifier: cs.arn, TargetDBClusterSnapshotIdentifier: 'dr-c', KmsKeyId: 'alias/rsv' };
    await expectAwsError(w.rds(root(VAULT), R2).send(new CopyDBClusterSnapshotCommand(single)), 'InvalidParameterValue');
    // Two hops: into the vault account in the source Region, then across Regions inside the vault account.
    await w.rds(root(VAULT), R1).send(new CopyDBClusterSnapshotCommand({ SourceDBClusterSnapshotIdentifier: cs.arn, TargetDBClusterSnapshotIdentifier: 'vault-c', KmsKeyId: 'alias/rsv' }));
    w.clock.advance(copyDurationSeconds({ sizeGiB: 20, kind: 'cluster', crossRegion: false }));
    await w.rds(root(VAULT), R2).send(new CopyDBClusterSnapshotCommand({ SourceDBClusterSnapshotIdentifier: `arn:aws:rds:${R1}:${VAULT}:cluster-snapshot:vault-c`, TargetDBClusterSnapshotIdentifier: 'dr-c', KmsKeyId: 'alias/rsv' }));
    w.sandbox.rds.setCrossAccountCrossRegionClusterCopy(true);
    await w.rds(root(VAULT), R2).send(new CopyDBClusterSnapshotCommand({ ...single, TargetDBClusterSnapshotIdentifier: 'dr-c2' }));
    expect(w.sandbox.rds.listSnapshots(VAULT, R2).map((s) => [s.identifier, s.sourceArn])).toEqual([
      ['dr-c', `arn:aws:rds:${R1}:${VAULT}:cluster-snapshot:vault-c`],
      ['dr-c2', cs.arn],
    ]);
  });

  it('same-account cross-Region copy of an encrypted snapshot needs a KmsKeyId of the destination Region (InvalidParameterValue without, KMSKeyNotAccessibleFault with a source-Region key)', async () => {
    w = newWorld();
    const key = w.sandbox.kms.createKey({ accountId: SOURCE, region: R1, alias: 'alias/rsv' });
    const drKey = w.sandbox.kms.createKey({ accountId: SOURCE, region: R2, alias: 'alias/rsv' });
    w.sandbox.rds.createDbInstance({ accountId: SOURCE, region: R1, identifier: 'orders-db', engine: 'postgres', allocatedStorageGiB: 20, storageEncrypted: true, kmsKeyId: key.arn });
    const snap = w.sandbox.rds.createManualSnapshot({ accountId: SOURCE, region: R1, dbIdentifier: 'orders-db', kind: 'instance', identifier: 'copy-r1' });
    const r2 = w.rds(root(SOURCE), R2);
    const e = await expectAwsError(r2.send(new CopyDBSnapshotCommand({ SourceDBSnapshotIdentifier: snap.arn, TargetDBSnapshotIdentifier: 'dr-1' })), 'InvalidParameterValue');
    expect(e.message).toContain('KMS key');
    await expectAwsError(r2.send(new CopyDBSnapshotCommand({ SourceDBSnapshotIdentifier: snap.arn, TargetDBSnapshotIdentifier: 'dr-1', KmsKeyId: key.arn })), 'KMSKeyNotAccessibleFault');
    const out = await r2.send(new CopyDBSnapshotCommand({ SourceDBSnapshotIdentifier: snap.arn, TargetDBSnapshotIdentifier: 'dr-1', KmsKeyId: 'alias/rsv' }));
    expect(out.DBSnapshot).toMatchObject({ KmsKeyId: drKey.arn });
  });

  it('rule 11: copy limits (5 DB cluster / 20 DB snapshot copies in progress) hold per destination account, Region and kind; past them RDS rejects; copies of one source DB run one after another', async () => {
    w = newWorld();
    const key = w.sandbox.kms.createKey({ accountId: SOURCE, region: R1, policy: sharedKeyPolicy(SOURCE, [VAULT]) });
    w.sandbox.rds.createDbCluster({ accountId: SOURCE, region: R1, identifier: 'catalog', engine: 'aurora-postgresql', allocatedStorageGiB: 20, storageEncrypted: true, kmsKeyId: key.arn });
    w.sandbox.rds.createDbInstance({ accountId: SOURCE, region: R1, identifier: 'orders-db', engine: 'postgres', allocatedStorageGiB: 20, storageEncrypted: true, kmsKeyId: key.arn });
    const cs = w.sandbox.rds.createManualSnapshot({ accountId: SOURCE, region: R1, dbIdentifier: 'catalog', kind: 'cluster', identifier: 'share-c' });
    const is = w.sandbox.rds.createManualSnapshot({ accountId: SOURCE, region: R1, dbIdentifier: 'orders-db', kind: 'instance', identifier: 'share-i' });
    await w.rds(root(SOURCE)).send(new ModifyDBClusterSnapshotAttributeCommand({ DBClusterSnapshotIdentifier: 'share-c', AttributeName: 'restore', ValuesToAdd: [VAULT] }));
    for (const r of [R1, R2]) {
      w.sandbox.kms.createKey({ accountId: VAULT, region: r, alias: 'alias/rsv' });
      if (r === R2) w.sandbox.kms.createKey({ accountId: SOURCE, region: r, alias: 'alias/rsv' });
    }
    const copyCluster = (acct: string, region: string, target: string) =>
      w.rds(root(acct), region).send(new CopyDBClusterSnapshotCommand({ SourceDBClusterSnapshotIdentifier: cs.arn, TargetDBClusterSnapshotIdentifier: target, KmsKeyId: 'alias/rsv' }));
    // 5 cluster copies each into VAULT/R1, VAULT/R2 (cross-Region) and SOURCE/R2 (same-account DR): the 6th is rejected in each.
    for (const [acct, region, prefix] of [[VAULT, R1, 'v1-'], [VAULT, R2, 'v2-'], [SOURCE, R2, 's2-']] as const) {
      for (let i = 1; i <= 5; i++) await copyCluster(acct, region, `${prefix}${i}`);
      const err = await expectAwsError(copyCluster(acct, region, `${prefix}6`), 'SnapshotQuotaExceededFault');
      expect(err.message).toMatch(region === R1 ? /^Cannot copy more than 5 cluster snapshots/ : /^Cannot copy more than 5 cluster snapshots across regions/);
    }
    // Instance copies in the same destination do not take cluster slots (and vice versa): 20 fit, the 21st is rejected.
    await w.rds(root(SOURCE)).send(new ModifyDBSnapshotAttributeCommand({ DBSnapshotIdentifier: 'share-i', AttributeName: 'restore', ValuesToAdd: [VAULT] }));
    const copyInstance = (i: number) => w.rds(root(VAULT), R1).send(new CopyDBSnapshotCommand({ SourceDBSnapshotIdentifier: is.arn, TargetDBSnapshotIdentifier: `i-${i}`, KmsKeyId: 'alias/rsv' }));
    for (let i = 1; i <= 20; i++) await copyInstance(i);
    await expectAwsError(copyInstance(21), 'SnapshotQuotaExceededFault');
    w.clock.advance(60);
    const started = (acct: string, region: string, kind: 'instance' | 'cluster') =>
      w.sandbox.rds
        .listSnapshots(acct, region)
        .filter((s) => s.kind === kind && s.snapshotType === 'manual' && s.sourceArn !== undefined)
        .map((s) => s.copyStartedAt !== undefined);
    // All copies come from one source DB per kind: RDS runs them one after another in each destination.
    expect(started(VAULT, R1, 'cluster')).toEqual([true, false, false, false, false]);
    expect(started(VAULT, R2, 'cluster')).toEqual([true, false, false, false, false]);
    expect(started(SOURCE, R2, 'cluster')).toEqual([true, false, false, false, false]);
    expect(started(VAULT, R1, 'instance')).toEqual([true, ...Array<boolean>(19).fill(false)]);
    // The second VAULT/R1 cluster copy starts when the first ends, independent of R2's (slower) cross-Region copies.
    w.clock.advance(copyDurationSeconds({ sizeGiB: 20, kind: 'cluster', crossRegion: false }) - 60);
    expect(started(VAULT, R1, 'cluster')).toEqual([true, true, false, false, false]);
    expect(started(VAULT, R2, 'cluster')).toEqual([true, false, false, false, false]);
    // A finished copy frees its slot: the next request into VAULT/R1 is accepted.
    await copyCluster(VAULT, R1, 'v1-6');
  });
});
