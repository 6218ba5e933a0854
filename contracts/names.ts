/**
 * Names that a function and the infrastructure both use, declared once here so that infra/ reads
 * them without importing functions/ (issue 11) and the two cannot drift apart: the CloudWatch
 * metrics (namespace `RdsSnapshotVault`, Powertools EMF) that the operations dashboards
 * (infra/constructs/dashboard.ts) and alarms read, each listed by the function that records it
 * ({@link FUNCTION_METRICS}, {@link HANDLER_METRICS}: both sides are typed from these lists), the
 * run ledger's key prefixes (IAM grants), and the copy identifier prefix (IAM conditions, vault guard).
 * Source: https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch_Embedded_Metric_Format_Specification.html
 */

/**
 * poll-status, after every poll of a copy that writes to the copy slot table (an expected release, or
 * the release of a copy seen finished): the copies in progress into that copy's destination and kind,
 * i.e. the slot group's live holders after the write (unit Count; dimensions `service` =
 * `poll-status`, `Account`, `Region`, `Kind` = `instance` | `cluster`). A gauge: the dashboard plots
 * its Maximum per hour, the last value carried over hours without a poll (FILL REPEAT). It replaced
 * `CopyInFlightSeconds` (the poll's wait, summed per hour), which put a whole aimed wait of hours into
 * the hour of the poll that started it (issue 12).
 */
export const COPIES_IN_PROGRESS_METRIC = 'CopiesInProgress';

/** record-evidence, once per drilled database: 1 when its drill PASSED (unit Count; dimension `service`). */
export const DRILLS_PASSED_METRIC = 'DrillsPassed';
/** record-evidence, once per drilled database: 1 when its drill FAILED, cleanup failures included (Count). */
export const DRILLS_FAILED_METRIC = 'DrillsFailed';
/**
 * record-evidence, once per drilled database whose restore became available: the restore time
 * (RTO) measured by the drill, from the restore request to `available`, in Seconds (dimension `service`).
 */
export const DRILL_RTO_SECONDS_METRIC = 'DrillRtoSeconds';

/**
 * Issue 12: counted by the shared handler (functions/shared/handler.ts) of a function that may defer
 * a copy, each time it throws `CopySlotsDeferred`: an event-started run's first copy could not expect a
 * copy slot within the slot wait's bound and was left to the scheduled run (unit Count; dimension
 * `service` = `create-copy`, the one function that defers, `deferWhenLate`).
 */
export const COPIES_DEFERRED_METRIC = 'CopiesDeferred';
/**
 * Issue 12: notify, once per run: the run's databases deferred to the scheduled run (`DEFERRED` run
 * ledger records; unit Count; dimension `service` = `notify`). Neither succeeded nor failed.
 */
export const DATABASES_DEFERRED_METRIC = 'DatabasesDeferred';

/** retention-sweep, per vault sweep: vault copies encrypted under a KMS key of another account (unit Count; dimension `service`). */
export const FOREIGN_KEY_COPIES_METRIC = 'ForeignKeyCopies';

/** CloudWatch metrics namespace of every function. */
export const METRICS_NAMESPACE = 'RdsSnapshotVault';

/** Prefix of every run's records. */
export const RUNS_PREFIX = 'runs/';

/** Prefix of the runs' plans (plan-run writes, BackupRun's iterations and notify read). */
export const PLANS_PREFIX = 'plans/';

/** Prefix of the event-run records by day (the daily digest). */
export const DAILY_PREFIX = 'daily/';

/**
 * Days a run ledger record is kept before it expires (infra/constructs/run-ledger.ts default): a year
 * of runs and their comparison with the year before; `rsv evidence` reports months this far back.
 */
export const LEDGER_EXPIRE_DAYS = 400;

/**
 * Every copy rds-snapshot-vault makes has an identifier starting with this. Retention requires it
 * besides the managed tag: a snapshot cannot be renamed, so tagging someone's own snapshot
 * `managed=true` does not make it deletable unless it was also named like our copies.
 */
export const COPY_IDENTIFIER_PREFIX = 'rsv-';

/** check-recovery-points: age of a database's newest available recovery point (unit Seconds). */
export const RECOVERY_POINT_AGE_METRIC = 'RecoveryPointAge';

/**
 * check-recovery-points, fleet metric: how many databases have no available copy or one older than their objective
 * (Count; dimension `Region`). One alarm on it covers fleets too large for an alarm per database.
 */
export const RECOVERY_POINTS_OVER_OBJECTIVE_METRIC = 'RecoveryPointsOverObjective';

/**
 * What the shared handler (functions/shared/handler.ts) counts for every function, dimension
 * `service` = the function: `Succeeded` / `Failed` per invocation (`Failed` with metadata
 * `errorName`), `CopySlotWaits` per copy slot wait the state machine catches, and
 * {@link COPIES_DEFERRED_METRIC} per copy deferred to the scheduled run (unit Count).
 */
export const HANDLER_METRICS = ['Succeeded', 'Failed', 'CopySlotWaits', COPIES_DEFERRED_METRIC] as const;
export type HandlerMetric = (typeof HANDLER_METRICS)[number];

/**
 * The metrics each function records itself (namespace {@link METRICS_NAMESPACE}), by the function
 * that records them, which is their `service` dimension. The one list both sides are typed from:
 * a function's `metrics.count` (functions/shared/handler.ts) takes only its own names, and the
 * dashboards and alarms (infra/constructs/function-metric.ts) only a listed function-name pair, so a
 * renamed or moved metric fails tsc on both sides instead of leaving a widget or an alarm without data.
 */
export const FUNCTION_METRICS = {
  'plan-run': ['DatabasesPlanned', 'DatabasesDiscovered', 'DatabasesSkipped'],
  'create-copy': ['CopiesStarted', 'CopiesReused'],
  'poll-status': [COPIES_IN_PROGRESS_METRIC],
  'cross-account-copy': ['VaultCopiesStarted', 'VaultCopiesReused'],
  'export-to-s3': ['ExportTasksStarted', 'ExportTasksReused'],
  'record-result': ['LedgerRecordsSucceeded', 'LedgerRecordsDeferred', 'LedgerRecordsFailed'],
  notify: ['DatabasesSucceeded', 'DatabasesFailed', DATABASES_DEFERRED_METRIC, 'RecoveryPointsStale'],
  'retention-sweep': ['SnapshotsDeleted', FOREIGN_KEY_COPIES_METRIC],
  'send-digest': ['DigestRecords'],
  'check-recovery-points': [RECOVERY_POINT_AGE_METRIC, RECOVERY_POINTS_OVER_OBJECTIVE_METRIC],
  'record-evidence': [DRILLS_PASSED_METRIC, DRILLS_FAILED_METRIC, DRILL_RTO_SECONDS_METRIC],
} as const;

/** A function (its `functions/<name>/` folder, the `service` dimension) that records metrics of its own. */
export type MetricService = keyof typeof FUNCTION_METRICS;
/** The metrics function `S` records itself ({@link FUNCTION_METRICS}); `never` for a function with none. */
export type FunctionMetric<S extends string> = S extends MetricService ? (typeof FUNCTION_METRICS)[S][number] : never;
