import { Stack, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { VaultRetention } from '../../statemachines';
import type { VaultConfig } from '../config/schema';
import { BackupSchedule } from '../constructs/backup-schedule';
import { grantRetentionSweep } from '../constructs/function-permissions';
import { VaultKey } from '../constructs/keys';
import { deploymentNames, roleArn } from '../constructs/names';
import { NotificationTopic } from '../constructs/notification-topic';
import { VaultCopyRole } from '../constructs/vault-copy-role';
import { VaultFunction } from '../constructs/vault-function';
import { WorkflowAlarms } from '../constructs/workflow-alarms';

/** Props of {@link VaultStack}. `env` is taken from `config.vault`. */
export interface VaultStackProps extends Omit<StackProps, 'env'> {
  /** The parsed configuration. */
  readonly config: VaultConfig;
}

/**
 * The vault account side: the vault KMS key, the copy-only role the source functions assume, and
 * the vault's own retention (retention-sweep function, VaultRetention workflow, its schedule,
 * topic and alarms) so that nothing in the production account can delete a vault copy.
 * Termination protection is on; the KMS key is retained. Deploy after the source stack.
 */
export class VaultStack extends Stack {
  readonly vaultKey: VaultKey;
  readonly vaultCopyRole: VaultCopyRole;
  readonly topic: NotificationTopic;
  readonly retentionSweep: VaultFunction<'retention-sweep'>;
  readonly vaultRetention: VaultRetention;
  readonly schedule: BackupSchedule;

  constructor(scope: Construct, id: string, props: VaultStackProps) {
    const { config, ...stackProps } = props;
    super(scope, id, {
      description: 'rds-snapshot-vault: the vault account that keeps copies of RDS/Aurora snapshots',
      terminationProtection: true,
      ...stackProps,
      env: { account: config.vault.accountId, region: config.vault.region },
    });
    const names = deploymentNames(config.deploymentName);

    this.vaultKey = new VaultKey(this, 'VaultKey', { aliasName: names.vaultKeyAlias });
    this.vaultCopyRole = new VaultCopyRole(this, 'VaultCopyRole', {
      roleName: names.vaultCopyRole,
      trustedRoleArns: [
        roleArn(config.source, names.crossAccountCopyRole),
        roleArn(config.source, names.pollStatusRole),
      ],
      externalId: config.vault.externalId,
      source: config.source,
      vaultKey: this.vaultKey.key,
    });

    this.topic = new NotificationTopic(this, 'Notifications', { emails: config.notifications.emails });
    this.retentionSweep = new VaultFunction(this, 'RetentionSweep', { name: 'retention-sweep', environment: {} });
    grantRetentionSweep(this.retentionSweep);

    this.vaultRetention = new VaultRetention(this, 'VaultRetention', {
      retentionSweep: this.retentionSweep.lambdaFunction,
      topic: this.topic.topic,
      databases: config.databases,
      policy: config.retention.vault,
      stateMachineName: names.vaultRetentionStateMachine,
    });
    new WorkflowAlarms(this, 'VaultRetentionAlarms', {
      stateMachine: this.vaultRetention.stateMachine,
      topic: this.topic.topic,
      alarmNamePrefix: names.vaultRetentionStateMachine,
    });
    this.schedule = new BackupSchedule(this, 'VaultRetentionSchedule', {
      stateMachine: this.vaultRetention.stateMachine,
      expression: config.vaultRetentionSchedule.cron,
      timeZone: config.vaultRetentionSchedule.timeZone,
      enabled: config.vaultRetentionSchedule.enabled,
      input: {},
      description: 'rds-snapshot-vault: apply the vault retention policy to all configured databases',
    });
  }
}
