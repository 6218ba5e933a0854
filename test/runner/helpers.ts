/** Shared fixtures of the runner tests: a state machine and a stack as the deployer would record them. */
import type { DeployedStack, DeployedStateMachine } from '../../sandbox/harness/index';

export const ACCOUNT = '111111111111';

/** A deployed state machine of kind `name` in ACCOUNT/us-east-1 with this ASL definition. */
export const machine = (name: string, definition: Record<string, unknown>): DeployedStateMachine => ({
  logicalId: name,
  name,
  arn: `arn:aws:states:us-east-1:${ACCOUNT}:stateMachine:${name}`,
  kind: name,
  roleArn: `arn:aws:iam::${ACCOUNT}:role/sfn`,
  accountId: ACCOUNT,
  region: 'us-east-1',
  definition,
});

/** A deployed stack holding only these state machines. */
export const stack = (...stateMachines: DeployedStateMachine[]): DeployedStack =>
  ({ env: { accountId: ACCOUNT, region: 'us-east-1', stackName: 's' }, functions: [], stateMachines, topics: [], keys: [], roles: [], rules: [], alarms: [], physical: new Map() }) as DeployedStack;
