/**
 * check-recovery-points domain (issue 9): the recovery point age of each database in this account
 * and Region: the age of its newest `available` managed copy, from the time of the ORIGINAL
 * snapshot (OriginalSnapshotCreateTime; DB cluster snapshots: the time in the copy identifier),
 * never from the copy's own SnapshotCreateTime (recovery-points.ts). Publishes it as the CloudWatch
 * metric `RecoveryPointAge` (Seconds; dimensions `service`, `Database`, `Region`) with Powertools
 * Metrics (EMF in the function's log), and reports each database as `OK`, `RecoveryPointStale`
 * (older than its objective) or `NoRecoveryPoint` (no available copy: no metric, so the alarm,
 * which treats missing data as breaching, fires too).
 * Sources: https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch_Embedded_Metric_Format_Specification.html,
 * https://docs.powertools.aws.dev/lambda/typescript/latest/core/metrics/
 */
import { MetricUnit, type Metrics } from '@aws-lambda-powertools/metrics';
import type { RDSClient } from '@aws-sdk/client-rds';
import type { DatabaseRef } from '../../contracts/shapes.js';
import type { RecoveryPointStatus } from '../../contracts/functions/check-recovery-points.js';
export type { RecoveryPointStatus };
import { listRecoveryPointsOf, newestAvailable, recoveryPointAgeHours, recoveryPointsKey } from '../../functions/shared/recovery-points.js';
import { RECOVERY_POINT_AGE_METRIC, RECOVERY_POINTS_OVER_OBJECTIVE_METRIC } from '../../contracts/names.js';
export { RECOVERY_POINT_AGE_METRIC, RECOVERY_POINTS_OVER_OBJECTIVE_METRIC };


/** A database and its recovery point objective. */
export interface RecoveryPointObjective extends DatabaseRef {
  /** Hours. */
  readonly rpoHours: number;
}

/**
 * See the module comment. Returns one status per database, in the order of `p.databases`. The copies
 * come from one listing of the Region's manual snapshots per kind (functions/shared/recovery-points.ts
 * `listRecoveryPointsOf`: one call per 100 snapshots, not per database).
 * `metrics` undefined = metrics disabled. AWS errors propagate by name.
 */
export async function checkRecoveryPoints(
  rds: RDSClient,
  p: { databases: readonly RecoveryPointObjective[]; region: string },
  now: Date,
  metrics: Metrics | undefined,
): Promise<RecoveryPointStatus[]> {
  const points = await listRecoveryPointsOf(rds, p.databases);
  const out: RecoveryPointStatus[] = [];
  for (const db of p.databases) {
    const newest = newestAvailable(points.get(recoveryPointsKey(db)) ?? []);
    if (!newest) {
      out.push({ database: db.identifier, kind: db.kind, region: p.region, status: 'NoRecoveryPoint', objectiveHours: db.rpoHours });
      continue;
    }
    const ageHours = recoveryPointAgeHours(newest.recoveryPointTime!, now);
    const ageSeconds = Math.max(0, Math.round((now.getTime() - Date.parse(newest.recoveryPointTime!)) / 1000));
    if (metrics) {
      const single = metrics.singleMetric();
      single.addDimensions({ Database: db.identifier, Region: p.region });
      single.addMetric(RECOVERY_POINT_AGE_METRIC, MetricUnit.Seconds, ageSeconds);
    }
    out.push({
      database: db.identifier,
      kind: db.kind,
      region: p.region,
      status: ageHours > db.rpoHours ? 'RecoveryPointStale' : 'OK',
      objectiveHours: db.rpoHours,
      newestCopyArn: newest.arn,
      recoveryPointTime: newest.recoveryPointTime!,
      ageHours,
    });
  }
  if (metrics) {
    const fleet = metrics.singleMetric();
    fleet.addDimensions({ Region: p.region });
    fleet.addMetric(RECOVERY_POINTS_OVER_OBJECTIVE_METRIC, MetricUnit.Count, out.filter((r) => r.status !== 'OK').length);
  }
  return out;
}
