/**
 * Builds the rds-snapshot-vault CDK app from a parsed configuration, with no side effects (no
 * file reads, no synth): `infra/bin/app.ts` uses it for `cdk synth`/`deploy`, tests and the local
 * runner call {@link createApp} and synthesize themselves.
 */
import { App, Tags, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks, ServerlessChecks } from 'cdk-nag';
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
  // Server access logs are delivered through a bucket policy for logging.s3.amazonaws.com instead of
  // the legacy LogDeliveryWrite ACL, so the log bucket can keep ACLs disabled (BucketOwnerEnforced).
  '@aws-cdk/aws-s3:serverAccessLogsUseBucketPolicy': true,
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
   * Run the cdk-nag AwsSolutions and Serverless packs at synth; `app.synth()` then throws on any
   * unacknowledged finding.
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
  /** `<deploymentName>-source`: source account, source Region. */
  readonly sourceStack: SourceStack;
  /** `<deploymentName>-vault`: the primary vault stack (vault account, or source account in same-account mode; vault.region). */
  readonly vaultStack: VaultStack;
  /** `<deploymentName>-vault-<region>`: one per `vault.drRegions` entry, in that order. */
  readonly drVaultStacks: readonly VaultStack[];
}

/**
 * Adds the stacks of `config` to an existing app: `<deploymentName>-source` (source account and
 * Region), `<deploymentName>-vault` (vault.region) and `<deploymentName>-vault-<region>` per DR
 * Region, in the vault account or, in same-account mode, the source account; explicit account and
 * Region each, no lookups. Unless `nag` is false, registers the cdk-nag AwsSolutions and Serverless
 * checks (v3 API: `app.synth()` throws on unacknowledged findings).
 */
export function addVaultStacks(app: App, config: VaultConfig, opts: { readonly nag?: boolean } = {}): VaultStacks {
  const names = deploymentNames(config.deploymentName);
  const sourceStack = new SourceStack(app, names.sourceStack, { stackName: names.sourceStack, config });
  const vaultStack = new VaultStack(app, names.vaultStack, { stackName: names.vaultStack, config });
  const drVaultStacks = config.vault.drRegions.map(
    (region) => new VaultStack(app, names.drVaultStack(region), { stackName: names.drVaultStack(region), config, region }),
  );
  for (const stack of [sourceStack, vaultStack, ...drVaultStacks]) Tags.of(stack).add('rds-snapshot-vault:deployment', config.deploymentName);
  if (opts.nag ?? true) Validations.of(app).addPlugins(new AwsSolutionsChecks(app), new ServerlessChecks(app));
  return { sourceStack, vaultStack, drVaultStacks };
}

/**
 * Creates the app with all stacks of `config`. Synthesize with `app.synth()`; templates are then in
 * the cloud assembly under each stack's `stackName`.
 */
export function createApp(
  config: VaultConfig,
  opts: CreateAppOptions = {},
): { app: App; sourceStack: SourceStack; vaultStack: VaultStack; drVaultStacks: readonly VaultStack[] } {
  const app = new App({
    outdir: opts.outdir,
    builtinCloudFormationValidation: opts.validation ?? true,
    context: { ...APP_CONTEXT, ...(opts.bundling === false ? { 'aws:cdk:bundling-stacks': [] } : {}) },
  });
  return { app, ...addVaultStacks(app, config, { nag: opts.nag }) };
}
