import 'aws-sdk-client-mock-vitest/extend';
import { DescribeExportTasksCommand, StartExportTaskCommand, type ExportTask } from '@aws-sdk/client-rds';
import fc from 'fast-check';
import { beforeEach, describe, expect, it } from 'vitest';
import { isExportLimitError } from '../../functions/export-to-s3/export.js';
import { createHandler } from '../../functions/export-to-s3/index.js';
import type { ExportToS3Output } from '../../contracts/shapes.js';
import { exportTaskIdentifier, MAX_EXPORT_TASK_IDENTIFIER_LENGTH } from '../../functions/shared/exports.js';
import { awsError, BASE_ENV, caught, COPY_ID, fakeContext, NOW, REGION, SOURCE_ACCOUNT, sourceCopyRef, testClients, type TestClients } from './helpers.js';

const BUCKET = 'rsv-exports-111111111111-eu-west-1';
const ROLE = `arn:aws:iam::${SOURCE_ACCOUNT}:role/rsv-export`;
const KEY = `arn:aws:kms:${REGION}:${SOURCE_ACCOUNT}:key/aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee`;
const ENV = { ...BASE_ENV, EXPORT_BUCKET: BUCKET, EXPORT_PREFIX: 'exports', EXPORT_ROLE_ARN: ROLE, EXPORT_KMS_KEY_ARN: KEY };
const ID = COPY_ID;
const snapshot = sourceCopyRef('2026-11-20T23:59:30.000Z');
const database = { identifier: 'orders-db', kind: 'instance' } as const;
const event = { database, runId: 'run-1', snapshot };

let t: TestClients;
const invoke = (e: unknown, env: Record<string, string | undefined> = ENV) =>
  createHandler({ env, clients: t.factory, now: () => NOW })(e, fakeContext('export-to-s3')) as Promise<ExportToS3Output>;
const task = (p: Partial<ExportTask>): ExportTask => ({ ExportTaskIdentifier: ID, SourceArn: snapshot.arn, S3Bucket: BUCKET, S3Prefix: 'exports/orders-db/2026-11-20', Status: 'STARTING', ...p });
/** DescribeExportTasks: by identifier -> `byId` or ExportTaskNotFoundFault; the listing -> `running`. */
function describeTasks(byId: Record<string, ExportTask>, running: ExportTask[] = []): void {
  t.sourceRds.on(DescribeExportTasksCommand).callsFake((i: { ExportTaskIdentifier?: string }) => {
    if (i.ExportTaskIdentifier !== undefined) {
      const found = byId[i.ExportTaskIdentifier];
      if (!found) throw awsError('ExportTaskNotFoundFault', `Cannot find export task with ID ${i.ExportTaskIdentifier}`);
      return { ExportTasks: [found] };
    }
    return { ExportTasks: running };
  });
}

beforeEach(() => {
  t = testClients();
});

describe('export-to-s3', () => {
  it('starts the export with the snapshot identifier, bucket, <prefix>/<db>/<UTC date of createTime>, role and key', async () => {
    describeTasks({});
    t.sourceRds.on(StartExportTaskCommand).resolves(task({}));
    const out = await invoke(event);
    expect(t.sourceRds).toHaveReceivedCommandWith(StartExportTaskCommand, {
      ExportTaskIdentifier: ID,
      SourceArn: snapshot.arn,
      S3BucketName: BUCKET,
      S3Prefix: 'exports/orders-db/2026-11-20',
      IamRoleArn: ROLE,
      KmsKeyId: KEY,
    });
    expect(out).toEqual({
      exportTask: {
        identifier: ID,
        sourceArn: snapshot.arn,
        region: REGION,
        s3Bucket: BUCKET,
        s3Prefix: 'exports/orders-db/2026-11-20',
        s3Uri: `s3://${BUCKET}/exports/orders-db/2026-11-20/${ID}/`,
        status: 'STARTING',
      },
      created: true,
      startedAt: NOW.toISOString(),
    });
    expect(t.rdsOptions).toEqual([{ region: REGION }]);
  });

  it('re-run: an existing task with this identifier and the same SourceArn is reused (created=false), no StartExportTask', async () => {
    describeTasks({ [ID]: task({ Status: 'IN_PROGRESS', PercentProgress: 40 }) });
    const out = await invoke(event);
    expect(out.created).toBe(false);
    expect(out.exportTask.status).toBe('IN_PROGRESS');
    expect(t.sourceRds).not.toHaveReceivedCommand(StartExportTaskCommand);
  });

  it('a concurrent start (ExportTaskAlreadyExistsFault) is resolved by describing: same source -> reused', async () => {
    let described = 0;
    t.sourceRds.on(DescribeExportTasksCommand).callsFake((i: { ExportTaskIdentifier?: string }) => {
      if (i.ExportTaskIdentifier === undefined) return { ExportTasks: [] };
      if (described++ === 0) throw awsError('ExportTaskNotFoundFault');
      return { ExportTasks: [task({})] };
    });
    t.sourceRds.on(StartExportTaskCommand).rejects(awsError('ExportTaskAlreadyExistsFault', `The export task with the ID ${ID} already exists.`));
    const out = await invoke(event);
    expect(out.created).toBe(false);
  });

  it('an existing task of ANOTHER snapshot under that identifier -> ExportTaskIdentifierConflict', async () => {
    describeTasks({ [ID]: task({ SourceArn: `arn:aws:rds:${REGION}:${SOURCE_ACCOUNT}:snapshot:something-else` }) });
    const err = await caught(() => invoke(event));
    expect(err.name).toBe('ExportTaskIdentifierConflict');
    expect(err.message).toContain('something-else');
  });

  it('5 tasks already running -> ExportTaskLimitReached BEFORE calling StartExportTask; message says the state machine retries', async () => {
    const running = ['a', 'b', 'c', 'd', 'e'].map((x) => task({ ExportTaskIdentifier: `other-${x}`, Status: x === 'a' ? 'STARTING' : 'IN_PROGRESS' }));
    describeTasks({}, [...running, task({ ExportTaskIdentifier: 'old', Status: 'COMPLETE' })]);
    const err = await caught(() => invoke(event));
    expect(err.name).toBe('ExportTaskLimitReached');
    expect(err.message).toMatch(/retries/);
    expect(err.message).toContain('5');
    expect(t.sourceRds).not.toHaveReceivedCommand(StartExportTaskCommand);
    expect(t.sourceRds).toHaveReceivedCommandWith(DescribeExportTasksCommand, { Filters: [{ Name: 'status', Values: ['starting', 'in_progress'] }] });
  });

  it('4 running + a COMPLETE one (filter ignored by the endpoint) -> still starts', async () => {
    const tasks = ['a', 'b', 'c', 'd'].map((x) => task({ ExportTaskIdentifier: `other-${x}`, Status: 'IN_PROGRESS' }));
    describeTasks({}, [...tasks, task({ ExportTaskIdentifier: 'old', Status: 'COMPLETE' }), task({ ExportTaskIdentifier: 'bad', Status: 'FAILED' })]);
    t.sourceRds.on(StartExportTaskCommand).resolves(task({}));
    expect((await invoke(event)).created).toBe(true);
  });

  it('the limit reported by StartExportTask itself (race) -> ExportTaskLimitReached', async () => {
    describeTasks({});
    t.sourceRds.on(StartExportTaskCommand).rejects(awsError('InvalidExportSourceStateFault', 'You have reached the maximum number of concurrent export tasks for this account.'));
    expect((await caught(() => invoke(event))).name).toBe('ExportTaskLimitReached');
  });

  it('bucket / role / key problems -> ExportConfigurationInvalid naming the variable to fix', async () => {
    for (const [fault, setting] of [
      ['InvalidS3BucketFault', 'EXPORT_BUCKET'],
      ['IamRoleNotFoundFault', 'EXPORT_ROLE_ARN'],
      ['IamRoleMissingPermissionsFault', 'EXPORT_ROLE_ARN'],
      ['KMSKeyNotAccessibleFault', 'EXPORT_KMS_KEY_ARN'],
    ] as const) {
      t = testClients();
      describeTasks({});
      t.sourceRds.on(StartExportTaskCommand).rejects(awsError(fault, 'The IAM role requires additional permissions to export to an Amazon S3 bucket.'));
      const err = await caught(() => invoke(event));
      expect(err.name, fault).toBe('ExportConfigurationInvalid');
      expect(err.message).toContain(setting);
      expect((err as unknown as { setting: string }).setting).toBe(setting);
    }
  });

  it('snapshot not available -> SnapshotNotAvailable (input status, or InvalidExportSourceStateFault); gone -> SnapshotNotFound', async () => {
    const creating = await caught(() => invoke({ ...event, snapshot: { ...snapshot, status: 'creating' } }));
    expect(creating.name).toBe('SnapshotNotAvailable');
    expect(t.sourceRds).not.toHaveReceivedAnyCommand();

    describeTasks({});
    t.sourceRds.on(StartExportTaskCommand).rejects(awsError('InvalidExportSourceStateFault', 'The snapshot is not in the available state.'));
    expect((await caught(() => invoke(event))).name).toBe('SnapshotNotAvailable');

    t = testClients();
    describeTasks({});
    t.sourceRds.on(StartExportTaskCommand).rejects(awsError('DBSnapshotNotFoundFault'));
    expect((await caught(() => invoke(event))).name).toBe('SnapshotNotFound');
  });

  it('input and environment validation', async () => {
    const other = await caught(() => invoke({ ...event, snapshot: { ...snapshot, region: 'us-east-1', arn: snapshot.arn.replace(REGION, 'us-east-1') } }));
    expect(other.name).toBe('InvalidInput');
    const noTime = await caught(() => invoke({ ...event, snapshot: { ...snapshot, createTime: undefined } }));
    expect(noTime.message).toContain('snapshot.createTime');
    const key = await caught(() => invoke(event, { ...ENV, EXPORT_KMS_KEY_ARN: KEY.replace(REGION, 'us-east-1') }));
    expect(key.name).toBe('InvalidEnvironment');
    expect(key.message).toContain('EXPORT_KMS_KEY_ARN');
    const colon = await caught(() => invoke(event, { ...ENV, EXPORT_PREFIX: 'a:b' }));
    expect(colon.message).toContain('EXPORT_PREFIX');
    const bucket = await caught(() => invoke(event, { ...ENV, EXPORT_BUCKET: 'Bad_Bucket' }));
    expect(bucket.message).toContain('EXPORT_BUCKET');
  });
});

describe('exportTaskIdentifier', () => {
  it('keeps identifiers up to 60 characters and shortens longer ones deterministically with a hash', () => {
    expect(exportTaskIdentifier(ID)).toBe(ID);
    const long = `rsv-${'a'.repeat(63)}-202611200400`; // 80 characters, the longest copy identifier
    const short = exportTaskIdentifier(long);
    expect(short.length).toBeLessThanOrEqual(MAX_EXPORT_TASK_IDENTIFIER_LENGTH);
    expect(short).toBe(exportTaskIdentifier(long));
    // two copies of the same long-named database, one minute apart, differ only at the end
    expect(exportTaskIdentifier(long.replace(/00$/, '01'))).not.toBe(short);
    expect(exportTaskIdentifier('rds:orders-db-2026-11-20-04-00')).toBe('rds-orders-db-2026-11-20-04-00');
  });

  it('always yields a valid RDS identifier of at most 60 characters', () => {
    fc.assert(
      fc.property(fc.string({ minLength: 1, maxLength: 255 }).filter((s) => /[a-z0-9]/i.test(s)), (s) => {
        const id = exportTaskIdentifier(s);
        return id.length >= 1 && id.length <= 60 && /^[a-z][a-z0-9-]*$/.test(id) && !id.includes('--') && !id.endsWith('-');
      }),
      { numRuns: 2000 },
    );
  });
});

describe('isExportLimitError', () => {
  it('does not mistake configuration faults for the limit', () => {
    expect(isExportLimitError(awsError('IamRoleMissingPermissionsFault', 'The IAM role requires additional permissions to export to an Amazon S3 bucket.'))).toBe(false);
    expect(isExportLimitError(awsError('LimitExceededException', 'x'))).toBe(true);
    expect(isExportLimitError(awsError('ExportTaskLimitReachedFault', 'x'))).toBe(true);
  });
});
