/**
 * Names of the CloudWatch metrics (namespace `RdsSnapshotVault`, Powertools EMF) that the
 * operations dashboards (infra/constructs/dashboard.ts) plot besides the ones alarms watch. Declared
 * once here so the emitting function and the dashboard cannot drift apart.
 * Source: https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch_Embedded_Metric_Format_Specification.html
 */

/**
 * poll-status, on every poll of a copy that is not yet `available`: the poll's `waitSeconds` (unit
 * Seconds; dimensions `service` = `poll-status`, `Account` and `Region` of the copy, i.e. its
 * destination). Each such poll is followed by a Wait of exactly that many seconds before the next
 * poll, so the waits of one copy tile its time in flight: the Sum over a period divided by the
 * period is the average number of copies in flight to that account and Region during the period
 * (a wait is counted in the period of the poll that started it).
 */
export const COPY_IN_FLIGHT_SECONDS_METRIC = 'CopyInFlightSeconds';

/** record-evidence, once per drilled database: 1 when its drill PASSED (unit Count; dimension `service`). */
export const DRILLS_PASSED_METRIC = 'DrillsPassed';
/** record-evidence, once per drilled database: 1 when its drill FAILED, cleanup failures included (Count). */
export const DRILLS_FAILED_METRIC = 'DrillsFailed';
/**
 * record-evidence, once per drilled database whose restore became available: the restore time
 * (RTO) measured by the drill, from the restore request to `available`, in Seconds (dimension `service`).
 */
export const DRILL_RTO_SECONDS_METRIC = 'DrillRtoSeconds';
