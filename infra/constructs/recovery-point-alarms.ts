/**
 * One fleet alarm per vault Region on `RecoveryPointsOverObjective` (databases without an
 * available copy or with one older than their objective; above 0, or missing, -> the vault topic),
 * and, for fleets of at most {@link PER_DATABASE_ALARM_LIMIT} databases, one CloudWatch alarm per
 * database on its recovery point age (a CloudFormation stack holds at most 500 resources, so a
 * fleet of hundreds relies on the fleet alarm, whose notification is followed by the
 * VaultRetention summary naming each database):
 * metric `RecoveryPointAge` (Seconds, namespace `RdsSnapshotVault`, dimensions service
 * `check-recovery-points`, `Database`, `Region`), Maximum over one day, above the database's
 * `rpoHours` -> the vault topic. Missing data is BREACHING: no available copy (no datapoint) or a
 * check that did not run is as bad as a stale copy.
 * Source: https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/AlarmThatSendsEmail.html
 */
import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import type * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import { RECOVERY_POINT_AGE_METRIC, RECOVERY_POINTS_OVER_OBJECTIVE_METRIC } from '../../contracts/names';
import type { DatabaseRef } from '../../contracts/shapes';
import { functionMetric } from './function-metric';

/** Up to this many databases, each gets its own recovery point alarm (beside the fleet alarm). */
export const PER_DATABASE_ALARM_LIMIT = 50;

/** Props of {@link RecoveryPointAlarms}. */
export interface RecoveryPointAlarmsProps {
  /** Databases and their objective in hours. */
  readonly objectives: ReadonlyArray<DatabaseRef & { readonly rpoHours: number }>;
  readonly region: string;
  readonly topic: sns.ITopic;
  /** Alarm names: `<prefix>-RecoveryPointAge-<database>`. */
  readonly alarmNamePrefix: string;
}

/** See the module comment. */
export class RecoveryPointAlarms extends Construct {
  readonly alarms: cloudwatch.Alarm[];
  constructor(scope: Construct, id: string, props: RecoveryPointAlarmsProps) {
    super(scope, id);
    const fleet = new cloudwatch.Alarm(this, 'RecoveryPointsOverObjective', {
      alarmName: `${props.alarmNamePrefix}-RecoveryPointsOverObjective-${props.region}`,
      alarmDescription: `rds-snapshot-vault: in ${props.region}, some database has no available vault copy or one older than its objective (or the check did not run)`,
      metric: functionMetric('check-recovery-points', RECOVERY_POINTS_OVER_OBJECTIVE_METRIC, { Region: props.region }, { statistic: 'Maximum', period: Duration.days(1) }),
      threshold: 0,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 1,
      treatMissingData: cloudwatch.TreatMissingData.BREACHING,
    });
    fleet.addAlarmAction(new actions.SnsAction(props.topic));
    const perDatabase = props.objectives.length <= PER_DATABASE_ALARM_LIMIT ? props.objectives : [];
    this.alarms = [fleet, ...perDatabase.map((db) => {
      const alarm = new cloudwatch.Alarm(this, `RecoveryPointAge-${db.identifier}`, {
        alarmName: `${props.alarmNamePrefix}-RecoveryPointAge-${db.identifier}`,
        alarmDescription: `rds-snapshot-vault: the newest available copy of ${db.identifier} in ${props.region} is older than ${db.rpoHours} h (or there is none, or it was not checked)`,
        metric: functionMetric('check-recovery-points', RECOVERY_POINT_AGE_METRIC, { Database: db.identifier, Region: props.region }, { statistic: 'Maximum', period: Duration.days(1) }),
        threshold: db.rpoHours * 3600,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
        evaluationPeriods: 1,
        treatMissingData: cloudwatch.TreatMissingData.BREACHING,
      });
      alarm.addAlarmAction(new actions.SnsAction(props.topic));
      return alarm;
    })];
  }
}
