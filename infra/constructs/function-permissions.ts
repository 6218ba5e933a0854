/**
 * Least-privilege IAM for each rds-snapshot-vault function: exactly the API calls its handler
 * makes, scoped to the account and Region it works in. Each grant carries the cdk-nag
 * acknowledgements for its own wildcards, with the reason.
 *
 * Actions and resource types: https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonrds.html
 * Tag conditions on DB snapshots (`rds:snapshot-tag/<key>`) and DB cluster snapshots
 * (`rds:cluster-snapshot-tag/<key>`): https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/UsingWithRDS.IAM.SpecifyingCustomTags.html
 */
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import { TAGS } from '../../functions/shared/contracts';
import { kmsKeysArn, rdsArns, rdsViaService, stackAccountRegion } from './names';
import { acknowledgeIam5, KMS_WILDCARD_ACTIONS } from './nag';
import type { NotificationTopic } from './notification-topic';
import type { VaultFunction } from './vault-function';

/**
 * The KMS actions RDS needs on a key to copy a snapshot encrypted with it (aws-rules.md rule 4).
 * Source: https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/share-encrypted-snapshot.html
 */
export const RDS_KMS_COPY_ACTIONS = [
  'kms:CreateGrant',
  'kms:DescribeKey',
  'kms:Decrypt',
  'kms:GenerateDataKey*',
  'kms:ReEncrypt*',
] as const;

/**
 * Conditions that limit a statement to snapshots tagged `rds-snapshot-vault:managed=true`, i.e.
 * the copies this tool made. RDS uses a different condition key per resource type.
 */
export function managedSnapshotCondition(kind: 'snapshot' | 'cluster-snapshot'): Record<string, Record<string, string>> {
  return { StringEquals: { [`rds:${kind}-tag/${TAGS.MANAGED}`]: 'true' } };
}

/**
 * create-copy: finds the newest automated DB (cluster) snapshot and copies it to a manual snapshot
 * encrypted with the source key (aws-rules.md rule 3), tagging the copy.
 * KMS: the source key (encrypt the copy) and, via RDS only, any key of the account (decrypt the
 * automated snapshot, usually under `aws/rds`, whose key ID is not known at synth time).
 */
export function grantCreateCopy(fn: VaultFunction<'create-copy'>, sourceKey: kms.IKey): void {
  const at = stackAccountRegion(fn);
  const arns = rdsArns(at);
  const rdsResources = [arns.snapshots, arns.clusterSnapshots, arns.instances, arns.clusters];
  fn.role.addToPolicy(
    new iam.PolicyStatement({
      sid: 'CopyAutomatedSnapshots',
      actions: [
        'rds:DescribeDBSnapshots',
        'rds:DescribeDBClusterSnapshots',
        'rds:DescribeDBInstances',
        'rds:DescribeDBClusters',
        'rds:CopyDBSnapshot',
        'rds:CopyDBClusterSnapshot',
        'rds:AddTagsToResource',
        'rds:ListTagsForResource',
      ],
      resources: rdsResources,
    }),
  );
  acknowledgeIam5(fn.role, {
    resources: rdsResources,
    reason:
      'Automated snapshot names (rds:<db>-<timestamp>) and copy names are only known at run time; ' +
      'scoped to the source account and Region, and the only write actions are copy and tag (no delete, no share).',
  });

  fn.role.addToPolicy(
    new iam.PolicyStatement({
      sid: 'EncryptCopyWithSourceKey',
      actions: [...RDS_KMS_COPY_ACTIONS],
      resources: [sourceKey.keyArn],
    }),
  );
  const accountKeys = kmsKeysArn(at);
  fn.role.addToPolicy(
    new iam.PolicyStatement({
      sid: 'ReadAutomatedSnapshotKeysViaRds',
      // Copying re-encrypts from the automated snapshot's key (aws/rds or the DB's own key): RDS
      // needs the same actions on that source key as on any copy source (aws-rules.md rule 4).
      actions: [...RDS_KMS_COPY_ACTIONS],
      resources: [accountKeys],
      conditions: { StringEquals: { 'kms:ViaService': rdsViaService(at.region) } },
    }),
  );
  acknowledgeIam5(fn.role, {
    actions: KMS_WILDCARD_ACTIONS,
    resources: [accountKeys],
    reason:
      'RDS needs GenerateDataKey*/ReEncrypt* on the source key to re-encrypt the copy (https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/share-encrypted-snapshot.html); ' +
      'the automated snapshot is encrypted with aws/rds (or the DB key) whose key ID is unknown at synth time, so key/* of this account is allowed only through RDS (kms:ViaService).',
  });
}

/**
 * poll-status: describes a copy in the source account, or assumes the vault role (with the
 * external ID) to describe the copy in the vault account.
 */
export function grantPollStatus(fn: VaultFunction<'poll-status'>, vaultRoleArn: string): void {
  const arns = rdsArns(stackAccountRegion(fn));
  const resources = [arns.snapshots, arns.clusterSnapshots, arns.instances, arns.clusters];
  fn.role.addToPolicy(
    new iam.PolicyStatement({
      sid: 'DescribeSourceSnapshots',
      actions: ['rds:DescribeDBSnapshots', 'rds:DescribeDBClusterSnapshots'],
      resources,
    }),
  );
  acknowledgeIam5(fn.role, {
    resources,
    reason: 'Read-only Describe of snapshots whose names are known only at run time, scoped to the source account and Region.',
  });
  fn.role.addToPolicy(new iam.PolicyStatement({ sid: 'AssumeVaultRole', actions: ['sts:AssumeRole'], resources: [vaultRoleArn] }));
}

/**
 * share: adds the vault account to the `restore` attribute of a manual copy. Modify is allowed
 * only on copies tagged `rds-snapshot-vault:managed=true`, so this role cannot share any other
 * snapshot of the production account.
 */
export function grantShare(fn: VaultFunction<'share'>): void {
  const arns = rdsArns(stackAccountRegion(fn));
  fn.role.addToPolicy(
    new iam.PolicyStatement({
      sid: 'ReadSnapshotAttributes',
      actions: ['rds:DescribeDBSnapshotAttributes', 'rds:DescribeDBClusterSnapshotAttributes'],
      resources: [arns.snapshots, arns.clusterSnapshots],
    }),
  );
  fn.role.addToPolicy(
    new iam.PolicyStatement({
      sid: 'ShareManagedDBSnapshots',
      actions: ['rds:ModifyDBSnapshotAttribute'],
      resources: [arns.snapshots],
      conditions: managedSnapshotCondition('snapshot'),
    }),
  );
  fn.role.addToPolicy(
    new iam.PolicyStatement({
      sid: 'ShareManagedDBClusterSnapshots',
      actions: ['rds:ModifyDBClusterSnapshotAttribute'],
      resources: [arns.clusterSnapshots],
      conditions: managedSnapshotCondition('cluster-snapshot'),
    }),
  );
  acknowledgeIam5(fn.role, {
    resources: [arns.snapshots, arns.clusterSnapshots],
    reason:
      'Copy names are known only at run time; scoped to the source account and Region, and Modify*SnapshotAttribute is further limited ' +
      `to snapshots tagged ${TAGS.MANAGED}=true (the copies this tool made).`,
  });
}

/** cross-account-copy: only assumes the vault role; the copy itself runs under that role. */
export function grantCrossAccountCopy(fn: VaultFunction<'cross-account-copy'>, vaultRoleArn: string): void {
  fn.role.addToPolicy(new iam.PolicyStatement({ sid: 'AssumeVaultRole', actions: ['sts:AssumeRole'], resources: [vaultRoleArn] }));
}

/**
 * retention-sweep: lists the managed copies of one database in its own account and Region and
 * deletes the expired ones. Delete is allowed only on snapshots tagged
 * `rds-snapshot-vault:managed=true`, so a bug cannot delete automated snapshots or anything else.
 */
export function grantRetentionSweep(fn: VaultFunction<'retention-sweep'>): void {
  const arns = rdsArns(stackAccountRegion(fn));
  const readResources = [arns.snapshots, arns.clusterSnapshots, arns.instances, arns.clusters];
  fn.role.addToPolicy(
    new iam.PolicyStatement({
      sid: 'ListSnapshots',
      actions: ['rds:DescribeDBSnapshots', 'rds:DescribeDBClusterSnapshots', 'rds:ListTagsForResource'],
      resources: readResources,
    }),
  );
  fn.role.addToPolicy(
    new iam.PolicyStatement({
      sid: 'DeleteManagedDBSnapshots',
      actions: ['rds:DeleteDBSnapshot'],
      resources: [arns.snapshots],
      conditions: managedSnapshotCondition('snapshot'),
    }),
  );
  fn.role.addToPolicy(
    new iam.PolicyStatement({
      sid: 'DeleteManagedDBClusterSnapshots',
      actions: ['rds:DeleteDBClusterSnapshot'],
      resources: [arns.clusterSnapshots],
      conditions: managedSnapshotCondition('cluster-snapshot'),
    }),
  );
  acknowledgeIam5(fn.role, {
    resources: readResources,
    reason:
      'Copy names are known only at run time; scoped to this account and Region. Delete*Snapshot is allowed only on snapshots tagged ' +
      `${TAGS.MANAGED}=true (condition keys rds:snapshot-tag / rds:cluster-snapshot-tag), never on automated or foreign snapshots.`,
  });
}

/** notify: publishes the run summary to its topic (sns:Publish plus the topic key's Decrypt/GenerateDataKey*). */
export function grantNotify(fn: VaultFunction<'notify'>, topic: NotificationTopic): void {
  topic.grantPublish(fn.role);
}
