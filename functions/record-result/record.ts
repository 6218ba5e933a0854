/**
 * record-result domain (issue 12): writes one database's result of one run to the run ledger
 * (functions/shared/ledger.ts) and returns the small, fixed-size status BackupRun keeps.
 *
 * Called by DatabaseBackup at the end of every path: `RecordSuccess` with the run's result,
 * `RecordFailure` with the caught error (the child still fails afterwards with that error), and
 * (issue 12) `RecordDeferral` with the caught `CopySlotsDeferred` (status `DEFERRED`, its message as the reason).
 * @throws S3 errors by name (AccessDenied, NoSuchBucket, SlowDown, ...); never turns a failure into a success.
 * Source: https://docs.aws.amazon.com/AmazonS3/latest/API/API_PutObject.html
 */
import type { S3Client } from '@aws-sdk/client-s3';
import type { RecordResultInput, RecordResultOutput } from '../../contracts/functions/record-result.js';
import { LEDGER_SCHEMA_VERSION, MAX_CAUSE_CHARS, writeRecord, type LedgerRecord } from '../../functions/shared/ledger.js';

export type { RecordResultInput, RecordResultOutput };

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
  if (input.outcome === 'DEFERRED') return { ...base, status: 'DEFERRED', deferral: { name, reason: errorMessageOf(input.state.error?.Cause ?? '').slice(0, MAX_CAUSE_CHARS) } };
  return { ...base, status: 'FAILED', error: { name, cause: (input.state.error?.Cause ?? '').slice(0, MAX_CAUSE_CHARS) } };
}

/** The `errorMessage` of a Lambda error Cause (`{"errorType","errorMessage","trace"}`, docs/aws-behaviour.md §20), or the Cause as is. */
function errorMessageOf(cause: string): string {
  try {
    const c = JSON.parse(cause) as { errorMessage?: unknown };
    if (typeof c?.errorMessage === 'string') return c.errorMessage;
  } catch {
    // plain text
  }
  return cause;
}

/** Writes the record (and its daily copy for event runs). @throws S3 errors by name */
export async function recordResult(s3: S3Client, bucket: string, input: RecordResultInput, now: Date): Promise<RecordResultOutput> {
  const record = buildRecord(input, now);
  const [key] = await writeRecord(s3, bucket, record);
  return { database: record.database.identifier, status: record.status, ...(record.error && { error: record.error.name }), key: key! };
}
