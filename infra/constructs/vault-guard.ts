/**
 * The vault's tripwires: EventBridge rules on the CloudTrail management events that would destroy
 * or expose the vault copies, each notifying the vault's own SNS topic at once.
 *
 * - `KeyTamperingRule`: `ScheduleKeyDeletion`, `DisableKey` or `PutKeyPolicy` on any KMS key of the
 *   vault account in this Region (a vault account has no other keys to churn; scheduling deletion
 *   of the vault key destroys every copy under it after the pending window, disabling it makes
 *   them unusable at once, and a new key policy can lift the key guard).
 * - `VaultCopyDeletionRule`: `DeleteDBSnapshot` / `DeleteDBClusterSnapshot` of an `rsv-` copy by
 *   anyone but the vault's own retention role.
 * - `VaultCopySharingRule`: `ModifyDBSnapshotAttribute` / `ModifyDBClusterSnapshotAttribute` of an
 *   `rsv-` copy by anyone (nothing of rds-snapshot-vault ever shares a vault copy).
 *
 * - `ForeignKeyCopies` (CloudWatch alarm, not a rule): vault retention found `rsv-` copies encrypted
 *   under a KMS key of another account (metric `ForeignKeyCopies`, namespace `RdsSnapshotVault`,
 *   service `retention-sweep`, Maximum over a day above 0).
 *
 * EventBridge receives these "AWS API Call via CloudTrail" events only while a CloudTrail trail
 * logs the account's management events (docs/aws-behaviour.md §17a). CloudTrail names the
 * request's snapshot identifier `dBSnapshotIdentifier` / `dBClusterSnapshotIdentifier` and the
 * caller `userIdentity` (an assumed role: `type` `AssumedRole`, its role ARN in
 * `sessionContext.sessionIssuer.arn`).
 * Sources: https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-service-event.html,
 * https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-event-reference-user-identity.html,
 * https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-event-patterns-content-based-filtering.html
 */
import { Duration, Validations } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cloudwatchActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { FOREIGN_KEY_COPIES_METRIC } from '../../contracts/names';
import { functionMetric } from './function-metric';
import { COPY_IDENTIFIER_PREFIX } from '../../contracts/names';
import type { NotificationTopic } from './notification-topic';

/** Props of {@link VaultGuard}. */
export interface VaultGuardProps {
  /** The vault's own topic (the alarms' destination). */
  readonly topic: NotificationTopic;
  /** ARN of the vault's retention-sweep role: its deletes of `rsv-` copies are the expected ones. */
  readonly retentionRoleArn: string;
}

const CLOUDTRAIL = 'AWS API Call via CloudTrail';

/** The event patterns of {@link VaultGuard}, exported so tests can match sample CloudTrail events against them. */
export function vaultGuardPatterns(retentionRoleArn: string): Record<'keyTampering' | 'copyDeletion' | 'copySharing', events.EventPattern> {
  const rsvCopy = [{ prefix: COPY_IDENTIFIER_PREFIX }, { wildcard: `arn:*:rds:*:*:*snapshot:${COPY_IDENTIFIER_PREFIX}*` }];
  const ofRsvCopy = { $or: [{ dBSnapshotIdentifier: rsvCopy }, { dBClusterSnapshotIdentifier: rsvCopy }] };
  return {
    keyTampering: {
      source: ['aws.kms'],
      detailType: [CLOUDTRAIL],
      detail: { eventSource: ['kms.amazonaws.com'], eventName: ['ScheduleKeyDeletion', 'DisableKey', 'PutKeyPolicy'] },
    },
    copyDeletion: {
      source: ['aws.rds'],
      detailType: [CLOUDTRAIL],
      detail: {
        eventSource: ['rds.amazonaws.com'],
        eventName: ['DeleteDBSnapshot', 'DeleteDBClusterSnapshot'],
        requestParameters: ofRsvCopy,
        // Anyone but the retention role: a non-role caller (root, IAM user), or a role session of another role.
        $or: [
          { userIdentity: { type: [{ 'anything-but': ['AssumedRole'] }] } },
          { userIdentity: { sessionContext: { sessionIssuer: { arn: [{ 'anything-but': [retentionRoleArn] }] } } } },
        ],
      } as Record<string, unknown>,
    },
    copySharing: {
      source: ['aws.rds'],
      detailType: [CLOUDTRAIL],
      detail: { eventSource: ['rds.amazonaws.com'], eventName: ['ModifyDBSnapshotAttribute', 'ModifyDBClusterSnapshotAttribute'], requestParameters: ofRsvCopy } as Record<string, unknown>,
    },
  };
}

/**
 * Three EventBridge rules (see the module comment) with the vault topic as target; the message
 * names the API call, the caller and the resource. The topic's key lets EventBridge use it
 * (`kms:Decrypt`, `kms:GenerateDataKey*`); the SNS
 * target adds the topic policy statement for `events.amazonaws.com`. An event EventBridge cannot
 * deliver after its retries (24 h) lands in an encrypted dead-letter queue kept 14 days, whose
 * depth has its own CloudWatch alarm on the topic.
 */
export class VaultGuard extends Construct {
  readonly rules: readonly events.Rule[];
  /** Tripwire events that could not be delivered to the topic. */
  readonly deadLetterQueue: sqs.Queue;
  /** Metric `ForeignKeyCopies` (retention-sweep, per vault sweep) above 0 in a day -> the vault topic. */
  readonly foreignKeyCopiesAlarm: cloudwatch.Alarm;
  constructor(scope: Construct, id: string, props: VaultGuardProps) {
    super(scope, id);
    this.deadLetterQueue = new sqs.Queue(this, 'DeadLetterQueue', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    for (const id of ['AwsSolutions-SQS3', 'Serverless-SQSRedrivePolicy']) {
      Validations.of(this.deadLetterQueue).acknowledge({
        id,
        reason: 'This queue is itself the dead-letter queue of the tripwire rules (nothing consumes it, so nothing to redrive); its depth is alarmed (DeadLetterQueueNotEmpty).',
      });
    }
    const patterns = vaultGuardPatterns(props.retentionRoleArn);
    const message = (what: string) =>
      events.RuleTargetInput.fromText(
        `rds-snapshot-vault VAULT ALERT: ${what}. ${events.EventField.fromPath('$.detail.eventName')} by ` +
          `${events.EventField.fromPath('$.detail.userIdentity.arn')} at ${events.EventField.fromPath('$.detail.eventTime')} ` +
          `in ${events.EventField.fromPath('$.region')}: ${events.EventField.fromPath('$.detail.requestParameters')}. ` +
          'See docs/security.md, "When a tripwire fires".',
      );
    const target = (what: string) =>
      new targets.SnsTopic(props.topic.topic, { message: message(what), deadLetterQueue: this.deadLetterQueue, maxEventAge: Duration.hours(24), retryAttempts: 185 });
    this.rules = [
      new events.Rule(this, 'KeyTamperingRule', {
        description: 'rds-snapshot-vault: a KMS key of the vault account is being deleted, disabled or given a new key policy',
        eventPattern: patterns.keyTampering,
        targets: [target('a KMS key of the vault account is being deleted, disabled or re-policied')],
      }),
      new events.Rule(this, 'VaultCopyDeletionRule', {
        description: 'rds-snapshot-vault: an rsv- vault copy was deleted by someone other than the vault retention role',
        eventPattern: patterns.copyDeletion,
        targets: [target('a vault copy was deleted outside vault retention')],
      }),
      new events.Rule(this, 'VaultCopySharingRule', {
        description: 'rds-snapshot-vault: the restore attribute of an rsv- vault copy was changed',
        eventPattern: patterns.copySharing,
        targets: [target('a vault copy was shared or unshared')],
      }),
    ];
    new cloudwatch.Alarm(this, 'DeadLetterQueueNotEmpty', {
      alarmDescription: 'rds-snapshot-vault: a vault tripwire event could not be delivered to the vault topic; read it from the dead-letter queue.',
      metric: this.deadLetterQueue.metricApproximateNumberOfMessagesVisible({ period: Duration.minutes(5), statistic: 'Maximum' }),
      threshold: 0,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 1,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    }).addAlarmAction(new cloudwatchActions.SnsAction(props.topic.topic));
    // Vault copies under a KMS key the vault does not own (IAM cannot prevent them, docs/aws-behaviour.md
    // §26): vault retention counts them per sweep; any in a day -> the vault topic.
    this.foreignKeyCopiesAlarm = new cloudwatch.Alarm(this, 'ForeignKeyCopies', {
      alarmDescription:
        'rds-snapshot-vault: vault retention found vault copies encrypted under a KMS key of another account (whoever controls that key can make them unusable). ' +
        'They are named in the VaultRetention summary (foreignKeyCopies); see docs/security.md, "When a tripwire fires".',
      metric: functionMetric('retention-sweep', FOREIGN_KEY_COPIES_METRIC, {}, { statistic: 'Maximum', period: Duration.days(1) }),
      threshold: 0,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 1,
      // No sweep, no datapoint: the VaultRetention alarms cover a sweep that did not run.
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    this.foreignKeyCopiesAlarm.addAlarmAction(new cloudwatchActions.SnsAction(props.topic.topic));
    props.topic.key.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'AllowEventBridgeRulesOfThisAccount',
        principals: [new iam.ServicePrincipal('events.amazonaws.com')],
        actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
        resources: ['*'],
        // No source condition: which keys SNS's KMS request on EventBridge's behalf carries is not
        // documented (the same reading as CloudWatch's statement in NotificationTopic); the key
        // encrypts only this topic, and the topic policy decides who may publish.
      }),
    );
  }
}
