/**
 * Names of the CloudWatch metrics (namespace `RdsSnapshotVault`, Powertools EMF) that the
 * operations dashboards (infra/constructs/dashboard.ts) plot besides the ones alarms watch. Declared
 * once here so the emitting function and the dashboard cannot drift apart.
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
