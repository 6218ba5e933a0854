/**
 * Execution timeouts that follow from the waits, computed in one place.
 *
 * A state machine's `TimeoutSeconds` ends an execution as `TIMED_OUT`: no Catch runs, nothing is
 * reported but the CloudWatch alarm (docs/aws-behaviour.md §18a). So every execution must always
 * end by its own named bounds first (`SnapshotCopyTimedOut`, `ExportTimedOut`, the retries'
 * attempts), and its timeout is only the backstop above the longest path those bounds allow:
 *
 * - DatabaseBackup: `CreateCopy` -> source wait -> `ShareWithVault` -> `CopyEverywhere` (the longest
 *   branch: vault copy + wait, then in two-hop mode a DR copy + wait; single-step DR copy + wait;
 *   export start + wait) -> `SweepSourceRetention`. Two-hop DR is three waits in a row.
 * - BackupRun: `PlanRun`, then the fleet's child executions, then `Notify`. The Map starts a child
 *   whenever one of its places frees, so the fleet ends at the latest after ceil(count / C) children
 *   in a row, each within its own timeout ("waves": a bound, not a schedule). C is chosen by plan-run
 *   for each run (`MaxConcurrencyPath`, functions/plan-run/order.ts `mapConcurrency`), never below
 *   min(count, F), F = `MAP_CONCURRENCY.min` = min(`concurrency.maxDatabasesInParallel`, 50)
 *   (statemachines/map-concurrency.ts), so ceil(count / C) <= max(1, ceil(count / F)) <=
 *   ceil(fleet / F) for any count <= fleet: `maxConcurrency` here is F (property-tested in
 *   test/functions/plan-order.test.ts). Copies are limited by the copy slot table
 *   (functions/shared/copy-slots.ts), not by the Map, and a child's wait for a slot is inside its own
 *   timeout (the slot wait budget of each copy step); the run's real makespan is near the
 *   quota-bound minimum, far below this bound (bench/fleet.ts measures it).
 *
 * Standard workflows run at most one year (docs/aws-behaviour.md §18): a configuration whose bounds
 * cannot fit fails at synth with {@link ExecutionTimeoutTooLong}, naming the config fields.
 */
import { Duration } from 'aws-cdk-lib';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { MAX_BACKOFF_POLL_SECONDS, MAX_ESTIMATED_POLL_SECONDS } from '../contracts/polling';
import type { DrCopyMode } from '../contracts/rules';
import { COPY_SLOT_WAIT_MAX_SECONDS, COPY_SLOT_WAIT_MOVING_MAX_SECONDS } from '../contracts/copy-slots';

/** Longest a Standard execution may run: one year, in seconds (docs/aws-behaviour.md §18). */
export const MAX_EXECUTION_SECONDS = 365 * 24 * 3600;

/**
 * Poll-count bound of one snapshot copy loop. A copy with no progress is polled every 30 min
 * (poll-status back-off), so the longest `polling.maxWaitHours` (72 h) takes 144 polls; 200 leaves
 * room for the few polls a progress estimate adds, and keeps a two-hop execution (three loops of
 * about 10 history events per poll) near 6,000 events, a quarter of the 25,000 cap (docs/aws-behaviour.md §18).
 */
export const DEFAULT_MAX_POLLS = 200;
/** Poll-count bound of the export loop: exports restore the whole database first and take hours. */
export const EXPORT_MAX_POLLS = 200;
/**
 * Tag-discovered databases a run is assumed to hold beyond the configured ones when discovery is on
 * (their number is only known at run time); BackupRun's timeout is sized for them.
 */
export const DISCOVERED_DATABASES_ALLOWANCE = 100;

/**
 * Longest a snapshot copy loop's last poll lands past its elapsed bound, seconds: the 30-min back-off
 * (poll-status `MAX_BACKOFF_POLL_SECONDS`); waits aimed by progress stop at the bound.
 */
export const MAX_SNAPSHOT_POLL_SECONDS = MAX_BACKOFF_POLL_SECONDS;
/** Longest single wait of a snapshot copy loop (poll-status `MAX_ESTIMATED_POLL_SECONDS`, aimed by progress), seconds. */
export const LONGEST_SNAPSHOT_WAIT_SECONDS = MAX_ESTIMATED_POLL_SECONDS;
/** Longest wait between two polls of an export task (poll-export `MAX_EXPORT_POLL_SECONDS`), seconds. */
export const MAX_EXPORT_POLL_SECONDS = 3600;

/**
 * Allowance per sequential step for what is not a wait: Lambda run time and the transient-error
 * retries (statemachines/errors.ts: up to 6 retries, at most 60 s apart). One hour per step is far
 * above what they take (seconds) and small beside the waits.
 */
export const STEP_ALLOWANCE_SECONDS = 3600;

/** A Retry policy as data, so its worst-case time can be computed from the same numbers CDK renders. */
export interface RetryPolicy {
  readonly errors: readonly string[];
  readonly intervalSeconds: number;
  readonly backoffRate: number;
  readonly maxAttempts: number;
  readonly maxDelaySeconds: number;
}

/** Longest total back-off of a retry policy, seconds (full jitter only shortens it). */
export function retryBudgetSeconds(p: RetryPolicy): number {
  let total = 0;
  for (let attempt = 0; attempt < p.maxAttempts; attempt++) total += Math.min(p.intervalSeconds * p.backoffRate ** attempt, p.maxDelaySeconds);
  return Math.round(total);
}

/** Adds a {@link RetryPolicy} to a Task (full jitter). */
export function addRetryPolicy(task: sfn.TaskStateBase, p: RetryPolicy): void {
  task.addRetry({
    errors: [...p.errors],
    interval: Duration.seconds(p.intervalSeconds),
    backoffRate: p.backoffRate,
    maxAttempts: p.maxAttempts,
    maxDelay: Duration.seconds(p.maxDelaySeconds),
    jitterStrategy: sfn.JitterType.FULL,
  });
}

/**
 * `ExportTaskLimitReached` (5 export tasks per account, docs/aws-behaviour.md §16): waited out for
 * hours, 5 min then x1.5, at most 30 min apart, 12 tries (~4.6 h).
 */
export const EXPORT_TASK_LIMIT_RETRY: RetryPolicy = { errors: ['ExportTaskLimitReached'], intervalSeconds: 300, backoffRate: 1.5, maxAttempts: 12, maxDelaySeconds: 1800 };

/**
 * Waiting for a copy slot (issue 12). The copy slot table (functions/shared/copy-slots.ts) refuses a
 * copy step with the named error `CopySlotWait`, caught straight into the step's slot wait: its place
 * in a FIFO queue and a wait aimed at when the slot it needs is expected back (a holder's next poll,
 * or the completion its progress points to), 60 s to 4 h (30 min when no poll recorded it) plus 1-15 s
 * of jitter. Each copy step (CreateCopy, CopyToVault, CopyToDrRegion) then runs `WaitFor<Step>Slot`
 * and asks again, until `waitedSeconds` reaches this bound (20 h, defined beside the queue rule): then
 * `CopySlotWaitTooLong`, recorded as `CopySlotsBusy` with its advice. With the backstop retry below, a
 * copy step's slot budget (~26.6 h) stays below the ~27.6 h of the Retry it replaced, so the execution
 * timeouts (and the fleets that fit a year) do not grow.
 */
export { COPY_SLOT_WAIT_MAX_SECONDS, COPY_SLOT_WAIT_MOVING_MAX_SECONDS };
/**
 * Longest single aimed wait, seconds: the larger of functions/shared/copy-slots.ts
 * `MAX_AIMED_RETRY_AFTER_SECONDS` (4 h, a recorded release) and `MAX_EXTRAPOLATED_RETRY_AFTER_SECONDS`
 * (2 h, a turn past the holders' releases), + `RETRY_JITTER_SECONDS` (15) (test/functions/copy-slots.test.ts checks they agree).
 */
export const COPY_SLOT_LONGEST_WAIT_SECONDS = 4 * 3600 + 15;
/**
 * Worst-case time one copy step spends waiting for a slot, seconds: `waitedSeconds` is the time since
 * the first refusal (Lambda runs and transient retries included), checked at each ask, so the loop
 * ends at most one aimed wait past the bound, plus the last ask. The bound is the moving-queue one
 * (`COPY_SLOT_WAIT_MOVING_MAX_SECONDS`, 40 h): a stuck destination fails sooner (20 h with no slot freed).
 */
export const COPY_SLOT_WAIT_BUDGET_SECONDS = COPY_SLOT_WAIT_MOVING_MAX_SECONDS + COPY_SLOT_LONGEST_WAIT_SECONDS + STEP_ALLOWANCE_SECONDS;

/**
 * `CopySlotsBusy` thrown (not returned): RDS itself refused the copy for its limit of copies in
 * progress (docs/aws-behaviour.md §11), i.e. copies rds-snapshot-vault does not make (another tool,
 * by hand) hold the destination's slots; or the slot table item kept changing under 8 writes in a
 * row. The slot table does the real waiting, so this Retry is a backstop: first after 2 min (x1.5),
 * at most 30 min apart, 8 attempts (~1.6 h), full jitter. Its budget is part of the execution timeout.
 */
export const COPY_SLOTS_BUSY_RETRY: RetryPolicy = { errors: ['CopySlotsBusy'], intervalSeconds: 120, backoffRate: 1.5, maxAttempts: 8, maxDelaySeconds: 1800 };
/** Worst-case time one copy step spends retrying a thrown `CopySlotsBusy`, seconds. */
export const COPY_SLOTS_BUSY_RETRY_BUDGET_SECONDS = retryBudgetSeconds(COPY_SLOTS_BUSY_RETRY);

/**
 * Lease of a copy slot holder (functions/shared/copy-slots.ts), seconds: above the longest a copy
 * (or export task) is waited for after its slot is taken (its wait loop's bound, which ends it in
 * `SnapshotCopyTimedOut` / `ExportTimedOut`) plus a step allowance, so a live copy never loses its
 * slot and the slot of a crashed execution frees itself after it. 51 h for `polling.maxWaitHours` 48.
 * @param maxWaitSeconds `polling.maxWaitHours` x 3600
 */
export function copySlotLeaseSeconds(maxWaitSeconds: number): number {
  return (
    Math.max(waitBoundSeconds(maxWaitSeconds, DEFAULT_MAX_POLLS, MAX_SNAPSHOT_POLL_SECONDS), waitBoundSeconds(maxWaitSeconds, EXPORT_MAX_POLLS, MAX_EXPORT_POLL_SECONDS)) +
    STEP_ALLOWANCE_SECONDS
  );
}

/** What the timeouts depend on (plain numbers; the stack passes them from the config). */
export interface TimeoutInputs {
  /** `polling.maxWaitHours` x 3600: the elapsed-time bound of one wait loop, seconds. */
  readonly maxWaitSeconds: number;
  /** Poll-count bound of a snapshot copy loop. */
  readonly maxPolls: number;
  /** Poll-count bound of the export loop. */
  readonly maxExportPolls: number;
  /** DR Regions of the vault account (`vault.drRegions`). */
  readonly drRegions: number;
  /** `vault.drCopyMode`. */
  readonly drCopyMode: DrCopyMode;
  /** Some database may be exported to S3. */
  readonly exports: boolean;
  /** Databases one run may back up: configured ones plus the allowance for tag-discovered ones. */
  readonly fleetSize: number;
  /**
   * The fewest children BackupRun's Map runs at once while that many databases are left:
   * `MAP_CONCURRENCY.min` = min(`concurrency.maxDatabasesInParallel`, 50) (statemachines/map-concurrency.ts).
   */
  readonly maxConcurrency: number;
}

/** Thrown at synth when a configuration's bounds cannot fit an execution's maximum duration. */
export class ExecutionTimeoutTooLong extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ExecutionTimeoutTooLong';
  }
}

/**
 * Longest one wait loop can take before its own bound ends it, seconds: its elapsed bound plus the
 * furthest its last poll lands past it (`overshootSeconds`), or the poll-count bound times the
 * longest single wait, whichever is smaller; plus {@link STEP_ALLOWANCE_SECONDS}.
 * @param overshootSeconds @default maxPollSeconds (loops whose every wait is at most maxPollSeconds)
 */
export function waitBoundSeconds(maxWaitSeconds: number, maxPolls: number, maxPollSeconds: number, overshootSeconds = maxPollSeconds): number {
  return Math.min(maxWaitSeconds + overshootSeconds, maxPolls * maxPollSeconds) + STEP_ALLOWANCE_SECONDS;
}

/**
 * The execution timeouts of DatabaseBackup and BackupRun, seconds, from the longest path their
 * own bounds allow (see the module comment), with the arithmetic spelled out in `explain`.
 * @throws ExecutionTimeoutTooLong naming the config fields when either exceeds {@link MAX_EXECUTION_SECONDS}.
 */
export function workflowTimeouts(i: TimeoutInputs): { databaseBackupSeconds: number; backupRunSeconds: number; explain: string } {
  const copyStep = STEP_ALLOWANCE_SECONDS + COPY_SLOTS_BUSY_RETRY_BUDGET_SECONDS + COPY_SLOT_WAIT_BUDGET_SECONDS;
  const copyWait = waitBoundSeconds(i.maxWaitSeconds, i.maxPolls, LONGEST_SNAPSHOT_WAIT_SECONDS, MAX_SNAPSHOT_POLL_SECONDS);
  const hop = copyStep + copyWait;
  const vaultBranch = hop + (i.drRegions > 0 && i.drCopyMode === 'two-hop' ? hop : 0);
  const drBranch = i.drRegions > 0 && i.drCopyMode === 'single-step' ? hop : 0;
  const exportBranch = i.exports
    ? STEP_ALLOWANCE_SECONDS + retryBudgetSeconds(EXPORT_TASK_LIMIT_RETRY) + waitBoundSeconds(i.maxWaitSeconds, i.maxExportPolls, MAX_EXPORT_POLL_SECONDS)
    : 0;
  const sequentialWaits = 1 + (i.drRegions > 0 && i.drCopyMode === 'two-hop' ? 2 : 1);
  // source copy + wait, share, the longest branch, sweep (and the checks after it).
  const databaseBackupSeconds = hop + STEP_ALLOWANCE_SECONDS + Math.max(vaultBranch, drBranch, exportBranch) + 2 * STEP_ALLOWANCE_SECONDS;
  const waves = Math.ceil(Math.max(1, i.fleetSize) / Math.max(1, i.maxConcurrency));
  // PlanRun, the waves of children (each within its own timeout), Notify.
  const backupRunSeconds = STEP_ALLOWANCE_SECONDS + waves * (databaseBackupSeconds + STEP_ALLOWANCE_SECONDS) + STEP_ALLOWANCE_SECONDS;
  const days = (s: number) => `${(s / 86_400).toFixed(1)} days`;
  const explain =
    `DatabaseBackup: ${sequentialWaits} copy waits in a row of up to ${days(copyWait)} each (polling.maxWaitHours ${i.maxWaitSeconds / 3600} h ` +
    `+ at most 30 min to the last poll), ${days(COPY_SLOT_WAIT_BUDGET_SECONDS + COPY_SLOTS_BUSY_RETRY_BUDGET_SECONDS)} of waiting for a copy slot per copy${i.exports ? ', the export beside them' : ''}: ${days(databaseBackupSeconds)}. ` +
    `BackupRun: ${waves} waves (${i.fleetSize} databases, at least ${i.maxConcurrency} at once: concurrency.maxDatabasesInParallel, at most 50 counted) of DatabaseBackup: ${days(backupRunSeconds)}.`;
  if (databaseBackupSeconds > MAX_EXECUTION_SECONDS || backupRunSeconds > MAX_EXECUTION_SECONDS) {
    throw new ExecutionTimeoutTooLong(
      `The execution timeouts that follow from the config exceed the Step Functions maximum of one year (docs/aws-behaviour.md §18). ${explain} ` +
        'Lower polling.maxWaitHours, raise concurrency.maxDatabasesInParallel (to 50: the timeout counts at most 50 at once), back up fewer databases per run (databases, discovery), or use vault.drCopyMode "single-step".',
    );
  }
  return { databaseBackupSeconds, backupRunSeconds, explain };
}
