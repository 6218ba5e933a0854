/**
 * The RDS rules where AWS is stricter than a naive simulation (docs/aws-behaviour.md §15, 15a, 15b),
 * through real RDSClients.
 */
import {
  AddTagsToResourceCommand,
  CopyDBSnapshotCommand,
  DescribeDBClusterSnapshotsCommand,
  DescribeDBInstancesCommand,
  DescribeDBSnapshotsCommand,
  DescribeOptionGroupsCommand,
  ModifyDBSnapshotAttributeCommand,
} from '@aws-sdk/client-rds';
import { afterEach, describe, expect, it } from 'vitest';
import { expectAwsError, newWorld, R1, R2, role, root, sharedKeyPolicy, SOURCE, VAULT, type World } from './helpers';

describe('RDS strictness', () => {
  let w: World;
  afterEach(() => w.sandbox.uninstall());

  it('rule 15: an automated snapshot described by identifier or ARN without SnapshotType=automated is not found', async () => {
    w = newWorld();
    w.sandbox.rds.createDbInstance({ accountId: SOURCE, region: R1, identifier: 'orders-db', engine: 'postgres', allocatedStorageGiB: 5, storageEncrypted: false });
    w.sandbox.rds.createDbCluster({ accountId: SOURCE, region: R1, identifier: 'catalog', engine: 'aurora-postgresql', allocatedStorageGiB: 5, storageEncrypted: false });
    const auto = w.sandbox.rds.createAutomatedSnapshot({ accountId: SOURCE, region: R1, dbIdentifier: 'orders-db', kind: 'instance' });
    const cauto = w.sandbox.rds.createAutomatedSnapshot({ accountId: SOURCE, region: R1, dbIdentifier: 'catalog', kind: 'cluster' });
    const rds = w.rds(root(SOURCE));
    await expectAwsError(rds.send(new DescribeDBSnapshotsCommand({ DBSnapshotIdentifier: auto.identifier })), 'DBSnapshotNotFoundFault');
    await expectAwsError(rds.send(new DescribeDBSnapshotsCommand({ DBSnapshotIdentifier: auto.arn })), 'DBSnapshotNotFoundFault');
    await expectAwsError(rds.send(new DescribeDBSnapshotsCommand({ DBSnapshotIdentifier: auto.identifier, SnapshotType: 'manual' })), 'DBSnapshotNotFoundFault');
    await expectAwsError(rds.send(new DescribeDBClusterSnapshotsCommand({ DBClusterSnapshotIdentifier: cauto.identifier })), 'DBClusterSnapshotNotFoundFault');
    const ok = await rds.send(new DescribeDBSnapshotsCommand({ DBSnapshotIdentifier: auto.identifier, SnapshotType: 'automated' }));
    expect(ok.DBSnapshots?.[0]).toMatchObject({ DBSnapshotArn: auto.arn, SnapshotType: 'automated' });
    const cok = await rds.send(new DescribeDBClusterSnapshotsCommand({ DBClusterSnapshotIdentifier: cauto.arn, SnapshotType: 'automated' }));
    expect(cok.DBClusterSnapshots?.[0]?.DBClusterSnapshotArn).toBe(cauto.arn);
    // A manual snapshot is found by identifier with no SnapshotType (and not with SnapshotType=automated).
    w.sandbox.rds.createManualSnapshot({ accountId: SOURCE, region: R1, dbIdentifier: 'orders-db', kind: 'instance', identifier: 'm1' });
    expect((await rds.send(new DescribeDBSnapshotsCommand({ DBSnapshotIdentifier: 'm1' }))).DBSnapshots).toHaveLength(1);
    await expectAwsError(rds.send(new DescribeDBSnapshotsCommand({ DBSnapshotIdentifier: 'm1', SnapshotType: 'automated' })), 'DBSnapshotNotFoundFault');
  });

  describe('rule 15a: option groups', () => {
    function oracleWorld(options: Array<{ name: string; permanent?: boolean; persistent?: boolean }>) {
      w = newWorld();
      const key = w.sandbox.kms.createKey({ accountId: SOURCE, region: R1, policy: sharedKeyPolicy(SOURCE, [VAULT]) });
      w.sandbox.kms.createKey({ accountId: SOURCE, region: R2, alias: 'alias/rsv' });
      w.sandbox.rds.createOptionGroup({ accountId: SOURCE, region: R1, name: 'ora-og', engine: 'oracle-ee', majorEngineVersion: '19', options });
      w.sandbox.rds.createDbInstance({ accountId: SOURCE, region: R1, identifier: 'ledger', engine: 'oracle-ee', allocatedStorageGiB: 10, storageEncrypted: true, kmsKeyId: key.arn, optionGroupName: 'ora-og' });
      return w.sandbox.rds.createManualSnapshot({ accountId: SOURCE, region: R1, dbIdentifier: 'ledger', kind: 'instance', identifier: 'ledger-m' });
    }

    it('instances and their DB snapshots carry the option group; DescribeOptionGroups filters by OptionGroupName and EngineName', async () => {
      oracleWorld([{ name: 'Timezone', persistent: true }]);
      w.sandbox.rds.createOptionGroup({ accountId: SOURCE, region: R1, name: 'mysql-og', engine: 'mysql', options: [] });
      const rds = w.rds(root(SOURCE));
      expect((await rds.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: 'ledger' }))).DBInstances?.[0]?.OptionGroupMemberships).toEqual([{ OptionGroupName: 'ora-og', Status: 'in-sync' }]);
      expect((await rds.send(new DescribeDBSnapshotsCommand({ DBSnapshotIdentifier: 'ledger-m' }))).DBSnapshots?.[0]?.OptionGroupName).toBe('ora-og');
      const byName = await rds.send(new DescribeOptionGroupsCommand({ OptionGroupName: 'ora-og' }));
      expect(byName.OptionGroupsList).toEqual([
        expect.objectContaining({ OptionGroupName: 'ora-og', EngineName: 'oracle-ee', MajorEngineVersion: '19', Options: [expect.objectContaining({ OptionName: 'Timezone', Permanent: false, Persistent: true })] }),
      ]);
      const byEngine = await rds.send(new DescribeOptionGroupsCommand({ EngineName: 'mysql' }));
      expect(byEngine.OptionGroupsList?.map((g) => g.OptionGroupName)).toEqual(['mysql-og']);
      await expectAwsError(rds.send(new DescribeOptionGroupsCommand({ OptionGroupName: 'nope' })), 'OptionGroupNotFoundFault');
      await expectAwsError(rds.send(new DescribeOptionGroupsCommand({ MajorEngineVersion: '19' })), 'InvalidParameterCombination');
      // Another Region has none of them.
      expect((await w.rds(root(SOURCE), R2).send(new DescribeOptionGroupsCommand({}))).OptionGroupsList).toEqual([]);
    });

    it('a cross-Region copy of a snapshot whose option group has options needs OptionGroupName of the destination (InvalidParameterValue otherwise)', async () => {
      const snap = oracleWorld([{ name: 'Timezone', persistent: true }]);
      const dest = w.rds(root(SOURCE), R2);
      const copy = (target: string, og?: string) =>
        dest.send(new CopyDBSnapshotCommand({ SourceDBSnapshotIdentifier: snap.arn, TargetDBSnapshotIdentifier: target, KmsKeyId: 'alias/rsv', ...(og ? { OptionGroupName: og } : {}) }));
      const err = await expectAwsError(copy('dr-1'), 'InvalidParameterValue');
      expect(err.message).toBe('The snapshot requires a target option group with the following options: [Timezone]');
      await expectAwsError(copy('dr-1', 'ora-og'), 'OptionGroupNotFoundFault'); // the source Region's group does not count
      w.sandbox.rds.createOptionGroup({ accountId: SOURCE, region: R2, name: 'ora-empty', engine: 'oracle-ee', options: [] });
      expect((await expectAwsError(copy('dr-1', 'ora-empty'), 'InvalidParameterValue')).message).toMatch(/requires a target option group with the following options: \[Timezone\]/);
      w.sandbox.rds.createOptionGroup({ accountId: SOURCE, region: R2, name: 'pg-og', engine: 'postgres', options: [{ name: 'Timezone' }] });
      await expectAwsError(copy('dr-1', 'pg-og'), 'InvalidParameterValue');
      w.sandbox.rds.createOptionGroup({ accountId: SOURCE, region: R2, name: 'ora-dr', engine: 'oracle-ee', options: [{ name: 'Timezone', persistent: true }] });
      const out = await copy('dr-1', 'ora-dr');
      expect(out.DBSnapshot).toMatchObject({ Status: 'creating', OptionGroupName: 'ora-dr' });
      // A same-Region copy keeps the source's option group and needs no OptionGroupName.
      const local = await w.rds(root(SOURCE)).send(new CopyDBSnapshotCommand({ SourceDBSnapshotIdentifier: 'ledger-m', TargetDBSnapshotIdentifier: 'local-1' }));
      expect(local.DBSnapshot?.OptionGroupName).toBe('ora-og');
    });

    it('a snapshot with a permanent or persistent option (TDE) cannot be shared; Oracle Timezone/OLS (permanent and persistent too) can', async () => {
      oracleWorld([{ name: 'TDE', permanent: true, persistent: true }]);
      const share = (id: string) => w.rds(root(SOURCE)).send(new ModifyDBSnapshotAttributeCommand({ DBSnapshotIdentifier: id, AttributeName: 'restore', ValuesToAdd: [VAULT] }));
      const err = await expectAwsError(share('ledger-m'), 'InvalidParameterValue');
      expect(err.message).toMatch(/permanent or persistent options \[TDE\] and cannot be shared/);
      w.sandbox.rds.createOptionGroup({ accountId: SOURCE, region: R1, name: 'sql-tde', engine: 'sqlserver-se', options: [{ name: 'TDE_SQLServer', persistent: true }] });
      w.sandbox.rds.createDbInstance({ accountId: SOURCE, region: R1, identifier: 'mssql', engine: 'sqlserver-se', allocatedStorageGiB: 10, storageEncrypted: false, optionGroupName: 'sql-tde' });
      w.sandbox.rds.createManualSnapshot({ accountId: SOURCE, region: R1, dbIdentifier: 'mssql', kind: 'instance', identifier: 'mssql-m' });
      await expectAwsError(share('mssql-m'), 'InvalidParameterValue');
      w.sandbox.rds.createOptionGroup({ accountId: SOURCE, region: R1, name: 'ora-ols', engine: 'oracle-ee', options: [{ name: 'OLS', permanent: true, persistent: true }, { name: 'Timezone', permanent: true, persistent: true }] });
      w.sandbox.rds.createDbInstance({ accountId: SOURCE, region: R1, identifier: 'ledger2', engine: 'oracle-ee', allocatedStorageGiB: 10, storageEncrypted: false, optionGroupName: 'ora-ols' });
      w.sandbox.rds.createManualSnapshot({ accountId: SOURCE, region: R1, dbIdentifier: 'ledger2', kind: 'instance', identifier: 'ledger2-m' });
      expect((await share('ledger2-m')).DBSnapshotAttributesResult?.DBSnapshotAttributes?.[0]?.AttributeValues).toEqual([VAULT]);
    });
  });

  it('rule 15b: tag keys may not start with aws: or rds:; keys 1-128, values 0-256 of letters, digits, white space and _ . : / = + - @ (Copy Tags and AddTagsToResource)', async () => {
    w = newWorld();
    w.sandbox.rds.createDbInstance({ accountId: SOURCE, region: R1, identifier: 'orders-db', engine: 'postgres', allocatedStorageGiB: 5, storageEncrypted: false });
    const m = w.sandbox.rds.createManualSnapshot({ accountId: SOURCE, region: R1, dbIdentifier: 'orders-db', kind: 'instance', identifier: 'm1' });
    const rds = w.rds(root(SOURCE));
    let n = 0;
    const copyWith = (Key: string, Value: string) => rds.send(new CopyDBSnapshotCommand({ SourceDBSnapshotIdentifier: 'm1', TargetDBSnapshotIdentifier: `c${++n}`, Tags: [{ Key, Value }] }));
    const tag = (Key: string, Value: string) => rds.send(new AddTagsToResourceCommand({ ResourceName: m.arn, Tags: [{ Key, Value }] }));
    for (const [k, v] of [
      ['rds:owner', 'x'],
      ['aws:owner', 'x'],
      ['k'.repeat(129), 'x'],
      ['run', 'backup (manual)'],
      ['run', 'a,b'],
      ['run', 'x'.repeat(257)],
      ['bad#key', 'x'],
    ] as const) {
      await expectAwsError(copyWith(k, v), 'InvalidParameterValue');
      await expectAwsError(tag(k, v), 'InvalidParameterValue');
    }
    // Allowed: Unicode letters, digits, spaces, the listed punctuation, empty values, 128/256 characters.
    await copyWith('rds-snapshot-vault:run', 'Run_2026-11-20 05:00 user@example.com/a=b+c.d');
    await tag('Équipe', 'données Ünïcode 123');
    await tag('k'.repeat(128), 'v'.repeat(256));
    await tag('empty', '');
    expect(w.sandbox.rds.getSnapshot(m.arn)?.tags).toMatchObject({ 'Équipe': 'données Ünïcode 123', empty: '' });
  });

  it('tagging requests carry aws:TagKeys (every key of the request), so ForAllValues:StringEquals on it limits the tag keys (Copy Tags and AddTagsToResource)', async () => {
    w = newWorld();
    w.sandbox.rds.createDbInstance({ accountId: SOURCE, region: R1, identifier: 'orders-db', engine: 'postgres', allocatedStorageGiB: 5, storageEncrypted: false });
    const m = w.sandbox.rds.createManualSnapshot({ accountId: SOURCE, region: R1, dbIdentifier: 'orders-db', kind: 'instance', identifier: 'm1' });
    const snaps = `arn:aws:rds:${R1}:${SOURCE}:snapshot:*`;
    // Null aws:TagKeys=false: denied unless the sandbox sends aws:TagKeys; ForAllValues: only keys a and b.
    const tagger = role(w, SOURCE, 'tagger', [
      {
        Version: '2012-10-17',
        Statement: [
          { Effect: 'Allow', Action: ['rds:CopyDBSnapshot'], Resource: snaps },
          {
            Effect: 'Allow',
            Action: ['rds:AddTagsToResource'],
            Resource: snaps,
            Condition: { 'ForAllValues:StringEquals': { 'aws:TagKeys': ['a', 'b'] }, Null: { 'aws:TagKeys': 'false' } },
          },
        ],
      },
    ]);
    const rds = w.rds(tagger);
    await rds.send(new AddTagsToResourceCommand({ ResourceName: m.arn, Tags: [{ Key: 'a', Value: '1' }, { Key: 'b', Value: '2' }] }));
    await expectAwsError(rds.send(new AddTagsToResourceCommand({ ResourceName: m.arn, Tags: [{ Key: 'a', Value: '1' }, { Key: 'c', Value: '3' }] })), 'AccessDenied');
    await rds.send(new CopyDBSnapshotCommand({ SourceDBSnapshotIdentifier: 'm1', TargetDBSnapshotIdentifier: 'c1', Tags: [{ Key: 'b', Value: '2' }] }));
    await expectAwsError(rds.send(new CopyDBSnapshotCommand({ SourceDBSnapshotIdentifier: 'm1', TargetDBSnapshotIdentifier: 'c2', Tags: [{ Key: 'c', Value: '3' }] })), 'AccessDenied');
    expect(w.sandbox.rds.getSnapshot(m.arn)?.tags).toMatchObject({ a: '1', b: '2' });
    expect(w.sandbox.rds.getSnapshot(m.arn)?.tags).not.toHaveProperty('c');
  });
});
