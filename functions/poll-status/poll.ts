/**
 * poll-status domain logic: one look at a snapshot copy's progress, plus how long the state
 * machine should wait before the next look (the Wait -> Poll -> Choice loop; never wait in Lambda).
 * Source: https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_DBSnapshot.html (Status, PercentProgress)
 */
import type { RDSClient } from '@aws-sdk/client-rds';
import type { PollStatusInput, PollStatusOutput } from '../../functions/shared/contracts.js';
import { InvalidInput, SnapshotCopyFailed, SnapshotNotFound } from '../../functions/shared/errors.js';
import { describeSnapshot, snapshotNoun, toSnapshotRef } from '../../functions/shared/snapshots.js';

/** Shortest wait between polls, seconds. */
export const MIN_POLL_SECONDS = 30;
/** Longest wait between polls, seconds (cross-Region copies can sit queued for hours). */
export const MAX_POLL_SECONDS = 900;
/** First back-off step while no progress is reported, seconds (then 120, 240, ...). */
export const NO_PROGRESS_BASE_SECONDS = 60;

/** Inputs of {@link nextPollSeconds}. */
export interface PollTiming {
  /** RDS PercentProgress, 0-100. */
  readonly percentProgress: number;
  /** Seconds since the copy started. */
  readonly elapsedSeconds: number;
  /** Polls made so far (0 on the first poll). */
  readonly attempt: number;
}

/**
 * Seconds to wait before the next poll, an integer in [{@link MIN_POLL_SECONDS}, {@link MAX_POLL_SECONDS}].
 *
 * - 0 < progress < 100: RDS has an estimate; remaining ~ elapsed * (100 - p) / p, wait half of it.
 * - progress >= 100: the status flips to `available` shortly; wait the minimum.
 * - no progress yet (queued or just started): back off 60, 120, 240, ... seconds by attempt.
 * Non-finite or negative inputs are treated as 0. Pure.
 */
export function nextPollSeconds(t: PollTiming): number {
  const clean = (v: number): number => (Number.isFinite(v) && v > 0 ? v : 0);
  const p = Math.min(clean(t.percentProgress), 100);
  const elapsed = clean(t.elapsedSeconds);
  const attempt = Math.floor(clean(t.attempt));
  let wait: number;
  if (p >= 100) wait = MIN_POLL_SECONDS;
  else if (p > 0) wait = (elapsed * (100 - p)) / p / 2;
  else wait = NO_PROGRESS_BASE_SECONDS * 2 ** Math.min(attempt, 16);
  return Math.round(Math.min(MAX_POLL_SECONDS, Math.max(MIN_POLL_SECONDS, wait)));
}

/**
 * Describes the snapshot with `rds` (a client in the snapshot's account and Region) and reports progress.
 *
 * @param now poll time; `elapsedSeconds` = now - `input.copyStartedAt` (>= 0), whole seconds. Never
 *   SnapshotCreateTime: RDS leaves it out until the copy is available (docs/aws-behaviour.md §13).
 * @throws InvalidInput when `copyStartedAt` is not an ISO-8601 time.
 * @throws SnapshotNotFound when the snapshot vanished (deleted while copying?).
 * @throws SnapshotCopyFailed when its status is `failed`.
 */
export async function pollStatus(rds: RDSClient, input: PollStatusInput, now: Date): Promise<PollStatusOutput> {
  const { snapshot } = input;
  const noun = snapshotNoun(snapshot.kind);
  const where = `account ${snapshot.accountId} Region ${snapshot.region}`;
  const startedMs = Date.parse(input.copyStartedAt);
  if (!Number.isFinite(startedMs)) throw new InvalidInput(`copyStartedAt: not an ISO-8601 time: ${input.copyStartedAt}`);
  const record = await describeSnapshot(rds, snapshot.kind, snapshot.identifier);
  if (!record) {
    throw new SnapshotNotFound(
      `${noun} ${snapshot.identifier} vanished from ${where} while being copied (deleted while copying?). Check CloudTrail for ` +
        'Delete calls and the RDS events of the copy, then re-run the backup.',
    );
  }
  if (record.status === 'failed') {
    throw new SnapshotCopyFailed(
      `The copy ${noun} ${snapshot.identifier} in ${where} failed. Check its RDS events (KMS key access, storage, quotas), ` +
        'delete the failed snapshot, then re-run the backup.',
    );
  }
  const ready = record.status === 'available';
  const percentProgress = Math.max(0, Math.min(100, record.percentProgress ?? (ready ? 100 : 0)));
  const elapsedSeconds = Math.max(0, Math.floor((now.getTime() - startedMs) / 1000));
  return {
    status: record.status,
    percentProgress,
    ready,
    waitSeconds: nextPollSeconds({ percentProgress, elapsedSeconds, attempt: input.attempt }),
    attempt: input.attempt + 1,
    elapsedSeconds,
    checkedAt: now.toISOString(),
    snapshot: toSnapshotRef(record),
  };
}
