import { Stack, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { BackupRun, DatabaseBackup } from '../../statemachines';
import type { VaultConfig } from '../config/schema';
import { BackupSchedule } from '../constructs/backup-schedule';
import { SourceKey } from '../constructs/keys';
import { deploymentNames } from '../constructs/names';
import { NotificationTopic } from '../constructs/notification-topic';
import { SourceFunctions } from '../constructs/source-functions';
import { WorkflowAlarms } from '../constructs/workflow-alarms';

/** Props of {@link SourceStack}. `env` is taken from `config.source`. */
export interface SourceStackProps extends Omit<StackProps, 'env'> {
  /** The parsed configuration. */
  readonly config: VaultConfig;
}

/**
 * The production ("source") account side: the source KMS key, the seven functions, the
 * DatabaseBackup (one database) and BackupRun (all databases) workflows, their alarms, the
 * notification topic and the daily schedule. Deploy it before the vault stack: the vault role
 * trusts this stack's named roles, and IAM rejects a trust policy naming a role that does not exist.
 */
export class SourceStack extends Stack {
  readonly sourceKey: SourceKey;
  readonly topic: NotificationTopic;
  readonly functions: SourceFunctions;
  readonly databaseBackup: DatabaseBackup;
  readonly backupRun: BackupRun;
  readonly schedule: BackupSchedule;

  constructor(scope: Construct, id: string, props: SourceStackProps) {
    const { config, ...stackProps } = props;
    super(scope, id, {
      description: 'rds-snapshot-vault: copies RDS/Aurora snapshots and shares them with the vault account',
      ...stackProps,
      env: { account: config.source.accountId, region: config.source.region },
    });
    const names = deploymentNames(config.deploymentName);

    this.sourceKey = new SourceKey(this, 'SourceKey', {
      aliasName: names.sourceKeyAlias,
      vaultAccountId: config.vault.accountId,
      rdsRegions: [config.source.region, config.vault.region],
    });
    this.topic = new NotificationTopic(this, 'Notifications', { emails: config.notifications.emails });
    this.functions = new SourceFunctions(this, 'Functions', {
      deploymentName: config.deploymentName,
      databases: config.databases,
      sourceKey: this.sourceKey.key,
      topic: this.topic,
      vault: config.vault,
    });

    this.databaseBackup = new DatabaseBackup(this, 'DatabaseBackup', {
      functions: this.functions.functions,
      sourceRetention: config.retention.source,
      polling: { maxWaitSeconds: config.polling.maxWaitHours * 3600 },
      stateMachineName: names.databaseBackupStateMachine,
    });
    this.backupRun = new BackupRun(this, 'BackupRun', {
      functions: this.functions.functions,
      databaseBackup: this.databaseBackup.stateMachine,
      maxConcurrency: config.concurrency.maxDatabasesInParallel,
      stateMachineName: names.backupRunStateMachine,
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
      input: {},
      description: 'rds-snapshot-vault: back up all configured databases',
    });
  }
}
