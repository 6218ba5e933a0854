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
import type { App } from 'aws-cdk-lib';
import aslValidator from 'asl-validator';
import { createApp } from '../infra/app';
import type { VaultConfig } from '../infra/config/schema';
import { AwsSandbox } from './aws';
import { VirtualClock } from './clock';
import { type DeployedStack, deployStack } from './deploy';
import { type ExecutionRecord, WorkflowRunner } from './runner';
import type { CfnTemplate } from './template';

export interface SynthesizedApp {
  readonly source: { stackName: string; template: CfnTemplate };
  readonly vault: { stackName: string; template: CfnTemplate };
}

const synthCache = new Map<string, SynthesizedApp>();

/** Thrown when a synthesized state machine definition fails asl-validator. */
export class InvalidStateMachineDefinition extends Error {
  constructor(name: string, errors: string) {
    super(`State machine ${name} is not valid ASL: ${errors}`);
    this.name = 'InvalidStateMachineDefinition';
  }
}

/**
 * Synthesizes the app for `config` (bundling and cdk-nag off, ~1 s) and returns both templates.
 * Memoised per config within a process.
 */
export function synthesize(config: VaultConfig): SynthesizedApp {
  const key = JSON.stringify(config);
  const cached = synthCache.get(key);
  if (cached) return cached;
  const { app, sourceStack, vaultStack } = createApp(config, { bundling: false, nag: false, validation: false }) as {
    app: App;
    sourceStack: { stackName: string; artifactId: string };
    vaultStack: { stackName: string; artifactId: string };
  };
  const assembly = app.synth();
  const result: SynthesizedApp = {
    source: { stackName: sourceStack.stackName, template: assembly.getStackArtifact(sourceStack.artifactId).template as CfnTemplate },
    vault: { stackName: vaultStack.stackName, template: assembly.getStackArtifact(vaultStack.artifactId).template as CfnTemplate },
  };
  synthCache.set(key, result);
  return result;
}

export interface LocalEnvironmentOptions {
  readonly config: VaultConfig;
  /** Virtual start time. @default 2026-11-20T05:00:00Z */
  readonly start?: Date;
  /** Environment added to every handler. @default silences Powertools logs and metrics */
  readonly handlerEnvironment?: Record<string, string>;
}

export interface LocalEnvironment {
  readonly config: VaultConfig;
  readonly clock: VirtualClock;
  readonly sandbox: AwsSandbox;
  readonly source: DeployedStack;
  readonly vault: DeployedStack;
  readonly runner: WorkflowRunner;
  /** Starts BackupRun in the source account and resolves when it ends. */
  startBackupRun(input?: Record<string, unknown>, name?: string): Promise<ExecutionRecord>;
  /** Starts VaultRetention in the vault account and resolves when it ends. */
  startVaultRetention(input?: Record<string, unknown>, name?: string): Promise<ExecutionRecord>;
  /** Restores the real SDK clients. */
  dispose(): void;
}

/** Validates every state machine definition of a deployed stack with asl-validator. */
export function validateDefinitions(stack: DeployedStack): void {
  for (const sm of stack.stateMachines) {
    const { isValid, errorsText } = aslValidator(sm.definition);
    if (!isValid) throw new InvalidStateMachineDefinition(sm.name, errorsText('; '));
  }
}

/**
 * Builds a fresh sandbox with both stacks deployed. Call `dispose()` when done.
 * @throws InvalidStateMachineDefinition when a definition is not valid ASL.
 */
export async function createLocalEnvironment(options: LocalEnvironmentOptions): Promise<LocalEnvironment> {
  const { config } = options;
  // Powertools reads its switches from process.env at construction; keep local runs quiet unless asked.
  process.env.POWERTOOLS_LOG_LEVEL ??= 'SILENT';
  process.env.POWERTOOLS_METRICS_DISABLED ??= 'true';
  process.env.POWERTOOLS_TRACE_ENABLED ??= 'false';
  const synth = synthesize(config);
  const clock = new VirtualClock(options.start);
  const sandbox = new AwsSandbox({ clock });
  sandbox.install();
  const source = deployStack(sandbox, synth.source.template, {
    accountId: config.source.accountId,
    region: config.source.region,
    stackName: synth.source.stackName,
  });
  const vault = deployStack(sandbox, synth.vault.template, {
    accountId: config.vault.accountId,
    region: config.vault.region,
    stackName: synth.vault.stackName,
  });
  validateDefinitions(source);
  validateDefinitions(vault);
  const runner = new WorkflowRunner({
    sandbox,
    clock,
    stacks: [source, vault],
    extraEnvironment: options.handlerEnvironment ?? { POWERTOOLS_LOG_LEVEL: 'SILENT', POWERTOOLS_METRICS_DISABLED: 'true', POWERTOOLS_TRACE_ENABLED: 'false' },
  });
  return {
    config,
    clock,
    sandbox,
    source,
    vault,
    runner,
    startBackupRun: (input = {}, name) => runner.startExecution(runner.stateMachine('BackupRun', config.source.accountId).arn, input, { name }),
    startVaultRetention: (input = {}, name) => runner.startExecution(runner.stateMachine('VaultRetention', config.vault.accountId).arn, input, { name }),
    dispose: () => sandbox.uninstall(),
  };
}
