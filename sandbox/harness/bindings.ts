/**
 * What the harness needs to know about a synthesized stack beyond its CloudFormation template,
 * read from the CDK construct tree at synth time instead of from test-only template metadata:
 * which `functions/<name>/` each Lambda function runs (and the files its bundle carries beside the
 * code), and which workflow each state machine is. The deployed templates carry none of it
 * (test/infra/constructs.test.ts).
 */
import { type App, CfnResource, Stack } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';
import { type FunctionName, VaultFunction } from '../../infra/constructs/vault-function';
import { WorkflowStateMachine } from '../../statemachines/workflow';

/** A project Lambda function of a stack, keyed by its logical ID in {@link StackBindings.functions}. */
export interface FunctionBinding {
  /** The `functions/<entry>/` folder (the {@link VaultFunction}'s name). */
  readonly entry: FunctionName;
  /** File name -> UTF-8 content of the files its bundle carries beside the code; undefined when none. */
  readonly bundledFiles?: Readonly<Record<string, string>>;
}

/** The harness's view of one stack, keyed by CloudFormation logical ID. */
export interface StackBindings {
  /** The project's Lambda functions (CDK's own helper functions are absent). */
  readonly functions: ReadonlyMap<string, FunctionBinding>;
  /** State machine logical ID -> workflow kind (`BackupRun`, `DatabaseBackup`, ...). */
  readonly stateMachines: ReadonlyMap<string, string>;
}

const logicalIdOf = (stack: Stack, c: IConstruct): string => {
  const cfn = c.node.defaultChild;
  if (!(cfn instanceof CfnResource)) throw new Error(`bindings: ${c.node.path} has no CloudFormation resource`);
  return stack.resolve(cfn.logicalId) as string;
};

/** The bindings of one stack (constructs of nested scopes included, other stacks' excluded). */
export function stackBindings(stack: Stack): StackBindings {
  const functions = new Map<string, FunctionBinding>();
  const stateMachines = new Map<string, string>();
  for (const c of stack.node.findAll()) {
    if (Stack.of(c) !== stack) continue;
    if (c instanceof VaultFunction) {
      functions.set(logicalIdOf(stack, c.lambdaFunction), { entry: c.name, ...(c.bundledFiles && { bundledFiles: c.bundledFiles }) });
    } else if (c instanceof WorkflowStateMachine) {
      stateMachines.set(logicalIdOf(stack, c), c.kind);
    }
  }
  return { functions, stateMachines };
}

/** The bindings of every stack of an app, by stack name (the cloud assembly's `stackName`). */
export function appBindings(app: App): ReadonlyMap<string, StackBindings> {
  return new Map(app.node.findAll().filter((c): c is Stack => Stack.isStack(c)).map((s) => [s.stackName, stackBindings(s)]));
}
