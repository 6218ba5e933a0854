/**
 * send-digest domain (issue 12): the daily digest of event-started backups. Runs started by an RDS
 * snapshot event (one database each) publish nothing when they succeed (notify); their run ledger
 * records are filed by day (`daily/<yyyy-mm-dd>/`, functions/shared/ledger.ts), and once a day this
 * sends one SNS message listing every such record of the day: OK, FAILED with its reason (already
 * sent at once when it happened), STALE (the recovery point was older than the RPO objective), or
 * DEFERRED to the scheduled run with its reason (issue 12: no copy slot in sight within the bound).
 * Source: https://docs.aws.amazon.com/sns/latest/api/API_Publish.html (Subject < 100 ASCII characters, Message <= 256 KB)
 */
import { PublishCommand, type SNSClient } from '@aws-sdk/client-sns';
import type { S3Client } from '@aws-sdk/client-s3';
import { readDay, type LedgerRecord } from '../../functions/shared/ledger.js';
import { MAX_MESSAGE_BYTES, MAX_SUBJECT_LENGTH, staleRecoveryPointHours, summarizeFailure, type RecoveryPointPolicy } from '../notify/report.js';

/** What send-digest returns (and the DailyDigest execution shows). */
export interface DigestOutput {
  /** The UTC day digested, `yyyy-mm-dd`. */
  readonly day: string;
  /** Records of the day (event-run backups that ended that day). */
  readonly records: number;
  readonly succeeded: number;
  readonly failed: number;
  readonly stale: number;
  /** Issue 12: event runs deferred to the scheduled run (no copy made, not failed). */
  readonly deferred: number;
  /** false when the day had no record: nothing is sent. */
  readonly published: boolean;
  /** '' when not published. */
  readonly subject: string;
  readonly messageId: string;
}

/** The UTC day before `now`, `yyyy-mm-dd` (the digest sent after midnight covers the day that ended). */
export function previousUtcDay(now: Date): string {
  return new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate() - 1)).toISOString().slice(0, 10);
}

const line = (v: string) => v.replace(/\s+/g, ' ').trim();

/** Subject, body and counts of one day's digest (pure). */
export function buildDigest(
  day: string,
  records: readonly LedgerRecord[],
  policy: RecoveryPointPolicy,
): { subject: string; body: string; succeeded: number; failed: number; stale: number; deferred: number } {
  const rows = records.map((r) => {
    const where = `${r.database.identifier} (${r.database.kind}), run ${r.runId}, ${r.recordedAt}`;
    if (r.status === 'DEFERRED') {
      // Issue 12: no copy made by this event run; the scheduled run backs the database up (never notified at once).
      return { kind: 'DEFERRED' as const, text: `[DEFERRED] ${where}: deferred to the scheduled run: ${line(r.deferral?.reason ?? '(no reason recorded)').slice(0, 1000)}` };
    }
    if (r.status !== 'SUCCEEDED') {
      const f = summarizeFailure(r.error?.name, r.error?.cause);
      return { kind: 'FAILED' as const, text: `[FAILED] ${where}: ${f.errorType}: ${line(f.errorMessage).slice(0, 1000)}` };
    }
    const staleHours = staleRecoveryPointHours({ database: r.database, status: r.status, summary: r.summary, output: r.output }, policy);
    const vault = r.summary?.vault.arn ?? 'n/a';
    if (staleHours !== undefined) {
      return {
        kind: 'STALE' as const,
        text: `[STALE] ${where}: RecoveryPointStale: the newest recovery point was ${staleHours} h old when the backup started, objective ${policy.rpoHours} h; vault copy ${vault}`,
      };
    }
    return { kind: 'OK' as const, text: `[OK] ${where}: vault copy ${vault}` };
  });
  const failed = rows.filter((r) => r.kind === 'FAILED').length;
  const stale = rows.filter((r) => r.kind === 'STALE').length;
  const deferred = rows.filter((r) => r.kind === 'DEFERRED').length;
  const succeeded = rows.length - failed - deferred;
  let subject = `rds-snapshot-vault: daily digest ${day}: ${succeeded}/${rows.length} event backups OK`;
  if (failed > 0) subject += `, ${failed} FAILED`;
  if (stale > 0) subject += `, ${stale} STALE`;
  if (deferred > 0) subject += `, ${deferred} DEFERRED`;
  subject = subject.slice(0, MAX_SUBJECT_LENGTH);
  const order = { FAILED: 0, STALE: 1, DEFERRED: 2, OK: 3 } as const;
  const sorted = [...rows].sort((a, b) => order[a.kind] - order[b.kind]);
  let body = [
    `rds-snapshot-vault daily digest for ${day} (UTC): the backups started by RDS snapshot events that ended that day.`,
    `${succeeded}/${rows.length} OK, ${failed} FAILED, ${stale} RecoveryPointStale, ${deferred} DEFERRED to the scheduled run.${failed > 0 ? ' Each failure was also notified when it happened.' : ''}` +
      (deferred > 0 ? ' A deferred database had no copy slot in sight within the slot wait (a flood of event runs); the daily scheduled run backs it up: check that run.' : ''),
    '',
    ...sorted.map((r) => r.text),
    '',
  ].join('\n');
  if (Buffer.byteLength(body, 'utf8') > MAX_MESSAGE_BYTES) body = `${Buffer.from(body, 'utf8').subarray(0, MAX_MESSAGE_BYTES).toString('utf8')}\n... (truncated)`;
  return { subject, body, succeeded, failed, stale, deferred };
}

/**
 * Reads the day's records and publishes one message when there is any.
 * @throws LedgerRecordInvalid; S3 and SNS errors by name (AccessDenied, AuthorizationError, ...)
 */
export async function sendDigest(
  deps: { s3: S3Client; sns: SNSClient },
  cfg: { bucket: string; topicArn: string },
  day: string,
  policy: RecoveryPointPolicy,
): Promise<DigestOutput> {
  const records = await readDay(deps.s3, cfg.bucket, day);
  const d = buildDigest(day, records, policy);
  const counts = { day, records: records.length, succeeded: d.succeeded, failed: d.failed, stale: d.stale, deferred: d.deferred };
  if (records.length === 0) return { ...counts, published: false, subject: '', messageId: '' };
  const out = await deps.sns.send(new PublishCommand({ TopicArn: cfg.topicArn, Subject: d.subject, Message: d.body }));
  if (!out.MessageId) throw new Error('SNS Publish returned no MessageId');
  return { ...counts, published: true, subject: d.subject, messageId: out.MessageId };
}
