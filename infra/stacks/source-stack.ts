import { Duration, Stack, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { BackupRun, DatabaseBackup } from '../../statemachines';
import { DEFAULT_MAX_POLLS, DISCOVERED_DATABASES_ALLOWANCE, EXPORT_MAX_POLLS, workflowTimeouts } from '../../statemachines/timeouts';
import { exportsEnabled, type VaultConfig, vaultModeOf } from '../config/schema';
import { BackupSchedule } from '../constructs/backup-schedule';
import { ExportStorage } from '../constructs/export-storage';
import { SourceKey } from '../constructs/keys';
import { deploymentNames } from '../constructs/names';
import { NotificationTopic } from '../constructs/notification-topic';
import { SnapshotEventTrigger } from '../constructs/snapshot-event-trigger';
import { SourceFunctions } from '../constructs/source-functions';
import { WorkflowAlarms } from '../constructs/workflow-alarms';

/** Props of {@link SourceStack}. `env` is taken from `config.source`. */
export interface SourceStackProps extends Omit<StackProps, 'env'> {
  /** The parsed configuration. */
  readonly config: VaultConfig;
}

/**
 * The production ("source") account side: the source KMS key, the functions, the DatabaseBackup
 * (one database) and BackupRun (all databases) workflows, their alarms, the notification topic,
 * the daily schedule, the EventBridge rule on automated snapshot events (`events.enabled`) and,
 * when some database (or discovery) exports, the S3 export storage (bucket, key, export role,
 * optional Glue catalog) with the export-to-s3 and poll-export functions.
 *
 * Cross-account mode: deploy it before the vault stacks: the vault role trusts this stack's named
 * roles, and IAM rejects a trust policy naming a role that does not exist. Same-account mode: the
 * share function and the vault role do not exist; cross-account-copy copies into the vault Regions
 * of this account with its own role.
 */
export class SourceStack extends Stack {
  readonly sourceKey: SourceKey;
  readonly topic: NotificationTopic;
  readonly functions: SourceFunctions;
  readonly databaseBackup: DatabaseBackup;
  readonly backupRun: BackupRun;
  readonly schedule: BackupSchedule;
  /** Present when some database or discovery exports to S3. */
  readonly exportStorage?: ExportStorage;
  /** Present when `events.enabled`. */
  readonly snapshotEvents?: SnapshotEventTrigger;

  constructor(scope: Construct, id: string, props: SourceStackProps) {
    const { config, ...stackProps } = props;
    super(scope, id, {
      description: 'rds-snapshot-vault: copies RDS/Aurora snapshots and shares them with the vault account',
      ...stackProps,
      env: { account: config.source.accountId, region: config.source.region },
    });
    const names = deploymentNames(config.deploymentName);

    const mode = vaultModeOf(config);
    const { vault } = config;

    this.sourceKey = new SourceKey(this, 'SourceKey', {
      aliasName: names.sourceKeyAlias,
      vaultAccountId: vault.accountId,
      rdsRegions: [config.source.region, vault.region, ...(vault.drCopyMode === 'single-step' ? vault.drRegions : [])],
    });
    this.topic = new NotificationTopic(this, 'Notifications', { emails: config.notifications.emails });

    if (exportsEnabled(config)) {
      const exportConfig = config.export ?? { prefix: 'exports', lifecycle: {}, glueCatalog: false };
      this.exportStorage = new ExportStorage(this, 'Exports', {
        prefix: exportConfig.prefix,
        lifecycle: exportConfig.lifecycle,
        catalog: exportConfig.glueCatalog ? { databaseName: names.glueDatabase, crawlerName: names.exportCrawler } : undefined,
      });
    }

    this.functions = new SourceFunctions(this, 'Functions', {
      deploymentName: config.deploymentName,
      databases: config.databases,
      discovery: config.discovery,
      sourceRetention: config.retention.source,
      sourceKey: this.sourceKey.key,
      topic: this.topic,
      vault: { accountId: vault.accountId, region: vault.region, externalId: vault.externalId, drRegions: vault.drRegions },
      exportStorage: this.exportStorage,
      rpoHours: config.rpoHours,
    });

    // Execution timeouts from the waits and their bounds, checked against Step Functions' one-year
    // maximum here, at synth (statemachines/timeouts.ts; @throws ExecutionTimeoutTooLong).
    const timeouts = workflowTimeouts({
      maxWaitSeconds: config.polling.maxWaitHours * 3600,
      maxPolls: DEFAULT_MAX_POLLS,
      maxExportPolls: EXPORT_MAX_POLLS,
      drRegions: vault.drRegions.length,
      drCopyMode: vault.drCopyMode,
      exports: exportsEnabled(config),
      fleetSize: config.databases.length + (config.discovery ? DISCOVERED_DATABASES_ALLOWANCE : 0),
      maxConcurrency: config.concurrency.maxDatabasesInParallel,
    });
    this.databaseBackup = new DatabaseBackup(this, 'DatabaseBackup', {
      functions: this.functions.functions,
      sourceRetention: config.retention.source,
      polling: { maxWaitSeconds: config.polling.maxWaitHours * 3600 },
      stateMachineName: names.databaseBackupStateMachine,
      mode,
      drRegions: vault.drRegions,
      drCopyMode: vault.drCopyMode,
      vaultRegion: vault.region,
      timeout: Duration.seconds(timeouts.databaseBackupSeconds),
    });
    this.backupRun = new BackupRun(this, 'BackupRun', {
      functions: this.functions.functions,
      databaseBackup: this.databaseBackup.stateMachine,
      removedDatabases: { configured: config.databases, policy: config.retention.source },
      maxConcurrency: config.concurrency.maxDatabasesInParallel,
      stateMachineName: names.backupRunStateMachine,
      timeout: Duration.seconds(timeouts.backupRunSeconds),
    });

    new WorkflowAlarms(this, 'DatabaseBackupAlarms', {
      stateMachine: this.databaseBackup.stateMachine,
      topic: this.topic.topic,
      alarmNamePrefix: names.databaseBackupStateMachine,
    });
    new WorkflowAlarms(this, 'BackupRunAlarms', {
      stateMachine: this.backupRun.stateMachine,
      topic: this.topic.topic,
      alarmNamePrefix: names.backupRunStateMachine,
    });

    this.schedule = new BackupSchedule(this, 'BackupRunSchedule', {
      stateMachine: this.backupRun.stateMachine,
      expression: config.schedule.cron,
      timeZone: config.schedule.timeZone,
      enabled: config.schedule.enabled,
      // The trigger shows in the execution input and the run report; every configured (and discovered) database.
      input: { trigger: 'schedule' },
      description: 'rds-snapshot-vault: back up all configured databases',
    });

    if (config.events.enabled) {
      this.snapshotEvents = new SnapshotEventTrigger(this, 'SnapshotEvents', {
        stateMachine: this.backupRun.stateMachine,
        ruleName: names.snapshotEventRule,
      });
    }
  }
}
