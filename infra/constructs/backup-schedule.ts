import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import type { Construct } from 'constructs';
import { StartExecutionTrigger, type StartExecutionTriggerProps } from './start-execution-role';

/** Props of {@link BackupSchedule}. */
export interface BackupScheduleProps extends StartExecutionTriggerProps {
  /** `cron(<6 fields>)` or `rate(<n> <unit>)` (validated by the config schema). */
  readonly expression: string;
  /**
   * IANA time zone the cron expression is evaluated in.
   * @default 'UTC'
   */
  readonly timeZone?: string;
  /**
   * The execution input, serialised as JSON.
   * @default {} (BackupRun: all configured databases; VaultRetention: all databases)
   */
  readonly input?: Record<string, unknown>;
  /**
   * Schedule description.
   * @default - none
   */
  readonly description?: string;
}

/**
 * An EventBridge Scheduler schedule that starts a state machine: cron/rate expression in a time
 * zone, no flexible time window, `states:StartExecution` through a role that may start only this
 * state machine and that only Scheduler of this account can assume (`aws:SourceAccount`), and a
 * retry policy for failed starts.
 *
 * Sources: https://docs.aws.amazon.com/scheduler/latest/UserGuide/managing-targets-templated.html,
 * https://docs.aws.amazon.com/scheduler/latest/UserGuide/setting-up.html#setting-up-execution-role (confused deputy condition),
 * https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-resource-scheduler-schedule.html
 */
export class BackupSchedule extends StartExecutionTrigger {
  /** The `AWS::Scheduler::Schedule` (default schedule group). */
  readonly schedule: scheduler.CfnSchedule;
  constructor(scope: Construct, id: string, props: BackupScheduleProps) {
    super(scope, id, { servicePrincipal: 'scheduler.amazonaws.com', roleDescription: 'rds-snapshot-vault: lets EventBridge Scheduler start one state machine', defaultRetryAttempts: 3 }, props);

    this.schedule = new scheduler.CfnSchedule(this, 'Schedule', {
      description: props.description,
      scheduleExpression: props.expression,
      scheduleExpressionTimezone: props.timeZone ?? 'UTC',
      flexibleTimeWindow: { mode: 'OFF' },
      state: this.state,
      target: { ...this.target, input: JSON.stringify(props.input ?? {}) },
    });
  }
}
