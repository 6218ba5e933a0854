import { Stack, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { VaultRetention } from '../../statemachines';
import { type VaultConfig, vaultAccountIdOf } from '../config/schema';
import { BackupSchedule } from '../constructs/backup-schedule';
import { VaultDashboard } from '../constructs/dashboard';
import { grantRetentionSweep } from '../constructs/function-permissions';
import { VaultKey } from '../constructs/keys';
import { deploymentNames, roleArn } from '../constructs/names';
import { NotificationTopic } from '../constructs/notification-topic';
import { VaultCopyRole } from '../constructs/vault-copy-role';
import { VaultFunction } from '../constructs/vault-function';
import { VaultGuard } from '../constructs/vault-guard';
import { WorkflowAlarms } from '../constructs/workflow-alarms';
import { RestoreDrills } from '../constructs/restore-drills';
import { RecoveryPointAlarms } from '../constructs/recovery-point-alarms';
import { grantCheckRecoveryPoints } from '../constructs/drill-permissions';

/** Props of {@link VaultStack}. `env` is the vault account (the source account in same-account mode) and `region`. */
export interface VaultStackProps extends Omit<StackProps, 'env'> {
  /** The parsed configuration. */
  readonly config: VaultConfig;
  /**
   * The vault Region this stack serves: `config.vault.region` (the primary vault stack) or one of
   * `config.vault.drRegions` (a DR vault stack).
   * @default config.vault.region
   */
  readonly region?: string;
}

/**
 * The vault side in one Region: the vault KMS key (alias `alias/<deploymentName>`, the same in every
 * vault Region) and the vault's own retention there (retention-sweep function, VaultRetention
 * workflow, its schedule, topic and alarms), so that nothing in the production account can delete
 * a vault copy. The primary stack (`config.vault.region`) of a cross-account deployment also owns
 * the copy-only role the source functions assume; IAM is global, so that one role covers the vault
 * Region and every DR Region.
 *
 * Same-account mode (no `vault.accountId`): the same stacks are deployed into the SOURCE account
 * (vault Region and DR Regions) and there is no copy role. The copies then only survive the loss of
 * the source Region, not a production administrator: anyone with admin rights in that account can
 * delete them (docs/security.md).
 *
 * Termination protection is on; the KMS key is retained. Cross-account: deploy after the source stack.
 */
export class VaultStack extends Stack {
  readonly vaultKey: VaultKey;
  /** The copy role: primary vault stack of a cross-account deployment only. */
  readonly vaultCopyRole?: VaultCopyRole;
  readonly topic: NotificationTopic;
  readonly retentionSweep: VaultFunction<'retention-sweep'>;
  /** Issue 9: recovery point age per database (first step of VaultRetention). */
  readonly checkRecoveryPoints: VaultFunction<'check-recovery-points'>;
  readonly vaultRetention: VaultRetention;
  /** EventBridge tripwires on key tampering and on deleting or sharing vault copies. */
  readonly guard: VaultGuard;
  readonly schedule: BackupSchedule;
  /** The vault Region this stack serves. */
  readonly vaultRegion: string;
  /** true for the stack in `config.vault.region`. */
  readonly isPrimary: boolean;
  /** Issue 9: the drill VPC's AZs, so that `cdk synth` never looks AZs up (it runs offline). */
  private drillAvailabilityZones?: string[];
  /** Restore drills (issue 9): primary vault stack only, when `restoreDrill` is configured. */
  readonly restoreDrills?: RestoreDrills;
  /** Issue 10: recovery point age, vault retention, drills, and every alarm of this stack. */
  readonly dashboard: VaultDashboard;

  constructor(scope: Construct, id: string, props: VaultStackProps) {
    const { config, region: requested, ...stackProps } = props;
    const region = requested ?? config.vault.region;
    const isPrimary = region === config.vault.region;
    if (!isPrimary && !config.vault.drRegions.includes(region)) {
      throw new Error(`VaultStack: Region ${region} is neither vault.region (${config.vault.region}) nor one of vault.drRegions`);
    }
    super(scope, id, {
      description: isPrimary
        ? 'rds-snapshot-vault: the vault that keeps copies of RDS/Aurora snapshots (primary vault Region)'
        : `rds-snapshot-vault: the vault that keeps DR copies of RDS/Aurora snapshots in ${region}`,
      terminationProtection: true,
      ...stackProps,
      env: { account: vaultAccountIdOf(config), region },
    });
    this.vaultRegion = region;
    this.isPrimary = isPrimary;
    const names = deploymentNames(config.deploymentName);

    this.vaultKey = new VaultKey(this, 'VaultKey', {
      aliasName: names.vaultKeyAlias,
      breakGlassRoleArn: roleArn({ accountId: vaultAccountIdOf(config), region }, config.vault.breakGlassRoleName ?? names.breakGlassRole),
    });
    if (isPrimary && config.vault.accountId !== undefined && config.vault.externalId !== undefined) {
      this.vaultCopyRole = new VaultCopyRole(this, 'VaultCopyRole', {
        roleName: names.vaultCopyRole,
        trustedRoleArns: [
          roleArn(config.source, names.crossAccountCopyRole),
          roleArn(config.source, names.pollStatusRole),
        ],
        externalId: config.vault.externalId,
        source: config.source,
        vaultKey: this.vaultKey.key,
        drRegions: config.vault.drRegions,
        vaultKeyAlias: names.vaultKeyAlias,
        drCopyMode: config.vault.drCopyMode,
      });
    }

    this.topic = new NotificationTopic(this, 'Notifications', { emails: config.notifications.emails });
    this.retentionSweep = new VaultFunction(this, 'RetentionSweep', { name: 'retention-sweep', environment: {} });
    grantRetentionSweep(this.retentionSweep);
    this.guard = new VaultGuard(this, 'VaultGuard', { topic: this.topic, retentionRoleArn: this.retentionSweep.role.roleArn });

    // Issue 9: recovery point age of every configured database in this vault Region.
    const objectives = config.databases.map((d) => ({ identifier: d.identifier, kind: d.kind, rpoHours: d.rpoHours ?? config.rpoHours }));
    this.checkRecoveryPoints = new VaultFunction(this, 'CheckRecoveryPoints', { name: 'check-recovery-points', environment: {} });
    grantCheckRecoveryPoints(this.checkRecoveryPoints);
    new RecoveryPointAlarms(this, 'RecoveryPointAlarms', { objectives, region, topic: this.topic.topic, alarmNamePrefix: config.deploymentName });

    this.vaultRetention = new VaultRetention(this, 'VaultRetention', {
      recoveryPoints: { fn: this.checkRecoveryPoints.lambdaFunction, objectives },
      retentionSweep: this.retentionSweep.lambdaFunction,
      topic: this.topic.topic,
      databases: config.databases,
      policy: config.retention.vault,
      provenanceAccounts: [config.source.accountId, vaultAccountIdOf(config)],
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
      description: `rds-snapshot-vault: apply the vault retention policy to all configured databases (${region})`,
    });

    if (isPrimary && config.restoreDrill) {
      this.drillAvailabilityZones = [...(config.restoreDrill.availabilityZones ?? [`${region}a`, `${region}b`])];
      this.restoreDrills = new RestoreDrills(this, 'RestoreDrills', {
        config,
        drill: config.restoreDrill,
        topic: this.topic.topic,
        vaultKey: this.vaultKey.key,
        stateMachineName: names.restoreDrillStateMachine,
        subnetGroupName: names.drillSubnetGroup,
      });
    }

    // Issue 10: the operations dashboard of this vault Region; it lists every alarm of this stack (collected at synth).
    this.dashboard = new VaultDashboard(this, 'Dashboard', {
      deploymentName: config.deploymentName,
      region,
      vaultRetention: this.vaultRetention.stateMachine,
      objectives,
      ...(this.restoreDrills ? { restoreDrill: this.restoreDrills.restoreDrill.stateMachine } : {}),
    });
  }

  /**
   * The configured drill AZs instead of a context lookup (which needs credentials).
   * Source: https://docs.aws.amazon.com/cdk/api/v2/docs/aws-cdk-lib.Stack.html#availabilityzones
   */
  override get availabilityZones(): string[] {
    return this.drillAvailabilityZones ?? super.availabilityZones;
  }
}
