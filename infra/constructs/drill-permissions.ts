/**
 * Least-privilege grants of the restore-drill functions (issue 9), vault account. Every change to a
 * DB instance or DB cluster is limited to drill resources: created only with the request tag
 * `rds-snapshot-vault:drill=true` and an identifier `rsv-drill-*`; modified and deleted only when
 * they carry that tag (and that name). The vault copies can be read and restored, never changed.
 * Source: https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonrds.html
 * (RestoreDBInstanceFromDBSnapshot: db, snapshot, subgrp, og, pg, secgrp; aws:RequestTag;
 * aws:ResourceTag on Modify/Delete), https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/rds-secrets-manager.html
 */
import { Stack, type CfnElement } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import { partitionOf } from '../config/schema';
import { DRILL_IDENTIFIER_PREFIX, DRILL_TAG } from '../../contracts/drill';
import { acknowledgeIam5 } from './nag';
import { rdsArns, rdsViaService, stackAccountRegion } from './names';
import type { VaultFunction } from './vault-function';

const requestTagged = { StringEquals: { [`aws:RequestTag/${DRILL_TAG}`]: 'true' } };
const resourceTagged = { StringEquals: { [`aws:ResourceTag/${DRILL_TAG}`]: 'true' } };

function drillArns(fn: VaultFunction) {
  const at = stackAccountRegion(fn);
  const arns = rdsArns(at);
  const prefix = `arn:${partitionOf(at.region)}:rds:${at.region}:${at.accountId}`;
  return {
    at,
    arns,
    drillInstances: `${prefix}:db:${DRILL_IDENTIFIER_PREFIX}*`,
    drillClusters: `${prefix}:cluster:${DRILL_IDENTIFIER_PREFIX}*`,
    subnetGroups: `${prefix}:subgrp:*`,
    optionGroups: `${prefix}:og:*`,
    parameterGroups: `${prefix}:pg:*`,
    clusterParameterGroups: `${prefix}:cluster-pg:*`,
    rdsSecrets: `arn:${partitionOf(at.region)}:secretsmanager:${at.region}:${at.accountId}:secret:rds!*`,
  };
}

/**
 * start-restore: read the vault copies; restore them and add the one Aurora DB instance only as
 * drill-tagged `rsv-drill-*` resources; set the managed master password of drill resources; use the
 * vault KMS key through RDS only.
 */
export function grantStartRestore(fn: VaultFunction<'start-restore'>, vaultKey: kms.IKey): void {
  const a = drillArns(fn);
  fn.role.addToPolicy(new iam.PolicyStatement({ sid: 'ReadVaultCopies', actions: ['rds:DescribeDBSnapshots', 'rds:DescribeDBClusterSnapshots'], resources: [a.arns.snapshots, a.arns.clusterSnapshots, a.arns.instances, a.arns.clusters] }));
  fn.role.addToPolicy(
    new iam.PolicyStatement({
      sid: 'RestoreIntoDrillResources',
      actions: ['rds:RestoreDBInstanceFromDBSnapshot', 'rds:RestoreDBClusterFromSnapshot', 'rds:CreateDBInstance', 'rds:AddTagsToResource'],
      resources: [a.drillInstances, a.drillClusters],
      conditions: requestTagged,
    }),
  );
  fn.role.addToPolicy(
    new iam.PolicyStatement({
      sid: 'RestoreFromVaultCopies',
      actions: ['rds:RestoreDBInstanceFromDBSnapshot', 'rds:RestoreDBClusterFromSnapshot'],
      resources: [a.arns.snapshots, a.arns.clusterSnapshots, a.subnetGroups, a.optionGroups, a.parameterGroups, a.clusterParameterGroups],
    }),
  );
  // CreateDBInstance authorizes on the DB cluster the instance joins too (resource type `cluster`).
  fn.role.addToPolicy(new iam.PolicyStatement({ sid: 'AddInstanceToDrillCluster', actions: ['rds:CreateDBInstance'], resources: [a.drillClusters, a.subnetGroups, a.optionGroups, a.parameterGroups]}));
  fn.role.addToPolicy(
    new iam.PolicyStatement({ sid: 'ManageDrillMasterPassword', actions: ['rds:ModifyDBInstance', 'rds:ModifyDBCluster'], resources: [a.drillInstances, a.drillClusters], conditions: resourceTagged }),
  );
  fn.role.addToPolicy(new iam.PolicyStatement({ sid: 'CreateManagedSecret', actions: ['secretsmanager:CreateSecret', 'secretsmanager:TagResource'], resources: [a.rdsSecrets] }));
  fn.role.addToPolicy(
    new iam.PolicyStatement({
      sid: 'UseVaultKeyThroughRds',
      actions: ['kms:Decrypt', 'kms:DescribeKey', 'kms:CreateGrant', 'kms:ReEncryptFrom', 'kms:GenerateDataKeyWithoutPlaintext'],
      resources: [vaultKey.keyArn],
      conditions: { StringEquals: { 'kms:ViaService': rdsViaService(a.at.region) } },
    }),
  );
  acknowledgeIam5(fn.role, {
    resources: [a.arns.snapshots, a.arns.clusterSnapshots, a.arns.instances, a.arns.clusters, a.drillInstances, a.drillClusters, a.subnetGroups, a.optionGroups, a.parameterGroups, a.clusterParameterGroups, a.rdsSecrets],
    reason:
      'Vault copy and drill resource names are known only at run time; scoped to this account and Region. Creating and modifying DB instances/clusters ' +
      `is allowed only for ${DRILL_IDENTIFIER_PREFIX}* identifiers with the ${DRILL_TAG}=true request/resource tag; secrets only the RDS-managed rds!* ones.`,
  });
}

/**
 * plan-drill: list the managed copies (DB snapshots, DB cluster snapshots) of this account and
 * Region and read their tags, to find the databases with vault copies that are not configured
 * (functions/retention-sweep/inventory.ts, as retention-sweep is granted in function-permissions.ts).
 */
export function grantPlanDrill(fn: VaultFunction<'plan-drill'>): void {
  const a = drillArns(fn);
  // Describe*Snapshots authorizes on the db / cluster ARN too (as for retention-sweep and check-recovery-points).
  const resources = [a.arns.snapshots, a.arns.clusterSnapshots, a.arns.instances, a.arns.clusters];
  fn.role.addToPolicy(new iam.PolicyStatement({ sid: 'ListManagedCopies', actions: ['rds:DescribeDBSnapshots', 'rds:DescribeDBClusterSnapshots', 'rds:ListTagsForResource'], resources }));
  acknowledgeIam5(fn.role, { resources, reason: 'Read-only listing of the managed vault copies and their tags; database names are known only at run time; this account and Region.' });
}

/** poll-restore: describe DB instances and DB clusters of this account and Region. */
export function grantPollRestore(fn: VaultFunction<'poll-restore'>): void {
  const a = drillArns(fn);
  fn.role.addToPolicy(new iam.PolicyStatement({ sid: 'DescribeDrillResources', actions: ['rds:DescribeDBInstances', 'rds:DescribeDBClusters'], resources: [a.arns.instances, a.arns.clusters] }));
  acknowledgeIam5(fn.role, { resources: [a.arns.instances, a.arns.clusters], reason: 'Describe only; drill resource names are known only at run time; this account and Region.' });
}

/** validate-restore: read the RDS-managed master user secrets (only drill databases exist in the vault). */
export function grantValidateRestore(fn: VaultFunction<'validate-restore'>): void {
  const a = drillArns(fn);
  fn.role.addToPolicy(new iam.PolicyStatement({ sid: 'ReadDrillMasterSecret', actions: ['secretsmanager:GetSecretValue'], resources: [a.rdsSecrets] }));
  acknowledgeIam5(fn.role, { resources: [a.rdsSecrets], reason: 'RDS names its managed secrets rds!db-<uuid> / rds!cluster-<uuid> at run time; read-only, this account and Region.' });
}

/** cleanup-drill: list DB instances/clusters; delete only drill-tagged `rsv-drill-*` ones. */
export function grantCleanupDrill(fn: VaultFunction<'cleanup-drill'>): void {
  const a = drillArns(fn);
  fn.role.addToPolicy(new iam.PolicyStatement({ sid: 'ListDrillResources', actions: ['rds:DescribeDBInstances', 'rds:DescribeDBClusters'], resources: [a.arns.instances, a.arns.clusters] }));
  fn.role.addToPolicy(new iam.PolicyStatement({ sid: 'DeleteDrillResources', actions: ['rds:DeleteDBInstance', 'rds:DeleteDBCluster'], resources: [a.drillInstances, a.drillClusters], conditions: resourceTagged }));
  acknowledgeIam5(fn.role, {
    resources: [a.arns.instances, a.arns.clusters, a.drillInstances, a.drillClusters],
    reason: `Deletes only ${DRILL_IDENTIFIER_PREFIX}* DB instances/clusters tagged ${DRILL_TAG}=true (never a vault copy: no snapshot action is granted).`,
  });
}

/** record-evidence: put objects under the prefix of the evidence bucket (and use its key to encrypt). */
export function grantRecordEvidence(fn: VaultFunction<'record-evidence'>, bucket: s3.IBucket, key: kms.IKey, prefix: string): void {
  fn.role.addToPolicy(new iam.PolicyStatement({ sid: 'WriteEvidence', actions: ['s3:PutObject'], resources: [bucket.arnForObjects(`${prefix}/*`)] }));
  fn.role.addToPolicy(new iam.PolicyStatement({ sid: 'EncryptEvidence', actions: ['kms:GenerateDataKey', 'kms:Decrypt'], resources: [key.keyArn] }));
  const bucketId = Stack.of(bucket).getLogicalId(bucket.node.defaultChild as CfnElement);
  acknowledgeIam5(fn.role, { resources: [`<${bucketId}.Arn>/${prefix}/*`], reason: 'Records are keyed by database and drill at run time; write-only under the evidence prefix of this one bucket.' });
}

/** check-recovery-points: list the managed copies (DB snapshots, DB cluster snapshots) of this account and Region. */
export function grantCheckRecoveryPoints(fn: VaultFunction<'check-recovery-points'>): void {
  const a = drillArns(fn);
  // Describe*Snapshots by DBInstanceIdentifier / DBClusterIdentifier authorizes on the db / cluster ARN too.
  const resources = [a.arns.snapshots, a.arns.clusterSnapshots, a.arns.instances, a.arns.clusters];
  fn.role.addToPolicy(new iam.PolicyStatement({ sid: 'ListCopies', actions: ['rds:DescribeDBSnapshots', 'rds:DescribeDBClusterSnapshots'], resources }));
  acknowledgeIam5(fn.role, { resources, reason: 'Read-only listing of the copies of the configured databases; names known only at run time; this account and Region.' });
}
