import 'aws-sdk-client-mock-vitest/extend';
import { DescribeExportTasksCommand } from '@aws-sdk/client-rds';
import fc from 'fast-check';
import { beforeEach, describe, expect, it } from 'vitest';
import { createHandler, MAX_EXPORT_POLL_SECONDS, MIN_EXPORT_POLL_SECONDS, nextExportPollSeconds } from '../../functions/poll-export/index.js';
import type { ExportTaskRef, PollExportOutput } from '../../contracts/shapes.js';
import { awsError, BASE_ENV, caught, fakeContext, NOW, REGION, SOURCE_ACCOUNT, testClients, type TestClients } from './helpers.js';

const ref: ExportTaskRef = {
  identifier: 'rsv-orders-db-202611200400',
  sourceArn: `arn:aws:rds:${REGION}:${SOURCE_ACCOUNT}:snapshot:rsv-orders-db-202611200400`,
  region: REGION,
  s3Bucket: 'rsv-exports',
  s3Prefix: 'exports/orders-db/2026-11-20',
  s3Uri: 's3://rsv-exports/exports/orders-db/2026-11-20/rsv-orders-db-202611200400/',
  status: 'STARTING',
};
let t: TestClients;
const invoke = (e: unknown) => createHandler({ env: BASE_ENV, clients: t.factory, now: () => NOW })(e, fakeContext('poll-export')) as Promise<PollExportOutput>;
const reply = (p: Record<string, unknown>) =>
  t.sourceRds.on(DescribeExportTasksCommand).resolves({ ExportTasks: [{ ExportTaskIdentifier: ref.identifier, SourceArn: ref.sourceArn, ...p }] });

beforeEach(() => {
  t = testClients();
});

describe('poll-export', () => {
  it('IN_PROGRESS: progress, elapsed since TaskStartTime, bounded wait, attempt + 1', async () => {
    reply({ Status: 'IN_PROGRESS', PercentProgress: 20, TaskStartTime: new Date(NOW.getTime() - 3_600_000) });
    const out = await invoke({ exportTask: ref, attempt: 2 });
    expect(t.sourceRds).toHaveReceivedCommandWith(DescribeExportTasksCommand, { ExportTaskIdentifier: ref.identifier });
    // remaining ~ 3600 * 80 / 20 = 14400 s; half = 7200, capped at 3600
    expect(out).toMatchObject({ status: 'IN_PROGRESS', ready: false, percentProgress: 20, elapsedSeconds: 3600, attempt: 3, waitSeconds: 3600, checkedAt: NOW.toISOString() });
    expect(out.exportTask).toEqual({ ...ref, status: 'IN_PROGRESS' });
    expect(t.rdsOptions).toEqual([{ region: REGION }]);
  });

  it('COMPLETE -> ready', async () => {
    reply({ Status: 'COMPLETE', PercentProgress: 100 });
    const out = await invoke({ exportTask: ref, attempt: 7 });
    expect(out.ready).toBe(true);
    expect(out.percentProgress).toBe(100);
  });

  it('FAILED / CANCELED -> ExportTaskFailed with the FailureCause', async () => {
    for (const Status of ['FAILED', 'CANCELED']) {
      t = testClients();
      reply({ Status, FailureCause: 'S3 bucket access denied for role rsv-export' });
      const err = await caught(() => invoke({ exportTask: ref, attempt: 1 }));
      expect(err.name).toBe('ExportTaskFailed');
      expect(err.message).toContain('S3 bucket access denied for role rsv-export');
      expect(err.message).toContain(Status);
    }
  });

  it('missing task -> ExportTaskNotFound (fault or empty list)', async () => {
    t.sourceRds.on(DescribeExportTasksCommand).rejects(awsError('ExportTaskNotFoundFault'));
    expect((await caught(() => invoke({ exportTask: ref, attempt: 0 }))).name).toBe('ExportTaskNotFound');
    t = testClients();
    t.sourceRds.on(DescribeExportTasksCommand).resolves({ ExportTasks: [] });
    expect((await caught(() => invoke({ exportTask: ref, attempt: 0 }))).name).toBe('ExportTaskNotFound');
  });

  it('invalid event -> InvalidInput naming the field', async () => {
    const err = await caught(() => invoke({ exportTask: { ...ref, sourceArn: 'x' }, attempt: 0 }));
    expect(err.name).toBe('InvalidInput');
    expect(err.message).toContain('exportTask.sourceArn');
  });
});

describe('nextExportPollSeconds', () => {
  it('is an integer within [300, 3600] seconds for any input (including NaN, infinities, negatives)', () => {
    fc.assert(
      fc.property(fc.double(), fc.double(), fc.double(), (percentProgress, elapsedSeconds, attempt) => {
        const w = nextExportPollSeconds({ percentProgress, elapsedSeconds, attempt });
        return Number.isInteger(w) && w >= MIN_EXPORT_POLL_SECONDS && w <= MAX_EXPORT_POLL_SECONDS;
      }),
      { numRuns: 5000 },
    );
    expect([MIN_EXPORT_POLL_SECONDS, MAX_EXPORT_POLL_SECONDS]).toEqual([300, 3600]);
  });

  it('without progress backs off 300, 600, 1200, 2400, 3600 and never decreases with attempts', () => {
    expect([0, 1, 2, 3, 4, 30].map((attempt) => nextExportPollSeconds({ percentProgress: 0, elapsedSeconds: 50, attempt }))).toEqual([300, 600, 1200, 2400, 3600, 3600]);
    fc.assert(
      fc.property(fc.nat(100_000), fc.nat(60), (elapsedSeconds, attempt) =>
        nextExportPollSeconds({ percentProgress: 0, elapsedSeconds, attempt }) <= nextExportPollSeconds({ percentProgress: 0, elapsedSeconds, attempt: attempt + 1 }),
      ),
      { numRuns: 1000 },
    );
  });

  it('with progress waits about half the estimated remaining time; at 100% the minimum', () => {
    expect(nextExportPollSeconds({ percentProgress: 50, elapsedSeconds: 2400, attempt: 0 })).toBe(1200);
    expect(nextExportPollSeconds({ percentProgress: 100, elapsedSeconds: 99_999, attempt: 9 })).toBe(300);
  });
});
