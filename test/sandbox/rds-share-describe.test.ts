/**
 * Sharing (rules 1-3), describing and paginating (rule 15), deleting, tagging and IAM on RDS calls.
 */
import {
  AddTagsToResourceCommand,
  CopyDBSnapshotCommand,
  DeleteDBClusterSnapshotCommand,
  DeleteDBSnapshotCommand,
  DescribeDBClustersCommand,
  DescribeDBClusterSnapshotsCommand,
  DescribeDBInstancesCommand,
  DescribeDBSnapshotAttributesCommand,
  DescribeDBSnapshotsCommand,
  type DescribeDBSnapshotsCommandInput,
  ListTagsForResourceCommand,
  ModifyDBClusterSnapshotAttributeCommand,
  ModifyDBSnapshotAttributeCommand,
  paginateDescribeDBSnapshots,
  RemoveTagsFromResourceCommand,
} from '@aws-sdk/client-rds';
import { afterEach, describe, expect, it } from 'vitest';
import { TAGS } from '../../contracts/shapes';
import { expectAwsError, newWorld, OTHER, R1, R2, root, sharedEncryptedSnapshot, SOURCE, VAULT, type World } from './helpers';

describe('RDS sharing, describe, delete, tags', () => {
  let w: World;
  afterEach(() => w.sandbox.uninstall());

  function db(opts: { encrypted?: boolean; kmsKeyId?: string; kind?: 'instance' | 'cluster'; id?: string } = {}) {
    const kind = opts.kind ?? 'instance';
    const identifier = opts.id ?? (kind === 'instance' ? 'orders-db' : 'catalog');
    const spec = { accountId: SOURCE, region: R1, identifier, engine: kind === 'instance' ? 'postgres' : 'aurora-postgresql', allocatedStorageGiB: 20, storageEncrypted: opts.encrypted ?? false, ...(opts.kmsKeyId ? { kmsKeyId: opts.kmsKeyId } : {}) };
    if (kind === 'instance') w.sandbox.rds.createDbInstance(spec);
    else w.sandbox.rds.createDbCluster(spec);
    return w.sandbox.rds.createAutomatedSnapshot({ accountId: SOURCE, region: R1, dbIdentifier: identifier, kind });
  }
  const manual = (identifier: string, kind: 'instance' | 'cluster' = 'instance', tags?: Record<string, string>) =>
    w.sandbox.rds.createManualSnapshot({ accountId: SOURCE, region: R1, dbIdentifier: kind === 'instance' ? 'orders-db' : 'catalog', kind, identifier, ...(tags ? { tags } : {}) });
  const share = (id: string, values: string[]) => w.rds(root(SOURCE)).send(new ModifyDBSnapshotAttributeCommand({ DBSnapshotIdentifier: id, AttributeName: 'restore', ValuesToAdd: values }));

  it('rule 1: an automated DB snapshot cannot be shared (InvalidParameterValue)', async () => {
    w = newWorld();
    const auto = db();
    const e = await expectAwsError(share(auto.identifier, [VAULT]), 'InvalidParameterValue');
    expect(e.message).toContain('DBSnapshotIdentifier is not a valid identifier');
  });

  it('rule 1: an automated DB cluster snapshot cannot be shared (InvalidParameterValue)', async () => {
    w = newWorld();
    const auto = db({ kind: 'cluster' });
    await expectAwsError(
      w.rds(root(SOURCE)).send(new ModifyDBClusterSnapshotAttributeCommand({ DBClusterSnapshotIdentifier: auto.identifier, AttributeName: 'restore', ValuesToAdd: [VAULT] })),
      'InvalidParameterValue',
    );
    manual('manual-c', 'cluster');
    const ok = await w.rds(root(SOURCE)).send(new ModifyDBClusterSnapshotAttributeCommand({ DBClusterSnapshotIdentifier: 'manual-c', AttributeName: 'restore', ValuesToAdd: [VAULT] }));
    expect(ok.DBClusterSnapshotAttributesResult).toEqual({ DBClusterSnapshotIdentifier: 'manual-c', DBClusterSnapshotAttributes: [{ AttributeName: 'restore', AttributeValues: [VAULT] }] });
  });

  it('rule 2: a manual snapshot can be shared with at most 20 accounts (SharedSnapshotQuotaExceededFault); adding is idempotent', async () => {
    w = newWorld();
    db();
    manual('m1');
    const accounts = Array.from({ length: 20 }, (_, i) => String(100000000000 + i));
    const out = await share('m1', accounts);
    expect(out.DBSnapshotAttributesResult?.DBSnapshotAttributes?.[0]?.AttributeValues).toHaveLength(20);
    await share('m1', [accounts[0]!]);
    await expectAwsError(share('m1', [OTHER]), 'SharedSnapshotQuotaExceededFault');
    const attrs = await w.rds(root(SOURCE)).send(new DescribeDBSnapshotAttributesCommand({ DBSnapshotIdentifier: 'm1' }));
    expect(attrs.DBSnapshotAttributesResult?.DBSnapshotAttributes?.[0]).toEqual({ AttributeName: 'restore', AttributeValues: accounts });
    await w.rds(root(SOURCE)).send(new ModifyDBSnapshotAttributeCommand({ DBSnapshotIdentifier: 'm1', AttributeName: 'restore', ValuesToRemove: [accounts[0]!], ValuesToAdd: [OTHER] }));
    expect(w.sandbox.rds.listSnapshots(SOURCE, R1).find((s) => s.identifier === 'm1')?.sharedWith).toContain(OTHER);
  });

  it('rule 3: a snapshot encrypted with the default aws/rds key cannot be shared (InvalidParameterValue); its copy under a customer key can', async () => {
    w = newWorld();
    const auto = db({ encrypted: true });
    expect(w.sandbox.rds.listSnapshots(SOURCE, R1)[0]?.kmsKeyId).toBe(w.sandbox.kms.defaultRdsKey(SOURCE, R1));
    manual('default-key');
    const e = await expectAwsError(share('default-key', [VAULT]), 'InvalidParameterValue');
    expect(e.message).toMatch(/aws\/rds/);
    expect(e.message).toMatch(/KmsKeyId/);
    const cmk = w.sandbox.kms.createKey({ accountId: SOURCE, region: R1, alias: 'alias/share' });
    await w.rds(root(SOURCE)).send(new CopyDBSnapshotCommand({ SourceDBSnapshotIdentifier: auto.identifier, TargetDBSnapshotIdentifier: 'cmk-copy', KmsKeyId: cmk.arn }));
    w.clock.advance(3600);
    await expect(share('cmk-copy', [VAULT])).resolves.toBeDefined();
  });

  it('rule 3: an encrypted snapshot cannot be made public (all -> InvalidParameterValue); attribute must be restore; snapshot must be available', async () => {
    w = newWorld();
    const cmk = w.sandbox.kms.createKey({ accountId: SOURCE, region: R1 });
    const auto = db({ encrypted: true, kmsKeyId: cmk.arn });
    manual('enc');
    await expectAwsError(share('enc', ['all']), 'InvalidParameterValue');
    await expectAwsError(w.rds(root(SOURCE)).send(new ModifyDBSnapshotAttributeCommand({ DBSnapshotIdentifier: 'enc', AttributeName: 'copy', ValuesToAdd: [VAULT] })), 'InvalidParameterValue');
    await expectAwsError(share('enc', ['12345']), 'InvalidParameterValue');
    await expectAwsError(share('missing', [VAULT]), 'DBSnapshotNotFoundFault');
    await w.rds(root(SOURCE)).send(new CopyDBSnapshotCommand({ SourceDBSnapshotIdentifier: auto.identifier, TargetDBSnapshotIdentifier: 'in-progress' }));
    await expectAwsError(share('in-progress', [VAULT]), 'InvalidDBSnapshotStateFault');
  });

  it('rule 15: 45 snapshots come back in 3 pages at MaxRecords 20 (Marker); MaxRecords outside 20-100 fails with InvalidParameterValue', async () => {
    w = newWorld();
    db();
    for (let i = 1; i <= 44; i++) manual(`m${String(i).padStart(2, '0')}`);
    const rds = w.rds(root(SOURCE));
    const pages: number[] = [];
    const ids: string[] = [];
    let Marker: string | undefined;
    do {
      const out = await rds.send(new DescribeDBSnapshotsCommand({ MaxRecords: 20, ...(Marker ? { Marker } : {}) }));
      pages.push(out.DBSnapshots?.length ?? 0);
      ids.push(...(out.DBSnapshots ?? []).map((s) => s.DBSnapshotIdentifier!));
      Marker = out.Marker;
    } while (Marker);
    expect(pages).toEqual([20, 20, 5]);
    expect(new Set(ids).size).toBe(45);
    // The SDK paginator drives the same Marker protocol.
    let count = 0;
    for await (const page of paginateDescribeDBSnapshots({ client: rds, pageSize: 20 }, {})) count += page.DBSnapshots?.length ?? 0;
    expect(count).toBe(45);
    await expectAwsError(rds.send(new DescribeDBSnapshotsCommand({ MaxRecords: 19 })), 'InvalidParameterValue');
    await expectAwsError(rds.send(new DescribeDBSnapshotsCommand({ MaxRecords: 101 })), 'InvalidParameterValue');
    await expectAwsError(rds.send(new DescribeDBClusterSnapshotsCommand({ MaxRecords: 5 })), 'InvalidParameterValue');
  });

  it('rule 15: filters by database and SnapshotType; an identifier that does not exist fails with DBSnapshotNotFoundFault / DBClusterSnapshotNotFoundFault', async () => {
    w = newWorld();
    const auto = db();
    db({ id: 'billing-db' });
    manual('m1');
    db({ kind: 'cluster' });
    const rds = w.rds(root(SOURCE));
    const autos = await rds.send(new DescribeDBSnapshotsCommand({ DBInstanceIdentifier: 'ORDERS-DB', SnapshotType: 'automated' }));
    expect(autos.DBSnapshots?.map((s) => s.DBSnapshotIdentifier)).toEqual([auto.identifier]);
    const manuals = await rds.send(new DescribeDBSnapshotsCommand({ SnapshotType: 'manual' }));
    expect(manuals.DBSnapshots?.map((s) => s.DBSnapshotIdentifier)).toEqual(['m1']);
    // An automated snapshot by identifier or ARN needs SnapshotType=automated (stricter reading for the ARN).
    const byArn = await rds.send(new DescribeDBSnapshotsCommand({ DBSnapshotIdentifier: auto.arn, SnapshotType: 'automated' }));
    expect(byArn.DBSnapshots?.[0]?.DBSnapshotArn).toBe(auto.arn);
    const filtered = await rds.send(new DescribeDBSnapshotsCommand({ Filters: [{ Name: 'db-instance-id', Values: ['billing-db'] }] }));
    expect(filtered.DBSnapshots?.map((s) => s.DBInstanceIdentifier)).toEqual(['billing-db']);
    await expectAwsError(rds.send(new DescribeDBSnapshotsCommand({ DBSnapshotIdentifier: 'nope' })), 'DBSnapshotNotFoundFault');
    await expectAwsError(rds.send(new DescribeDBClusterSnapshotsCommand({ DBClusterSnapshotIdentifier: 'nope' })), 'DBClusterSnapshotNotFoundFault');
    await expectAwsError(rds.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: 'nope' })), 'DBInstanceNotFoundFault');
    await expectAwsError(rds.send(new DescribeDBClustersCommand({ DBClusterIdentifier: 'nope' })), 'DBClusterNotFoundFault');
    const clusters = await rds.send(new DescribeDBClustersCommand({ DBClusterIdentifier: 'catalog' }));
    expect(clusters.DBClusters?.[0]).toMatchObject({ DBClusterIdentifier: 'catalog', Engine: 'aurora-postgresql', StorageEncrypted: false });
  });

  it('rule 15: shared snapshots of other accounts appear only with SnapshotType=shared or IncludeShared=true (or by ARN)', async () => {
    w = newWorld();
    const { snap, key } = await sharedEncryptedSnapshot(w);
    w.sandbox.rds.createDbInstance({ accountId: VAULT, region: R1, identifier: 'vault-own', engine: 'postgres', allocatedStorageGiB: 5, storageEncrypted: false });
    w.sandbox.rds.createManualSnapshot({ accountId: VAULT, region: R1, dbIdentifier: 'vault-own', kind: 'instance', identifier: 'own' });
    const vault = w.rds(root(VAULT));
    const ids = async (input: DescribeDBSnapshotsCommandInput) => ((await vault.send(new DescribeDBSnapshotsCommand(input))).DBSnapshots ?? []).map((s) => s.DBSnapshotIdentifier);
    expect(await ids({})).toEqual(['own']);
    expect(await ids({ SnapshotType: 'shared' })).toEqual([snap.arn]);
    expect(await ids({ IncludeShared: true })).toEqual([snap.arn, 'own']);
    const byArn = await vault.send(new DescribeDBSnapshotsCommand({ DBSnapshotIdentifier: snap.arn }));
    expect(byArn.DBSnapshots?.[0]).toMatchObject({ DBSnapshotArn: snap.arn, SnapshotType: 'shared', Status: 'available', Encrypted: true, KmsKeyId: key.arn, TagList: [] });
    // Not visible from an account it is not shared with, nor from another Region.
    await expectAwsError(w.rds(root(OTHER)).send(new DescribeDBSnapshotsCommand({ DBSnapshotIdentifier: snap.arn })), 'DBSnapshotNotFoundFault');
    expect(((await w.rds(root(VAULT), R2).send(new DescribeDBSnapshotsCommand({ SnapshotType: 'shared' }))).DBSnapshots ?? []).length).toBe(0);
  });

  it('deleting: automated snapshots cannot be deleted (InvalidDBSnapshotStateFault / InvalidDBClusterSnapshotStateFault); another account cannot delete (DBSnapshotNotFoundFault)', async () => {
    w = newWorld();
    const auto = db();
    const cauto = db({ kind: 'cluster' });
    const m = manual('m1');
    const rds = w.rds(root(SOURCE));
    await expectAwsError(rds.send(new DeleteDBSnapshotCommand({ DBSnapshotIdentifier: auto.identifier })), 'InvalidDBSnapshotStateFault');
    await expectAwsError(rds.send(new DeleteDBClusterSnapshotCommand({ DBClusterSnapshotIdentifier: cauto.identifier })), 'InvalidDBClusterSnapshotStateFault');
    await share('m1', [VAULT]);
    await expectAwsError(w.rds(root(VAULT)).send(new DeleteDBSnapshotCommand({ DBSnapshotIdentifier: m.arn })), 'DBSnapshotNotFoundFault');
    await expectAwsError(w.rds(root(VAULT)).send(new DeleteDBSnapshotCommand({ DBSnapshotIdentifier: 'm1' })), 'DBSnapshotNotFoundFault');
    const out = await rds.send(new DeleteDBSnapshotCommand({ DBSnapshotIdentifier: 'm1' }));
    expect(out.DBSnapshot).toMatchObject({ DBSnapshotIdentifier: 'm1', Status: 'deleted' });
    await expectAwsError(rds.send(new DeleteDBSnapshotCommand({ DBSnapshotIdentifier: 'm1' })), 'DBSnapshotNotFoundFault');
  });

  it('IAM: a role without rds:DeleteDBSnapshot is denied (AccessDenied, AWS message shape); tag conditions scope what it may delete', async () => {
    w = newWorld();
    db();
    manual('managed', 'instance', { [TAGS.MANAGED]: 'true' });
    manual('unmanaged');
    const reader = w.sandbox.iam.putRole({ accountId: SOURCE, roleName: 'reader', trustPolicy: { Statement: [] }, policies: [{ Statement: [{ Effect: 'Allow', Action: 'rds:Describe*', Resource: '*' }] }] });
    const e = await expectAwsError(w.rds(reader).send(new DeleteDBSnapshotCommand({ DBSnapshotIdentifier: 'managed' })), 'AccessDenied');
    const arn = `arn:aws:rds:${R1}:${SOURCE}:snapshot:managed`;
    expect(e.message).toBe(`User: arn:aws:sts::${SOURCE}:assumed-role/reader/sandbox is not authorized to perform: rds:DeleteDBSnapshot on resource: ${arn} because no identity-based policy allows the rds:DeleteDBSnapshot action`);
    expect(e.$metadata?.httpStatusCode).toBe(403);
    await expect(w.rds(reader).send(new DescribeDBSnapshotsCommand({}))).resolves.toBeDefined();

    const sweeper = w.sandbox.iam.putRole({
      accountId: SOURCE,
      roleName: 'sweeper',
      trustPolicy: { Statement: [] },
      policies: [
        {
          Statement: [
            { Effect: 'Allow', Action: 'rds:DeleteDBSnapshot', Resource: `arn:aws:rds:*:${SOURCE}:snapshot:*`, Condition: { StringEquals: { [`rds:snapshot-tag/${TAGS.MANAGED}`]: 'true' } } },
            { Effect: 'Deny', Action: 'rds:Delete*', Resource: '*', Condition: { StringEquals: { 'aws:ResourceTag/legal-hold': 'true' } } },
          ],
        },
      ],
    });
    await expectAwsError(w.rds(sweeper).send(new DeleteDBSnapshotCommand({ DBSnapshotIdentifier: 'unmanaged' })), 'AccessDenied');
    manual('held', 'instance', { [TAGS.MANAGED]: 'true', 'legal-hold': 'true' });
    const held = await expectAwsError(w.rds(sweeper).send(new DeleteDBSnapshotCommand({ DBSnapshotIdentifier: 'held' })), 'AccessDenied');
    expect(held.message).toContain('explicit deny');
    await expect(w.rds(sweeper).send(new DeleteDBSnapshotCommand({ DBSnapshotIdentifier: 'managed' }))).resolves.toBeDefined();
  });

  it('IAM: CopyDBSnapshot needs rds:CopyDBSnapshot on source and target, and rds:AddTagsToResource when Tags are given', async () => {
    w = newWorld();
    const auto = db();
    const copyOnly = w.sandbox.iam.putRole({ accountId: SOURCE, roleName: 'copier', trustPolicy: { Statement: [] }, policies: [{ Statement: [{ Effect: 'Allow', Action: 'rds:CopyDBSnapshot', Resource: '*' }] }] });
    await expect(w.rds(copyOnly).send(new CopyDBSnapshotCommand({ SourceDBSnapshotIdentifier: auto.identifier, TargetDBSnapshotIdentifier: 'c1' }))).resolves.toBeDefined();
    const e = await expectAwsError(
      w.rds(copyOnly).send(new CopyDBSnapshotCommand({ SourceDBSnapshotIdentifier: auto.identifier, TargetDBSnapshotIdentifier: 'c2', Tags: [{ Key: TAGS.MANAGED, Value: 'true' }] })),
      'AccessDenied',
    );
    expect(e.message).toContain('rds:AddTagsToResource');
    const targetOnly = w.sandbox.iam.putRole({
      accountId: SOURCE,
      roleName: 'target-only',
      trustPolicy: { Statement: [] },
      policies: [{ Statement: [{ Effect: 'Allow', Action: 'rds:CopyDBSnapshot', Resource: `arn:aws:rds:${R1}:${SOURCE}:snapshot:vault-*` }] }],
    });
    const src = await expectAwsError(w.rds(targetOnly).send(new CopyDBSnapshotCommand({ SourceDBSnapshotIdentifier: auto.identifier, TargetDBSnapshotIdentifier: 'vault-1' })), 'AccessDenied');
    expect(src.message).toContain(`on resource: ${auto.arn}`);
  });

  it('tags: AddTagsToResource / ListTagsForResource / RemoveTagsFromResource by ARN; other accounts get the not-found fault', async () => {
    w = newWorld();
    db();
    const m = manual('m1');
    const rds = w.rds(root(SOURCE));
    await rds.send(new AddTagsToResourceCommand({ ResourceName: m.arn, Tags: [{ Key: TAGS.MANAGED, Value: 'true' }, { Key: 'k', Value: 'v' }] }));
    await rds.send(new RemoveTagsFromResourceCommand({ ResourceName: m.arn, TagKeys: ['k'] }));
    expect((await rds.send(new ListTagsForResourceCommand({ ResourceName: m.arn }))).TagList).toEqual([{ Key: TAGS.MANAGED, Value: 'true' }]);
    const dbArn = `arn:aws:rds:${R1}:${SOURCE}:db:orders-db`;
    await rds.send(new AddTagsToResourceCommand({ ResourceName: dbArn, Tags: [{ Key: 'backup', Value: 'yes' }] }));
    expect((await rds.send(new ListTagsForResourceCommand({ ResourceName: dbArn }))).TagList).toEqual([{ Key: 'backup', Value: 'yes' }]);
    await expectAwsError(w.rds(root(VAULT)).send(new ListTagsForResourceCommand({ ResourceName: m.arn })), 'DBSnapshotNotFoundFault');
    await expectAwsError(rds.send(new ListTagsForResourceCommand({ ResourceName: `arn:aws:rds:${R1}:${SOURCE}:cluster-snapshot:nope` })), 'DBClusterSnapshotNotFoundFault');
    await expectAwsError(rds.send(new ListTagsForResourceCommand({ ResourceName: 'not-an-arn' })), 'InvalidParameterValue');
    await expectAwsError(rds.send(new AddTagsToResourceCommand({ ResourceName: m.arn, Tags: [{ Key: 'aws:reserved', Value: 'x' }] })), 'InvalidParameterValue');
  });
});
