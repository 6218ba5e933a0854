/**
 * The run ledger (issue 12): each database's result of each BackupRun, one small JSON record per
 * database per run in the ledger bucket of the source account (infra/constructs/run-ledger.ts), so
 * that no state machine state carries per-database detail (Step Functions caps every state input
 * and output at 256 KiB, docs/aws-behaviour.md §18a).
 *
 * Keys:
 * - `runs/<runId>/<database>.json`: every run's record of every database (what notify, the run
 *   report and the CLI read by run).
 * - `daily/<yyyy-mm-dd>/<runId>/<database>.json`: the same record again for runs started by an RDS
 *   event (`trigger: 'event'`), under the UTC day the record was written (the day the database's
 *   backup ended). The daily digest (functions/send-digest) reads one day's prefix, so an event run
 *   still running at midnight is reported in the next day's digest, never lost.
 *
 * This module is the one reader/writer of those keys: the record-result, notify and send-digest
 * Lambdas use it, and so can the CLI (read functions take an S3 client and a bucket name only).
 * Sources: https://docs.aws.amazon.com/AmazonS3/latest/API/API_PutObject.html,
 * https://docs.aws.amazon.com/AmazonS3/latest/API/API_ListObjectsV2.html,
 * https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetObject.html
 */
import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type { DatabaseBackupOutput, DatabaseRef, DatabaseSummary, RunTrigger } from './contracts.js';

/** Version of {@link LedgerRecord}'s shape; bump on an incompatible change. */
export const LEDGER_SCHEMA_VERSION = 1;

/** Prefix of every run's records. */
export const RUNS_PREFIX = 'runs/';
/** Prefix of the event-run records by day (the daily digest). */
export const DAILY_PREFIX = 'daily/';

/**
 * One database's result in one run (`schemaVersion` 1). Times ISO-8601 UTC, durations seconds.
 * SUCCEEDED: `summary` and `output` (the DatabaseBackup output: every copy with its ARN, request and
 * ready times, the share, the export, the source retention decisions kept/deleted with reasons).
 * FAILED: `error` (name and cause of the step that failed).
 */
export interface LedgerRecord {
  readonly schemaVersion: number;
  readonly runId: string;
  /** What started the run; absent = schedule or manual (the record does not need to know which). */
  readonly trigger?: RunTrigger;
  readonly database: DatabaseRef;
  readonly status: 'SUCCEEDED' | 'FAILED';
  /** When the record was written (the end of this database's backup). */
  readonly recordedAt: string;
  /** SUCCEEDED: the fixed-bound summary (copy identifier, durations, recovery point age). */
  readonly summary?: DatabaseSummary;
  /** SUCCEEDED: the full result. */
  readonly output?: DatabaseBackupOutput;
  /** FAILED: the Step Functions error name and the cause as the failing step reported it (at most {@link MAX_CAUSE_CHARS}). */
  readonly error?: { readonly name: string; readonly cause: string };
}

/** Longest cause kept in a record, in characters (causes are bounded by the functions anyway). */
export const MAX_CAUSE_CHARS = 8192;

/** Thrown when a ledger object is not a {@link LedgerRecord} (corrupted or written by another tool). */
export class LedgerRecordInvalid extends Error {
  constructor(key: string, why: string) {
    super(`Run ledger object ${key} is not a ledger record: ${why}`);
    this.name = 'LedgerRecordInvalid';
  }
}

const SAFE_SEGMENT = /^[A-Za-z0-9_.-]{1,128}$/;
function segment(what: string, v: string): string {
  if (!SAFE_SEGMENT.test(v) || v === '.' || v === '..') throw new Error(`ledger key: ${what} "${v}" must be 1-128 characters of letters, digits, '_', '.', '-'`);
  return v;
}

/** `runs/<runId>/` */
export const runPrefix = (runId: string): string => `${RUNS_PREFIX}${segment('runId', runId)}/`;
/** `runs/<runId>/<database>.json` */
export const recordKey = (runId: string, database: string): string => `${runPrefix(runId)}${segment('database', database)}.json`;
/** `daily/<yyyy-mm-dd>/` */
export const dailyPrefix = (day: string): string => {
  if (!/^\d{4}-\d\d-\d\d$/.test(day)) throw new Error(`ledger key: day "${day}" must be yyyy-mm-dd`);
  return `${DAILY_PREFIX}${day}/`;
};
/** `daily/<yyyy-mm-dd>/<runId>/<database>.json` */
export const dailyKey = (day: string, runId: string, database: string): string => `${dailyPrefix(day)}${segment('runId', runId)}/${segment('database', database)}.json`;
/** The UTC day (`yyyy-mm-dd`) of an ISO-8601 time. */
export const utcDay = (iso: string): string => new Date(iso).toISOString().slice(0, 10);

/**
 * Writes a record at {@link recordKey} and, for event runs, at {@link dailyKey} of its `recordedAt` day.
 * @returns the keys written
 * @throws S3 errors by name (AccessDenied, NoSuchBucket, ...)
 */
export async function writeRecord(s3: S3Client, bucket: string, record: LedgerRecord): Promise<string[]> {
  const body = JSON.stringify(record);
  const keys = [recordKey(record.runId, record.database.identifier)];
  if (record.trigger === 'event') keys.push(dailyKey(utcDay(record.recordedAt), record.runId, record.database.identifier));
  for (const Key of keys) await s3.send(new PutObjectCommand({ Bucket: bucket, Key, Body: body, ContentType: 'application/json' }));
  return keys;
}

/** Keys under a prefix, every page (ListObjectsV2, 1,000 a page). */
async function listKeys(s3: S3Client, bucket: string, prefix: string): Promise<string[]> {
  const keys: string[] = [];
  let token: string | undefined;
  do {
    const page = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ...(token !== undefined && { ContinuationToken: token }) }));
    for (const o of page.Contents ?? []) if (o.Key?.endsWith('.json')) keys.push(o.Key);
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token !== undefined);
  return keys;
}

/** Reads and checks one record. @throws LedgerRecordInvalid, S3 errors by name (NoSuchKey, AccessDenied) */
export async function readRecord(s3: S3Client, bucket: string, key: string): Promise<LedgerRecord> {
  const out = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  const text = (await out.Body?.transformToString('utf8')) ?? '';
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    throw new LedgerRecordInvalid(key, 'not JSON');
  }
  const r = v as Partial<LedgerRecord>;
  if (!r || typeof r !== 'object' || typeof r.runId !== 'string' || typeof r.database?.identifier !== 'string' || (r.status !== 'SUCCEEDED' && r.status !== 'FAILED')) {
    throw new LedgerRecordInvalid(key, 'missing runId, database.identifier or status');
  }
  return r as LedgerRecord;
}

/** Reads many records, 16 at a time. */
async function readAll(s3: S3Client, bucket: string, keys: readonly string[]): Promise<LedgerRecord[]> {
  const out: LedgerRecord[] = new Array(keys.length);
  let next = 0;
  const worker = async () => {
    while (next < keys.length) {
      const i = next++;
      out[i] = await readRecord(s3, bucket, keys[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(16, keys.length) }, worker));
  return out;
}

/**
 * Every record of a run, in key order (database identifier order).
 * @throws LedgerRecordInvalid, S3 errors by name
 */
export async function readRun(s3: S3Client, bucket: string, runId: string): Promise<LedgerRecord[]> {
  return readAll(s3, bucket, await listKeys(s3, bucket, runPrefix(runId)));
}

/**
 * Every event-run record written on a UTC day (`yyyy-mm-dd`), in key order (run, then database).
 * @throws LedgerRecordInvalid, S3 errors by name
 */
export async function readDay(s3: S3Client, bucket: string, day: string): Promise<LedgerRecord[]> {
  return readAll(s3, bucket, await listKeys(s3, bucket, dailyPrefix(day)));
}
