/**
 * poll-status domain logic: one look at a snapshot copy's progress, plus how long the state
 * machine should wait before the next look (the Wait -> Poll -> Choice loop; never wait in Lambda).
 * Each look costs three state transitions and a wait of any length one (docs/aws-behaviour.md §28),
 * so looks are aimed at when the copy should be available rather than spread (issue 12).
 * Source: https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_DBSnapshot.html (Status, PercentProgress)
 */
import type { RDSClient } from '@aws-sdk/client-rds';
import type { PollStatusInput, PollStatusOutput } from '../../contracts/shapes.js';
import { InvalidInput, SnapshotCopyFailed, SnapshotNotFound } from '../../contracts/errors.js';
import { FIRST_POLL_SECONDS, latencyBudgetSeconds, MAX_BACKOFF_POLL_SECONDS, MAX_ESTIMATED_POLL_SECONDS, MIN_POLL_SECONDS } from '../../contracts/polling.js';
import { describeSnapshot, snapshotNoun, toSnapshotRef } from '../../functions/shared/snapshots.js';

export { FIRST_POLL_SECONDS, MAX_BACKOFF_POLL_SECONDS, MAX_ESTIMATED_POLL_SECONDS, MIN_POLL_SECONDS } from '../../contracts/polling.js';

/** One earlier look at the copy: seconds since the copy started and the PercentProgress then. */
export interface PollObservation {
  /** Seconds since the copy started (`copyStartedAt`), >= 0. */
  readonly elapsedSeconds: number;
  /** RDS PercentProgress then, 0-100. */
  readonly percentProgress: number;
}

/** Inputs of {@link nextPollSeconds}. */
export interface PollTiming {
  /** RDS PercentProgress now, 0-100. */
  readonly percentProgress: number;
  /** Seconds since the copy started. */
  readonly elapsedSeconds: number;
  /**
   * The poll before this one (the loop's Init gives `{ elapsedSeconds: 0, percentProgress: 0 }`: a copy
   * has no progress when requested). Absent, or not earlier, or with more progress than now: ignored.
   */
  readonly previous?: PollObservation;
  /**
   * The loop's elapsed bound (`polling.maxWaitHours` x 3600), seconds: no wait runs past it (+1 s),
   * so the loop ends at most 30 min after it (statemachines/timeouts.ts counts on that).
   */
  readonly maxWaitSeconds?: number;
}

/**
 * When the copy will be available, as a window (lo, hi] of elapsed seconds, from the progress seen.
 *
 * The model: PercentProgress is 0 until the copy starts transferring (it may sit queued first,
 * docs/aws-behaviour.md §11/§13), then rises linearly, and RDS reports it rounded down. So:
 * - hi = 100 t / p whatever the queue was (a late start only makes the copy faster than that);
 * - two polls with progress (p0 >= 1 at t0, p at t): the rate (p - p0) / (t - t0) +- 1 point gives
 *   both ends;
 * - the first progress after a poll that saw none at t0: progress is taken to have begun at t0
 *   (0 for a copy seen moving at its first poll), lo = t0 + 100 (t - t0) / (p + 1).
 * Pure; `p` in [1, 99].
 */
export function finishWindow(t: number, p: number, prev: PollObservation): { lo: number; hi: number } {
  // +1 s: elapsed times are whole seconds, rounded down.
  let hi = (100 * (t + 1)) / p;
  let lo: number;
  const dt = t - prev.elapsedSeconds;
  const dp = p - prev.percentProgress;
  if (prev.percentProgress >= 1) {
    lo = t + ((99 - p) * dt) / (dp + 1);
    if (dp >= 2) hi = Math.min(hi, t + ((100 - p) * (dt + 1)) / (dp - 1));
  } else {
    lo = prev.elapsedSeconds + (100 * dt) / (p + 1);
  }
  lo = Math.max(t, Math.min(lo, hi));
  return { lo, hi };
}

/**
 * Seconds to wait before the next poll: an integer >= {@link MIN_POLL_SECONDS}; at most
 * {@link MAX_BACKOFF_POLL_SECONDS} unless a rising PercentProgress backs it, and then at most
 * {@link MAX_ESTIMATED_POLL_SECONDS}; never past `maxWaitSeconds` + 1 s (when given).
 *
 * - progress >= 100: the status flips to `available` shortly; the minimum.
 * - no progress: the copy is queued or slow. Were it moving, 0% at t means it needs more than 100 t
 *   (rounded down), so wait 99 t, at least 60 s, at most 30 min (the back-off).
 * - progress: {@link finishWindow} gives (lo, hi]. When hi - lo is within the latency budget
 *   max(60 s, 3% of lo), poll at hi: the copy is available by then, seen at most hi - lo late.
 *   Otherwise poll at lo, where the copy cannot yet be done and progress is high enough to pin the
 *   end within the budget (from p >= 1 at t, lo > t (100 / (p + 1)) and the next p is >= 50).
 *   Steady progress then takes at most 4 polls per copy from 5 min to 48 h (the first look at 60 s,
 *   a second after the back-off when that saw 0%, then lo and hi), seen at most 3% late.
 * - progress as at the last look (p >= 1): the estimate failed (stall, slowdown); back off, doubling
 *   the last gap, 60 s to 30 min.
 * - first progress after 0% seen for longer than the last gap (a copy that sat queued): it began
 *   somewhere in that gap, so look again one gap later (<= 30 min) and take the rate from two looks.
 *   Weak spot: a queue that ends within the first back-off, with little progress at the second look,
 *   looks exactly like a slow steady copy and is trusted as one; such a copy can be seen up to
 *   {@link MAX_ESTIMATED_POLL_SECONDS} late. Telling them apart costs one more look for every steady
 *   copy (3 transitions per stage), which the transition target does not allow.
 * Non-finite or negative inputs are treated as 0. Pure; whole seconds, as a Wait state's
 * SecondsPath requires (docs/aws-behaviour.md §28).
 */
export function nextPollSeconds(t: PollTiming): number {
  const clean = (v: number | undefined): number => (v !== undefined && Number.isFinite(v) && v > 0 ? v : 0);
  const p = Math.floor(Math.min(clean(t.percentProgress), 100));
  const now = clean(t.elapsedSeconds);
  const prevP = Math.floor(Math.min(clean(t.previous?.percentProgress), 100));
  const prevT = clean(t.previous?.elapsedSeconds);
  const prev: PollObservation = t.previous !== undefined && prevT < now && prevP <= p ? { elapsedSeconds: prevT, percentProgress: prevP } : { elapsedSeconds: 0, percentProgress: 0 };
  const gap = now - prev.elapsedSeconds;
  let wait: number;
  if (p >= 100) wait = MIN_POLL_SECONDS;
  else if (p === 0) wait = Math.min(MAX_BACKOFF_POLL_SECONDS, Math.max(FIRST_POLL_SECONDS, 99 * now));
  else if (p === prev.percentProgress) {
    // Moving before, not since the last look: the estimate failed (a stall, or a slowdown). Back
    // off, doubling the last gap, 60 s to 30 min, rather than polling every 30 s toward the bounds.
    wait = Math.min(MAX_BACKOFF_POLL_SECONDS, Math.max(FIRST_POLL_SECONDS, 2 * gap));
  } else {
    const { lo, hi } = finishWindow(now, p, prev);
    wait = hi - lo <= latencyBudgetSeconds(lo) ? Math.ceil(hi - now) : Math.floor(lo - now);
    // First progress after a copy sat at 0% for longer than the last gap: it was queued and began
    // somewhere in that gap, so one point says little about its rate. Look again one gap later.
    if (prev.percentProgress === 0 && prev.elapsedSeconds >= gap) wait = Math.min(wait, gap);
    wait = Math.min(MAX_ESTIMATED_POLL_SECONDS, wait);
  }
  if (t.maxWaitSeconds !== undefined && Number.isFinite(t.maxWaitSeconds)) wait = Math.min(wait, Math.floor(t.maxWaitSeconds - now) + 1);
  return Math.max(MIN_POLL_SECONDS, Math.round(wait));
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
    waitSeconds: nextPollSeconds({
      percentProgress,
      elapsedSeconds,
      ...(input.previous !== undefined && { previous: input.previous }),
      ...(input.maxWaitSeconds !== undefined && { maxWaitSeconds: input.maxWaitSeconds }),
    }),
    attempt: input.attempt + 1,
    elapsedSeconds,
    checkedAt: now.toISOString(),
    snapshot: toSnapshotRef(record),
  };
}
