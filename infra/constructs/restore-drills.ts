/**
 * Everything restore drills need in the primary vault stack (issue 9): the drill network (VPC,
 * DB subnet group, security groups, Secrets Manager endpoint), the evidence bucket, the six drill
 * functions with least-privilege roles, the `RestoreDrill` state machine, its alarms (failed,
 * timed out, aborted executions -> the vault topic) and its schedule.
 */
import { Duration } from 'aws-cdk-lib';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import type { DrillDatabase } from '../../contracts/drill';
import { RestoreDrill } from '../../statemachines/restore-drill';
import type { VaultConfig } from '../config/schema';
import { BackupSchedule } from './backup-schedule';
import { DrillNetwork } from './drill-network';
import { grantCleanupDrill, grantPlanDrill, grantPollRestore, grantRecordEvidence, grantStartRestore, grantValidateRestore } from './drill-permissions';
import { EvidenceBucket } from './evidence-bucket';
import { acknowledgeIam4VpcAccess } from './nag-drill';
import { VaultFunction } from './vault-function';
import { WorkflowAlarms } from './workflow-alarms';

/** Key prefix of the evidence records. */
export const EVIDENCE_PREFIX = 'drills';

/** Props of {@link RestoreDrills}. */
export interface RestoreDrillsProps {
  readonly config: VaultConfig;
  /** `config.restoreDrill`. */
  readonly drill: NonNullable<VaultConfig['restoreDrill']>;
  /** The vault topic (summary and alarms). */
  readonly topic: sns.ITopic;
  /** The vault KMS key the vault copies are encrypted with. */
  readonly vaultKey: kms.IKey;
  readonly stateMachineName: string;
  /** DB subnet group name, e.g. `<deploymentName>-drill`. */
  readonly subnetGroupName: string;
}

/** The configured databases as the drill sees them (identifier, kind, database name, checks). */
export function drillDatabasesOf(config: VaultConfig): DrillDatabase[] {
  return config.databases.map((d) => ({
    identifier: d.identifier,
    kind: d.kind,
    ...(d.drill?.databaseName ? { databaseName: d.drill.databaseName } : {}),
    checks: (d.drill?.checks ?? []).map((c) => ({ name: c.name, sql: c.sql, expect: Object.fromEntries(Object.entries(c.expect).filter(([, v]) => v !== undefined)) })),
  }));
}

/** See the module comment. */
export class RestoreDrills extends Construct {
  readonly network: DrillNetwork;
  readonly evidence: EvidenceBucket;
  readonly restoreDrill: RestoreDrill;
  readonly schedule: BackupSchedule;
  readonly functions: {
    readonly planDrill: VaultFunction<'plan-drill'>;
    readonly startRestore: VaultFunction<'start-restore'>;
    readonly pollRestore: VaultFunction<'poll-restore'>;
    readonly validateRestore: VaultFunction<'validate-restore'>;
    readonly cleanupDrill: VaultFunction<'cleanup-drill'>;
    readonly recordEvidence: VaultFunction<'record-evidence'>;
  };

  constructor(scope: Construct, id: string, props: RestoreDrillsProps) {
    super(scope, id);
    const { drill } = props;
    this.network = new DrillNetwork(this, 'Network', {
      cidr: drill.vpcCidr,
      subnetGroupName: props.subnetGroupName,
      ...(drill.availabilityZones ? { availabilityZones: drill.availabilityZones } : {}),
    });
    this.evidence = new EvidenceBucket(this, 'Evidence', { lockDays: drill.evidenceLockDays, expireDays: drill.evidenceExpireDays });

    const validateRestore = new VaultFunction(this, 'ValidateRestore', {
      name: 'validate-restore',
      environment: { DB_TLS: 'verify', NODE_EXTRA_CA_CERTS: '/var/runtime/ca-cert.pem' },
      vpc: { vpc: this.network.vpc, securityGroups: [this.network.validatorSecurityGroup] },
      timeout: Duration.minutes(5),
    });
    acknowledgeIam4VpcAccess(validateRestore.role);
    this.functions = {
      planDrill: new VaultFunction(this, 'PlanDrill', { name: 'plan-drill', environment: {} }),
      startRestore: new VaultFunction(this, 'StartRestore', { name: 'start-restore', environment: {} }),
      pollRestore: new VaultFunction(this, 'PollRestore', { name: 'poll-restore', environment: {} }),
      validateRestore,
      cleanupDrill: new VaultFunction(this, 'CleanupDrill', { name: 'cleanup-drill', environment: {} }),
      recordEvidence: new VaultFunction(this, 'RecordEvidence', { name: 'record-evidence', environment: { EVIDENCE_BUCKET: this.evidence.bucket.bucketName, EVIDENCE_PREFIX } }),
    };
    grantPlanDrill(this.functions.planDrill);
    grantStartRestore(this.functions.startRestore, props.vaultKey);
    grantPollRestore(this.functions.pollRestore);
    grantValidateRestore(validateRestore);
    grantCleanupDrill(this.functions.cleanupDrill);
    grantRecordEvidence(this.functions.recordEvidence, this.evidence.bucket, this.evidence.key, EVIDENCE_PREFIX);

    this.restoreDrill = new RestoreDrill(this, 'RestoreDrill', {
      functions: Object.fromEntries(Object.entries(this.functions).map(([k, f]) => [k, f.lambdaFunction])) as unknown as ConstructorParameters<typeof RestoreDrill>[2]['functions'],
      topic: props.topic,
      databases: drillDatabasesOf(props.config),
      settings: {
        instanceClass: drill.instanceClass,
        clusterInstanceClass: drill.clusterInstanceClass,
        maxWaitSeconds: Math.round(drill.maxWaitHours * 3600),
        subnetGroupName: props.subnetGroupName,
        securityGroupIds: [this.network.databaseSecurityGroup.securityGroupId],
      },
      ...(drill.sampleSize !== undefined ? { sampleSize: drill.sampleSize } : {}),
      maxConcurrency: drill.maxConcurrency,
      stateMachineName: props.stateMachineName,
    });
    new WorkflowAlarms(this, 'Alarms', { stateMachine: this.restoreDrill.stateMachine, topic: props.topic, alarmNamePrefix: props.stateMachineName });
    this.schedule = new BackupSchedule(this, 'Schedule', {
      stateMachine: this.restoreDrill.stateMachine,
      expression: drill.schedule.cron,
      timeZone: drill.schedule.timeZone,
      enabled: drill.schedule.enabled,
      input: {},
      description: 'rds-snapshot-vault: restore drill of the vault copies (restore, check the data, record evidence, delete)',
    });
  }
}
