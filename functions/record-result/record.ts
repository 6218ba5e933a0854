/**
 * record-result domain (issue 12): writes one database's result of one run to the run ledger
 * (functions/shared/ledger.ts) and returns the small, fixed-size status BackupRun keeps.
 *
 * Called by DatabaseBackup at the end of both paths: `RecordSuccess` with the run's result, and
 * `RecordFailure` with the caught error (the child still fails afterwards with that error).
 * @throws S3 errors by name (AccessDenied, NoSuchBucket, SlowDown, ...); never turns a failure into a success.
 * Source: https://docs.aws.amazon.com/AmazonS3/latest/API/API_PutObject.html
 */
import type { S3Client } from '@aws-sdk/client-s3';
import type { DatabaseBackupOutput, DatabaseRef, RunTrigger } from '../../functions/shared/contracts.js';
import { LEDGER_SCHEMA_VERSION, MAX_CAUSE_CHARS, writeRecord, type LedgerRecord } from '../../functions/shared/ledger.js';

/** Input: the DatabaseBackup state at the end of its success or failure path. */
export type RecordResultInput =
  | {
      readonly outcome: 'SUCCEEDED';
      /** The DatabaseBackup state; `result` = the DatabaseBackup output (RecordSuccess passes it beside the state instead). */
      readonly state: { readonly database: DatabaseRef; readonly runId: string; readonly trigger?: RunTrigger; readonly result: DatabaseBackupOutput };
    }
  | {
      readonly outcome: 'SUCCEEDED';
      readonly state: { readonly database: DatabaseRef; readonly runId: string; readonly trigger?: RunTrigger };
      /** The DatabaseBackup output, built by RecordSuccess's Parameters. */
      readonly result: DatabaseBackupOutput;
    }
  | {
      readonly outcome: 'FAILED';
      /** `error` = the caught `{ Error, Cause }` of the step that failed. */
      readonly state: { readonly database: DatabaseRef; readonly runId: string; readonly trigger?: RunTrigger; readonly error?: { readonly Error?: string; readonly Cause?: string } };
    };

/** What DatabaseBackup (and, through it, BackupRun) keeps: fixed size. */
export interface RecordResultOutput {
  readonly database: string;
  readonly status: 'SUCCEEDED' | 'FAILED';
  /** FAILED: the error name (<= 256 characters, Step Functions' own bound on error names). */
  readonly error?: string;
  /** The ledger key of the record (`runs/<runId>/<database>.json`). */
  readonly key: string;
}

/** Builds the record (pure). */
export function buildRecord(input: RecordResultInput, now: Date): LedgerRecord {
  const { state } = input;
  const base = {
    schemaVersion: LEDGER_SCHEMA_VERSION,
    runId: state.runId,
    ...(state.trigger !== undefined && { trigger: state.trigger }),
    database: { identifier: state.database.identifier, kind: state.database.kind },
    recordedAt: now.toISOString(),
  };
  if (input.outcome === 'SUCCEEDED') {
    const result = 'result' in input ? input.result : input.state.result;
    return { ...base, status: 'SUCCEEDED', summary: result.summary, output: result };
  }
  const name = (input.state.error?.Error ?? '').slice(0, 256) || 'UnknownError';
  return { ...base, status: 'FAILED', error: { name, cause: (input.state.error?.Cause ?? '').slice(0, MAX_CAUSE_CHARS) } };
}

/** Writes the record (and its daily copy for event runs). @throws S3 errors by name */
export async function recordResult(s3: S3Client, bucket: string, input: RecordResultInput, now: Date): Promise<RecordResultOutput> {
  const record = buildRecord(input, now);
  const [key] = await writeRecord(s3, bucket, record);
  return { database: record.database.identifier, status: record.status, ...(record.error && { error: record.error.name }), key: key! };
}
