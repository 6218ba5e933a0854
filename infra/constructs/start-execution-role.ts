import { Duration, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type { IStateMachine } from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';

/**
 * The role an AWS service (EventBridge Scheduler, an EventBridge rule) assumes to start one state
 * machine: trusted by that service principal only for this account (`aws:SourceAccount`, the
 * confused-deputy guard), allowed only `states:StartExecution` on that state machine.
 * Created as the construct `Role` under `scope`.
 * Source: https://docs.aws.amazon.com/IAM/latest/UserGuide/confused-deputy.html
 */
export function startExecutionRole(scope: Construct, servicePrincipal: string, stateMachine: IStateMachine, description: string): iam.Role {
  const role = new iam.Role(scope, 'Role', {
    description,
    assumedBy: new iam.ServicePrincipal(servicePrincipal).withConditions({ StringEquals: { 'aws:SourceAccount': Stack.of(scope).account } }),
  });
  stateMachine.grantStartExecution(role);
  return role;
}

/** What {@link StartExecutionTrigger} takes from the props of a schedule or a rule. */
export interface StartExecutionTriggerProps {
  /** The state machine started: on each occurrence of a schedule, for each event of a rule (BackupRun). */
  readonly stateMachine: IStateMachine;
  /**
   * false deploys the schedule or rule DISABLED.
   * @default true
   */
  readonly enabled?: boolean;
  /**
   * How long the service keeps retrying a failed StartExecution (60-86400 s).
   * @default Duration.hours(1)
   */
  readonly maximumEventAge?: Duration;
  /**
   * Retries of a failed StartExecution (0-185).
   * @default 3 for a BackupSchedule, 8 for a SnapshotEventTrigger
   */
  readonly maximumRetryAttempts?: number;
}

/**
 * A construct through which an AWS service (EventBridge Scheduler, an EventBridge rule) starts one
 * state machine: the role from {@link startExecutionRole} (construct id `Role`), the state
 * (`ENABLED`/`DISABLED`) and the target's `arn`, `roleArn` and `retryPolicy`, which a Scheduler
 * schedule target and an EventBridge rule target name alike. The subclass adds its resource, the
 * target's input and, for a rule, the target id.
 * Sources: https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-properties-scheduler-schedule-target.html,
 * https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-properties-events-rule-target.html
 */
export abstract class StartExecutionTrigger extends Construct {
  /** The role the service assumes; it may only `states:StartExecution` the state machine. */
  readonly role: iam.Role;
  /** `ENABLED`, or `DISABLED` when the props say `enabled: false`. */
  protected readonly state: 'ENABLED' | 'DISABLED';
  /** The target's state machine ARN, role ARN and retry policy. */
  protected readonly target: {
    readonly arn: string;
    readonly roleArn: string;
    readonly retryPolicy: { readonly maximumEventAgeInSeconds: number; readonly maximumRetryAttempts: number };
  };

  protected constructor(scope: Construct, id: string, start: { servicePrincipal: string; roleDescription: string; defaultRetryAttempts: number }, props: StartExecutionTriggerProps) {
    super(scope, id);
    this.role = startExecutionRole(this, start.servicePrincipal, props.stateMachine, start.roleDescription);
    this.state = (props.enabled ?? true) ? 'ENABLED' : 'DISABLED';
    this.target = {
      arn: props.stateMachine.stateMachineArn,
      roleArn: this.role.roleArn,
      retryPolicy: {
        maximumEventAgeInSeconds: (props.maximumEventAge ?? Duration.hours(1)).toSeconds(),
        maximumRetryAttempts: props.maximumRetryAttempts ?? start.defaultRetryAttempts,
      },
    };
  }
}
