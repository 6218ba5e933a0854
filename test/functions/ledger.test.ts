/**
 * The run ledger (issue 12, functions/shared/ledger.ts), record-result's records and notify's view of
 * them, against a small in-memory S3 that pages ListObjectsV2 two keys at a time.
 */
import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { describe, expect, it } from 'vitest';
import type { DatabaseBackupOutput } from '../../contracts/shapes.js';
import { dailyKey, LedgerRecordInvalid, MAX_CAUSE_CHARS, PLAN_CHUNK_SIZE, readDay, readPlan, readPlanHead, readPlanItem, readRun, recordKey, writePlan, writeRecord, type LedgerRecord } from '../../functions/shared/ledger.js';
import { buildRecord, recordResult } from '../../functions/record-result/record.js';
import { NO_RECORD_CAUSE, resultsFromLedger } from '../../functions/notify/ledger-results.js';
import { buildDigest, previousUtcDay } from '../../functions/send-digest/digest.js';

/** Buckets of objects; ListObjectsV2 returns at most 2 keys a page. */
function fakeS3(): { client: S3Client; objects: Map<string, string>; puts: string[] } {
  const objects = new Map<string, string>();
  const puts: string[] = [];
  const send = async (cmd: unknown) => {
    if (cmd instanceof PutObjectCommand) {
      puts.push(cmd.input.Key!);
      objects.set(cmd.input.Key!, String(cmd.input.Body));
      return {};
    }
    if (cmd instanceof GetObjectCommand) {
      const body = objects.get(cmd.input.Key!);
      if (body === undefined) throw Object.assign(new Error('no such key'), { name: 'NoSuchKey' });
      return { Body: { transformToString: async () => body } };
    }
    if (cmd instanceof ListObjectsV2Command) {
      const keys = [...objects.keys()].filter((k) => k.startsWith(cmd.input.Prefix ?? '')).sort();
      const start = cmd.input.ContinuationToken ? Number(cmd.input.ContinuationToken) : 0;
      const page = keys.slice(start, start + 2);
      const more = start + 2 < keys.length;
      return { Contents: page.map((Key) => ({ Key })), IsTruncated: more, ...(more && { NextContinuationToken: String(start + 2) }) };
    }
    throw new Error(`unexpected command ${String(cmd)}`);
  };
  return { client: { send } as unknown as S3Client, objects, puts };
}

const summary = { copy: 'rsv-orders-db-202611200300', source: { created: true, seconds: 60 }, vault: { arn: 'arn:aws:rds:us-east-1:222222222222:snapshot:rsv-orders-db-202611200300', created: true, seconds: 600 }, dr: [], export: null, retention: { kept: 1, deleted: 0 }, recoveryPointAgeSeconds: 3600 };
const result = { database: { identifier: 'orders-db', kind: 'instance' }, runId: 'run-1', summary } as unknown as DatabaseBackupOutput;
const NOW = new Date('2026-11-20T23:59:30.000Z');

describe('run ledger keys and records', () => {
  it('writes a run record, plus a daily copy under the UTC day it was written for event runs only', async () => {
    const s3 = fakeS3();
    const scheduled = buildRecord({ outcome: 'SUCCEEDED', state: { database: result.database, runId: 'run-1', result } }, NOW);
    expect(await writeRecord(s3.client, 'b', scheduled)).toEqual(['runs/run-1/orders-db.json']);
    const event = buildRecord({ outcome: 'SUCCEEDED', state: { database: result.database, runId: 'run-2', trigger: 'event', result } }, NOW);
    expect(await writeRecord(s3.client, 'b', event)).toEqual(['runs/run-2/orders-db.json', 'daily/2026-11-20/run-2/orders-db.json']);
    expect(JSON.parse(s3.objects.get('runs/run-1/orders-db.json')!)).toMatchObject({ schemaVersion: 1, status: 'SUCCEEDED', summary, output: result, recordedAt: NOW.toISOString() });
    expect(JSON.parse(s3.objects.get('runs/run-1/orders-db.json')!).trigger).toBeUndefined();
  });

  it('a failure record keeps the error name and the cause, bounded', () => {
    const r = buildRecord({ outcome: 'FAILED', state: { database: result.database, runId: 'run-1', error: { Error: 'SnapshotCopyTimedOut', Cause: 'x'.repeat(MAX_CAUSE_CHARS + 50) } } }, NOW);
    expect(r.status).toBe('FAILED');
    expect(r.error?.name).toBe('SnapshotCopyTimedOut');
    expect(r.error?.cause).toHaveLength(MAX_CAUSE_CHARS);
    expect(buildRecord({ outcome: 'FAILED', state: { database: result.database, runId: 'r' } }, NOW).error).toEqual({ name: 'UnknownError', cause: '' });
  });

  it('recordResult returns only the small status BackupRun may keep', async () => {
    const s3 = fakeS3();
    const out = await recordResult(s3.client, 'b', { outcome: 'FAILED', state: { database: result.database, runId: 'run-9', error: { Error: 'KmsKeyNotAccessible', Cause: 'long cause' } } }, NOW);
    expect(out).toEqual({ database: 'orders-db', status: 'FAILED', error: 'KmsKeyNotAccessible', key: 'runs/run-9/orders-db.json' });
  });

  it('reads every record of a run and of a day across ListObjectsV2 pages, and nothing of other runs or days', async () => {
    const s3 = fakeS3();
    const ids = ['a-db', 'b-db', 'c-db', 'd-db', 'e-db'];
    for (const id of ids) await writeRecord(s3.client, 'b', { ...buildRecord({ outcome: 'SUCCEEDED', state: { database: { identifier: id, kind: 'instance' }, runId: 'run-1', trigger: 'event', result } }, NOW) });
    await writeRecord(s3.client, 'b', buildRecord({ outcome: 'SUCCEEDED', state: { database: result.database, runId: 'run-10', trigger: 'event', result } }, new Date('2026-11-21T00:00:01Z')));
    expect((await readRun(s3.client, 'b', 'run-1')).map((r) => r.database.identifier)).toEqual(ids);
    expect((await readDay(s3.client, 'b', '2026-11-20')).map((r) => r.database.identifier)).toEqual(ids);
    expect((await readDay(s3.client, 'b', '2026-11-21')).map((r) => r.runId)).toEqual(['run-10']);
  });

  it('rejects keys that could escape their prefix, and objects that are not records', async () => {
    expect(() => recordKey('../x', 'db')).toThrow(/runId/);
    expect(() => recordKey('run', 'a/b')).toThrow(/database/);
    expect(() => dailyKey('2026-1-1', 'r', 'db')).toThrow(/yyyy-mm-dd/);
    const s3 = fakeS3();
    s3.objects.set('runs/r/x.json', '{"hello":1}');
    await expect(readRun(s3.client, 'b', 'r')).rejects.toBeInstanceOf(LedgerRecordInvalid);
  });
});

describe('run plans in the ledger (issue 12)', () => {
  const item = (i: number) => ({ database: { identifier: `db-${i}`, kind: 'instance' as const }, runId: 'run-9', export: false, optionGroups: {}, blocked: null });
  it('writes 250 items in chunks of 100 under plans/<runId>/, the head last; every item reads back by index; the run records list stays records only', async () => {
    const s3 = fakeS3();
    const databases = Array.from({ length: 250 }, (_, i) => item(i));
    expect(PLAN_CHUNK_SIZE).toBe(100);
    const chunks = await writePlan(s3.client, 'b', { runId: 'run-9', trigger: 'schedule', databases, skipped: [], discovered: ['db-3'] });
    expect(chunks).toBe(3);
    expect(s3.puts.slice(0, 3).sort()).toEqual(['plans/run-9/items-00000.json', 'plans/run-9/items-00001.json', 'plans/run-9/items-00002.json']);
    expect(s3.puts.at(-1)).toBe('plans/run-9/plan.json');
    for (const i of [0, 99, 100, 249]) expect(await readPlanItem(s3.client, 'b', 'run-9', i)).toEqual(item(i));
    expect(await readPlan(s3.client, 'b', 'run-9', chunks)).toEqual(databases);
    expect(await readPlanHead(s3.client, 'b', 'run-9')).toMatchObject({ count: 250, chunks: 3, chunkSize: 100, discovered: ['db-3'] });
    expect(await readRun(s3.client, 'b', 'run-9')).toEqual([]);
    await expect(readPlanItem(s3.client, 'b', 'run-9', 250)).rejects.toMatchObject({ name: 'PlanItemNotFound' });
    await expect(readPlanItem(s3.client, 'b', 'run-9', 300)).rejects.toMatchObject({ name: 'NoSuchKey' });
    // A chunk of another run (copied, or a wrong key) is not taken for this run's.
    s3.objects.set('plans/run-8/items-00000.json', s3.objects.get('plans/run-9/items-00000.json')!);
    await expect(readPlanItem(s3.client, 'b', 'run-8', 0)).rejects.toMatchObject({ name: 'PlanItemNotFound' });
  });
  it('an empty plan writes only its head (no chunk)', async () => {
    const s3 = fakeS3();
    expect(await writePlan(s3.client, 'b', { runId: 'run-0', trigger: 'event', databases: [], skipped: [{ identifier: 'x', reason: 'not managed' }], discovered: [] })).toBe(0);
    expect(s3.puts).toEqual(['plans/run-0/plan.json']);
    expect(await readPlan(s3.client, 'b', 'run-0', 0)).toEqual([]);
  });
});

describe("notify's results from the ledger", () => {
  const ok = buildRecord({ outcome: 'SUCCEEDED', state: { database: result.database, runId: 'r', result } }, NOW);
  it('a success with its record reads the record; a failure without a record keeps the error name BackupRun saw', () => {
    const out = resultsFromLedger(
      [
        { database: 'orders-db', status: 'SUCCEEDED' },
        { database: 'gone-db', status: 'FAILED', error: 'States.Timeout' },
      ],
      [ok],
    );
    expect(out[0]).toMatchObject({ status: 'SUCCEEDED', summary, database: { identifier: 'orders-db', kind: 'instance' } });
    expect(out[1]).toEqual({ database: { identifier: 'gone-db', kind: 'n/a' }, status: 'FAILED', error: 'States.Timeout', cause: NO_RECORD_CAUSE });
  });
  it('a success whose record is missing is never reported OK', () => {
    expect(resultsFromLedger([{ database: 'orders-db', status: 'SUCCEEDED' }], [])[0]).toMatchObject({ status: 'FAILED', error: 'LedgerRecordMissing' });
  });
});

describe('issue 12: a deferred database (an event run left it to the scheduled run)', () => {
  const reason = 'Deferred to the scheduled run: place 300 of 700 waiting for DB snapshot copies into account 111111111111 Region us-east-1, its turn expected in 61.2 h ...';
  const deferredInput = {
    outcome: 'DEFERRED' as const,
    state: { database: { identifier: 'late-db', kind: 'instance' as const }, runId: 'event-late-db-0001', trigger: 'event' as const, error: { Error: 'CopySlotsDeferred', Cause: JSON.stringify({ errorType: 'CopySlotsDeferred', errorMessage: reason, trace: [] }) } },
  };
  it('record-result writes a DEFERRED record with the reason (the Lambda message, not its error JSON), under the run and the day, and returns status DEFERRED', async () => {
    const s3 = fakeS3();
    const out = await recordResult(s3.client, 'ledger', deferredInput, NOW);
    expect(out).toEqual({ database: 'late-db', status: 'DEFERRED', key: recordKey('event-late-db-0001', 'late-db') });
    expect(s3.puts).toEqual([recordKey('event-late-db-0001', 'late-db'), dailyKey('2026-11-20', 'event-late-db-0001', 'late-db')]);
    const r = (await readRun(s3.client, 'ledger', 'event-late-db-0001'))[0]!;
    expect(r).toMatchObject({ status: 'DEFERRED', trigger: 'event', deferral: { name: 'CopySlotsDeferred', reason } });
    expect(r.error).toBeUndefined();
    expect(r.summary).toBeUndefined();
  });
  it('notify reads it as DEFERRED, neither OK nor failed', () => {
    const record = buildRecord(deferredInput, NOW);
    expect(resultsFromLedger([{ database: 'late-db', status: 'SUCCEEDED' }], [record])[0]).toMatchObject({ status: 'DEFERRED', error: 'CopySlotsDeferred', cause: reason });
  });
  it('the daily digest lists it as DEFERRED with its reason, after failures and stale ones, and counts it apart from OK', () => {
    const ok = buildRecord({ outcome: 'SUCCEEDED', state: { database: { identifier: 'orders-db', kind: 'instance' }, runId: 'run-orders-db', trigger: 'event', result } }, NOW);
    const d = buildDigest('2026-11-20', [buildRecord(deferredInput, NOW), ok], { now: NOW, rpoHours: 26 });
    expect(d).toMatchObject({ succeeded: 1, failed: 0, stale: 0, deferred: 1 });
    expect(d.subject).toBe('rds-snapshot-vault: daily digest 2026-11-20: 1/2 event backups OK, 1 DEFERRED');
    const lines = d.body.split('\n').filter((l) => l.startsWith('['));
    expect(lines.map((l) => l.split(' ')[0])).toEqual(['[DEFERRED]', '[OK]']);
    expect(lines[0]).toBe(`[DEFERRED] late-db (instance), run event-late-db-0001, ${NOW.toISOString()}: deferred to the scheduled run: ${reason}`);
    expect(d.body).toContain('the daily scheduled run backs it up');
  });
});

describe('send-digest', () => {
  it('digests the UTC day before the run by default', () => {
    expect(previousUtcDay(new Date('2026-11-21T00:30:00Z'))).toBe('2026-11-20');
    expect(previousUtcDay(new Date('2026-03-01T00:30:00Z'))).toBe('2026-02-28');
  });
  it('lists OK, FAILED with the reason, and STALE (a recovery point older than the objective), failures first', () => {
    const rec = (id: string, extra: Partial<LedgerRecord>): LedgerRecord => ({ ...buildRecord({ outcome: 'SUCCEEDED', state: { database: { identifier: id, kind: 'instance' }, runId: `run-${id}`, trigger: 'event', result } }, NOW), ...extra });
    const stale = rec('old-db', { summary: { ...summary, recoveryPointAgeSeconds: 40 * 3600 } });
    const failed: LedgerRecord = { ...rec('bad-db', {}), status: 'FAILED', summary: undefined, output: undefined, error: { name: 'KmsKeyNotAccessible', cause: '{"errorType":"KmsKeyNotAccessible","errorMessage":"add the vault account to the key policy"}' } };
    const d = buildDigest('2026-11-20', [rec('orders-db', {}), stale, failed], { now: NOW, rpoHours: 26 });
    expect(d).toMatchObject({ succeeded: 2, failed: 1, stale: 1 });
    expect(d.subject).toBe('rds-snapshot-vault: daily digest 2026-11-20: 2/3 event backups OK, 1 FAILED, 1 STALE');
    const lines = d.body.split('\n').filter((l) => l.startsWith('['));
    expect(lines.map((l) => l.split(' ')[0])).toEqual(['[FAILED]', '[STALE]', '[OK]']);
    expect(lines[0]).toContain('bad-db (instance), run run-bad-db');
    expect(lines[0]).toContain('KmsKeyNotAccessible: add the vault account to the key policy');
    expect(lines[1]).toMatch(/old-db .*RecoveryPointStale: the newest recovery point was 40 h old/);
  });
});
