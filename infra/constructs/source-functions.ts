import type * as kms from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';
import type { BackupFunctions, RetentionPolicy } from '../../statemachines/types';
import type { MapConcurrencySettings } from '../../contracts/functions/plan-run';
import type { ExportStorage } from './export-storage';
import {
  grantCreateCopy,
  grantCrossAccountCopy,
  grantExportToS3,
  grantNotify,
  grantPlanRun,
  grantPollExport,
  grantPollStatus,
  grantRecordResult,
  grantSendDigest,
  grantRetentionSweep,
  grantShare,
  type VaultAccess,
} from './function-permissions';
import type { CopySlotTable } from './copy-slot-table';
import { deploymentNames, roleArn, stackAccountRegion } from './names';
import type { NotificationTopic } from './notification-topic';
import type { RunLedger } from './run-ledger';
import { VaultFunction, type VaultRoleEnvironment } from './vault-function';

/** The vault side, as the source account sees it (all from configuration; no cross-stack references). */
export interface VaultEndpoint {
  /**
   * Vault account ID (12 digits).
   * @default - same-account mode: the copies stay in the source account (no share, no vault role)
   */
  readonly accountId?: string;
  /** Primary vault Region, where the vault copies are made first. */
  readonly region: string;
  /** `sts:ExternalId` required by the vault role; required with `accountId`, ignored without. */
  readonly externalId?: string;
  /**
   * Further vault Regions that keep a copy (DR Regions).
   * @default []
   */
  readonly drRegions?: readonly string[];
}

/** The file in plan-run's and retention-sweep's bundles listing the configured databases (their `DATABASES_FILE`). */
export const PLAN_RUN_DATABASES_FILE = 'databases.json';

/** A configured database as plan-run's `DATABASES` lists it. */
export interface PlannedDatabaseRef {
  readonly identifier: string;
  readonly kind: 'instance' | 'cluster';
  /** Export this database's copy to S3. @default false */
  readonly export?: boolean;
  /**
   * DB instances: Region -> option group name in the vault account of that Region, passed as
   * `OptionGroupName` on cross-Region copies (docs/aws-behaviour.md §15a). @default - none
   */
  readonly optionGroups?: Readonly<Record<string, string>>;
}

/** Props of {@link SourceFunctions}. */
export interface SourceFunctionsProps {
  /** Prefix of the deterministic role names (see names.ts). */
  readonly deploymentName: string;
  /** The configured databases (plan-run's `DATABASES`). */
  readonly databases: readonly PlannedDatabaseRef[];
  /**
   * Tag discovery: tag key -> value (plan-run's `DISCOVERY_TAGS`) and whether discovered databases export.
   * @default - no discovery
   */
  readonly discovery?: { readonly tags: Readonly<Record<string, string>>; readonly export: boolean };
  /**
   * Retention of the source copies (plan-run's `SOURCE_RETENTION`): plan-run checks the manual
   * snapshot quotas against it before each run. @default - no quota check
   */
  readonly sourceRetention?: RetentionPolicy;
  /** The source key the manual copies are encrypted with. */
  readonly sourceKey: kms.IKey;
  /** The topic notify publishes the run summary to. */
  readonly topic: NotificationTopic;
  /** Issue 12: the run ledger record-result writes each database's result to and notify reads. */
  readonly ledger: RunLedger;
  /** Where the copies go. */
  readonly vault: VaultEndpoint;
  /**
   * The S3 export destination; with it, export-to-s3 and poll-export are deployed.
   * @default - no export functions
   */
  readonly exportStorage?: ExportStorage;
  /**
   * Recovery point objective in hours (issue 9): notify reports a database whose newest recovery
   * point is older as `RecoveryPointStale`, never OK.
   * @default 26
   */
  readonly rpoHours?: number;
  /**
   * The copy slot table (issue 12): create-copy, cross-account-copy and export-to-s3 acquire a slot
   * before each copy (export), poll-status and poll-export release it; each gets
   * dynamodb:GetItem/UpdateItem on that table only. @default - no slot table (RDS's own limit only)
   */
  readonly copySlots?: CopySlotTable;
  /**
   * Issue 12: plan-run's `MAP_CONCURRENCY`, the bounds of BackupRun's Map concurrency
   * (statemachines/map-concurrency.ts `mapConcurrencySettings`). @default - plan-run's fixed 50
   */
  readonly mapConcurrency?: MapConcurrencySettings;
  /**
   * Issue 12: deploy send-digest (the daily digest of event-started runs; with `events.enabled`).
   * @default false
   */
  readonly dailyDigest?: boolean;
}

/**
 * The Lambda functions of the source account, each with its environment and its least-privilege
 * permissions (function-permissions.ts):
 *
 * | function | calls |
 * |---|---|
 * | plan-run | RDS describe/list tags in the source account (event snapshots, tag discovery); write and read the run's plan (`plans/`) in the run ledger |
 * | create-copy | RDS describe/copy/tag in the source account; KMS on the source key and, via RDS, the account's keys |
 * | poll-status | RDS describe in the source account; the vault copies via the vault role (cross-account) or directly (same-account) |
 * | share | RDS modify/describe snapshot attributes of managed copies (cross-account mode only) |
 * | cross-account-copy | assumes the vault role (cross-account), or copies into the vault Regions itself (same-account) |
 * | retention-sweep | RDS describe; delete of managed copies only |
 * | notify | SNS publish to the topic; list and read the run's records, read its plan, in the run ledger |
 * | record-result | S3 PutObject of run records (`runs/`, `daily/`) in the run ledger |
 * | send-digest | list and read the day's event-run records (`daily/`) in the run ledger; SNS publish to the topic (only with `dailyDigest`) |
 * | export-to-s3 | RDS StartExportTask/DescribeExportTasks, iam:PassRole of the export role to RDS (only with exports) |
 * | poll-export | RDS DescribeExportTasks (only with exports) |
 *
 * With `copySlots`, create-copy, cross-account-copy and export-to-s3 also take a slot of the copy slot
 * table before each copy (export task), and poll-status and poll-export give it back
 * (dynamodb:GetItem/UpdateItem on that table only).
 *
 * Cross-account mode: the cross-account-copy and poll-status roles get fixed names
 * (`<deploymentName>-cross-account-copy`, `<deploymentName>-poll-status`) because the vault role
 * trusts them by ARN. Same-account mode: no function gets an STS permission.
 */
export class SourceFunctions extends Construct {
  /** The functions as the state machines take them. */
  readonly functions: BackupFunctions;
  readonly planRun: VaultFunction<'plan-run'>;
  readonly createCopy: VaultFunction<'create-copy'>;
  readonly pollStatus: VaultFunction<'poll-status'>;
  /** Absent in same-account mode (nothing is shared). */
  readonly share?: VaultFunction<'share'>;
  readonly crossAccountCopy: VaultFunction<'cross-account-copy'>;
  readonly retentionSweep: VaultFunction<'retention-sweep'>;
  readonly notify: VaultFunction<'notify'>;
  readonly recordResult: VaultFunction<'record-result'>;
  /** Present with `dailyDigest`. */
  readonly sendDigest?: VaultFunction<'send-digest'>;
  /** Present when `exportStorage` is given. */
  readonly exportToS3?: VaultFunction<'export-to-s3'>;
  readonly pollExport?: VaultFunction<'poll-export'>;

  constructor(scope: Construct, id: string, props: SourceFunctionsProps) {
    super(scope, id);
    const names = deploymentNames(props.deploymentName);
    const sourceAccountId = this.stackAccount();
    const crossAccount = props.vault.accountId !== undefined;
    if (crossAccount && !props.vault.externalId) throw new Error('SourceFunctions: vault.externalId is required with vault.accountId');
    const vaultAccountId = props.vault.accountId ?? sourceAccountId;
    const vaultRegions = [props.vault.region, ...(props.vault.drRegions ?? [])];
    const vaultRoleArn = crossAccount ? roleArn({ accountId: vaultAccountId, region: props.vault.region }, names.vaultCopyRole) : undefined;
    const access: VaultAccess = vaultRoleArn
      ? { mode: 'cross-account', vaultRoleArn }
      : { mode: 'same-account', vaultRegions, vaultKeyAlias: names.vaultKeyAlias };
    const slots = props.copySlots;
    const slotEnv = slots ? slots.environment() : {};
    const roleEnv: VaultRoleEnvironment = vaultRoleArn
      ? { VAULT_ROLE_ARN: vaultRoleArn, VAULT_EXTERNAL_ID: props.vault.externalId as string }
      : {};

    // The configured databases, bundled with plan-run and retention-sweep (`DATABASES_FILE`).
    const databasesFile = JSON.stringify(
      props.databases.map(({ identifier, kind, export: exp, optionGroups }) => ({
        identifier,
        kind,
        export: exp ?? false,
        ...(optionGroups !== undefined && Object.keys(optionGroups).length > 0 && { optionGroups }),
      })),
    );
    this.planRun = new VaultFunction(this, 'PlanRun', {
      name: 'plan-run',
      environment: {
        // The configured databases travel in the bundle, not in the 4 KB environment (issue 12: a
        // listed fleet of any size).
        DATABASES_FILE: PLAN_RUN_DATABASES_FILE,
        // Issue 12: the run's plan goes to the run ledger (plans/<runId>/), not into BackupRun's state.
        LEDGER_BUCKET: props.ledger.bucket.bucketName,
        // Manual snapshot quota planned before it bites (issue 12): what retention.source keeps.
        ...(props.sourceRetention !== undefined && { SOURCE_RETENTION: JSON.stringify(props.sourceRetention) }),
        // Cross-account mode shares every copy: plan-run refuses databases whose snapshots cannot be shared.
        CHECK_SHAREABLE: crossAccount ? ('true' as const) : ('false' as const),
        // Issue 12: plan-run chooses each run's Map concurrency within these bounds.
        ...(props.mapConcurrency !== undefined && { MAP_CONCURRENCY: JSON.stringify(props.mapConcurrency) }),
        ...(props.discovery
          ? { DISCOVERY_TAGS: JSON.stringify(props.discovery.tags), DISCOVERY_EXPORT: props.discovery.export ? ('true' as const) : ('false' as const) }
          : {}),
      },
      bundledFiles: { [PLAN_RUN_DATABASES_FILE]: databasesFile },
    });
    grantPlanRun(this.planRun, props.ledger.bucket);

    this.createCopy = new VaultFunction(this, 'CreateCopy', {
      name: 'create-copy',
      environment: { SOURCE_KMS_KEY_ARN: props.sourceKey.keyArn, ...slotEnv },
    });
    grantCreateCopy(this.createCopy, props.sourceKey);

    this.pollStatus = new VaultFunction(this, 'PollStatus', {
      name: 'poll-status',
      roleName: crossAccount ? names.pollStatusRole : undefined,
      environment: { VAULT_ACCOUNT_ID: vaultAccountId, ...roleEnv, ...(slots && { COPY_SLOT_TABLE: slots.tableName }) },
    });
    grantPollStatus(this.pollStatus, access);

    if (crossAccount) {
      this.share = new VaultFunction(this, 'Share', {
        name: 'share',
        environment: { VAULT_ACCOUNT_ID: vaultAccountId },
      });
      grantShare(this.share);
    }

    this.crossAccountCopy = new VaultFunction(this, 'CrossAccountCopy', {
      name: 'cross-account-copy',
      roleName: crossAccount ? names.crossAccountCopyRole : undefined,
      environment: {
        VAULT_ACCOUNT_ID: vaultAccountId,
        VAULT_REGION: props.vault.region,
        VAULT_KMS_KEY_ALIAS: names.vaultKeyAlias,
        ...roleEnv,
        ...slotEnv,
      },
    });
    grantCrossAccountCopy(this.crossAccountCopy, access, props.sourceKey);

    // BackupRun's SweepRemovedDatabases: the configured list is bundled with the function, so the
    // Task input stays O(1) in the fleet (issue 12; ~90 bytes per database in the state otherwise).
    this.retentionSweep = new VaultFunction(this, 'RetentionSweep', {
      name: 'retention-sweep',
      environment: { DATABASES_FILE: PLAN_RUN_DATABASES_FILE },
      bundledFiles: { [PLAN_RUN_DATABASES_FILE]: databasesFile },
    });
    grantRetentionSweep(this.retentionSweep, { markVaulted: true });

    this.notify = new VaultFunction(this, 'Notify', {
      name: 'notify',
      environment: { TOPIC_ARN: props.topic.topic.topicArn, RPO_HOURS: String(props.rpoHours ?? 26), LEDGER_BUCKET: props.ledger.bucket.bucketName },
    });
    grantNotify(this.notify, props.topic, props.ledger.bucket);

    this.recordResult = new VaultFunction(this, 'RecordResult', { name: 'record-result', environment: { LEDGER_BUCKET: props.ledger.bucket.bucketName } });
    grantRecordResult(this.recordResult, props.ledger.bucket);

    if (props.dailyDigest === true) {
      this.sendDigest = new VaultFunction(this, 'SendDigest', {
        name: 'send-digest',
        environment: { TOPIC_ARN: props.topic.topic.topicArn, RPO_HOURS: String(props.rpoHours ?? 26), LEDGER_BUCKET: props.ledger.bucket.bucketName },
      });
      grantSendDigest(this.sendDigest, props.topic, props.ledger.bucket);
    }

    if (props.exportStorage) {
      const storage = props.exportStorage;
      this.exportToS3 = new VaultFunction(this, 'ExportToS3', {
        name: 'export-to-s3',
        environment: {
          EXPORT_BUCKET: storage.bucket.bucketName,
          EXPORT_ROLE_ARN: storage.role.roleArn,
          EXPORT_KMS_KEY_ARN: storage.key.keyArn,
          EXPORT_PREFIX: storage.prefix,
          ...slotEnv,
        },
      });
      grantExportToS3(this.exportToS3, storage);
      this.pollExport = new VaultFunction(this, 'PollExport', { name: 'poll-export', environment: slots ? { COPY_SLOT_TABLE: slots.tableName } : {} });
      grantPollExport(this.pollExport);
    }

    // Issue 12: every function that starts or watches a copy (export task) uses the slot table.
    if (slots) {
      for (const fn of [this.createCopy, this.crossAccountCopy, this.pollStatus, ...(this.exportToS3 ? [this.exportToS3] : []), ...(this.pollExport ? [this.pollExport] : [])]) slots.grantSlots(fn);
    }

    this.functions = {
      planRun: this.planRun.lambdaFunction,
      createCopy: this.createCopy.lambdaFunction,
      pollStatus: this.pollStatus.lambdaFunction,
      crossAccountCopy: this.crossAccountCopy.lambdaFunction,
      retentionSweep: this.retentionSweep.lambdaFunction,
      notify: this.notify.lambdaFunction,
      recordResult: this.recordResult.lambdaFunction,
      ...(this.share ? { share: this.share.lambdaFunction } : {}),
      ...(this.exportToS3 ? { exportToS3: this.exportToS3.lambdaFunction } : {}),
      ...(this.pollExport ? { pollExport: this.pollExport.lambdaFunction } : {}),
    };
  }

  private stackAccount(): string {
    return stackAccountRegion(this).accountId;
  }
}
