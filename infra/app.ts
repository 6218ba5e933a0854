/**
 * Builds the rds-snapshot-vault CDK app from a parsed configuration, with no side effects (no
 * file reads, no synth): `infra/bin/app.ts` uses it for `cdk synth`/`deploy`, tests and the local
 * runner call {@link createApp} and synthesize themselves.
 */
import { App, Tags, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { VaultConfig } from './config/schema';
import { deploymentNames } from './constructs/names';
import { SourceStack } from './stacks/source-stack';
import { VaultStack } from './stacks/vault-stack';

/**
 * Feature flags of this app, applied by {@link createApp} and by `infra/bin/app.ts` alike so tests,
 * the local runner and `cdk synth` produce the same templates (cdk.json does not repeat them).
 * Source: https://docs.aws.amazon.com/cdk/v2/guide/featureflags.html
 */
export const APP_CONTEXT: Readonly<Record<string, unknown>> = {
  '@aws-cdk/core:checkSecretUsage': true,
  '@aws-cdk/aws-iam:minimizePolicies': true,
};

/** Options of {@link createApp}. */
export interface CreateAppOptions {
  /**
   * Bundle the Lambda code with esbuild at synth. false sets the context
   * `aws:cdk:bundling-stacks: []` (assets get placeholder hashes; ~10x faster synth, for tests).
   * @default true
   */
  readonly bundling?: boolean;
  /**
   * Cloud assembly directory.
   * @default - CDK's default (`CDK_OUTDIR` under the CLI, a temporary directory otherwise)
   */
  readonly outdir?: string;
  /**
   * Run the cdk-nag AwsSolutions pack at synth; `app.synth()` then throws on any unacknowledged finding.
   * @default true
   */
  readonly nag?: boolean;
  /**
   * Run CDK's built-in CloudFormation template validation (resource schemas and default rules) at
   * synth, as `cdk synth` does. Starting its engine costs ~2 s per process; tests that only read
   * templates may turn it off.
   * @default true
   */
  readonly validation?: boolean;
}

/** The stacks of one deployment. */
export interface VaultStacks {
  readonly sourceStack: SourceStack;
  readonly vaultStack: VaultStack;
}

/**
 * Adds the source and vault stacks of `config` to an existing app (named
 * `<deploymentName>-source` / `<deploymentName>-vault`, explicit account and Region each, no
 * lookups) and, unless `nag` is false, registers the cdk-nag AwsSolutions checks (v3 API).
 */
export function addVaultStacks(app: App, config: VaultConfig, opts: { readonly nag?: boolean } = {}): VaultStacks {
  const names = deploymentNames(config.deploymentName);
  const sourceStack = new SourceStack(app, names.sourceStack, { stackName: names.sourceStack, config });
  const vaultStack = new VaultStack(app, names.vaultStack, { stackName: names.vaultStack, config });
  for (const stack of [sourceStack, vaultStack]) Tags.of(stack).add('rds-snapshot-vault:deployment', config.deploymentName);
  if (opts.nag ?? true) Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  return { sourceStack, vaultStack };
}

/**
 * Creates the app with both stacks. Synthesize with `app.synth()`; templates are then in the
 * cloud assembly under `sourceStack.stackName` / `vaultStack.stackName`.
 */
export function createApp(
  config: VaultConfig,
  opts: CreateAppOptions = {},
): { app: App; sourceStack: SourceStack; vaultStack: VaultStack } {
  const app = new App({
    outdir: opts.outdir,
    builtinCloudFormationValidation: opts.validation ?? true,
    context: { ...APP_CONTEXT, ...(opts.bundling === false ? { 'aws:cdk:bundling-stacks': [] } : {}) },
  });
  return { app, ...addVaultStacks(app, config, { nag: opts.nag }) };
}
