/**
 * The numbers of the snapshot copy poll loop that both sides use: poll-status (which picks each
 * wait) and the DatabaseBackup state machine (which waits before the first poll and bounds the
 * loop; statemachines/timeouts.ts sizes the execution timeouts from them). All in seconds.
 */

/** Wait before the first poll of a copy, seconds: a fresh copy reports 0% at once, so polling at 0 s tells nothing. */
export const FIRST_POLL_SECONDS = 60;

/** Shortest wait between two polls, seconds. */
export const MIN_POLL_SECONDS = 30;

/**
 * Longest wait that no rising `PercentProgress` backs, seconds (30 min): the back-off while a copy
 * reports no progress (queued, or not started transferring). A poll loop that reaches its elapsed
 * bound (`polling.maxWaitHours`) ends at most this long after it.
 */
export const MAX_BACKOFF_POLL_SECONDS = 1800;

/**
 * Longest wait aimed by a rising `PercentProgress`, seconds (1 day). Such a wait never runs past the
 * loop's elapsed bound (poll-status caps it there), so it does not lengthen the loop's worst case.
 */
export const MAX_ESTIMATED_POLL_SECONDS = 86_400;

/** Detection latency the poll rule aims at for a copy of `copySeconds`: max(60 s, 3% of the copy time), seconds. */
export function latencyBudgetSeconds(copySeconds: number): number {
  return Math.max(60, 0.03 * copySeconds);
}
