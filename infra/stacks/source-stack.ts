import { Duration, Stack, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { BackupRun, DailyDigest, DatabaseBackup } from '../../statemachines';
import { copySlotLeaseSeconds, DEFAULT_MAX_POLLS, DISCOVERED_DATABASES_ALLOWANCE, EXPORT_MAX_POLLS, workflowTimeouts } from '../../statemachines/timeouts';
import { exportsEnabled, type VaultConfig, vaultModeOf } from '../config/schema';
import { BackupSchedule } from '../constructs/backup-schedule';
import { copyDestinationsOf, SourceDashboard } from '../constructs/dashboard';
import { CopySlotTable } from '../constructs/copy-slot-table';
import { ExportStorage } from '../constructs/export-storage';
import { SourceKey } from '../constructs/keys';
import { deploymentNames } from '../constructs/names';
import { NotificationTopic } from '../constructs/notification-topic';
import { RunLedger } from '../constructs/run-ledger';
import { SnapshotEventTrigger } from '../constructs/snapshot-event-trigger';
import { SourceFunctions } from '../constructs/source-functions';
import { WorkflowAlarms } from '../constructs/workflow-alarms';
import { mapConcurrencySettings } from '../../statemachines/map-concurrency';

/** When the daily digest of event runs is sent (issue 12): 00:30 UTC, for the UTC day that just ended. */
export const DAILY_DIGEST_SCHEDULE = 'cron(30 0 * * ? *)';

/** Props of {@link SourceStack}. `env` is taken from `config.source`. */
export interface SourceStackProps extends Omit<StackProps, 'env'> {
  /** The parsed configuration. */
  readonly config: VaultConfig;
}

/**
 * The production ("source") account side: the source KMS key, the functions, the DatabaseBackup
 * (one database) and BackupRun (all databases) workflows, their alarms, the notification topic,
 * the copy slot table (the one concurrency authority for copies and export tasks, issue 12),
 * the daily schedule, the EventBridge rule on automated snapshot events (`events.enabled`) and,
 * when some database (or discovery) exports, the S3 export storage (bucket, key, export role,
 * optional Glue catalog) with the export-to-s3 and poll-export functions; the run ledger bucket
 * (issue 12: one record per database per run, written by record-result, read by notify) and, with
 * `events.enabled`, the DailyDigest workflow with its 00:30 UTC schedule and send-digest.
 *
 * Cross-account mode: deploy it before the vault stacks: the vault role trusts this stack's named
 * roles, and IAM rejects a trust policy naming a role that does not exist. Same-account mode: the
 * share function and the vault role do not exist; cross-account-copy copies into the vault Regions
 * of this account with its own role.
 */
export class SourceStack extends Stack {
  readonly sourceKey: SourceKey;
  readonly topic: NotificationTopic;
  /** Issue 12: one record per database per run (functions/shared/ledger.ts). */
  readonly ledger: RunLedger;
  readonly functions: SourceFunctions;
  readonly databaseBackup: DatabaseBackup;
  readonly backupRun: BackupRun;
  readonly schedule: BackupSchedule;
  /** The copy slot table (issue 12). */
  readonly copySlots: CopySlotTable;
  /** Present when some database or discovery exports to S3. */
  readonly exportStorage?: ExportStorage;
  /** Present when `events.enabled`. */
  readonly snapshotEvents?: SnapshotEventTrigger;
  /** Issue 10: runs, failures, copies in flight, and every alarm of this stack. */
  readonly dashboard: SourceDashboard;
  /** Issue 12, present when `events.enabled`: the daily digest of event-started runs and its schedule. */
  readonly dailyDigest?: DailyDigest;
  readonly dailyDigestSchedule?: BackupSchedule;

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
    this.ledger = new RunLedger(this, 'RunLedger');

    if (exportsEnabled(config)) {
      const exportConfig = config.export ?? { prefix: 'exports', lifecycle: {}, glueCatalog: false };
      this.exportStorage = new ExportStorage(this, 'Exports', {
        prefix: exportConfig.prefix,
        lifecycle: exportConfig.lifecycle,
        catalog: exportConfig.glueCatalog ? { databaseName: names.glueDatabase, crawlerName: names.exportCrawler } : undefined,
      });
    }

    // Issue 12: the one concurrency authority for copies and export tasks across every execution.
    const slots = config.concurrency.copySlots;
    this.copySlots = new CopySlotTable(this, 'CopySlots', {
      tableName: names.copySlotTable,
      limits: { instance: slots.dbSnapshotCopies, cluster: slots.dbClusterSnapshotCopies, export: slots.exportTasks },
      leaseSeconds: copySlotLeaseSeconds(config.polling.maxWaitHours * 3600),
    });

    // Issue 12: the bounds of BackupRun's Map concurrency; plan-run chooses each run's within them.
    const mapConcurrency = mapConcurrencySettings({
      maxDatabasesInParallel: config.concurrency.maxDatabasesInParallel,
      slots: { instance: slots.dbSnapshotCopies, cluster: slots.dbClusterSnapshotCopies },
      drRegions: vault.drRegions.length,
      drCopyMode: vault.drCopyMode,
    });
    this.functions = new SourceFunctions(this, 'Functions', {
      deploymentName: config.deploymentName,
      databases: config.databases,
      discovery: config.discovery,
      sourceRetention: config.retention.source,
      sourceKey: this.sourceKey.key,
      topic: this.topic,
      ledger: this.ledger,
      vault: { accountId: vault.accountId, region: vault.region, externalId: vault.externalId, drRegions: vault.drRegions },
      exportStorage: this.exportStorage,
      rpoHours: config.rpoHours,
      copySlots: this.copySlots,
      mapConcurrency,
      dailyDigest: config.events.enabled,
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
      // The fewest children the Map runs while that many databases are left (plan-run never goes below it).
      maxConcurrency: mapConcurrency.min,
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
      removedDatabases: { policy: config.retention.source },
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
      // Issue 12: event runs publish only failures; the rest goes into one digest a day.
      this.dailyDigest = new DailyDigest(this, 'DailyDigest', { sendDigest: this.functions.sendDigest!.lambdaFunction, stateMachineName: names.dailyDigestStateMachine });
      new WorkflowAlarms(this, 'DailyDigestAlarms', {
        stateMachine: this.dailyDigest.stateMachine,
        topic: this.topic.topic,
        alarmNamePrefix: names.dailyDigestStateMachine,
      });
      this.dailyDigestSchedule = new BackupSchedule(this, 'DailyDigestSchedule', {
        stateMachine: this.dailyDigest.stateMachine,
        // 00:30 UTC: the day just ended (send-digest's default day is the UTC day before the start).
        expression: DAILY_DIGEST_SCHEDULE,
        timeZone: 'UTC',
        description: 'rds-snapshot-vault: the daily digest of backups started by RDS snapshot events',
      });
    }

    // Issue 10: the operations dashboard; it lists every alarm of this stack (collected at synth).
    this.dashboard = new SourceDashboard(this, 'Dashboard', {
      deploymentName: config.deploymentName,
      backupRun: this.backupRun.stateMachine,
      databaseBackup: this.databaseBackup.stateMachine,
      dailyDigest: this.dailyDigest?.stateMachine,
      copyDestinations: copyDestinationsOf(config),
    });
  }
}
