/**
 * The metrics the operations dashboards plot that no alarm watches (infra/constructs/dashboard.ts):
 * poll-status's copies-in-progress gauge and record-evidence's drill results and RTO, as EMF lines
 * on stdout (what CloudWatch turns into metrics), with metrics enabled.
 */
import 'aws-sdk-client-mock-vitest/extend';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { DynamoDBClient, GetItemCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createHandler as createPollStatus } from '../../functions/poll-status/index.js';
import { createHandler as createRecordEvidence } from '../../functions/record-evidence/index.js';
import type { PollStatusOutput, SnapshotRef } from '../../contracts/shapes.js';
import { BASE_ENV, dbSnapshot, fakeContext, NOW, REGION, routeDescribes, SOURCE_ACCOUNT, testClients, VAULT_ACCOUNT, VAULT_REGION, VAULT_ROLE_ARN, type TestClients } from './helpers.js';

/** Metrics on: BASE_ENV without POWERTOOLS_METRICS_DISABLED. */
const { POWERTOOLS_METRICS_DISABLED: _off, ...METRICS_ON } = BASE_ENV;

let written: string[] = [];
beforeEach(() => {
  written = [];
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => (written.push(String(chunk)), true));
});
afterEach(() => vi.restoreAllMocks());

/** The EMF documents written so far that carry `metric`. */
function emf(metric: string): Array<Record<string, any>> {
  return written
    .flatMap((l) => l.split('\n'))
    .filter((l) => l.includes('"_aws"'))
    .map((l) => JSON.parse(l) as Record<string, any>)
    .filter((d) => d[metric] !== undefined);
}

describe('poll-status: CopiesInProgress (the copy slot table\'s count)', () => {
  let t: TestClients;
  const ENV = { ...METRICS_ON, VAULT_ACCOUNT_ID: VAULT_ACCOUNT, VAULT_ROLE_ARN, VAULT_EXTERNAL_ID: 'ext-123', COPY_SLOT_TABLE: 'rsv-copy-slots' };
  const nowS = Math.floor(NOW.getTime() / 1000);
  const ref = (accountId: string, region: string, id: string): SnapshotRef => ({
    kind: 'instance',
    identifier: id,
    arn: `arn:aws:rds:${region}:${accountId}:snapshot:${id}`,
    accountId,
    region,
    status: 'creating',
  });
  const poll = (env: Record<string, string>, snapshot: SnapshotRef, attempt: number) =>
    createPollStatus({ env, clients: t.factory, now: () => NOW })({ snapshot, attempt, copyStartedAt: '2026-11-21T04:30:00.000Z' }, fakeContext('poll-status')) as Promise<PollStatusOutput>;
  const holders = (h: Record<string, number>) => ({ M: Object.fromEntries(Object.entries(h).map(([k, v]) => [k, { N: String(v) }])) });
  let ddb: ReturnType<typeof mockClient>;
  beforeEach(() => {
    t = testClients();
    ddb = mockClient(DynamoDBClient);
  });
  afterEach(() => ddb.restore());

  it('after each poll: the live holders of the copy\'s destination and kind (after recording its expected release, or after releasing a finished copy), with Account, Region and Kind', async () => {
    routeDescribes(t.sourceRds, { byId: { 'rsv-orders-db-202611200400': dbSnapshot({ id: 'rsv-orders-db-202611200400', status: 'creating', percent: 90 }) } });
    routeDescribes(t.vaultRds, { byId: { 'rsv-billing-db-202611200400': dbSnapshot({ id: 'rsv-billing-db-202611200400', account: VAULT_ACCOUNT, region: VAULT_REGION, status: 'available', percent: 100 }) } });
    // In progress: the expected release's UpdateItem returns the item (ALL_NEW): 3 holders, one of them with a lapsed lease.
    ddb.on(UpdateItemCommand, { ReturnValues: 'ALL_NEW' }).resolves({
      Attributes: { holders: holders({ 'rsv-orders-db-202611200400': nowS + 3600, other: nowS + 60, lapsed: nowS - 1 }) },
    });
    await poll(ENV, ref(SOURCE_ACCOUNT, REGION, 'rsv-orders-db-202611200400'), 2);
    // Finished: released; 2 holders left besides it.
    ddb.on(GetItemCommand).resolves({ Item: { slot: { S: 'k' }, version: { N: '3' }, holders: holders({ 'rsv-billing-db-202611200400': nowS + 60, a: nowS + 60, b: nowS + 60 }) } });
    ddb.on(UpdateItemCommand, { ConditionExpression: '#version = :version' }).resolves({});
    const ready = await poll(ENV, ref(VAULT_ACCOUNT, VAULT_REGION, 'rsv-billing-db-202611200400'), 5);
    expect(ready.ready).toBe(true);
    const docs = emf('CopiesInProgress');
    expect(docs.map((d) => [d.service, d.Account, d.Region, d.Kind, d.CopiesInProgress])).toEqual([
      ['poll-status', SOURCE_ACCOUNT, REGION, 'instance', 2],
      ['poll-status', VAULT_ACCOUNT, VAULT_REGION, 'instance', 2],
    ]);
    expect(docs[0]!._aws.CloudWatchMetrics[0]).toMatchObject({
      Namespace: 'RdsSnapshotVault',
      Dimensions: [expect.arrayContaining(['service', 'Account', 'Region', 'Kind'])],
      Metrics: [{ Name: 'CopiesInProgress', Unit: 'Count' }],
    });
  });

  it('no slot recorded (the copy holds none, the write failed) or metrics disabled: no EMF', async () => {
    routeDescribes(t.sourceRds, { byId: { 'rsv-orders-db-202611200400': dbSnapshot({ id: 'rsv-orders-db-202611200400', status: 'creating', percent: 10 }) } });
    ddb.on(UpdateItemCommand).rejects(Object.assign(new Error('The conditional request failed'), { name: 'ConditionalCheckFailedException' }));
    await poll(ENV, ref(SOURCE_ACCOUNT, REGION, 'rsv-orders-db-202611200400'), 0);
    ddb.on(UpdateItemCommand).resolves({ Attributes: { holders: holders({ 'rsv-orders-db-202611200400': nowS + 60 }) } });
    await poll({ ...ENV, POWERTOOLS_METRICS_DISABLED: 'true' }, ref(SOURCE_ACCOUNT, REGION, 'rsv-orders-db-202611200400'), 0);
    expect(emf('CopiesInProgress')).toEqual([]);
  });
});

describe('record-evidence: DrillsPassed / DrillsFailed / DrillRtoSeconds', () => {
  const s3 = new S3Client({ region: REGION });
  const s3Mock = mockClient(s3);
  const record = (drill: Record<string, unknown>) => {
    const t = testClients();
    return createRecordEvidence({
      env: { ...METRICS_ON, EVIDENCE_BUCKET: 'rsv-evidence-bucket', EVIDENCE_PREFIX: 'drills' },
      clients: { ...t.factory, s3: () => s3 },
      now: () => NOW,
    })({ drill }, fakeContext('record-evidence'));
  };
  const target = {
    database: { identifier: 'orders-db', kind: 'instance' },
    engine: 'postgres',
    snapshotArn: `arn:aws:rds:${VAULT_REGION}:${VAULT_ACCOUNT}:snapshot:rsv-orders-db-202611200300`,
    snapshotTime: '2026-11-20T03:00:00.000Z',
    rpoHoursAtDrill: 26,
    restoreStartedAt: '2026-11-21T04:00:00.000Z',
    instanceIdentifier: 'rsv-drill-orders-db',
  };
  const restored = { status: 'available', nextAction: 'validate', availableAt: '2026-11-21T04:23:20.000Z', rtoSeconds: 1400, elapsedSeconds: 1400, timedOut: false, waitSeconds: 0, attempt: 9 };
  beforeEach(() => {
    s3Mock.reset();
    s3Mock.on(PutObjectCommand).resolves({});
  });

  it('a passed drill: DrillsPassed 1 and its RTO in seconds', async () => {
    const out = await record({ drillId: 'd1', database: target.database, target, poll: restored, validation: { driver: 'pg', checks: [] }, cleanup: { deleted: ['rsv-drill-orders-db'], alreadyGone: [] } });
    expect(out).toMatchObject({ status: 'PASSED', rtoSeconds: 1400 });
    expect(emf('DrillsPassed').map((d) => [d.service, d.DrillsPassed])).toEqual([['record-evidence', 1]]);
    expect(emf('DrillsFailed')).toEqual([]);
    const rto = emf('DrillRtoSeconds');
    expect(rto.map((d) => d.DrillRtoSeconds)).toEqual([1400]);
    expect(rto[0]!._aws.CloudWatchMetrics[0].Metrics).toEqual([{ Name: 'DrillRtoSeconds', Unit: 'Seconds' }]);
  });

  it('checks passed but cleanup failed: DrillsFailed (the verdict of the evidence record), RTO still recorded', async () => {
    const out = await record({ drillId: 'd2', database: target.database, target, poll: restored, validation: { driver: 'pg', checks: [] }, cleanupError: { Error: 'AccessDenied', Cause: '{}' } });
    expect(out.status).toBe('FAILED');
    expect(emf('DrillsFailed').map((d) => d.DrillsFailed)).toEqual([1]);
    expect(emf('DrillsPassed')).toEqual([]);
    expect(emf('DrillRtoSeconds').map((d) => d.DrillRtoSeconds)).toEqual([1400]);
  });

  it('a restore that never became available: DrillsFailed and no RTO', async () => {
    await record({ drillId: 'd3', database: target.database, target, failure: { Error: 'RestoreTimedOut', Cause: '{"errorMessage":"x"}' }, cleanup: { deleted: [], alreadyGone: [] } });
    expect(emf('DrillsFailed').map((d) => d.DrillsFailed)).toEqual([1]);
    expect(emf('DrillRtoSeconds')).toEqual([]);
  });
});
