/**
 * record-evidence domain (issue 9): writes one JSON evidence record per database per drill to the
 * vault's evidence bucket (S3 Object Lock, governance mode, versioned, SSE-KMS; see
 * infra/constructs/evidence-bucket.ts), whatever the drill's outcome, and returns a small summary.
 *
 * Record (`schemaVersion` 1; times ISO-8601 UTC, durations seconds, ages hours), at
 * `<prefix>/<database>/<yyyy-mm-dd of the drill>/<drillId>.json`:
 * `{ schemaVersion, drillId, database: {identifier, kind}, engine, vaultCopyArn, snapshotTime,
 *    rpoHoursAtDrill, restoreStartedAt, restoreAvailableAt, rtoSeconds, driver, dataChecks,
 *    checks: [{name, sql, expect, passed, actual}], outcome: 'PASSED'|'FAILED',
 *    failure?: {error, message}, cleanup: {done, deleted, alreadyGone, error?}, recordedAt }`.
 * `checks` on a failed validation come from the RestoreCheckFailed message (`Results: [...]`).
 * @throws AWS errors by name (AccessDenied, NoSuchBucket, KMS errors)
 * Source: https://docs.aws.amazon.com/AmazonS3/latest/userguide/object-lock.html
 */
import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type { CaughtError, DrillState, EvidenceSummary, RecordEvidenceInput } from '../../contracts/functions/record-evidence.js';
import type { CheckResult } from '../../contracts/drill.js';

export type { CaughtError, DrillState, EvidenceSummary, RecordEvidenceInput };

/** The message inside a Step Functions Cause (`{"errorType","errorMessage"}` JSON, or plain text). */
export function causeMessage(cause: string | undefined): string {
  if (!cause) return '';
  try {
    const parsed = JSON.parse(cause) as { errorMessage?: unknown };
    if (typeof parsed.errorMessage === 'string') return parsed.errorMessage;
  } catch {
    /* plain text */
  }
  return cause;
}

/** Check results carried by a RestoreCheckFailed message, or []. */
export function checksFromFailure(message: string): CheckResult[] {
  const i = message.lastIndexOf('Results: ');
  if (i < 0) return [];
  try {
    return JSON.parse(message.slice(i + 'Results: '.length)) as CheckResult[];
  } catch {
    return [];
  }
}

/** Builds the evidence record (pure). */
export function buildRecord({ drill: input }: RecordEvidenceInput, now: Date): Record<string, unknown> {
  const failureMessage = input.failure ? causeMessage(input.failure.Cause) : undefined;
  const checks = input.validation?.checks ?? (input.failure?.Error === 'RestoreCheckFailed' ? checksFromFailure(failureMessage ?? '') : []);
  const cleanupDone = input.cleanupError === undefined && input.cleanup !== undefined;
  return {
    schemaVersion: 1,
    drillId: input.drillId,
    database: input.database,
    engine: input.target?.engine ?? null,
    vaultCopyArn: input.target?.snapshotArn ?? null,
    snapshotTime: input.target?.snapshotTime ?? null,
    rpoHoursAtDrill: input.target?.rpoHoursAtDrill ?? null,
    restoreStartedAt: input.target?.restoreStartedAt ?? null,
    restoreAvailableAt: input.poll?.availableAt ?? null,
    rtoSeconds: input.poll?.rtoSeconds ?? null,
    driver: input.validation?.driver ?? null,
    dataChecks: input.validation ? (input.validation.note ?? `${input.validation.checks.length} checks ran`) : input.failure?.Error === 'RestoreCheckFailed' ? 'checks ran, some failed' : 'not run',
    checks,
    outcome: input.failure === undefined && input.validation !== undefined ? 'PASSED' : 'FAILED',
    ...(input.failure ? { failure: { error: input.failure.Error, message: failureMessage } } : {}),
    cleanup: { done: cleanupDone, deleted: input.cleanup?.deleted ?? [], alreadyGone: input.cleanup?.alreadyGone ?? [], ...(input.cleanupError ? { error: `${input.cleanupError.Error}: ${causeMessage(input.cleanupError.Cause)}` } : {}) },
    recordedAt: now.toISOString(),
  };
}

/** The object key of a record. */
export function evidenceKey(prefix: string, database: string, drillId: string, now: Date): string {
  return `${prefix}/${database}/${now.toISOString().slice(0, 10)}/${drillId}.json`;
}

/** Writes the record and returns the summary. A drill whose cleanup failed is FAILED even when its checks passed. */
export async function recordEvidence(s3: S3Client, p: { bucket: string; prefix: string }, input: RecordEvidenceInput, now: Date): Promise<EvidenceSummary> {
  const record = buildRecord(input, now);
  const drill = input.drill;
  const key = evidenceKey(p.prefix, drill.database.identifier, drill.drillId, now);
  await s3.send(new PutObjectCommand({ Bucket: p.bucket, Key: key, Body: JSON.stringify(record, null, 2), ContentType: 'application/json', ServerSideEncryption: 'aws:kms' }));
  const checks = record.checks as CheckResult[];
  const cleanupDone = (record.cleanup as { done: boolean }).done;
  const status = record.outcome === 'PASSED' && cleanupDone ? 'PASSED' : 'FAILED';
  const error = drill.failure?.Error ?? (cleanupDone ? undefined : (drill.cleanupError?.Error ?? 'CleanupNotDone'));
  return {
    database: drill.database.identifier,
    status,
    ...(typeof record.rtoSeconds === 'number' ? { rtoSeconds: record.rtoSeconds } : {}),
    ...(typeof record.rpoHoursAtDrill === 'number' ? { rpoHoursAtDrill: record.rpoHoursAtDrill } : {}),
    checksPassed: checks.filter((c) => c.passed).length,
    checksTotal: checks.length,
    evidenceKey: key,
    ...(error ? { error } : {}),
    cleanupDone,
  };
}
