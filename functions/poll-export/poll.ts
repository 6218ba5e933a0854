/**
 * poll-export domain logic: one look at an export task (DescribeExportTasks) plus how long the
 * state machine should wait before the next look. Exports restore the whole database first and can
 * take hours, so polls are few: every 5 minutes to 1 hour.
 * Source: https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_DescribeExportTasks.html ,
 * https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_ExportTask.html (Status, PercentProgress, FailureCause)
 */
import type { RDSClient } from '@aws-sdk/client-rds';
import type { PollExportInput, PollExportOutput } from '../../contracts/shapes.js';
import { ExportTaskFailed, ExportTaskIdentifierConflict, ExportTaskNotFound } from '../../contracts/errors.js';
import { describeExportTask } from '../../functions/shared/exports.js';

/** Shortest wait between export polls, seconds (5 min). */
export const MIN_EXPORT_POLL_SECONDS = 300;
/** Longest wait between export polls, seconds (1 h). */
export const MAX_EXPORT_POLL_SECONDS = 3600;

/** Inputs of {@link nextExportPollSeconds}. */
export interface ExportPollTiming {
  /** RDS PercentProgress, 0-100. */
  readonly percentProgress: number;
  /** Seconds since the task started (TaskStartTime). */
  readonly elapsedSeconds: number;
  /** Polls made so far (0 on the first poll). */
  readonly attempt: number;
}

/**
 * Seconds to wait before the next export poll: an integer in
 * [{@link MIN_EXPORT_POLL_SECONDS}, {@link MAX_EXPORT_POLL_SECONDS}].
 *
 * - 0 < progress < 100: remaining ~ elapsed * (100 - p) / p; wait half of it.
 * - progress >= 100: the status flips to COMPLETE shortly; wait the minimum.
 * - no progress yet (STARTING: RDS restores the snapshot first): 300, 600, 1200, 2400, 3600 s by attempt.
 * Non-finite or negative inputs count as 0. Pure.
 */
export function nextExportPollSeconds(t: ExportPollTiming): number {
  const clean = (v: number): number => (Number.isFinite(v) && v > 0 ? v : 0);
  const p = Math.min(clean(t.percentProgress), 100);
  const elapsed = clean(t.elapsedSeconds);
  const attempt = Math.floor(clean(t.attempt));
  let wait: number;
  if (p >= 100) wait = MIN_EXPORT_POLL_SECONDS;
  else if (p > 0) wait = (elapsed * (100 - p)) / p / 2;
  else wait = MIN_EXPORT_POLL_SECONDS * 2 ** Math.min(attempt, 16);
  return Math.round(Math.min(MAX_EXPORT_POLL_SECONDS, Math.max(MIN_EXPORT_POLL_SECONDS, wait)));
}

/** Statuses after which the task will never complete. */
const FAILED_STATUSES = new Set(['FAILED', 'CANCELED', 'CANCELING']);

/**
 * Describes the export task with `rds` (own credentials, the task's Region) and reports progress.
 *
 * @param now poll time; `elapsedSeconds` = now - TaskStartTime (>= 0, 0 when unknown), whole seconds.
 * @throws ExportTaskNotFound when RDS does not know the task.
 * @throws ExportTaskIdentifierConflict when the task exports another snapshot than `exportTask.sourceArn`.
 * @throws ExportTaskFailed when the status is FAILED, CANCELED or CANCELING (message with FailureCause).
 */
export async function pollExport(rds: RDSClient, input: PollExportInput, now: Date): Promise<PollExportOutput> {
  const ref = input.exportTask;
  const where = `Region ${ref.region}`;
  const task = await describeExportTask(rds, ref.identifier);
  if (!task) {
    throw new ExportTaskNotFound(
      `Export task ${ref.identifier} was not found in ${where}. It was never started or RDS no longer lists it; re-run the backup to start the export again.`,
    );
  }
  if (task.SourceArn !== undefined && task.SourceArn !== ref.sourceArn) {
    throw new ExportTaskIdentifierConflict(`Export task ${ref.identifier} in ${where} exports ${task.SourceArn}, not ${ref.sourceArn}.`);
  }
  const status = (task.Status ?? 'UNKNOWN').toUpperCase();
  if (FAILED_STATUSES.has(status)) {
    throw new ExportTaskFailed(
      `Export task ${ref.identifier} of ${ref.sourceArn} to ${ref.s3Uri} is ${status}: ${task.FailureCause ?? 'no FailureCause reported'}. ` +
        'Check the export role, bucket and KMS key, and the engine/version (Db2 and RDS Custom cannot be exported); a new run exports the next copy.',
    );
  }
  const ready = status === 'COMPLETE';
  const percentProgress = Math.max(0, Math.min(100, task.PercentProgress ?? (ready ? 100 : 0)));
  const startMs = task.TaskStartTime === undefined ? undefined : new Date(task.TaskStartTime).getTime();
  const elapsedSeconds = startMs !== undefined && Number.isFinite(startMs) ? Math.max(0, Math.floor((now.getTime() - startMs) / 1000)) : 0;
  return {
    status,
    percentProgress,
    ready,
    waitSeconds: nextExportPollSeconds({ percentProgress, elapsedSeconds, attempt: input.attempt }),
    attempt: input.attempt + 1,
    elapsedSeconds,
    checkedAt: now.toISOString(),
    exportTask: { ...ref, status },
  };
}
