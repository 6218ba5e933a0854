/**
 * Deterministic names and ARNs shared by the source and the vault stacks.
 *
 * The two stacks live in different accounts, so neither can reference the other's resources
 * (no cross-stack references across accounts): each side builds the other's ARNs from the
 * configuration with these helpers. The local runner and the docs use them too.
 */
import { Stack, Token } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';
import { partitionOf } from '../config/schema';

/** The names one deployment uses; every name is prefixed with `deploymentName`. */
export interface DeploymentNames {
  /** `<deploymentName>-source` */
  readonly sourceStack: string;
  /** `<deploymentName>-vault` (the primary vault Region) */
  readonly vaultStack: string;
  /** `<deploymentName>-vault-<region>`: the vault stack of one DR Region. */
  readonly drVaultStack: (region: string) => string;
  /** IAM role of the cross-account-copy function (source account), trusted by the vault role. */
  readonly crossAccountCopyRole: string;
  /** IAM role of the poll-status function (source account), trusted by the vault role. */
  readonly pollStatusRole: string;
  /** The copy-only role in the vault account: `<deploymentName>-vault-copy`. */
  readonly vaultCopyRole: string;
  /** KMS alias of the source account's key: `alias/<deploymentName>-source`. */
  readonly sourceKeyAlias: string;
  /** KMS alias of the vault account's key: `alias/<deploymentName>`. */
  readonly vaultKeyAlias: string;
  /** State machine names. */
  readonly databaseBackupStateMachine: string;
  readonly backupRunStateMachine: string;
  readonly vaultRetentionStateMachine: string;
  /** `<deploymentName>-RestoreDrill` (issue 9). */
  readonly restoreDrillStateMachine: string;
  /** `<deploymentName>-DailyDigest` (issue 12). */
  readonly dailyDigestStateMachine: string;
  /** DB subnet group of the restore drills: `<deploymentName>-drill`. */
  readonly drillSubnetGroup: string;
  /** Glue database of the S3 exports: the deployment name with `_` for `-` (Glue names: lower-case, digits, `_`). */
  readonly glueDatabase: string;
  /** Glue crawler over the S3 exports: `<deploymentName>-exports`. */
  readonly exportCrawler: string;
  /** EventBridge rule starting BackupRun on automated snapshot events: `<deploymentName>-snapshot-events`. */
  readonly snapshotEventRule: string;
  /** Default break-glass role of the vault account (config `vault.breakGlassRoleName`): `<deploymentName>-break-glass`. */
  readonly breakGlassRole: string;
  /** DynamoDB table of the copy slots in the source account (issue 12): `<deploymentName>-copy-slots`. */
  readonly copySlotTable: string;
}

/** All names derived from `deploymentName` (validated by the config schema: <= 32 chars). */
export function deploymentNames(deploymentName: string): DeploymentNames {
  return {
    sourceStack: `${deploymentName}-source`,
    vaultStack: `${deploymentName}-vault`,
    drVaultStack: (region: string) => `${deploymentName}-vault-${region}`,
    crossAccountCopyRole: `${deploymentName}-cross-account-copy`,
    pollStatusRole: `${deploymentName}-poll-status`,
    vaultCopyRole: `${deploymentName}-vault-copy`,
    sourceKeyAlias: `alias/${deploymentName}-source`,
    vaultKeyAlias: `alias/${deploymentName}`,
    databaseBackupStateMachine: `${deploymentName}-DatabaseBackup`,
    backupRunStateMachine: `${deploymentName}-BackupRun`,
    vaultRetentionStateMachine: `${deploymentName}-VaultRetention`,
    restoreDrillStateMachine: `${deploymentName}-RestoreDrill`,
    dailyDigestStateMachine: `${deploymentName}-DailyDigest`,
    drillSubnetGroup: `${deploymentName}-drill`,
    glueDatabase: deploymentName.replace(/-/g, '_'),
    exportCrawler: `${deploymentName}-exports`,
    snapshotEventRule: `${deploymentName}-snapshot-events`,
    breakGlassRole: `${deploymentName}-break-glass`,
    copySlotTable: `${deploymentName}-copy-slots`,
  };
}

/**
 * Where an ARN points. `partition` is a literal (`aws`, `aws-cn`, ...) derived from the Region,
 * so ARNs in templates and environment variables are plain strings the local runner can read.
 */
export interface AccountRegion {
  readonly accountId: string;
  readonly region: string;
}

/**
 * The literal account and Region of the stack `scope` is in.
 * @throws Error when the stack is environment-agnostic: every ARN here is built from literals.
 */
export function stackAccountRegion(scope: IConstruct): AccountRegion {
  const stack = Stack.of(scope);
  if (Token.isUnresolved(stack.account) || Token.isUnresolved(stack.region)) {
    throw new Error(`${stack.stackName}: rds-snapshot-vault constructs need a stack with an explicit env (account and region)`);
  }
  return { accountId: stack.account, region: stack.region };
}

/** `arn:<partition>:iam::<account>:role/<name>` (IAM is global: no Region). */
export function roleArn(at: AccountRegion, roleName: string): string {
  return `arn:${partitionOf(at.region)}:iam::${at.accountId}:role/${roleName}`;
}

/** `arn:<partition>:kms:<region>:<account>:alias/<name>` for an alias name `alias/<name>`. */
export function kmsAliasArn(at: AccountRegion, aliasName: string): string {
  return `arn:${partitionOf(at.region)}:kms:${at.region}:${at.accountId}:${aliasName}`;
}

/** `arn:<partition>:kms:<region>:<account>:key/*`: every KMS key of an account and Region. */
export function kmsKeysArn(at: AccountRegion): string {
  return `arn:${partitionOf(at.region)}:kms:${at.region}:${at.accountId}:key/*`;
}

/** `rds.<region>.amazonaws.com`: the `kms:ViaService` value of RDS in a Region. */
export function rdsViaService(region: string): string {
  return `rds.${region}.amazonaws.com`;
}

/**
 * RDS resource ARN patterns of one account and Region, for IAM `Resource` elements.
 * Source: https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonrds.html
 * (resource types `db`, `cluster`, `snapshot`, `cluster-snapshot`).
 */
export interface RdsArns {
  /** `arn:<p>:rds:<region>:<account>:snapshot:*` (DB snapshots, automated and manual) */
  readonly snapshots: string;
  /** `arn:<p>:rds:<region>:<account>:cluster-snapshot:*` (DB cluster snapshots) */
  readonly clusterSnapshots: string;
  /** `arn:<p>:rds:<region>:<account>:db:*` (DB instances) */
  readonly instances: string;
  /** `arn:<p>:rds:<region>:<account>:cluster:*` (DB clusters) */
  readonly clusters: string;
}

/** {@link RdsArns} of one account and Region. */
export function rdsArns(at: AccountRegion): RdsArns {
  const prefix = `arn:${partitionOf(at.region)}:rds:${at.region}:${at.accountId}`;
  return {
    snapshots: `${prefix}:snapshot:*`,
    clusterSnapshots: `${prefix}:cluster-snapshot:*`,
    instances: `${prefix}:db:*`,
    clusters: `${prefix}:cluster:*`,
  };
}
