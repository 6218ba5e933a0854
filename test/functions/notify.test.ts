import 'aws-sdk-client-mock-vitest/extend';
import { GetObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { PublishCommand } from '@aws-sdk/client-sns';
import { mockClient } from 'aws-sdk-client-mock';
import fc from 'fast-check';
import { beforeEach, describe, expect, it } from 'vitest';
import { createHandler } from '../../functions/notify/index.js';
import { buildSubject, MAX_SUBJECT_LENGTH, summarizeFailure } from '../../functions/notify/report.js';
import type { DatabaseBackupOutput, NotifyOutput } from '../../contracts/shapes.js';
import { awsError, BASE_ENV, caught, fakeContext, NOW, testClients, type TestClients } from './helpers.js';

const TOPIC_ARN = 'arn:aws:sns:eu-west-2:111111111111:rds-snapshot-vault';
const ENV = { ...BASE_ENV, TOPIC_ARN, LEDGER_BUCKET: 'rsv-ledger' };
const SRC_ARN = 'arn:aws:rds:eu-west-1:111111111111:snapshot:rsv-users-db-202611200400';
const VAULT_ARN = 'arn:aws:rds:eu-central-1:222222222222:snapshot:rsv-users-db-202611200400';

const ok = (identifier: string): { database: { identifier: string; kind: 'instance' }; status: 'SUCCEEDED'; output: Omit<DatabaseBackupOutput, 'summary'> } => {
  const snap = (arn: string) => ({ kind: 'instance' as const, identifier: 'rsv', arn, accountId: '111111111111', region: 'eu-west-1', status: 'available' });
  const poll = (checkedAt: string) => ({ status: 'available', percentProgress: 100, ready: true, waitSeconds: 30, attempt: 3, elapsedSeconds: 1, checkedAt, snapshot: snap(SRC_ARN) });
  return {
    database: { identifier, kind: 'instance' },
    status: 'SUCCEEDED',
    output: {
      database: { identifier, kind: 'instance' },
      runId: 'run-1',
      sourceCopy: { snapshot: snap(SRC_ARN), sourceSnapshot: snap('arn:aws:rds:eu-west-1:111111111111:snapshot:rds:users-db-2026-11-20-04-00'), created: true, startedAt: '2026-11-21T05:00:00.000Z', copyStartedAt: '2026-11-21T05:00:00.000Z', recoveryPointAgeSeconds: 3600 },
      sourceCopyReady: poll('2026-11-21T05:42:00.000Z'),
      share: { sharedWith: ['222222222222'], alreadyShared: false },
      vaultCopy: { snapshot: snap(VAULT_ARN), created: true, startedAt: '2026-11-21T05:45:00.000Z', copyStartedAt: '2026-11-21T05:45:00.000Z' },
      vaultCopyReady: poll('2026-11-21T08:15:00.000Z'),
      sourceRetention: { accountId: '111111111111', region: 'eu-west-1', kept: [{ identifier: 'a', arn: 'x', reason: 'r' }, { identifier: 'b', arn: 'y', reason: 'r' }], deleted: [{ identifier: 'c', arn: 'z', reason: 'old' }], dryRun: false },
      drCopies: [],
      export: null,
    },
  };
};
const DR_ARN = 'arn:aws:rds:us-west-2:222222222222:snapshot:rsv-users-db-202611200400';
const S3_URI = 's3://rsv-exports/exports/users-db/2026-11-20/rsv-users-db-202611200400/';
/** A database with one DR copy (reused) and a completed export. */
const okWithDr = (identifier: string): ReturnType<typeof ok> => {
  const base = ok(identifier);
  const drSnap = { kind: 'instance' as const, identifier: 'rsv', arn: DR_ARN, accountId: '222222222222', region: 'us-west-2', status: 'available' };
  const exportTask = { identifier: 'rsv-users-db-202611200400', sourceArn: SRC_ARN, region: 'eu-west-1', s3Bucket: 'rsv-exports', s3Prefix: 'exports/users-db/2026-11-20', s3Uri: S3_URI, status: 'STARTING' };
  return {
    ...base,
    output: {
      ...base.output,
      drCopies: [
        {
          region: 'us-west-2',
          copy: { snapshot: drSnap, created: false, startedAt: '2026-11-21T08:20:00.000Z', copyStartedAt: '2026-11-21T08:20:00.000Z' },
          ready: { status: 'available', percentProgress: 100, ready: true, waitSeconds: 30, attempt: 9, elapsedSeconds: 1, checkedAt: '2026-11-21T11:20:00.000Z', snapshot: drSnap },
        },
      ],
      export: {
        task: { exportTask, created: true, startedAt: '2026-11-21T05:50:00.000Z' },
        ready: { status: 'COMPLETE', percentProgress: 100, ready: true, waitSeconds: 300, attempt: 4, elapsedSeconds: 1, checkedAt: '2026-11-21T09:50:00.000Z', exportTask: { ...exportTask, status: 'COMPLETE' } },
      },
    },
  };
};
/** A failed child execution as the Map's Catch reports it: DescribeExecution JSON whose cause is the Lambda cause JSON. */
const failed = (identifier: string) => ({
  database: { identifier, kind: 'instance' },
  status: 'FAILED',
  error: 'States.TaskFailed',
  cause: JSON.stringify({
    executionArn: `arn:aws:states:eu-west-1:111111111111:execution:DatabaseBackup:${identifier}`,
    status: 'FAILED',
    error: 'KmsKeyNotAccessible',
    cause: JSON.stringify({ errorType: 'KmsKeyNotAccessible', errorMessage: 'The source key policy must allow account 222222222222', trace: ['at x'] }),
  }),
});

let t: TestClients;
const s3 = mockClient(S3Client);
type Legacy = { database: { identifier: string; kind: string }; status: string; summary?: unknown; output?: unknown; error?: string; cause?: string };
/**
 * Issue 12: BackupRun sends notify only `{ database, status, error? }` per database; the detail is in
 * the run ledger. Each result given here becomes a ledger record (served by the mocked S3) and its status.
 */
const invoke = (event: { runId: string; trigger?: string; results: unknown[] }) => {
  const records = new Map<string, string>();
  const statuses = (event.results as Legacy[]).map((r) => {
    if (!r.database) return r; // malformed on purpose
    const key = `runs/${event.runId}/${r.database.identifier}.json`;
    const failedRecord = { error: { name: r.error, cause: r.cause } };
    records.set(key, JSON.stringify({ schemaVersion: 1, runId: event.runId, database: r.database, status: r.status, recordedAt: NOW.toISOString(), ...(r.status === 'SUCCEEDED' ? { summary: r.summary, output: r.output } : failedRecord) }));
    return { database: r.database.identifier, status: r.status, ...(r.error !== undefined && { error: r.error }) };
  });
  s3.reset();
  s3.on(ListObjectsV2Command).callsFake((i: { Prefix: string }) => ({ Contents: [...records.keys()].filter((k) => k.startsWith(i.Prefix)).map((Key) => ({ Key })), IsTruncated: false }));
  s3.on(GetObjectCommand).callsFake((i: { Key: string }) => ({ Body: { transformToString: async () => records.get(i.Key) } }));
  return createHandler({ env: ENV, clients: t.factory, now: () => NOW })({ ...event, results: statuses }, fakeContext('notify')) as Promise<NotifyOutput>;
};
const published = () => t.sns.commandCalls(PublishCommand).map((c) => c.args[0].input);

beforeEach(() => {
  t = testClients();
  t.sns.on(PublishCommand).resolves({ MessageId: 'msg-1' });
});

describe('notify', () => {
  it('publishes ONE message: subject with counts and failed names; body with ARNs, durations, retention, error type and message', async () => {
    const out = await invoke({ runId: 'run-1', results: [ok('users-db'), failed('orders-db'), ok('audit-db'), ok('crm-db')] });
    expect(t.sns).toHaveReceivedCommandTimes(PublishCommand, 1);
    const msg = published()[0];
    expect(msg?.TopicArn).toBe(TOPIC_ARN);
    expect(msg?.Subject).toBe('rds-snapshot-vault: 3/4 databases backed up, 1 FAILED (orders-db)');
    const body = msg?.Message ?? '';
    expect(body).toContain('run-1');
    expect(body).toContain(SRC_ARN);
    expect(body).toContain(VAULT_ARN);
    expect(body).toContain('ready after 42 min'); // 05:00 -> 05:42
    expect(body).toContain('ready after 2.5 h'); // 05:45 -> 08:15
    expect(body).toContain('kept 2, deleted 1');
    expect(body).toContain('[FAILED] orders-db');
    expect(body).toContain('error: KmsKeyNotAccessible');
    expect(body).toContain('The source key policy must allow account 222222222222');
    expect(body).not.toContain('"trace"');
    expect(out).toEqual({ published: true, subject: msg?.Subject, succeeded: 3, failed: 1, failedDatabases: ['orders-db'], deferred: 0, messageId: 'msg-1' });
    expect(s3).toHaveReceivedCommandWith(ListObjectsV2Command, { Bucket: 'rsv-ledger', Prefix: 'runs/run-1/' });
    expect(t.snsOptions).toEqual([{ region: 'eu-west-2' }]);
  });

  it('reports DR copies (Region, ARN, duration, reuse) and the export (S3 URI, status, duration); none/not exported otherwise', async () => {
    await invoke({ runId: 'run-2', results: [okWithDr('users-db'), ok('plain-db'), failed('orders-db')] });
    const body = published()[0]?.Message ?? '';
    const users = body.slice(body.indexOf('[OK] users-db'), body.indexOf('[OK] plain-db'));
    expect(users).toContain(`us-west-2: ${DR_ARN} (existing copy reused), ready after 3.0 h`); // 08:20 -> 11:20
    expect(users).toContain(`export:      ${S3_URI} (COMPLETE)`);
    expect(users).toContain('done after 4.0 h'); // 05:50 -> 09:50
    const plain = body.slice(body.indexOf('[OK] plain-db'));
    expect(plain).toContain('DR copies:   none');
    expect(plain).toContain('export:      not exported');
    // the failed database's section is unchanged: no DR/export lines
    const failedSection = body.slice(body.indexOf('[FAILED] orders-db'), body.indexOf('[OK] users-db'));
    expect(failedSection).not.toMatch(/DR copies|export:/);
    expect(published()[0]?.Subject).toBe('rds-snapshot-vault: 2/3 databases backed up, 1 FAILED (orders-db)');
  });

  it("reports from BackupRun's fixed-bound summary: source and DR ARNs derived from the copy identifier", async () => {
    const summary = {
      copy: 'rsv-users-db-202611200400',
      source: { created: false, seconds: 42 * 60 },
      vault: { arn: VAULT_ARN, created: true, seconds: 9000 },
      dr: [{ region: 'us-west-2', created: false, seconds: 3 * 3600 }],
      export: { s3Uri: S3_URI, status: 'COMPLETE', created: true, seconds: 4 * 3600 },
      retention: { kept: 2, deleted: 1 },
    };
    const cluster = { ...summary, copy: 'rsv-big-202611200400', vault: { ...summary.vault, arn: 'arn:aws:rds:eu-central-1:222222222222:cluster-snapshot:rsv-big-202611200400' }, dr: [], export: null };
    await invoke({ runId: 'run-3', results: [{ database: { identifier: 'users-db', kind: 'instance' }, status: 'SUCCEEDED', summary }, { database: { identifier: 'big', kind: 'cluster' }, status: 'SUCCEEDED', summary: cluster }, failed('orders-db')] });
    const body = published()[0]?.Message ?? '';
    const users = body.slice(body.indexOf('[OK] users-db'), body.indexOf('[OK] big'));
    // BASE_ENV is the function's own account and Region: the source copy lives there.
    expect(users).toContain(`source copy: arn:aws:rds:${BASE_ENV.AWS_REGION}:${BASE_ENV.ACCOUNT_ID}:snapshot:rsv-users-db-202611200400 (existing copy reused)`);
    expect(users).toContain('ready after 42 min');
    expect(users).toContain(`vault copy:  ${VAULT_ARN}\n    ready after 2.5 h`);
    expect(users).toContain(`us-west-2: ${DR_ARN} (existing copy reused), ready after 3.0 h`);
    expect(users).toContain(`export:      ${S3_URI} (COMPLETE)\n    done after 4.0 h`);
    expect(users).toContain('retention (source): kept 2, deleted 1');
    const big = body.slice(body.indexOf('[OK] big'));
    expect(big).toContain(`source copy: arn:aws:rds:${BASE_ENV.AWS_REGION}:${BASE_ENV.ACCOUNT_ID}:cluster-snapshot:rsv-big-202611200400`);
    expect(big).toContain('DR copies:   none');
    expect(big).toContain('export:      not exported');
    expect(body).toContain('[FAILED] orders-db');
  });

  it('all succeeded: subject without FAILED', async () => {
    const out = await invoke({ runId: 'r', results: [ok('a-db'), ok('b-db')] });
    expect(out.subject).toBe('rds-snapshot-vault: 2/2 databases backed up');
  });

  it('keeps the subject ASCII, single-line and under 100 characters however many databases fail', async () => {
    const names = Array.from({ length: 12 }, (_, i) => `very-long-database-name-${i}`);
    const out = await invoke({ runId: 'r', results: names.map(failed) });
    expect(out.subject.length).toBeLessThanOrEqual(MAX_SUBJECT_LENGTH);
    expect(out.subject).toMatch(/^rds-snapshot-vault: 0\/12 databases backed up, 12 FAILED \(very-long-database-name-0.*, \+\d+ more\)$/);
    fc.assert(
      fc.property(fc.nat(200), fc.array(fc.string({ unit: 'binary', maxLength: 80 }), { maxLength: 40 }), (extra, failedNames) => {
        const s = buildSubject(failedNames.length + extra, failedNames);
        return s.length <= MAX_SUBJECT_LENGTH && /^[\x20-\x7e]+$/.test(s) && s.startsWith('rds-snapshot-vault: ');
      }),
      { numRuns: 1000 },
    );
  });

  it('parses failure causes defensively at every level', () => {
    expect(summarizeFailure('States.TaskFailed', failed('x').cause)).toEqual({ errorType: 'KmsKeyNotAccessible', errorMessage: 'The source key policy must allow account 222222222222' });
    expect(summarizeFailure('SnapshotCopyFailed', JSON.stringify({ errorType: 'SnapshotCopyFailed', errorMessage: 'copy failed' }))).toEqual({ errorType: 'SnapshotCopyFailed', errorMessage: 'copy failed' });
    // The startExecution.sync:2 task cause with capitalised fields, as the local runner (and, we believe, the service) writes it.
    const capitalised = JSON.stringify({ ExecutionArn: 'arn:x', Status: 'FAILED', Error: 'SnapshotQuotaExceeded', Cause: JSON.stringify({ errorType: 'SnapshotQuotaExceeded', errorMessage: 'raise the quota' }) });
    expect(summarizeFailure('States.TaskFailed', capitalised)).toEqual({ errorType: 'SnapshotQuotaExceeded', errorMessage: 'raise the quota' });
    expect(summarizeFailure('States.TaskFailed', JSON.stringify({ error: 'States.Timeout', cause: 'Execution timed out after 24 h' }))).toEqual({ errorType: 'States.Timeout', errorMessage: 'Execution timed out after 24 h' });
    expect(summarizeFailure('States.Runtime', 'plain text {not json')).toEqual({ errorType: 'States.Runtime', errorMessage: 'plain text {not json' });
    expect(summarizeFailure(undefined, undefined)).toEqual({ errorType: 'UnknownError', errorMessage: '(no message)' });
    fc.assert(fc.property(fc.option(fc.string()), fc.option(fc.oneof(fc.string(), fc.json())), (e, c) => {
      const r = summarizeFailure(e ?? undefined, c ?? undefined);
      return typeof r.errorType === 'string' && typeof r.errorMessage === 'string';
    }), { numRuns: 1000 });
  });

  it('an event run (issue 12): a success publishes nothing (it goes into the daily digest); a failure publishes at once', async () => {
    const quiet = await invoke({ runId: 'ev-1', trigger: 'event', results: [ok('a-db')] });
    expect(quiet).toMatchObject({ published: false, succeeded: 1, failed: 0 });
    expect(t.sns).toHaveReceivedCommandTimes(PublishCommand, 0);
    const loud = await invoke({ runId: 'ev-2', trigger: 'event', results: [failed('b-db')] });
    expect(loud).toMatchObject({ published: true, failed: 1, failedDatabases: ['b-db'] });
    expect(published()[0]?.Subject).toBe('rds-snapshot-vault: 0/1 databases backed up, 1 FAILED (b-db)');
  });

  it('an event run whose database was deferred to the scheduled run (issue 12, a DEFERRED record) publishes nothing and counts no failure', async () => {
    const item = { database: { identifier: 'late-db', kind: 'instance' }, runId: 'ev-d', export: false, optionGroups: {}, blocked: null, trigger: 'event' };
    const objects = new Map<string, string>([
      ['plans/ev-d/items-00000.json', JSON.stringify({ schemaVersion: 1, runId: 'ev-d', first: 0, items: [item] })],
      [
        'runs/ev-d/late-db.json',
        JSON.stringify({ schemaVersion: 1, runId: 'ev-d', trigger: 'event', database: item.database, status: 'DEFERRED', recordedAt: NOW.toISOString(), deferral: { name: 'CopySlotsDeferred', reason: 'Deferred to the scheduled run: ...' } }),
      ],
    ]);
    s3.reset();
    s3.on(ListObjectsV2Command).callsFake((i: { Prefix: string }) => ({ Contents: [...objects.keys()].filter((k) => k.startsWith(i.Prefix)).map((Key) => ({ Key })), IsTruncated: false }));
    s3.on(GetObjectCommand).callsFake((i: { Key: string }) => ({ Body: { transformToString: async () => objects.get(i.Key)! } }));
    const out = (await createHandler({ env: ENV, clients: t.factory, now: () => NOW })({ runId: 'ev-d', trigger: 'event', chunks: 1 }, fakeContext('notify'))) as NotifyOutput;
    expect(out).toMatchObject({ published: false, succeeded: 0, failed: 0, failedDatabases: [], deferred: 1 });
    expect(t.sns).toHaveReceivedCommandTimes(PublishCommand, 0);
  });

  it("plan mode (issue 12): reads the planned databases from the run ledger; one without a record is FAILED LedgerRecordMissing; lists at most 20", async () => {
    const planned = (id: string, kind = 'instance') => ({ database: { identifier: id, kind }, runId: 'run-p', export: false, optionGroups: {}, blocked: null });
    // 25 planned: users-db recorded OK, orders-db recorded FAILED, timed-out-db (a cluster) and 22 others never recorded.
    const others = Array.from({ length: 22 }, (_, i) => planned(`gone-${String(i).padStart(2, '0')}`));
    const items = [planned('users-db'), planned('orders-db'), planned('timed-out-db', 'cluster'), ...others];
    const objects = new Map<string, string>([
      ['plans/run-p/items-00000.json', JSON.stringify({ schemaVersion: 1, runId: 'run-p', first: 0, items })],
      ['runs/run-p/users-db.json', JSON.stringify({ schemaVersion: 1, runId: 'run-p', database: { identifier: 'users-db', kind: 'instance' }, status: 'SUCCEEDED', recordedAt: NOW.toISOString(), summary: undefined, output: ok('users-db').output })],
      ['runs/run-p/orders-db.json', JSON.stringify({ schemaVersion: 1, runId: 'run-p', database: { identifier: 'orders-db', kind: 'instance' }, status: 'FAILED', recordedAt: NOW.toISOString(), error: { name: 'KmsKeyNotAccessible', cause: 'add account 222222222222' } })],
    ]);
    s3.reset();
    s3.on(ListObjectsV2Command).callsFake((i: { Prefix: string }) => ({ Contents: [...objects.keys()].filter((k) => k.startsWith(i.Prefix)).map((Key) => ({ Key })), IsTruncated: false }));
    s3.on(GetObjectCommand).callsFake((i: { Key: string }) => {
      const body = objects.get(i.Key);
      if (body === undefined) throw Object.assign(new Error('no such key'), { name: 'NoSuchKey' });
      return { Body: { transformToString: async () => body } };
    });
    const out = await createHandler({ env: ENV, clients: t.factory, now: () => NOW })({ runId: 'run-p', trigger: 'schedule', chunks: 1 }, fakeContext('notify')) as NotifyOutput;
    expect(out).toMatchObject({ published: true, succeeded: 1, failed: 24 });
    expect(out.failedDatabases).toEqual(['orders-db', 'timed-out-db', ...others.slice(0, 18).map((o) => o.database.identifier)]);
    const body = published()[0]?.Message ?? '';
    expect(body).toContain('[OK] users-db');
    expect(body).toContain('[FAILED] orders-db');
    expect(body).toMatch(/\[FAILED\] timed-out-db[\s\S]*LedgerRecordMissing[\s\S]*No run ledger record/);
    expect(body).toContain('[FAILED] gone-21'); // the message names them all
    expect(s3).toHaveReceivedCommandWith(GetObjectCommand, { Bucket: 'rsv-ledger', Key: 'plans/run-p/items-00000.json' });
    // Exactly one of results and chunks.
    const both = await caught(() => createHandler({ env: ENV, clients: t.factory, now: () => NOW })({ runId: 'run-p', chunks: 1, results: [] }, fakeContext('notify')));
    expect(both.name).toBe('InvalidInput');
  });

  it("issue 12: a run report from a ledger with OK, FAILED and DEFERRED records counts the deferred one apart (never OK, never FAILED): counts line, its own line with the reason, subject, output", async () => {
    const reason = 'Deferred to the scheduled run: place 9 of 12 waiting for DB snapshot copies into account 111111111111 Region us-east-1, its turn expected in 41.5 h after 0.1 h of waiting, beyond the 40 h slot wait';
    const planned = (id: string) => ({ database: { identifier: id, kind: 'instance' }, runId: 'run-d', export: false, optionGroups: {}, blocked: null });
    const record = (id: string, rest: Record<string, unknown>) => JSON.stringify({ schemaVersion: 1, runId: 'run-d', database: { identifier: id, kind: 'instance' }, recordedAt: NOW.toISOString(), ...rest });
    const objects = new Map<string, string>([
      ['plans/run-d/items-00000.json', JSON.stringify({ schemaVersion: 1, runId: 'run-d', first: 0, items: [planned('users-db'), planned('late-db'), planned('orders-db'), planned('audit-db')] })],
      ['runs/run-d/users-db.json', record('users-db', { status: 'SUCCEEDED', output: ok('users-db').output })],
      ['runs/run-d/audit-db.json', record('audit-db', { status: 'SUCCEEDED', output: ok('audit-db').output })],
      ['runs/run-d/late-db.json', record('late-db', { status: 'DEFERRED', deferral: { name: 'CopySlotsDeferred', reason } })],
      ['runs/run-d/orders-db.json', record('orders-db', { status: 'FAILED', error: { name: 'KmsKeyNotAccessible', cause: 'add account 222222222222' } })],
    ]);
    s3.reset();
    s3.on(ListObjectsV2Command).callsFake((i: { Prefix: string }) => ({ Contents: [...objects.keys()].filter((k) => k.startsWith(i.Prefix)).map((Key) => ({ Key })), IsTruncated: false }));
    s3.on(GetObjectCommand).callsFake((i: { Key: string }) => ({ Body: { transformToString: async () => objects.get(i.Key)! } }));
    // A run that publishes its report (not an event run): manual here.
    const out = (await createHandler({ env: ENV, clients: t.factory, now: () => NOW })({ runId: 'run-d', trigger: 'manual', chunks: 1 }, fakeContext('notify'))) as NotifyOutput;
    expect(out).toMatchObject({ published: true, succeeded: 2, failed: 1, failedDatabases: ['orders-db'], deferred: 1 });
    const msg = published()[0]!;
    expect(msg.Subject).toBe('rds-snapshot-vault: 2/4 databases backed up, 1 FAILED (orders-db), 1 DEFERRED');
    const lines = (msg.Message ?? '').split('\n');
    expect(lines[1]).toBe('2/4 databases backed up, 1 FAILED (orders-db), 1 DEFERRED to the scheduled run (late-db)');
    // Failed first, then deferred, then backed up; the deferred one is neither [OK] nor [FAILED].
    expect(lines.filter((l) => l.startsWith('[')).map((l) => l.split(' ').slice(0, 2).join(' '))).toEqual(['[FAILED] orders-db', '[DEFERRED] late-db', '[OK] users-db', '[OK] audit-db']);
    const i = lines.findIndex((l) => l.startsWith('[DEFERRED] late-db'));
    expect(lines[i]).toBe('[DEFERRED] late-db (instance): deferred to the scheduled run, no copy made by this run');
    expect(lines[i + 1]).toBe(`  reason: CopySlotsDeferred: ${reason}`);
    // With no failure the subject still names the deferred count, and the body no FAILED.
    objects.delete('runs/run-d/orders-db.json');
    objects.set('runs/run-d/orders-db.json', record('orders-db', { status: 'SUCCEEDED', output: ok('orders-db').output }));
    const quiet = (await createHandler({ env: ENV, clients: t.factory, now: () => NOW })({ runId: 'run-d', trigger: 'schedule', chunks: 1 }, fakeContext('notify'))) as NotifyOutput;
    expect(quiet).toMatchObject({ published: true, succeeded: 3, failed: 0, failedDatabases: [], deferred: 1 });
    expect(published()[1]?.Subject).toBe('rds-snapshot-vault: 3/4 databases backed up, 1 DEFERRED');
    expect(published()[1]?.Message).not.toContain('FAILED');
    // The subject stays within SNS's limit with many failed names and a deferred count: the count is kept, names give way.
    const s = buildSubject(1000, Array.from({ length: 40 }, (_, k) => `orders-db-${k}`), 300);
    expect(s.length).toBeLessThanOrEqual(MAX_SUBJECT_LENGTH);
    expect(s).toBe('rds-snapshot-vault: 660/1000 databases backed up, 40 FAILED (orders-db-0, +39 more), 300 DEFERRED');
  });

  it('a publish failure throws with the SNS error name', async () => {
    t.sns.on(PublishCommand).rejects(awsError('AuthorizationError', 'not authorized to publish'));
    const err = await caught(() => invoke({ runId: 'r', results: [ok('a-db')] }));
    expect(err.name).toBe('AuthorizationError');
  });

  it('invalid event -> InvalidInput with the field path', async () => {
    const err = await caught(() => invoke({ runId: 'r', results: [{ status: 'SUCCEEDED' }] }));
    expect(err.name).toBe('InvalidInput');
    expect(err.message).toContain('results[0].database');
  });
});
