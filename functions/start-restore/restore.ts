/**
 * start-restore domain (issue 9): the steps of a restore drill that change RDS.
 *
 * - `restore`: find the newest `available` managed vault copy of the database (recovery-points.ts)
 *   and restore it into a throwaway DB instance (RestoreDBInstanceFromDBSnapshot) or Aurora DB
 *   cluster (RestoreDBClusterFromSnapshot) in the drill DB subnet group and security group, no
 *   public access, deletion protection off, tagged `rds-snapshot-vault:drill=true`.
 * - `create-instance` (Aurora): the one DB instance of the restored DB cluster (CreateDBInstance).
 * - `set-password`: a fresh master password managed in Secrets Manager (ModifyDBInstance /
 *   ModifyDBCluster with ManageMasterUserPassword, applied immediately).
 * Re-running a step whose resource already exists (a retried Lambda) is not an error.
 * @throws NoRecoveryPoint; AWS errors by name (KMSKeyNotAccessibleFault, DBSubnetGroupNotFoundFault, AccessDenied, ...)
 * Sources: https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_RestoreDBInstanceFromDBSnapshot.html,
 * https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_RestoreDBClusterFromSnapshot.html,
 * https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_CreateDBInstance.html,
 * https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/rds-secrets-manager.html
 */
import {
  CreateDBInstanceCommand,
  ModifyDBClusterCommand,
  ModifyDBInstanceCommand,
  RestoreDBClusterFromSnapshotCommand,
  RestoreDBInstanceFromDBSnapshotCommand,
  type RDSClient,
  type Tag,
} from '@aws-sdk/client-rds';
import { DRILL_ID_TAG, DRILL_TAG, drillResourceNames, NoRecoveryPoint, type DrillDatabase, type DrillSettings, type DrillTarget } from '../../contracts/drill.js';
import { isAwsError } from '../../contracts/errors.js';
import { listRecoveryPoints, newestAvailable, recoveryPointAgeHours } from '../../functions/shared/recovery-points.js';

const drillTags = (drillId: string, database: string): Tag[] => [
  { Key: DRILL_TAG, Value: 'true' },
  { Key: DRILL_ID_TAG, Value: drillId },
  { Key: 'rds-snapshot-vault:database', Value: database },
];

/** `restore`: see the module comment. @returns the drill target */
export async function startRestore(rds: RDSClient, p: { database: DrillDatabase; settings: DrillSettings; drillId: string }, now: Date): Promise<DrillTarget> {
  const { database, settings, drillId } = p;
  const points = await listRecoveryPoints(rds, database);
  const newest = newestAvailable(points);
  if (!newest) throw new NoRecoveryPoint(database, points.length === 0 ? 'no managed copy in the vault' : `${points.length} copies, none available with a known recovery point time`);
  const names = drillResourceNames(database, drillId);
  const tags = drillTags(drillId, database.identifier);
  if (!newest.engine) throw new NoRecoveryPoint(database, `RDS reported no Engine for ${newest.arn}`);
  const engine = newest.engine;
  const common = { DBSubnetGroupName: settings.subnetGroupName, VpcSecurityGroupIds: [...settings.securityGroupIds], DeletionProtection: false, Tags: tags };
  try {
    if (database.kind === 'cluster') {
      await rds.send(new RestoreDBClusterFromSnapshotCommand({ ...common, DBClusterIdentifier: names.clusterIdentifier, SnapshotIdentifier: newest.arn, Engine: engine }));
    } else {
      await rds.send(
        new RestoreDBInstanceFromDBSnapshotCommand({ ...common, DBInstanceIdentifier: names.instanceIdentifier, DBSnapshotIdentifier: newest.arn, DBInstanceClass: settings.instanceClass, PubliclyAccessible: false, MultiAZ: false }),
      );
    }
  } catch (err) {
    if (!isAwsError(err, 'DBInstanceAlreadyExistsFault', 'DBClusterAlreadyExistsFault')) throw err;
  }
  return {
    database: { identifier: database.identifier, kind: database.kind },
    engine,
    snapshotArn: newest.arn,
    snapshotTime: newest.recoveryPointTime!,
    rpoHoursAtDrill: recoveryPointAgeHours(newest.recoveryPointTime!, now),
    restoreStartedAt: now.toISOString(),
    ...names,
  };
}

/** `create-instance`: the Aurora DB cluster's one DB instance (smallest configured class, private). */
export async function createClusterInstance(rds: RDSClient, p: { target: DrillTarget; settings: DrillSettings; drillId: string }): Promise<{ created: boolean }> {
  if (!p.target.clusterIdentifier) throw new Error('create-instance is for DB cluster drills only');
  try {
    await rds.send(
      new CreateDBInstanceCommand({
        DBInstanceIdentifier: p.target.instanceIdentifier,
        DBClusterIdentifier: p.target.clusterIdentifier,
        Engine: p.target.engine,
        DBInstanceClass: p.settings.clusterInstanceClass,
        PubliclyAccessible: false,
        Tags: drillTags(p.drillId, p.target.database.identifier),
      }),
    );
    return { created: true };
  } catch (err) {
    if (isAwsError(err, 'DBInstanceAlreadyExistsFault')) return { created: false };
    throw err;
  }
}

/** `set-password`: a fresh master password managed by RDS in Secrets Manager. */
export async function setMasterPassword(rds: RDSClient, target: DrillTarget): Promise<{ secretArn?: string }> {
  if (target.clusterIdentifier) {
    const out = await rds.send(new ModifyDBClusterCommand({ DBClusterIdentifier: target.clusterIdentifier, ManageMasterUserPassword: true, ApplyImmediately: true }));
    return { ...(out.DBCluster?.MasterUserSecret?.SecretArn ? { secretArn: out.DBCluster.MasterUserSecret.SecretArn } : {}) };
  }
  const out = await rds.send(new ModifyDBInstanceCommand({ DBInstanceIdentifier: target.instanceIdentifier, ManageMasterUserPassword: true, ApplyImmediately: true }));
  return { ...(out.DBInstance?.MasterUserSecret?.SecretArn ? { secretArn: out.DBInstance.MasterUserSecret.SecretArn } : {}) };
}
