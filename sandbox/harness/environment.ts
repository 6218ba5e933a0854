/**
 * A whole local deployment: the CDK app synthesized from a config (bundling skipped), both stacks
 * "deployed" into a fresh sandbox, and a runner for their state machines.
 *
 *   const env = await createLocalEnvironment({ config });
 *   seed databases with env.sandbox.rds.createDbInstance(...)
 *   const run = await env.startBackupRun({});   // BackupRun in the source account
 *   const sweep = await env.startVaultRetention(); // VaultRetention in the vault account
 *   env.dispose();
 */
import aslValidator from 'asl-validator';
import { createApp } from '../../infra/app';
import { appBindings, type StackBindings } from './bindings';
import type { VaultConfig } from '../../infra/config/schema';
import { AwsSandbox, VirtualClock } from '../simulator/index';
import { type DeployedStack, deployStack } from './deploy';
import { projectHandlers } from './project-handlers';
import { type ExecutionRecord, type HandlerResolver, WorkflowRunner } from './runner';
import type { CfnTemplate } from './template';

export interface SynthesizedStack {
  readonly stackName: string;
  readonly accountId: string;
  readonly region: string;
  readonly template: CfnTemplate;
  /** What the harness knows of the stack beyond its template (functions' folders, workflow kinds), from the construct tree. */
  readonly bindings: StackBindings;
}
export interface SynthesizedApp {
  readonly source: SynthesizedStack;
  /** The vault stack of the vault Region. */
  readonly vault: SynthesizedStack;
  /** One vault stack per DR Region. */
  readonly drVaults: readonly SynthesizedStack[];
}

/**
 * The harness's one module-level cache: synthesized apps by config JSON. Synthesis is a pure
 * function of the config (~1 s), and tests build many environments from the same config; every
 * cached result is deep-frozen, so nothing of one environment can leak into the next through it.
 * All other state lives in the objects `createLocalEnvironment` returns.
 */
const synthCache = new Map<string, SynthesizedApp>();

/** Freezes plain objects and arrays, deeply (Maps are typed read-only instead). */
function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !(value instanceof Map) && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}

/** Thrown when a synthesized state machine definition fails asl-validator. */
export class InvalidStateMachineDefinition extends Error {
  constructor(name: string, errors: string) {
    super(`State machine ${name} is not valid ASL: ${errors}`);
    this.name = 'InvalidStateMachineDefinition';
  }
}

/**
 * Synthesizes the app for `config` (bundling and cdk-nag off, ~1 s) and returns both templates.
 * Memoised per config within a process; the result is deep-frozen.
 */
export function synthesize(config: VaultConfig): SynthesizedApp {
  const key = JSON.stringify(config);
  const cached = synthCache.get(key);
  if (cached) return cached;
  const { app, sourceStack, vaultStack, drVaultStacks } = createApp(config, { bundling: false, nag: false, validation: false });
  const assembly = app.synth();
  const bindings = appBindings(app);
  const read = (stack: { stackName: string; artifactId: string; account: string; region: string }): SynthesizedStack => ({
    stackName: stack.stackName,
    accountId: stack.account,
    region: stack.region,
    template: assembly.getStackArtifact(stack.artifactId).template as CfnTemplate,
    bindings: bindings.get(stack.stackName) ?? { functions: new Map(), stateMachines: new Map() },
  });
  const result: SynthesizedApp = { source: read(sourceStack), vault: read(vaultStack), drVaults: (drVaultStacks ?? []).map(read) };
  synthCache.set(key, deepFreeze(result));
  return result;
}

export interface LocalEnvironmentOptions {
  readonly config: VaultConfig;
  /** Virtual start time. @default 2026-11-20T05:00:00Z */
  readonly start?: Date;
  /** Environment added to every handler. @default silences Powertools logs and metrics */
  readonly handlerEnvironment?: Record<string, string>;
  /**
   * Fail any execution with a state payload above this many bytes (the runner's
   * `payloadBudgetBytes`, e.g. STATE_PAYLOAD_BUDGET_BYTES = 64 KiB, issue 12). @default - AWS's 256 KiB only
   */
  readonly payloadBudgetBytes?: number;
  /**
   * Resolves each deployed Lambda function to its handler (the runner's `resolveHandler`).
   * @default projectHandlers - the real `createHandler` of `functions/<entry>/index.ts`
   */
  readonly resolveHandler?: HandlerResolver;
  /** The sandbox keeps each AWS call's input in `sandbox.calls` (off for fleet benches; AwsSandboxOptions). @default true */
  readonly recordCallInputs?: boolean;
}

export interface LocalEnvironment {
  readonly config: VaultConfig;
  readonly clock: VirtualClock;
  readonly sandbox: AwsSandbox;
  readonly source: DeployedStack;
  readonly vault: DeployedStack;
  /** Vault stacks of the DR Regions. */
  readonly drVaults: readonly DeployedStack[];
  readonly runner: WorkflowRunner;
  /** Executions started by EventBridge rules (RDS snapshot events), in order. */
  readonly eventRuns: ExecutionRecord[];
  /** Resolves when every execution started by an event so far (and any they lead to) has ended. */
  waitForEventRuns(): Promise<ExecutionRecord[]>;
  /** Starts BackupRun in the source account and resolves when it ends. */
  startBackupRun(input?: Record<string, unknown>, name?: string): Promise<ExecutionRecord>;
  /** Starts RestoreDrill in the vault account's primary Region (issue 9; input `{}` or `{ databases: [...] }`) and resolves when it ends. */
  startRestoreDrill(input?: Record<string, unknown>, name?: string): Promise<ExecutionRecord>;
  /** Starts VaultRetention in the vault account (the vault Region, or the DR Region given) and resolves when it ends. */
  startVaultRetention(input?: Record<string, unknown>, name?: string, region?: string): Promise<ExecutionRecord>;
  /** Stops every still-running execution (`ABORTED`, children included), then restores the real SDK clients. */
  dispose(): void;
}

/**
 * The name of the execution an EventBridge rule starts for an RDS snapshot event: `event-<snapshot
 * identifier>-<seq>`, the identifier's `:` and other characters outside `[A-Za-z0-9_-]` made `-` and
 * cut so the whole name is at most 80 characters (docs/aws-behaviour.md §18a); unique per delivery,
 * as EventBridge names each execution it starts.
 */
export function eventExecutionName(snapshotArn: string | undefined, seq: number): string {
  const suffix = String(seq).padStart(4, '0');
  const label = snapshotArn ? snapshotArn.split(':').slice(6).join('-').replace(/[^A-Za-z0-9_-]/g, '-') : 'rule';
  return `event-${label.slice(0, 80 - 'event-'.length - suffix.length - 1)}-${suffix}`;
}

/**
 * Largest state machine definition, bytes of UTF-8 JSON: AWS's hard quota is "1 MB"
 * (docs/aws-behaviour.md §18a); the stricter reading, 1,000,000 bytes, is modelled.
 */
export const MAX_DEFINITION_BYTES = 1_000_000;
/**
 * Largest stack template, bytes as CDK writes it (JSON indented by one space): CloudFormation takes a
 * template of up to 1 MB from S3 (docs/aws-behaviour.md §25); the stricter reading, 1,000,000 bytes.
 */
export const MAX_TEMPLATE_BYTES = 1_000_000;

/** Thrown when a synthesized stack template is larger than CloudFormation accepts ({@link MAX_TEMPLATE_BYTES}). */
export class StackTemplateTooLarge extends Error {
  constructor(stackName: string, bytes: number) {
    super(`The template of stack ${stackName} is ${bytes} bytes, more than the ${MAX_TEMPLATE_BYTES} CloudFormation accepts (docs/aws-behaviour.md §25)`);
    this.name = 'StackTemplateTooLarge';
  }
}

/**
 * Validates every state machine definition of a deployed stack with asl-validator, and its size
 * against {@link MAX_DEFINITION_BYTES}. @throws InvalidStateMachineDefinition
 */
export function validateDefinitions(stack: DeployedStack): void {
  for (const sm of stack.stateMachines) {
    // Measured first: asl-validator adds default fields to the object it checks.
    const bytes = Buffer.byteLength(JSON.stringify(sm.definition), 'utf8');
    if (bytes > MAX_DEFINITION_BYTES) {
      throw new InvalidStateMachineDefinition(sm.name, `the definition is ${bytes} bytes, more than the ${MAX_DEFINITION_BYTES} a state machine may have (docs/aws-behaviour.md §18a)`);
    }
    const { isValid, errorsText } = aslValidator(sm.definition);
    if (!isValid) throw new InvalidStateMachineDefinition(sm.name, errorsText('; '));
  }
}

/** @throws StackTemplateTooLarge when `template`, written as CDK writes it, exceeds {@link MAX_TEMPLATE_BYTES}. */
export function checkTemplateSize(stackName: string, template: unknown): void {
  const bytes = Buffer.byteLength(JSON.stringify(template, undefined, 1), 'utf8');
  if (bytes > MAX_TEMPLATE_BYTES) throw new StackTemplateTooLarge(stackName, bytes);
}

/**
 * Builds a fresh sandbox with both stacks deployed. Call `dispose()` when done.
 * @throws InvalidStateMachineDefinition when a definition is not valid ASL or too large;
 *   StackTemplateTooLarge when a template is larger than CloudFormation accepts.
 */
export async function createLocalEnvironment(options: LocalEnvironmentOptions): Promise<LocalEnvironment> {
  const { config } = options;
  const synth = synthesize(config);
  const clock = new VirtualClock(options.start);
  const sandbox = new AwsSandbox({ clock, recordCallInputs: options.recordCallInputs ?? true });
  sandbox.install();
  const deploy = (st: SynthesizedStack) => {
    checkTemplateSize(st.stackName, st.template);
    return deployStack(sandbox, st.template, { accountId: st.accountId, region: st.region, stackName: st.stackName }, st.bindings);
  };
  const source = deploy(synth.source);
  const vault = deploy(synth.vault);
  const drVaults = synth.drVaults.map(deploy);
  for (const stack of [source, vault, ...drVaults]) validateDefinitions(stack);
  const runner = new WorkflowRunner({
    sandbox,
    clock,
    stacks: [source, vault, ...drVaults],
    resolveHandler: options.resolveHandler ?? projectHandlers,
    // DB_TLS=off: the sandbox's real database servers (sandbox/simulator/db-server.ts) do not speak TLS.
    extraEnvironment: { DB_TLS: 'off', ...(options.handlerEnvironment ?? { POWERTOOLS_LOG_LEVEL: 'SILENT', POWERTOOLS_METRICS_DISABLED: 'true' }) },
    ...(options.payloadBudgetBytes !== undefined && { payloadBudgetBytes: options.payloadBudgetBytes }),
  });
  // EventBridge -> Step Functions: a matching RDS event starts the rule's target state machine.
  const eventRuns: ExecutionRecord[] = [];
  const pending: Array<Promise<ExecutionRecord>> = [];
  let eventSeq = 0;
  sandbox.events.setTargetHandler((delivery) => {
    if (!/^arn:aws[\w-]*:states:[^:]+:\d{12}:stateMachine:/.test(delivery.targetArn)) return;
    // EventBridge names each execution it starts uniquely (a duplicate event starts a second run, as
    // in AWS). Readable here: the snapshot's identifier, then a sequence number, within the rules
    // for execution names (1-80 of letters, digits, - and _; docs/aws-behaviour.md §18a).
    const arn = (delivery.input as { sourceSnapshotArn?: unknown } | null)?.sourceSnapshotArn;
    const name = eventExecutionName(typeof arn === 'string' ? arn : undefined, ++eventSeq);
    const run = runner.startExecution(delivery.targetArn, delivery.input, { name });
    pending.push(run.then((r) => (eventRuns.push(r), r)));
  });
  const waitForEventRuns = async (): Promise<ExecutionRecord[]> => {
    for (let seen = -1; seen !== pending.length; ) {
      seen = pending.length;
      await Promise.all(pending);
    }
    return eventRuns;
  };
  const vaultAccount = config.vault.accountId ?? config.source.accountId;
  return {
    config,
    clock,
    sandbox,
    source,
    vault,
    drVaults,
    runner,
    eventRuns,
    waitForEventRuns,
    startBackupRun: (input = {}, name) => runner.startExecution(runner.stateMachine('BackupRun', config.source.accountId).arn, input, { name }),
    startRestoreDrill: (input = {}, name) => runner.startExecution(runner.stateMachine('RestoreDrill', vaultAccount, config.vault.region).arn, input, { name }),
    startVaultRetention: (input = {}, name, region = config.vault.region) =>
      runner.startExecution(runner.stateMachine('VaultRetention', vaultAccount, region).arn, input, { name }),
    dispose: () => {
      // Stop every execution still running first: after dispose nothing may call an SDK client,
      // which without the sandbox installed would be a real one (the network guard would refuse it).
      runner.stopAll();
      sandbox.uninstall();
    },
  };
}
