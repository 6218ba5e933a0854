/**
 * Public API of the Step Functions harness: synthesizes the CDK app, "deploys" its stacks into the
 * AWS simulator (sandbox/simulator/) and runs the real state machines in aws-local-stepfunctions on
 * the virtual clock, every Lambda Task calling the real handler (docs/sandbox.md).
 *
 * ```ts
 * const env = await createLocalEnvironment({ config });
 * seedFleet(env, DEMO_FLEET);
 * const run = await env.startBackupRun({});
 * env.dispose();
 * ```
 *
 * Everything outside sandbox/harness/ imports from this file (or, for the process setup alone,
 * sandbox/harness/setup/index.ts); the other files of this folder are internal. The harness depends
 * on the simulator, never on the demo (test/sandbox/boundaries.test.ts).
 */
import './setup/index';

export { blockedConnections, isLoopback, RealNetworkBlocked, takeBlockedConnections } from './setup/index';
export {
  checkTemplateSize,
  createLocalEnvironment,
  eventExecutionName,
  InvalidStateMachineDefinition,
  MAX_DEFINITION_BYTES,
  MAX_TEMPLATE_BYTES,
  StackTemplateTooLarge,
  synthesize,
  validateDefinitions,
} from './environment';
export type { LocalEnvironment, LocalEnvironmentOptions, SynthesizedApp, SynthesizedStack } from './environment';
export { appBindings, stackBindings } from './bindings';
export type { FunctionBinding, StackBindings } from './bindings';
export { deployStack } from './deploy';
export { projectHandlers } from './project-handlers';
export type { DeployedFunction, DeployedStack, DeployedStateMachine } from './deploy';
export { resolveIntrinsics, resourcesOfType, TemplateResolutionError } from './template';
export type { CfnResource, CfnTemplate, PhysicalResource, StackEnvironment } from './template';
export {
  ExecutionAlreadyExists,
  EXECUTION_NAME,
  executionTree,
  forEachState,
  InvalidDistributedMap,
  InvalidName,
  localDefinition,
  NoHandlerResolver,
  PAYLOAD_BUDGET_EXCEEDED,
  payloadBudgetFindings,
  payloadBytes,
  STATE_PAYLOAD_BUDGET_BYTES,
  STEP_FUNCTIONS_LIMITS,
  UnsupportedTaskResource,
  WorkflowRunner,
} from './runner';
export type { AslState, ExecutionRecord, ExecutionStatus, HandlerRequest, HandlerResolver, HistoryEvent, LambdaFault, LambdaHandler, StepFunctionsLimits, WorkflowRunnerOptions } from './runner';
export { copyFigures, createFleetEnvironment, DEMO_FLEET, DISCOVERED_DATABASE, fleetForConfig, maxOverlap, seedFleet, takeAutomatedSnapshots, UNMANAGED_DATABASE } from './fleet';
export type { CopyFigures, DemoDatabase, DemoDatabaseSpec, DemoEncryption } from './fleet';
