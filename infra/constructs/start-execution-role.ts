import { Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type { IStateMachine } from 'aws-cdk-lib/aws-stepfunctions';
import type { Construct } from 'constructs';

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
