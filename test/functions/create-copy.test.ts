import 'aws-sdk-client-mock-vitest/extend';
import {
  CopyDBClusterSnapshotCommand,
  CopyDBSnapshotCommand,
  DescribeDBInstancesCommand,
  type DBSnapshot,
} from '@aws-sdk/client-rds';
import { DynamoDBClient, GetItemCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { createHandler } from '../../functions/create-copy/index.js';
import { COPY_SLOT_WAIT_MAX_SECONDS, retryAfterSecondsOfCause } from '../../functions/shared/copy-slots.js';
import { TAGS, type CreateCopyOutput } from '../../contracts/shapes.js';
import {
  awsError,
  BASE_ENV,
  caught,
  dbClusterSnapshot,
  dbSnapshot,
  fakeContext,
  managedTagList,
  NOW,
  REGION,
  routeDescribes,
  SOURCE_ACCOUNT,
  SOURCE_KMS_KEY_ARN,
  testClients,
  type TestClients,
} from './helpers.js';

const ENV = { ...BASE_ENV, SOURCE_KMS_KEY_ARN };
const DEFAULT_KEY = `arn:aws:kms:${REGION}:${SOURCE_ACCOUNT}:key/aws-rds-default-0000`;
const instance = { identifier: 'orders-db', kind: 'instance' } as const;
const cluster = { identifier: 'users-cluster', kind: 'cluster' } as const;

let t: TestClients;
const invoke = (event: unknown, env: Record<string, string | undefined> = ENV) =>
  createHandler({ env, clients: t.factory, now: () => NOW })(event, fakeContext('create-copy')) as Promise<CreateCopyOutput>;

/** The copy RDS returns from CopyDBSnapshot. */
const copyOf = (id: string, source: DBSnapshot): DBSnapshot =>
  dbSnapshot({ id, type: 'manual', status: 'creating', percent: 0, kmsKeyId: SOURCE_KMS_KEY_ARN, created: NOW.toISOString(), tags: managedTagList('orders-db', source.DBSnapshotArn ?? '') });

beforeEach(() => {
  t = testClients();
});

describe('create-copy', () => {
  it('copies the NEWEST available automated snapshot across pages, re-encrypted with the source key and tagged', async () => {
    const older = dbSnapshot({ id: 'rds:orders-db-2026-11-18-04-00', created: '2026-11-18T04:00:00Z', kmsKeyId: DEFAULT_KEY });
    const creating = dbSnapshot({ id: 'rds:orders-db-2026-11-21-04-00', created: '2026-11-21T04:00:00Z', status: 'creating', kmsKeyId: DEFAULT_KEY });
    const newest = dbSnapshot({ id: 'rds:orders-db-2026-11-20-04-07', created: '2026-11-20T04:07:31Z', kmsKeyId: DEFAULT_KEY });
    const middle = dbSnapshot({ id: 'rds:orders-db-2026-11-19-04-00', created: '2026-11-19T04:00:00Z', kmsKeyId: DEFAULT_KEY });
    routeDescribes(t.sourceRds, { instancePages: [[older, creating], [newest], [middle]] });
    t.sourceRds.on(CopyDBSnapshotCommand).callsFake((i: { TargetDBSnapshotIdentifier: string }) => ({ DBSnapshot: copyOf(i.TargetDBSnapshotIdentifier, newest) }));

    const out = await invoke({ database: instance, runId: 'run-42' });

    expect(t.sourceRds).toHaveReceivedCommandTimes(CopyDBSnapshotCommand, 1);
    expect(t.sourceRds).toHaveReceivedCommandWith(CopyDBSnapshotCommand, {
      SourceDBSnapshotIdentifier: 'rds:orders-db-2026-11-20-04-07',
      TargetDBSnapshotIdentifier: 'rsv-orders-db-202611200407',
      KmsKeyId: SOURCE_KMS_KEY_ARN,
      Tags: [
        { Key: TAGS.MANAGED, Value: 'true' },
        { Key: TAGS.DATABASE, Value: 'orders-db' },
        { Key: TAGS.SOURCE_SNAPSHOT, Value: newest.DBSnapshotArn },
        { Key: TAGS.RUN, Value: 'run-42' },
        { Key: TAGS.COPY_REQUESTED_AT, Value: NOW.toISOString() },
      ],
    });
    expect(out.created).toBe(true);
    expect(out.startedAt).toBe(NOW.toISOString());
    expect(out.copyStartedAt).toBe(NOW.toISOString());
    expect(out.sourceSnapshot).toMatchObject({ identifier: newest.DBSnapshotIdentifier, kind: 'instance', accountId: SOURCE_ACCOUNT, region: REGION });
    expect(out.snapshot).toMatchObject({
      identifier: 'rsv-orders-db-202611200407',
      arn: `arn:aws:rds:${REGION}:${SOURCE_ACCOUNT}:snapshot:rsv-orders-db-202611200407`,
      status: 'creating',
      kmsKeyId: SOURCE_KMS_KEY_ARN,
    });
    expect(t.rdsOptions.every((o) => o.region === REGION && o.credentials === undefined)).toBe(true);
  });

  it('encrypts an unencrypted DB instance snapshot by passing KmsKeyId', async () => {
    const plain = dbSnapshot({ id: 'rds:orders-db-2026-11-20-04-00', encrypted: false });
    routeDescribes(t.sourceRds, { instancePages: [[plain]] });
    t.sourceRds.on(CopyDBSnapshotCommand).callsFake((i: { TargetDBSnapshotIdentifier: string }) => ({ DBSnapshot: copyOf(i.TargetDBSnapshotIdentifier, plain) }));
    await invoke({ database: instance, runId: 'run-1' });
    expect(t.sourceRds).toHaveReceivedCommandWith(CopyDBSnapshotCommand, { KmsKeyId: SOURCE_KMS_KEY_ARN });
  });

  it('re-run: returns the existing managed copy with created=false and makes no copy call', async () => {
    const src = dbSnapshot({ id: 'rds:orders-db-2026-11-20-04-00', kmsKeyId: DEFAULT_KEY });
    const existing = dbSnapshot({ id: 'rsv-orders-db-202611200400', type: 'manual', status: 'available', kmsKeyId: SOURCE_KMS_KEY_ARN, tags: managedTagList('orders-db', src.DBSnapshotArn ?? '') });
    routeDescribes(t.sourceRds, { instancePages: [[src]], byId: { 'rsv-orders-db-202611200400': existing } });
    const out = await invoke({ database: instance, runId: 'run-2' });
    expect(out.created).toBe(false);
    expect(out.snapshot.identifier).toBe('rsv-orders-db-202611200400');
    expect(t.sourceRds).not.toHaveReceivedCommand(CopyDBSnapshotCommand);
  });

  it('refuses to adopt an existing snapshot with the same identifier but without the managed tag', async () => {
    const src = dbSnapshot({ id: 'rds:orders-db-2026-11-20-04-00', kmsKeyId: DEFAULT_KEY });
    const foreign = dbSnapshot({ id: 'rsv-orders-db-202611200400', type: 'manual', kmsKeyId: SOURCE_KMS_KEY_ARN, tags: [{ Key: 'owner', Value: 'dba' }] });
    routeDescribes(t.sourceRds, { instancePages: [[src]], byId: { 'rsv-orders-db-202611200400': foreign } });
    const err = await caught(() => invoke({ database: instance, runId: 'run-2' }));
    expect(err.name).toBe('SnapshotIdentifierConflict');
    expect(err.message).toContain('rsv-orders-db-202611200400');
    expect(err.message).toContain(TAGS.MANAGED);
    expect(t.sourceRds).not.toHaveReceivedCommand(CopyDBSnapshotCommand);
  });

  it('resolves a concurrent duplicate (DBSnapshotAlreadyExistsFault) as created=false when the copy is ours', async () => {
    const src = dbSnapshot({ id: 'rds:orders-db-2026-11-20-04-00', kmsKeyId: DEFAULT_KEY });
    const byId: Record<string, DBSnapshot> = {};
    routeDescribes(t.sourceRds, { instancePages: [[src]], byId });
    t.sourceRds.on(CopyDBSnapshotCommand).callsFake((i: { TargetDBSnapshotIdentifier: string }) => {
      byId[i.TargetDBSnapshotIdentifier] = copyOf(i.TargetDBSnapshotIdentifier, src); // the other execution won
      throw awsError('DBSnapshotAlreadyExistsFault', 'Cannot create the snapshot because a snapshot with the identifier already exists.');
    });
    const out = await invoke({ database: instance, runId: 'run-3' });
    expect(out.created).toBe(false);
  });

  it('unencrypted DB cluster snapshot -> UnencryptedClusterNotSupported, explaining the restore-to-encrypted fix', async () => {
    const plain = dbClusterSnapshot({ id: 'rds:users-cluster-2026-11-20-04-00', encrypted: false });
    routeDescribes(t.sourceRds, { clusterPages: [[plain]] });
    const err = await caught(() => invoke({ database: cluster, runId: 'run-1' }));
    expect(err.name).toBe('UnencryptedClusterNotSupported');
    expect(err.message).toMatch(/cannot encrypt/i);
    expect(err.message).toMatch(/restore/i);
    expect(t.sourceRds).not.toHaveReceivedCommand(CopyDBClusterSnapshotCommand);
  });

  it('copies an encrypted DB cluster snapshot with CopyDBClusterSnapshot', async () => {
    const src = dbClusterSnapshot({ id: 'rds:users-cluster-2026-11-20-04-00', kmsKeyId: DEFAULT_KEY });
    routeDescribes(t.sourceRds, { clusterPages: [[src]] });
    t.sourceRds.on(CopyDBClusterSnapshotCommand).callsFake((i: { TargetDBClusterSnapshotIdentifier: string }) => ({
      DBClusterSnapshot: dbClusterSnapshot({ id: i.TargetDBClusterSnapshotIdentifier, type: 'manual', status: 'creating', kmsKeyId: SOURCE_KMS_KEY_ARN }),
    }));
    const out = await invoke({ database: cluster, runId: 'run-1' });
    expect(t.sourceRds).toHaveReceivedCommandWith(CopyDBClusterSnapshotCommand, {
      SourceDBClusterSnapshotIdentifier: 'rds:users-cluster-2026-11-20-04-00',
      TargetDBClusterSnapshotIdentifier: 'rsv-users-cluster-202611200400',
      KmsKeyId: SOURCE_KMS_KEY_ARN,
    });
    expect(t.sourceRds).not.toHaveReceivedCommand(CopyDBSnapshotCommand);
    expect(out.snapshot.arn).toBe(`arn:aws:rds:${REGION}:${SOURCE_ACCOUNT}:cluster-snapshot:rsv-users-cluster-202611200400`);
  });

  it('no automated snapshot: DatabaseNotFound when the DB is missing, NoAutomatedSnapshot when it exists', async () => {
    routeDescribes(t.sourceRds, { instancePages: [[dbSnapshot({ id: 'rds:orders-db-x', status: 'creating' })]] });
    t.sourceRds.on(DescribeDBInstancesCommand).rejects(awsError('DBInstanceNotFoundFault', 'DBInstance orders-db not found.'));
    expect((await caught(() => invoke({ database: instance, runId: 'r' }))).name).toBe('DatabaseNotFound');

    t.sourceRds.on(DescribeDBInstancesCommand).resolves({ DBInstances: [{ DBInstanceIdentifier: 'orders-db' }] });
    const err = await caught(() => invoke({ database: instance, runId: 'r' }));
    expect(err.name).toBe('NoAutomatedSnapshot');
    expect(err.message).toContain('orders-db');
  });

  it('maps KMSKeyNotAccessibleFault and SnapshotQuotaExceededFault (manual quota vs copies in progress) to named errors that say what to do', async () => {
    const src = dbSnapshot({ id: 'rds:orders-db-2026-11-20-04-00', kmsKeyId: DEFAULT_KEY });
    routeDescribes(t.sourceRds, { instancePages: [[src]] });
    t.sourceRds
      .on(CopyDBSnapshotCommand)
      .rejectsOnce(awsError('KMSKeyNotAccessibleFault'))
      .rejectsOnce(awsError('SnapshotQuotaExceededFault', 'Cannot create more than 100 manual snapshots'))
      .rejectsOnce(awsError('SnapshotQuotaExceededFault', 'Cannot copy more than 20 snapshots at the same time'));
    const kms = await caught(() => invoke({ database: instance, runId: 'r' }));
    expect(kms.name).toBe('KmsKeyNotAccessible');
    expect(kms.message).toContain(SOURCE_KMS_KEY_ARN);
    expect(kms.message).toContain(SOURCE_ACCOUNT);
    expect(kms.message).toContain('kms:CreateGrant');
    const quota = await caught(() => invoke({ database: instance, runId: 'r' }));
    expect(quota.name).toBe('SnapshotQuotaExceeded');
    expect(quota.message).toContain(SOURCE_ACCOUNT);
    expect(quota.message).toContain(REGION);
    expect(quota.message).toMatch(/raise|retention/i);
    // Same code, copy-limit message (docs/aws-behaviour.md §11): CopySlotsBusy, whose advice is about
    // copies in flight and the copy slot table's limits (concurrency.copySlots), never the manual snapshot quota.
    const busy = await caught(() => invoke({ database: instance, runId: 'r' }));
    expect(busy.name).toBe('CopySlotsBusy');
    expect(busy.message).toContain(`account ${SOURCE_ACCOUNT} Region ${REGION}`);
    expect(busy.message).toContain('Cannot copy more than 20 snapshots');
    expect(busy.message).toContain('concurrency.copySlots');
    expect(busy.message).not.toMatch(/Service Quotas|keepLast/);
  });

  it('keeps transient AWS errors by name so the state machine retries them', async () => {
    t.sourceRds.onAnyCommand().rejects(awsError('ThrottlingException', 'Rate exceeded'));
    expect((await caught(() => invoke({ database: instance, runId: 'r' }))).name).toBe('ThrottlingException');
  });

  it('sourceSnapshotArn: copies that snapshot; a snapshot of another database -> InvalidInput', async () => {
    const given = dbSnapshot({ id: 'before-upgrade', type: 'manual', created: '2026-11-19T10:15:00Z', kmsKeyId: SOURCE_KMS_KEY_ARN });
    const other = dbSnapshot({ id: 'other-db-snap', db: 'other-db', type: 'manual', kmsKeyId: SOURCE_KMS_KEY_ARN });
    routeDescribes(t.sourceRds, { byId: { 'before-upgrade': given, 'other-db-snap': other } });
    t.sourceRds.on(CopyDBSnapshotCommand).callsFake((i: { TargetDBSnapshotIdentifier: string }) => ({ DBSnapshot: copyOf(i.TargetDBSnapshotIdentifier, given) }));
    const out = await invoke({ database: instance, runId: 'r', sourceSnapshotArn: given.DBSnapshotArn });
    expect(out.snapshot.identifier).toBe('rsv-orders-db-202611191015');
    expect(t.sourceRds).toHaveReceivedCommandWith(CopyDBSnapshotCommand, { SourceDBSnapshotIdentifier: 'before-upgrade' });

    const err = await caught(() => invoke({ database: instance, runId: 'r', sourceSnapshotArn: other.DBSnapshotArn }));
    expect(err.name).toBe('InvalidInput');
    expect(err.message).toContain('sourceSnapshotArn');
  });

  it('invalid event -> InvalidInput naming the field path; bad environment -> InvalidEnvironment naming the variable', async () => {
    const bad = await caught(() => invoke({ database: { identifier: 'orders-db', kind: 'table' }, runId: 'r' }));
    expect(bad.name).toBe('InvalidInput');
    expect(bad.message).toContain('database.kind');

    const env = await caught(() => invoke({ database: instance, runId: 'r' }, { ...BASE_ENV }));
    expect(env.name).toBe('InvalidEnvironment');
    expect(env.message).toContain('SOURCE_KMS_KEY_ARN');

    const otherRegionKey = await caught(() =>
      invoke({ database: instance, runId: 'r' }, { ...ENV, SOURCE_KMS_KEY_ARN: SOURCE_KMS_KEY_ARN.replace(REGION, 'us-east-1') }),
    );
    expect(otherRegionKey.name).toBe('InvalidEnvironment');
    expect(otherRegionKey.message).toMatch(/SOURCE_KMS_KEY_ARN.*Region/);
  });
});

describe('create-copy with the copy slot table (issue 12)', () => {
  const SLOT_ENV = { ...ENV, COPY_SLOT_TABLE: 'rsv-copy-slots', COPY_SLOT_LIMITS: '{"instance":2,"cluster":1,"export":1}', COPY_SLOT_LEASE_SECONDS: '7200' };
  const newest = dbSnapshot({ id: 'rds:orders-db-2026-11-20-04-07', created: '2026-11-20T04:07:31Z', kmsKeyId: DEFAULT_KEY });
  const nowS = Math.floor(NOW.getTime() / 1000);
  /** UpdateItem writes of the holders, in order (holder -> expiry). */
  const writes = (ddb: ReturnType<typeof mockClient>) =>
    ddb.commandCalls(UpdateItemCommand).map((c) => Object.fromEntries(Object.entries(c.args[0].input.ExpressionAttributeValues?.[':holders']?.M ?? {}).map(([h, v]) => [h, Number((v as { N: string }).N)])));

  it('takes a slot of this account and Region before CopyDBSnapshot, and throws CopySlotWait with an aimed wait (no copy call) when the live holders reach the limit, CopySlotWaitTooLong after 20 h', async () => {
    const ddb = mockClient(DynamoDBClient);
    try {
      routeDescribes(t.sourceRds, { instancePages: [[newest]] });
      t.sourceRds.on(CopyDBSnapshotCommand).callsFake((i: { TargetDBSnapshotIdentifier: string }) => ({ DBSnapshot: copyOf(i.TargetDBSnapshotIdentifier, newest) }));
      // One live holder and one whose lease lapsed (the item lingers: TTL deletes late).
      ddb.on(GetItemCommand).resolves({ Item: { slot: { S: `copy#${SOURCE_ACCOUNT}#${REGION}#instance` }, version: { N: '7' }, holders: { M: { other: { N: String(nowS + 60) }, lapsed: { N: String(nowS - 1) } } } } });
      ddb.on(UpdateItemCommand).resolves({});
      await invoke({ database: instance, runId: 'r' }, SLOT_ENV);
      expect(ddb).toHaveReceivedCommandWith(GetItemCommand, { TableName: 'rsv-copy-slots', Key: { slot: { S: `copy#${SOURCE_ACCOUNT}#${REGION}#instance` } }, ConsistentRead: true });
      expect(ddb).toHaveReceivedCommandWith(UpdateItemCommand, { ConditionExpression: '#version = :version' });
      expect(writes(ddb)).toEqual([{ other: nowS + 60, 'rsv-orders-db-202611200407': nowS + 7200 }]);
      expect(t.sourceRds).toHaveReceivedCommandTimes(CopyDBSnapshotCommand, 1);

      // Two live holders of two slots: refused before RDS is asked.
      ddb.on(GetItemCommand).resolves({ Item: { slot: { S: 'x' }, version: { N: '8' }, holders: { M: { a: { N: String(nowS + 60) }, b: { N: String(nowS + 60) } } } } });
      // Refused: CopySlotWait (the state machine catches it into the slot wait), its aimed wait first in the
      // message (both leases end in 60 s: the shortest wait, plus jitter), read from the Cause as the
      // state machine reads it (the Lambda error JSON split on '|', field 1).
      const busy = await invoke({ database: instance, runId: 'r' }, SLOT_ENV).then(
        () => expect.unreachable('refused'),
        (e: Error) => e,
      );
      expect(busy.name).toBe('CopySlotWait');
      const retryAfterSeconds = retryAfterSecondsOfCause(JSON.stringify({ errorType: busy.name, errorMessage: busy.message, trace: [busy.stack] }))!;
      expect(retryAfterSeconds).toBeGreaterThanOrEqual(61);
      expect(retryAfterSeconds).toBeLessThanOrEqual(75);
      expect(busy.message).toContain(`All 2 slots of DB snapshot copies into account ${SOURCE_ACCOUNT} Region ${REGION}`);
      expect(busy.message).toContain('place 1 of 1 waiting, for 0 s');
      // It joined the queue in the same conditional write.
      expect(ddb.commandCalls(UpdateItemCommand).at(-1)?.args[0].input.ExpressionAttributeValues?.[':waiters']).toEqual({
        M: { 'rsv-orders-db-202611200407': { M: { at: { N: String(nowS) }, due: { N: String(nowS + retryAfterSeconds) }, refusals: { N: '1' } } } },
      });
      // Waiting since 20 h ago: CopySlotWaitTooLong (recorded as CopySlotsBusy by the state machine), still no copy call.
      const since = nowS - COPY_SLOT_WAIT_MAX_SECONDS;
      ddb.on(GetItemCommand).resolves({
        Item: {
          slot: { S: 'x' },
          version: { N: '9' },
          holders: { M: { a: { N: String(nowS + 60) }, b: { N: String(nowS + 60) } } },
          waiters: { M: { 'rsv-orders-db-202611200407': { M: { at: { N: String(since) }, due: { N: String(nowS) }, refusals: { N: '120' } } } } },
        },
      });
      await expect(invoke({ database: instance, runId: 'r' }, SLOT_ENV)).rejects.toMatchObject({ name: 'CopySlotWaitTooLong', message: expect.stringContaining(`No copy slot freed for ${COPY_SLOT_WAIT_MAX_SECONDS} s`) });
      expect(t.sourceRds).toHaveReceivedCommandTimes(CopyDBSnapshotCommand, 1);
    } finally {
      ddb.restore();
    }
  });

  it("issue 12: an event run's copy whose turn lies beyond the 40 h bound: CopySlotsDeferred (no copy call), logged at WARN (not ERROR) and counted CopiesDeferred (not Failed); without `trigger: 'event'` the same refusal is a CopySlotWait, neither", async () => {
    const ddb = mockClient(DynamoDBClient);
    const lines: string[] = [];
    const capture = (chunk: string | Uint8Array) => (lines.push(...String(chunk).split('\n').filter((l) => l.trim() !== '')), true);
    vi.spyOn(process.stdout, 'write').mockImplementation(capture);
    vi.spyOn(process.stderr, 'write').mockImplementation(capture);
    try {
      routeDescribes(t.sourceRds, { instancePages: [[newest]] });
      t.sourceRds.on(CopyDBSnapshotCommand).callsFake((i: { TargetDBSnapshotIdentifier: string }) => ({ DBSnapshot: copyOf(i.TargetDBSnapshotIdentifier, newest) }));
      // One DB snapshot copy slot, held by a copy started a minute ago whose poll expects it back in 30 h
      // (lease 50 h); one waiter ahead: this copy's turn is the second release, ~60 h away (one more
      // 30 h copy after the holder's), beyond the 40 h bound.
      const lease = 50 * 3600;
      ddb.on(GetItemCommand).resolves({
        Item: {
          slot: { S: `copy#${SOURCE_ACCOUNT}#${REGION}#instance` },
          version: { N: '5' },
          holders: { M: { big: { N: String(nowS - 60 + lease) } } },
          releases: { M: { big: { N: String(nowS + 30 * 3600) } } },
          waiters: { M: { ahead: { M: { at: { N: String(nowS - 30) }, due: { N: String(nowS + 100) }, refusals: { N: '1' } } } } },
        },
      });
      ddb.on(UpdateItemCommand).resolves({});
      // Metrics on (EMF on stdout), logs from WARN up.
      const { POWERTOOLS_METRICS_DISABLED: _off, ...env } = { ...SLOT_ENV, COPY_SLOT_LIMITS: '{"instance":1,"cluster":1,"export":1}', COPY_SLOT_LEASE_SECONDS: String(lease), POWERTOOLS_LOG_LEVEL: 'WARN' };
      const json = () => lines.filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Record<string, unknown>);
      const emfMetrics = () => json().filter((d) => d._aws !== undefined);
      const logs = () => json().filter((d) => d._aws === undefined);

      const deferred = await caught(() => invoke({ database: instance, runId: 'event-orders-db-1', trigger: 'event' }, env));
      expect(deferred.name).toBe('CopySlotsDeferred');
      expect(deferred.message).toMatch(/^Deferred to the scheduled run: place 2 of 2 waiting for DB snapshot copies into account 111111111111 Region [a-z0-9-]+, its turn expected in 6\d(\.\d)? h after 0 h of waiting, beyond the 40 h slot wait/);
      expect(t.sourceRds).toHaveReceivedCommandTimes(CopyDBSnapshotCommand, 0);
      // One WARN line, with the reason (the queue, the turn, the destination): no ERROR line.
      expect(logs().map((l) => [l.level, l.message])).toEqual([['WARN', 'deferred: CopySlotsDeferred']]);
      expect(logs()[0]).toMatchObject({ service: 'create-copy', detail: deferred.message });
      const counted = emfMetrics().flatMap((d) => ((d._aws as { CloudWatchMetrics: Array<{ Metrics: Array<{ Name: string }> }> }).CloudWatchMetrics[0]!.Metrics.map((m) => [d.service, m.Name, d[m.Name]])));
      expect(counted).toEqual([['create-copy', 'CopiesDeferred', 1]]);

      // A scheduled or manual run in the same place waits: CopySlotWait, logged at INFO (below WARN), counted CopySlotWaits.
      lines.length = 0;
      const wait = await caught(() => invoke({ database: instance, runId: 'scheduled-1' }, env));
      expect(wait.name).toBe('CopySlotWait');
      expect(logs()).toEqual([]);
      // At INFO it is logged with its detail too (the wait, first in the message).
      lines.length = 0;
      await caught(() => invoke({ database: instance, runId: 'scheduled-1' }, { ...env, POWERTOOLS_LOG_LEVEL: 'INFO' }));
      expect(logs().filter((l) => l.level !== 'DEBUG').map((l) => [l.level, l.message, typeof l.detail])).toEqual([['INFO', 'waiting: CopySlotWait', 'string']]);
      lines.length = 0;
      await caught(() => invoke({ database: instance, runId: 'scheduled-1' }, env));
      expect(emfMetrics().flatMap((d) => (d._aws as { CloudWatchMetrics: Array<{ Metrics: Array<{ Name: string }> }> }).CloudWatchMetrics[0]!.Metrics.map((m) => m.Name))).toEqual(['CopySlotWaits']);
      expect(t.sourceRds).toHaveReceivedCommandTimes(CopyDBSnapshotCommand, 0);
    } finally {
      vi.restoreAllMocks();
      ddb.restore();
    }
  });

  it('gives the slot back when RDS refuses the copy, and still reports the RDS error', async () => {
    const ddb = mockClient(DynamoDBClient);
    try {
      routeDescribes(t.sourceRds, { instancePages: [[newest]] });
      t.sourceRds.on(CopyDBSnapshotCommand).rejects(awsError('KMSKeyNotAccessibleFault', 'The target KMS key does not exist'));
      let item: Record<string, unknown> | undefined;
      ddb.on(GetItemCommand).callsFake(() => ({ Item: item }));
      ddb.on(UpdateItemCommand).callsFake((i: { ExpressionAttributeValues: Record<string, unknown> }) => {
        item = { slot: { S: 'k' }, version: i.ExpressionAttributeValues[':next'], holders: i.ExpressionAttributeValues[':holders'] };
        return {};
      });
      const err = await caught(() => invoke({ database: instance, runId: 'r' }, SLOT_ENV));
      expect(err.name).toBe('KmsKeyNotAccessible');
      expect(writes(ddb)).toEqual([{ 'rsv-orders-db-202611200407': nowS + 7200 }, {}]);
    } finally {
      ddb.restore();
    }
  });
});
