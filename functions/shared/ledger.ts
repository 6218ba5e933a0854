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
 * - `plans/<runId>/plan.json` and `plans/<runId>/items-<chunk>.json` (issue 12): the run's plan,
 *   written by plan-run ({@link writePlan}): the head (counts, skipped and discovered databases) and
 *   the plan items (DatabaseBackup inputs) in chunks of {@link PLAN_CHUNK_SIZE}, so BackupRun's Map
 *   iterates over indices only and each iteration reads its own item ({@link readPlanItem}); notify
 *   reads the whole plan ({@link readPlan}) to report every planned database, recorded or not.
 *   Under its own prefix, so a run's records (`runs/<runId>/`) list only records.
 *
 * This module is the one reader/writer of those keys: the record-result, notify and send-digest
 * Lambdas use it, and so can the CLI (read functions take an S3 client and a bucket name only).
 * Sources: https://docs.aws.amazon.com/AmazonS3/latest/API/API_PutObject.html,
 * https://docs.aws.amazon.com/AmazonS3/latest/API/API_ListObjectsV2.html,
 * https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetObject.html
 */
import pMap from 'p-map';
import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { RECORD_STATUSES, type DatabaseBackupOutput, type DatabaseRef, type DatabaseSummary, type PlannedDatabase, type PlanRunOutput, type RecordStatus, type RunTrigger } from '../../contracts/shapes.js';
import { RUNS_PREFIX, PLANS_PREFIX, DAILY_PREFIX } from '../../contracts/names.js';
export { RUNS_PREFIX, PLANS_PREFIX, DAILY_PREFIX };

/** Version of {@link LedgerRecord}'s shape; bump on an incompatible change. */
export const LEDGER_SCHEMA_VERSION = 1;

/** Plan items per chunk object: an iteration reads one chunk (~14 KB at ~140 B per item). */
export const PLAN_CHUNK_SIZE = 100;

/**
 * One database's result in one run (`schemaVersion` 1). Times ISO-8601 UTC, durations seconds.
 * SUCCEEDED: `summary` and `output` (the DatabaseBackup output: every copy with its ARN, request and
 * ready times, the share, the export, the source retention decisions kept/deleted with reasons).
 * FAILED: `error` (name and cause of the step that failed). DEFERRED (issue 12): `deferral`.
 */
export interface LedgerRecord {
  readonly schemaVersion: number;
  readonly runId: string;
  /** What started the run; absent = schedule or manual (the record does not need to know which). */
  readonly trigger?: RunTrigger;
  readonly database: DatabaseRef;
  /**
   * `DEFERRED` (issue 12): an event-started run left the database to the scheduled run (no copy made,
   * not a failure; see `deferral`).
   */
  readonly status: LedgerStatus;
  /** When the record was written (the end of this database's backup). */
  readonly recordedAt: string;
  /** SUCCEEDED: the fixed-bound summary (copy identifier, durations, recovery point age). */
  readonly summary?: DatabaseSummary;
  /** SUCCEEDED: the full result. */
  readonly output?: DatabaseBackupOutput;
  /** FAILED: the Step Functions error name and the cause as the failing step reported it (at most {@link MAX_CAUSE_CHARS}). */
  readonly error?: { readonly name: string; readonly cause: string };
  /**
   * DEFERRED: `name` `CopySlotsDeferred` and the reason as the copy step gave it (the queue: place
   * and depth, the expected turn or the time waited, the destination account and Region, the kind of
   * copy; at most {@link MAX_CAUSE_CHARS}).
   */
  readonly deferral?: { readonly name: string; readonly reason: string };
}

/** A record's status (contracts/shapes.ts {@link RECORD_STATUSES}). */
export type LedgerStatus = RecordStatus;

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
/** `plans/<runId>/plan.json` */
export const planHeadKey = (runId: string): string => `${PLANS_PREFIX}${segment('runId', runId)}/plan.json`;
/** `plans/<runId>/items-<chunk, 5 digits>.json` */
export const planChunkKey = (runId: string, chunk: number): string => {
  if (!Number.isInteger(chunk) || chunk < 0 || chunk > 99_999) throw new Error(`ledger key: plan chunk ${chunk} must be a whole number 0-99999`);
  return `${PLANS_PREFIX}${segment('runId', runId)}/items-${String(chunk).padStart(5, '0')}.json`;
};
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

/** A ledger object's key and when S3 last wrote it (ListObjectsV2 `LastModified`; epoch 0 if S3 gave none). */
export interface LedgerObject {
  readonly key: string;
  readonly lastModified: Date;
}

/**
 * Every `.json` object under a prefix, in key order, every page (ListObjectsV2, 1,000 keys a page).
 * @throws S3 errors by name (AccessDenied, NoSuchBucket)
 */
export async function listLedgerObjects(s3: S3Client, bucket: string, prefix: string): Promise<LedgerObject[]> {
  const objects: LedgerObject[] = [];
  let token: string | undefined;
  do {
    const page = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ...(token !== undefined && { ContinuationToken: token }) }));
    for (const o of page.Contents ?? []) if (o.Key?.endsWith('.json')) objects.push({ key: o.Key, lastModified: o.LastModified ?? new Date(0) });
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token !== undefined);
  return objects;
}

/** Keys under a prefix, every page ({@link listLedgerObjects}). */
async function listKeys(s3: S3Client, bucket: string, prefix: string): Promise<string[]> {
  return (await listLedgerObjects(s3, bucket, prefix)).map((o) => o.key);
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
  if (!r || typeof r !== 'object' || typeof r.runId !== 'string' || typeof r.database?.identifier !== 'string' || !(RECORD_STATUSES as readonly unknown[]).includes(r.status)) {
    throw new LedgerRecordInvalid(key, 'missing runId, database.identifier or status');
  }
  return r as LedgerRecord;
}

/**
 * Reads many records, 16 GetObject calls at a time, in the order of `keys`.
 * @throws LedgerRecordInvalid, S3 errors by name (NoSuchKey, AccessDenied)
 */
export function readRecords(s3: S3Client, bucket: string, keys: readonly string[]): Promise<LedgerRecord[]> {
  return pMap(keys, (key) => readRecord(s3, bucket, key), { concurrency: 16 });
}

/**
 * Every record of a run, in key order (database identifier order).
 * @throws LedgerRecordInvalid, S3 errors by name
 */
export async function readRun(s3: S3Client, bucket: string, runId: string): Promise<LedgerRecord[]> {
  return readRecords(s3, bucket, await listKeys(s3, bucket, runPrefix(runId)));
}

/**
 * Every event-run record written on a UTC day (`yyyy-mm-dd`), in key order (run, then database).
 * @throws LedgerRecordInvalid, S3 errors by name
 */
export async function readDay(s3: S3Client, bucket: string, day: string): Promise<LedgerRecord[]> {
  return readRecords(s3, bucket, await listKeys(s3, bucket, dailyPrefix(day)));
}

/**
 * The head of a run's plan (`plans/<runId>/plan.json`): the plan's runId, trigger, count (planned
 * databases), skipped and discovered ({@link PlanRunOutput}), beside its chunks.
 */
export interface PlanHead extends Pick<PlanRunOutput, 'runId' | 'trigger' | 'count' | 'skipped' | 'discovered'> {
  readonly schemaVersion: number;
  /** Chunk objects `items-00000.json` .. (count / PLAN_CHUNK_SIZE rounded up). */
  readonly chunks: number;
  readonly chunkSize: number;
}
/** One chunk of a run's plan: items `first` .. `first + items.length - 1`. */
export interface PlanChunk {
  readonly schemaVersion: number;
  readonly runId: string;
  readonly first: number;
  readonly items: readonly PlannedDatabase[];
}

/** Thrown when a plan object is missing an item or is not a plan (corrupted, or the index is out of range). */
export class PlanItemNotFound extends Error {
  constructor(key: string, why: string) {
    super(`Run plan object ${key}: ${why}`);
    this.name = 'PlanItemNotFound';
  }
}

async function getJson(s3: S3Client, bucket: string, key: string): Promise<unknown> {
  const out = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  const text = (await out.Body?.transformToString('utf8')) ?? '';
  try {
    return JSON.parse(text);
  } catch {
    throw new PlanItemNotFound(key, 'not JSON');
  }
}

/**
 * Writes a run's plan: its head and its items in chunks of {@link PLAN_CHUNK_SIZE} (chunks first,
 * the head last, 8 PutObject calls at a time).
 * @returns the number of chunks
 * @throws S3 errors by name (AccessDenied, NoSuchBucket, SlowDown, ...)
 */
export async function writePlan(
  s3: S3Client,
  bucket: string,
  plan: { readonly runId: string; readonly trigger: RunTrigger; readonly databases: readonly PlannedDatabase[]; readonly skipped: PlanHead['skipped']; readonly discovered: readonly string[] },
): Promise<number> {
  const chunks = Math.ceil(plan.databases.length / PLAN_CHUNK_SIZE);
  const put = (Key: string, body: unknown) => s3.send(new PutObjectCommand({ Bucket: bucket, Key, Body: JSON.stringify(body), ContentType: 'application/json' }));
  await pMap(
    Array.from({ length: chunks }, (_, c) => c),
    (c) => {
      const first = c * PLAN_CHUNK_SIZE;
      const chunk: PlanChunk = { schemaVersion: LEDGER_SCHEMA_VERSION, runId: plan.runId, first, items: plan.databases.slice(first, first + PLAN_CHUNK_SIZE) };
      return put(planChunkKey(plan.runId, c), chunk);
    },
    { concurrency: 8 },
  );
  const head: PlanHead = {
    schemaVersion: LEDGER_SCHEMA_VERSION,
    runId: plan.runId,
    trigger: plan.trigger,
    count: plan.databases.length,
    chunks,
    chunkSize: PLAN_CHUNK_SIZE,
    skipped: plan.skipped,
    discovered: plan.discovered,
  };
  await put(planHeadKey(plan.runId), head);
  return chunks;
}

async function readChunk(s3: S3Client, bucket: string, runId: string, chunk: number): Promise<PlanChunk> {
  const key = planChunkKey(runId, chunk);
  const c = (await getJson(s3, bucket, key)) as Partial<PlanChunk>;
  if (!c || typeof c !== 'object' || c.runId !== runId || !Array.isArray(c.items) || c.first !== chunk * PLAN_CHUNK_SIZE) throw new PlanItemNotFound(key, `not chunk ${chunk} of run ${runId}`);
  return c as PlanChunk;
}

/**
 * Item `index` (0-based) of a run's plan: one GetObject of its chunk.
 * @throws PlanItemNotFound (index out of range, chunk not a plan), S3 errors by name (NoSuchKey, AccessDenied)
 */
export async function readPlanItem(s3: S3Client, bucket: string, runId: string, index: number): Promise<PlannedDatabase> {
  if (!Number.isInteger(index) || index < 0) throw new PlanItemNotFound(planHeadKey(runId), `index ${index} must be a whole number >= 0`);
  const chunk = Math.floor(index / PLAN_CHUNK_SIZE);
  const c = await readChunk(s3, bucket, runId, chunk);
  const item = c.items[index - c.first];
  if (!item) throw new PlanItemNotFound(planChunkKey(runId, chunk), `no item ${index}`);
  return item;
}

/**
 * Every item of a run's plan, in plan order (`chunks` GetObject calls, 16 at a time).
 * @throws PlanItemNotFound, S3 errors by name
 */
export async function readPlan(s3: S3Client, bucket: string, runId: string, chunks: number): Promise<PlannedDatabase[]> {
  const out = await pMap(Array.from({ length: chunks }, (_, i) => i), (i) => readChunk(s3, bucket, runId, i), { concurrency: 16 });
  return out.flatMap((c) => c.items);
}

/** The head of a run's plan. @throws PlanItemNotFound, S3 errors by name */
export async function readPlanHead(s3: S3Client, bucket: string, runId: string): Promise<PlanHead> {
  const key = planHeadKey(runId);
  const h = (await getJson(s3, bucket, key)) as Partial<PlanHead>;
  if (!h || typeof h !== 'object' || h.runId !== runId || typeof h.chunks !== 'number') throw new PlanItemNotFound(key, `not the plan of run ${runId}`);
  return h as PlanHead;
}
