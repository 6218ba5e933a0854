/**
 * RDS export tasks (docs/aws-behaviour.md §16): StartExportTask checks, the 5-task limit, lazy status over
 * virtual time, files written into S3 at completion, RDS events, DescribeExportTasks, CancelExportTask.
 */
import { CancelExportTaskCommand, CopyDBSnapshotCommand, DescribeExportTasksCommand, StartExportTaskCommand, type StartExportTaskCommandInput } from '@aws-sdk/client-rds';
import { GetObjectCommand } from '@aws-sdk/client-s3';
import { afterEach, describe, expect, it } from 'vitest';
import { EXPORT_STARTING_SECONDS, exportDurationSeconds, type PolicyDocument } from '../../sandbox/simulator/index';
import { allow, expectAwsError, newWorld, R1, R2, role, root, SOURCE, VAULT, type World } from './helpers';

const BUCKET = 'rsv-exports-111111111111';
const exportTrust: PolicyDocument = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { Service: 'export.rds.amazonaws.com' }, Action: 'sts:AssumeRole' }] };
const exportRolePolicy = (bucket = BUCKET, actions = ['s3:PutObject*', 's3:GetObject*', 's3:ListBucket', 's3:DeleteObject*', 's3:GetBucketLocation']): PolicyDocument => ({
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Action: actions, Resource: [`arn:aws:s3:::${bucket}`, `arn:aws:s3:::${bucket}/*`] }],
});

describe('RDS export tasks', () => {
  let w: World;
  afterEach(() => w.sandbox.uninstall());

  /** Source account: encrypted DB instance + manual snapshot `snap-1`, export bucket + key + role, a caller role allowed to export. */
  function setUp(opts: { sizeGiB?: number; callerPolicies?: PolicyDocument[] } = {}) {
    w = newWorld();
    const dataKey = w.sandbox.kms.createKey({ accountId: SOURCE, region: R1, alias: 'alias/data' });
    const exportKey = w.sandbox.kms.createKey({ accountId: SOURCE, region: R1, alias: 'alias/export' });
    w.sandbox.rds.createDbInstance({ accountId: SOURCE, region: R1, identifier: 'orders-db', engine: 'postgres', allocatedStorageGiB: opts.sizeGiB ?? 100, storageEncrypted: true, kmsKeyId: dataKey.arn });
    const snap = w.sandbox.rds.createManualSnapshot({ accountId: SOURCE, region: R1, dbIdentifier: 'orders-db', kind: 'instance', identifier: 'snap-1' });
    w.sandbox.s3.createBucket({ accountId: SOURCE, region: R1, name: BUCKET, kmsKeyArn: exportKey.arn });
    const exportRole = role(w, SOURCE, 'rsv-export', [exportRolePolicy()], exportTrust);
    const caller = role(
      w,
      SOURCE,
      'export-fn',
      opts.callerPolicies ?? [
        allow(['rds:StartExportTask', 'rds:DescribeExportTasks', 'rds:CancelExportTask']),
        { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'iam:PassRole', Resource: exportRole, Condition: { StringEquals: { 'iam:PassedToService': 'export.rds.amazonaws.com' } } }] },
        allow(['kms:CreateGrant', 'kms:DescribeKey'], exportKey.arn),
      ],
    );
    const input = (over: Partial<StartExportTaskCommandInput> = {}): StartExportTaskCommandInput => ({
      ExportTaskIdentifier: 'exp-1',
      SourceArn: snap.arn,
      S3BucketName: BUCKET,
      IamRoleArn: exportRole,
      KmsKeyId: exportKey.arn,
      S3Prefix: 'exports/orders-db/2026-11-20',
      ...over,
    });
    return { rds: w.rds(caller), snap, exportKey, exportRole, caller, input, dataKey };
  }

  it('STARTING (~10 min) -> IN_PROGRESS with rising PercentProgress -> COMPLETE after 20 min + 6 s/GiB; files and RDS-EVENT-0161 appear at the completion instant', async () => {
    const { rds, snap, input, exportKey } = setUp({ sizeGiB: 100 });
    expect(exportDurationSeconds({ sizeGiB: 100 })).toBe(1800);
    expect(exportDurationSeconds({ sizeGiB: 4096 }) / 3600).toBeGreaterThan(7);
    expect(() => exportDurationSeconds({ sizeGiB: -1 })).toThrow(RangeError);
    const started = await rds.send(new StartExportTaskCommand(input()));
    expect(started).toMatchObject({ ExportTaskIdentifier: 'exp-1', SourceArn: snap.arn, S3Bucket: BUCKET, S3Prefix: 'exports/orders-db/2026-11-20', Status: 'STARTING', PercentProgress: 0, SourceType: 'SNAPSHOT', KmsKeyId: exportKey.arn });
    expect(started.TaskStartTime?.toISOString()).toBe('2026-11-20T05:00:00.000Z');
    const describe = async () => (await rds.send(new DescribeExportTasksCommand({ ExportTaskIdentifier: 'exp-1' }))).ExportTasks![0]!;
    const seen: string[] = [];
    for (let t = 0; t < 1800; t += 300) {
      const d = await describe();
      seen.push(`${d.Status}:${d.PercentProgress}`);
      expect(w.sandbox.s3.listObjects(BUCKET)).toEqual([]);
      w.clock.advance(300);
    }
    expect(EXPORT_STARTING_SECONDS).toBe(600);
    expect(seen).toEqual(['STARTING:0', 'STARTING:0', 'IN_PROGRESS:0', 'IN_PROGRESS:25', 'IN_PROGRESS:50', 'IN_PROGRESS:75']);
    w.clock.advance(3600); // observed long after completion
    const done = await describe();
    expect(done).toMatchObject({ Status: 'COMPLETE', PercentProgress: 100, TotalExtractedDataInGB: 50 });
    expect(done.TaskEndTime?.toISOString()).toBe('2026-11-20T05:30:00.000Z');
    const objects = w.sandbox.s3.listObjects(BUCKET, 'exports/orders-db/2026-11-20/exp-1/');
    const keys = objects.map((o) => o.key.replace('exports/orders-db/2026-11-20/exp-1/', ''));
    expect(keys).toContain('export_info_exp-1.json');
    expect(keys).toContain('export_tables_info_exp-1_from_1_to_3.json');
    expect(keys.filter((k) => /^orders_db\/public\.[a-z_]+\/1\/part-00000-[0-9a-f-]{36}\.gz\.parquet$/.test(k))).toHaveLength(3);
    for (const o of objects) {
      expect(o.lastModified).toBe('2026-11-20T05:30:00.000Z');
      expect(o.kmsKeyArn).toBe(exportKey.arn);
    }
    const manifest = JSON.parse(await (await w.s3(root(SOURCE)).send(new GetObjectCommand({ Bucket: BUCKET, Key: 'exports/orders-db/2026-11-20/exp-1/export_info_exp-1.json' }))).Body!.transformToString());
    expect(manifest).toMatchObject({ exportTaskIdentifier: 'exp-1', sourceArn: snap.arn, status: 'COMPLETE', s3Bucket: BUCKET, tables: ['orders_db.public.customers', 'orders_db.public.orders', 'orders_db.public.order_items'] });
    const event = w.sandbox.events.emitted.find((e) => (e.detail as { EventID?: string }).EventID === 'RDS-EVENT-0161');
    expect(event).toMatchObject({
      source: 'aws.rds',
      'detail-type': 'RDS DB Snapshot Event',
      account: SOURCE,
      region: R1,
      time: '2026-11-20T05:30:00Z',
      resources: [snap.arn],
      detail: { EventCategories: ['notification'], SourceType: 'SNAPSHOT', SourceArn: snap.arn, SourceIdentifier: 'snap-1', Message: 'The snapshot export task completed.' },
    });
    // Settling is idempotent: no second event, no duplicate files.
    await rds.send(new DescribeExportTasksCommand({}));
    expect(w.sandbox.events.emitted.filter((e) => (e.detail as { EventID?: string }).EventID === 'RDS-EVENT-0161')).toHaveLength(1);
    expect(w.sandbox.s3.listObjects(BUCKET)).toHaveLength(5);
  });

  it('identifiers: RDS identifier rules and at most 60 characters (InvalidParameterValue); an existing identifier or a snapshot already being exported fails with ExportTaskAlreadyExistsFault', async () => {
    const { rds, input } = setUp();
    for (const bad of ['1exp', 'exp_1', 'exp-', 'ex--p', `e${'x'.repeat(60)}`]) {
      const e = await expectAwsError(rds.send(new StartExportTaskCommand(input({ ExportTaskIdentifier: bad }))), 'InvalidParameterValue');
      expect(e.message).toContain('ExportTaskIdentifier is not a valid identifier');
    }
    await rds.send(new StartExportTaskCommand(input({ ExportTaskIdentifier: `E${'x'.repeat(59)}` })));
    expect(w.sandbox.rds.getExportTask(`e${'x'.repeat(59)}`)?.status).toBe('STARTING'); // stored lower-case
    const dup = await expectAwsError(rds.send(new StartExportTaskCommand(input({ ExportTaskIdentifier: `e${'x'.repeat(59)}` }))), 'ExportTaskAlreadyExistsFault');
    expect(dup.message).toContain('already exists');
    const same = await expectAwsError(rds.send(new StartExportTaskCommand(input({ ExportTaskIdentifier: 'exp-2' }))), 'ExportTaskAlreadyExistsFault');
    expect(same.message).toContain('already running');
    // Once the first export is over, the snapshot can be exported again (new identifier).
    w.clock.advance(exportDurationSeconds({ sizeGiB: 100 }));
    await rds.send(new StartExportTaskCommand(input({ ExportTaskIdentifier: 'exp-2' })));
    // ...but a finished task's identifier stays taken.
    await expectAwsError(rds.send(new StartExportTaskCommand(input({ ExportTaskIdentifier: `e${'x'.repeat(59)}` }))), 'ExportTaskAlreadyExistsFault');
  });

  it('the source must be an available DB (cluster) snapshot of the caller account and the client Region', async () => {
    const { rds, input, snap } = setUp();
    await expectAwsError(rds.send(new StartExportTaskCommand(input({ SourceArn: `arn:aws:rds:${R1}:${SOURCE}:snapshot:nope` }))), 'DBSnapshotNotFoundFault');
    await expectAwsError(rds.send(new StartExportTaskCommand(input({ SourceArn: `arn:aws:rds:${R1}:${SOURCE}:cluster-snapshot:nope` }))), 'DBClusterSnapshotNotFoundFault');
    await expectAwsError(rds.send(new StartExportTaskCommand(input({ SourceArn: snap.arn.replace(SOURCE, VAULT) }))), 'DBSnapshotNotFoundFault');
    await expectAwsError(w.rds(root(SOURCE), R2).send(new StartExportTaskCommand(input())), 'DBSnapshotNotFoundFault');
    await expectAwsError(rds.send(new StartExportTaskCommand(input({ SourceArn: 'snap-1' }))), 'InvalidParameterValue');
    await w.rds(root(SOURCE)).send(new CopyDBSnapshotCommand({ SourceDBSnapshotIdentifier: 'snap-1', TargetDBSnapshotIdentifier: 'copying' }));
    const e = await expectAwsError(rds.send(new StartExportTaskCommand(input({ SourceArn: `arn:aws:rds:${R1}:${SOURCE}:snapshot:copying` }))), 'InvalidExportSourceStateFault');
    expect(e.message).toContain('creating');
    await expectAwsError(rds.send(new StartExportTaskCommand(input({ ExportOnly: ['orders db'] }))), 'InvalidExportOnlyFault');
    await expectAwsError(rds.send(new StartExportTaskCommand(input({ S3Prefix: 'a:b' }))), 'InvalidParameterValue');
    await expectAwsError(rds.send(new StartExportTaskCommand({ ...input(), KmsKeyId: undefined })), 'MissingParameter');
  });

  it('the bucket must exist in the snapshot Region (InvalidS3BucketFault)', async () => {
    const { rds, input } = setUp();
    await expectAwsError(rds.send(new StartExportTaskCommand(input({ S3BucketName: 'no-such-bucket-x' }))), 'InvalidS3BucketFault');
    w.sandbox.s3.createBucket({ accountId: SOURCE, region: R2, name: 'exports-in-r2' });
    const e = await expectAwsError(rds.send(new StartExportTaskCommand(input({ S3BucketName: 'exports-in-r2' }))), 'InvalidS3BucketFault');
    expect(e.message).toContain(R1);
  });

  it('the role must exist (IamRoleNotFoundFault), trust export.rds.amazonaws.com and allow the S3 actions on the bucket (IamRoleMissingPermissionsFault); a bucket policy deny is InvalidS3BucketFault', async () => {
    const { rds, input, caller } = setUp();
    // The caller may pass any role here, so only RDS's own checks fail.
    w.sandbox.iam.putRole({ ...w.sandbox.iam.getRole(caller)!, policies: [...w.sandbox.iam.getRole(caller)!.policies, allow(['iam:PassRole'])] });
    await expectAwsError(rds.send(new StartExportTaskCommand(input({ IamRoleArn: `arn:aws:iam::${SOURCE}:role/missing` }))), 'IamRoleNotFoundFault');
    const untrusted = role(w, SOURCE, 'untrusted', [exportRolePolicy()]);
    expect((await expectAwsError(rds.send(new StartExportTaskCommand(input({ IamRoleArn: untrusted }))), 'IamRoleMissingPermissionsFault')).message).toContain('export.rds.amazonaws.com');
    for (const missing of ['s3:ListBucket', 's3:GetBucketLocation', 's3:PutObject*']) {
      const actions = ['s3:PutObject*', 's3:GetObject*', 's3:ListBucket', 's3:DeleteObject*', 's3:GetBucketLocation'].filter((a) => a !== missing);
      const weak = role(w, SOURCE, `weak-${missing.replace(/[^a-z]/gi, '')}`, [exportRolePolicy(BUCKET, actions)], exportTrust);
      const e = await expectAwsError(rds.send(new StartExportTaskCommand(input({ IamRoleArn: weak }))), 'IamRoleMissingPermissionsFault');
      expect(e.message).toContain(missing.replace('*', ''));
    }
    w.sandbox.s3.putBucketPolicy(BUCKET, { Version: '2012-10-17', Statement: [{ Effect: 'Deny', Principal: '*', Action: 's3:PutObject', Resource: `arn:aws:s3:::${BUCKET}/*` }] });
    await expectAwsError(rds.send(new StartExportTaskCommand(input())), 'InvalidS3BucketFault');
  });

  it('the caller needs iam:PassRole on the role for export.rds.amazonaws.com (AccessDenied) and rds:StartExportTask', async () => {
    const base = [allow(['rds:StartExportTask']), allow(['kms:CreateGrant', 'kms:DescribeKey'])];
    const { rds, input, exportRole } = setUp({ callerPolicies: base });
    const e = await expectAwsError(rds.send(new StartExportTaskCommand(input())), 'AccessDenied');
    expect(e.message).toContain(`iam:PassRole on resource: ${exportRole}`);
    const wrongService = role(w, SOURCE, 'wrong-service', [
      ...base,
      { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'iam:PassRole', Resource: exportRole, Condition: { StringEquals: { 'iam:PassedToService': 'lambda.amazonaws.com' } } }] },
    ]);
    await expectAwsError(w.rds(wrongService).send(new StartExportTaskCommand(input())), 'AccessDenied');
    const noStart = role(w, SOURCE, 'no-start', [allow(['iam:PassRole']), allow(['kms:*'])]);
    expect((await expectAwsError(w.rds(noStart).send(new StartExportTaskCommand(input())), 'AccessDenied')).message).toContain('rds:StartExportTask');
  });

  it('the KMS key must be an enabled customer managed key of the Region that the caller may CreateGrant/DescribeKey (KMSKeyNotAccessibleFault)', async () => {
    const { rds, input, exportKey } = setUp();
    await expectAwsError(rds.send(new StartExportTaskCommand(input({ KmsKeyId: 'alias/aws/rds' }))), 'KMSKeyNotAccessibleFault');
    w.sandbox.kms.defaultRdsKey(SOURCE, R1);
    expect((await expectAwsError(rds.send(new StartExportTaskCommand(input({ KmsKeyId: 'alias/aws/rds' }))), 'KMSKeyNotAccessibleFault')).message).toContain('customer managed');
    const otherRegion = w.sandbox.kms.createKey({ accountId: SOURCE, region: R2 });
    await expectAwsError(rds.send(new StartExportTaskCommand(input({ KmsKeyId: otherRegion.arn }))), 'KMSKeyNotAccessibleFault');
    const notGranted = w.sandbox.kms.createKey({ accountId: SOURCE, region: R1 });
    await expectAwsError(rds.send(new StartExportTaskCommand(input({ KmsKeyId: notGranted.arn }))), 'KMSKeyNotAccessibleFault'); // caller IAM covers only the export key
    w.sandbox.kms.disableKey(exportKey.arn);
    await expectAwsError(rds.send(new StartExportTaskCommand(input({ KmsKeyId: 'alias/export' }))), 'KMSKeyNotAccessibleFault');
    w.sandbox.kms.enableKey(exportKey.arn);
    await expect(rds.send(new StartExportTaskCommand(input({ KmsKeyId: 'alias/export' })))).resolves.toMatchObject({ Status: 'STARTING' });
  });

  it('at most 5 export tasks STARTING/IN_PROGRESS per account and Region: the 6th fails with ExportTaskLimitReachedFault until one ends', async () => {
    const { rds, input } = setUp({ sizeGiB: 20 });
    for (let i = 1; i <= 6; i++) w.sandbox.rds.createManualSnapshot({ accountId: SOURCE, region: R1, dbIdentifier: 'orders-db', kind: 'instance', identifier: `s${i}` });
    const arn = (i: number) => `arn:aws:rds:${R1}:${SOURCE}:snapshot:s${i}`;
    for (let i = 1; i <= 5; i++) {
      await rds.send(new StartExportTaskCommand(input({ ExportTaskIdentifier: `e${i}`, SourceArn: arn(i) })));
      w.clock.advance(60);
    }
    const e = await expectAwsError(rds.send(new StartExportTaskCommand(input({ ExportTaskIdentifier: 'e6', SourceArn: arn(6) }))), 'ExportTaskLimitReachedFault');
    expect(e.$metadata?.httpStatusCode).toBe(400);
    expect(w.sandbox.calls.at(-1)).toMatchObject({ operation: 'StartExportTask', errorName: 'ExportTaskLimitReachedFault' });
    // Other Regions/accounts have their own limit; a failed task frees its slot at once.
    w.sandbox.rds.failExportTask('e3');
    await rds.send(new StartExportTaskCommand(input({ ExportTaskIdentifier: 'e6', SourceArn: arn(6) })));
    await expectAwsError(rds.send(new StartExportTaskCommand(input({ ExportTaskIdentifier: 'e7', SourceArn: arn(3) }))), 'ExportTaskLimitReachedFault');
    // e1 completes 22 min after its start (the clock is 5 min past it now): a slot frees.
    w.clock.advance(exportDurationSeconds({ sizeGiB: 20 }) - 5 * 60);
    expect(w.sandbox.rds.getExportTask('e1')?.status).toBe('COMPLETE');
    expect(w.sandbox.rds.getExportTask('e2')?.status).toBe('IN_PROGRESS');
    await rds.send(new StartExportTaskCommand(input({ ExportTaskIdentifier: 'e7', SourceArn: arn(3) })));
    w.sandbox.rds.setQuota(SOURCE, R1, { concurrentExportTasks: 6 });
    w.sandbox.rds.createManualSnapshot({ accountId: SOURCE, region: R1, dbIdentifier: 'orders-db', kind: 'instance', identifier: 's8' });
    await rds.send(new StartExportTaskCommand(input({ ExportTaskIdentifier: 'e8', SourceArn: arn(8) })));
  });

  it('DescribeExportTasks: ExportTaskNotFoundFault for an unknown id; SourceArn and status filters; MaxRecords 20-100 with Marker; only the caller account/Region', async () => {
    const { rds, input, snap } = setUp({ sizeGiB: 20 });
    w.sandbox.rds.setQuota(SOURCE, R1, { concurrentExportTasks: 100 });
    for (let i = 1; i <= 25; i++) {
      const s = w.sandbox.rds.createManualSnapshot({ accountId: SOURCE, region: R1, dbIdentifier: 'orders-db', kind: 'instance', identifier: `p${i}` });
      await rds.send(new StartExportTaskCommand(input({ ExportTaskIdentifier: `t${i}`, SourceArn: s.arn })));
    }
    await rds.send(new StartExportTaskCommand(input({ ExportTaskIdentifier: 'mine' })));
    await expectAwsError(rds.send(new DescribeExportTasksCommand({ ExportTaskIdentifier: 'nope' })), 'ExportTaskNotFoundFault');
    await expectAwsError(w.rds(root(SOURCE), R2).send(new DescribeExportTasksCommand({ ExportTaskIdentifier: 'mine' })), 'ExportTaskNotFoundFault');
    expect((await rds.send(new DescribeExportTasksCommand({ SourceArn: snap.arn }))).ExportTasks?.map((t) => t.ExportTaskIdentifier)).toEqual(['mine']);
    const ids: string[] = [];
    let marker: string | undefined;
    let pages = 0;
    do {
      const out = await rds.send(new DescribeExportTasksCommand({ MaxRecords: 20, ...(marker ? { Marker: marker } : {}) }));
      ids.push(...(out.ExportTasks ?? []).map((t) => t.ExportTaskIdentifier!));
      marker = out.Marker;
      pages++;
    } while (marker);
    expect(pages).toBe(2);
    expect(ids).toHaveLength(26);
    await expectAwsError(rds.send(new DescribeExportTasksCommand({ MaxRecords: 10 })), 'InvalidParameterValue');
    w.sandbox.rds.failExportTask('t2');
    expect((await rds.send(new DescribeExportTasksCommand({ Filters: [{ Name: 'status', Values: ['failed'] }] }))).ExportTasks?.map((t) => [t.ExportTaskIdentifier, t.Status])).toEqual([['t2', 'FAILED']]);
    expect((await rds.send(new DescribeExportTasksCommand({ ExportTaskIdentifier: 't2' }))).ExportTasks?.[0]?.FailureCause).toContain('failed');
    const denied = role(w, SOURCE, 'nodescribe', []);
    await expectAwsError(w.rds(denied).send(new DescribeExportTasksCommand({})), 'AccessDenied');
  });

  it('CancelExportTask: CANCELING then CANCELED (RDS-EVENT-0160), no files; ended tasks fail with InvalidExportTaskStateFault; unknown with ExportTaskNotFoundFault', async () => {
    const { rds, input } = setUp();
    await rds.send(new StartExportTaskCommand(input()));
    w.clock.advance(900);
    const c = await rds.send(new CancelExportTaskCommand({ ExportTaskIdentifier: 'exp-1' }));
    expect(c).toMatchObject({ Status: 'CANCELING' });
    await expectAwsError(rds.send(new CancelExportTaskCommand({ ExportTaskIdentifier: 'exp-1' })), 'InvalidExportTaskStateFault');
    w.clock.advance(60);
    expect((await rds.send(new DescribeExportTasksCommand({ ExportTaskIdentifier: 'exp-1' }))).ExportTasks?.[0]?.Status).toBe('CANCELED');
    w.clock.advance(7200);
    expect(w.sandbox.rds.getExportTask('exp-1')?.status).toBe('CANCELED');
    expect(w.sandbox.s3.listObjects(BUCKET)).toEqual([]);
    expect(w.sandbox.events.emitted.map((e) => (e.detail as { EventID: string }).EventID)).toEqual(['RDS-EVENT-0160']);
    await expectAwsError(rds.send(new CancelExportTaskCommand({ ExportTaskIdentifier: 'exp-1' })), 'InvalidExportTaskStateFault');
    await expectAwsError(rds.send(new CancelExportTaskCommand({ ExportTaskIdentifier: 'nope' })), 'ExportTaskNotFoundFault');
  });

  it('failExportTask: FAILED with FailureCause and RDS-EVENT-0159, no files; a cluster snapshot export is SourceType CLUSTER and completes with RDS-EVENT-0164', async () => {
    const { rds, input, exportKey } = setUp();
    await rds.send(new StartExportTaskCommand(input()));
    w.clock.advance(700);
    w.sandbox.rds.failExportTask('exp-1', 'Table extraction failed');
    expect(() => w.sandbox.rds.failExportTask('exp-1')).toThrow(/already FAILED/);
    w.clock.advance(7200);
    expect((await rds.send(new DescribeExportTasksCommand({ ExportTaskIdentifier: 'exp-1' }))).ExportTasks?.[0]).toMatchObject({ Status: 'FAILED', FailureCause: 'Table extraction failed' });
    expect(w.sandbox.s3.listObjects(BUCKET)).toEqual([]);
    w.sandbox.rds.createDbCluster({ accountId: SOURCE, region: R1, identifier: 'catalog', engine: 'aurora-mysql', allocatedStorageGiB: 10, storageEncrypted: false });
    const cs = w.sandbox.rds.createManualSnapshot({ accountId: SOURCE, region: R1, dbIdentifier: 'catalog', kind: 'cluster', identifier: 'cs-1' });
    const out = await rds.send(new StartExportTaskCommand(input({ ExportTaskIdentifier: 'exp-c', SourceArn: cs.arn, KmsKeyId: exportKey.keyId, S3Prefix: undefined })));
    expect(out.SourceType).toBe('CLUSTER');
    w.clock.advance(exportDurationSeconds({ sizeGiB: 10 }));
    expect(w.sandbox.s3.listObjects(BUCKET, 'exp-c/').map((o) => o.key)).toContain('exp-c/catalog/catalog.orders/1/part-00000-' + w.sandbox.s3.listObjects(BUCKET, 'exp-c/catalog/catalog.orders/')[0]!.key.split('part-00000-')[1]);
    expect(w.sandbox.events.emitted.map((e) => [(e.detail as { EventID: string }).EventID, e['detail-type']])).toEqual([
      ['RDS-EVENT-0159', 'RDS DB Snapshot Event'],
      ['RDS-EVENT-0164', 'RDS DB Cluster Snapshot Event'],
    ]);
  });

  it('export calls are recorded and respect faults.inject', async () => {
    const { rds, input } = setUp();
    w.sandbox.faults.inject({ service: 'rds', operation: 'StartExportTask', error: { name: 'ThrottlingException' } });
    await expectAwsError(rds.send(new StartExportTaskCommand(input())), 'ThrottlingException');
    expect(w.sandbox.rds.listExportTasks()).toEqual([]);
    await rds.send(new StartExportTaskCommand(input()));
    expect(w.sandbox.calls.filter((c) => c.operation === 'StartExportTask').map((c) => c.errorName)).toEqual(['ThrottlingException', undefined]);
  });
});
