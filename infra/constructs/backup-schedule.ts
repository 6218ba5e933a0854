import { Duration } from 'aws-cdk-lib';
import type * as iam from 'aws-cdk-lib/aws-iam';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { startExecutionRole } from './start-execution-role';

/** Props of {@link BackupSchedule}. */
export interface BackupScheduleProps {
  /** The state machine started on each occurrence. */
  readonly stateMachine: sfn.IStateMachine;
  /** `cron(<6 fields>)` or `rate(<n> <unit>)` (validated by the config schema). */
  readonly expression: string;
  /**
   * IANA time zone the cron expression is evaluated in.
   * @default 'UTC'
   */
  readonly timeZone?: string;
  /**
   * false deploys the schedule in state DISABLED.
   * @default true
   */
  readonly enabled?: boolean;
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
  /**
   * How long Scheduler keeps retrying a failed StartExecution, in seconds (60-86400).
   * @default Duration.hours(1)
   */
  readonly maximumEventAge?: Duration;
  /**
   * Retries of a failed StartExecution (0-185).
   * @default 3
   */
  readonly maximumRetryAttempts?: number;
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
export class BackupSchedule extends Construct {
  /** The `AWS::Scheduler::Schedule` (default schedule group). */
  readonly schedule: scheduler.CfnSchedule;
  /** The role Scheduler assumes; it may only `states:StartExecution` the target. */
  readonly role: iam.Role;
  constructor(scope: Construct, id: string, props: BackupScheduleProps) {
    super(scope, id);
    this.role = startExecutionRole(this, 'scheduler.amazonaws.com', props.stateMachine, 'rds-snapshot-vault: lets EventBridge Scheduler start one state machine');

    this.schedule = new scheduler.CfnSchedule(this, 'Schedule', {
      description: props.description,
      scheduleExpression: props.expression,
      scheduleExpressionTimezone: props.timeZone ?? 'UTC',
      flexibleTimeWindow: { mode: 'OFF' },
      state: (props.enabled ?? true) ? 'ENABLED' : 'DISABLED',
      target: {
        arn: props.stateMachine.stateMachineArn,
        roleArn: this.role.roleArn,
        input: JSON.stringify(props.input ?? {}),
        retryPolicy: {
          maximumEventAgeInSeconds: (props.maximumEventAge ?? Duration.hours(1)).toSeconds(),
          maximumRetryAttempts: props.maximumRetryAttempts ?? 3,
        },
      },
    });
  }
}
