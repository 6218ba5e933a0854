import { type CfnElement, Stack, Validations } from 'aws-cdk-lib';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import type { ITopic } from 'aws-cdk-lib/aws-sns';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { acknowledgeIam5 } from './nag';

/**
 * Acknowledges, on a state machine's role, the cdk-nag `AwsSolutions-IAM5` findings that CDK's
 * own Step Functions grants cause, each with its reason (cdk-nag v3 needs exact finding ids):
 * - `lambda:InvokeFunction` on `<fn>.Arn:*` for each invoked function (its versions and aliases);
 * - `Resource::*` for X-Ray and vended log delivery, which have no resource-level permissions;
 * - for `startExecution.sync` children: the child's execution ARNs, whose names are known only at run time.
 * Source: https://docs.aws.amazon.com/step-functions/latest/dg/stepfunctions-iam.html
 */
export function acknowledgeStateMachineGrants(
  stateMachine: sfn.StateMachine,
  invoked: readonly IFunction[],
  children: readonly sfn.IStateMachine[] = [],
): void {
  const stack = Stack.of(stateMachine);
  const logicalId = (c: { node: { defaultChild?: unknown } }) => stack.getLogicalId(c.node.defaultChild as CfnElement);
  acknowledgeIam5(stateMachine.role, {
    resources: invoked.map((fn) => `<${logicalId(fn)}.Arn>:*`),
    reason: 'LambdaInvoke grants invoke on this workflow\'s own functions and their versions/aliases only',
  });
  acknowledgeIam5(stateMachine.role, {
    resources: ['*'],
    reason: 'X-Ray tracing and vended log delivery actions have no resource-level permissions',
  });
  for (const child of children) {
    Validations.of(stateMachine.role).acknowledge({
      id: `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:states:${stack.region}:${stack.account}:execution:{"Fn::Select":[6,{"Fn::Split":[":",{"Ref":"${logicalId(child)}"}]}]}*]`,
      reason: 'startExecution.sync must describe and stop the child executions it starts, whose names are known only at run time',
    });
  }
}

/**
 * Lets a workflow publish to the project's KMS-encrypted topic: the SnsPublish task grants only
 * `sns:Publish`; publishing to an encrypted topic also needs `kms:GenerateDataKey*` and `kms:Decrypt`
 * on its key, which `grantPublish` adds (acknowledged: on that key only).
 * Source: https://docs.aws.amazon.com/sns/latest/dg/sns-key-management.html
 */
export function grantTopicPublish(stateMachine: sfn.StateMachine, topic: ITopic): void {
  topic.grantPublish(stateMachine);
  acknowledgeIam5(stateMachine.role, {
    actions: ['kms:GenerateDataKey*'],
    reason: 'SNS needs a data key from the topic key to publish to the KMS-encrypted topic; granted on that key only',
  });
}
