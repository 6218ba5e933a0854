/**
 * Where the CLI's calls go: AWS (the standard SDK credential chain, `--profile` for the source
 * account and `--vault-profile` for the vault account) or a local deployment on the sandbox
 * (`--local`). Both give the same `SFNClient` and `RDSClient`s, so every command runs the same code.
 */
import { IAMClient } from '@aws-sdk/client-iam';
import { KMSClient } from '@aws-sdk/client-kms';
import { RDSClient } from '@aws-sdk/client-rds';
import { S3Client } from '@aws-sdk/client-s3';
import type { SFNClient } from '@aws-sdk/client-sfn';
import { partitionOf, type VaultConfig } from '../infra/config/schema';
import { deploymentNames } from '../infra/constructs/names';
import type { LocalEnvironment } from '../sandbox/harness/index';
import { localIamClient } from './local-iam';
import { localStepFunctionsClient } from './local-sfn';

export interface Backend {
  readonly mode: 'aws' | 'local';
  readonly config: VaultConfig;
  /** Step Functions in the source account and Region. */
  readonly sfn: SFNClient;
  /**
   * RDS in an account and Region, or undefined when the CLI has no credentials for that account
   * (the vault account without `--vault-profile`).
   */
  rds(accountId: string, region: string): RDSClient | undefined;
  /** KMS in an account and Region, or undefined without credentials for that account (as `rds`). */
  kms(accountId: string, region: string): KMSClient | undefined;
  /** IAM of an account (global), or undefined without credentials for it (as `rds`). */
  iam(accountId: string): IAMClient | undefined;
  /** S3 in an account and Region (the evidence bucket), or undefined without credentials (as `rds`). */
  s3(accountId: string, region: string): S3Client | undefined;
  /**
   * The vault's evidence bucket when the backend knows it without listing buckets (the local
   * sandbox, which does not simulate ListBuckets); undefined: list the vault account's buckets.
   */
  readonly evidenceBucket?: () => string | undefined;
  /**
   * The run ledger bucket (issue 12) of the source account when known without listing buckets:
   * `--ledger-bucket`, or the local deployment's; undefined: list the source account's buckets
   * (cli/ledger.ts).
   */
  readonly ledgerBucket?: () => string | undefined;
  /** Now (UTC). Virtual time with `--local`. */
  now(): Date;
  /** Waits `seconds` (virtual seconds with `--local`). */
  sleep(seconds: number): Promise<void>;
  /** The deployment's state machine ARNs. */
  readonly arns: { readonly backupRun: string; readonly databaseBackup: string };
}

/** The vault account (the source account in same-account mode). */
export function vaultAccountOf(config: VaultConfig): string {
  return config.vault.accountId ?? config.source.accountId;
}

function arnsOf(config: VaultConfig): Backend['arns'] {
  const names = deploymentNames(config.deploymentName);
  const base = `arn:${partitionOf(config.source.region)}:states:${config.source.region}:${config.source.accountId}:stateMachine:`;
  return { backupRun: base + names.backupRunStateMachine, databaseBackup: base + names.databaseBackupStateMachine };
}

export interface AwsBackendOptions {
  /** Named profile for the source account (else the default credential chain). */
  readonly profile?: string;
  /** Named profile for the vault account; without it, vault reads are skipped. */
  readonly vaultProfile?: string;
}

/** The real thing. Clients are created lazily, one per account and Region. */
export async function awsBackend(config: VaultConfig, options: AwsBackendOptions): Promise<Backend> {
  const { SFNClient: Client } = await import('@aws-sdk/client-sfn');
  // The SDK's own `profile` client setting: the shared config/credentials files, SSO, role_arn chains.
  const sfn = new Client({ region: config.source.region, ...(options.profile ? { profile: options.profile } : {}) });
  const clients = new Map<string, RDSClient | KMSClient | S3Client | IAMClient>();
  const client = <T extends RDSClient | KMSClient | S3Client | IAMClient>(make: (cfg: { region: string; profile?: string }) => T, service: string, accountId: string, region: string): T | undefined => {
    const isSource = accountId === config.source.accountId;
    if (!isSource && !options.vaultProfile) return undefined;
    const key = `${service}/${accountId}/${region}`;
    let c = clients.get(key) as T | undefined;
    if (!c) {
      const profile = isSource ? options.profile : options.vaultProfile;
      c = make({ region, ...(profile ? { profile } : {}) });
      clients.set(key, c);
    }
    return c;
  };
  return {
    mode: 'aws',
    config,
    sfn,
    rds: (accountId, region) => client((cfg) => new RDSClient(cfg), 'rds', accountId, region),
    kms: (accountId, region) => client((cfg) => new KMSClient(cfg), 'kms', accountId, region),
    s3: (accountId, region) => client((cfg) => new S3Client(cfg), 's3', accountId, region),
    // IAM is global; its endpoint is the partition's (us-east-1 for aws).
    iam: (accountId) => client((cfg) => new IAMClient(cfg), 'iam', accountId, config.source.region.startsWith('us-gov-') ? 'us-gov-west-1' : config.source.region.startsWith('cn-') ? 'cn-north-1' : 'us-east-1'),
    now: () => new Date(),
    sleep: (seconds) => new Promise((resolve) => setTimeout(resolve, seconds * 1000)),
    arns: arnsOf(config),
  };
}

/**
 * A local deployment (sandbox/harness/environment.ts). RDS reads use each account's root credentials of the
 * sandbox (an administrator, as the operator's profile would be).
 */
export function localBackend(env: LocalEnvironment): Backend {
  const local = localStepFunctionsClient(env, env.config.source.region);
  return {
    mode: 'local',
    config: env.config,
    sfn: local.client,
    rds: (accountId, region) => new RDSClient({ region, credentials: env.sandbox.credentialsFor(`arn:aws:iam::${accountId}:root`) }),
    kms: (accountId, region) => new KMSClient({ region, credentials: env.sandbox.credentialsFor(`arn:aws:iam::${accountId}:root`) }),
    s3: (accountId, region) => new S3Client({ region, credentials: env.sandbox.credentialsFor(`arn:aws:iam::${accountId}:root`) }),
    iam: (accountId) => localIamClient(env.sandbox, accountId),
    evidenceBucket: () => env.sandbox.s3.listBuckets().find((b) => /evidencebucket/i.test(b.name))?.name,
    // The bucket the deployed functions write (their LEDGER_BUCKET), as the stack set it.
    ledgerBucket: () => env.source.functions.find((f) => f.environment.LEDGER_BUCKET !== undefined)?.environment.LEDGER_BUCKET,
    now: () => env.clock.now(),
    sleep: (seconds) => env.clock.sleep(seconds),
    arns: arnsOf(env.config),
  };
}
