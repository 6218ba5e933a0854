/**
 * Least-privilege IAM for each rds-snapshot-vault function: exactly the API calls its handler
 * makes, scoped to the account and Region it works in. Each grant carries the cdk-nag
 * acknowledgements for its own wildcards, with the reason.
 *
 * Actions and resource types: https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonrds.html
 * Tag conditions on DB snapshots (`rds:snapshot-tag/<key>`) and DB cluster snapshots
 * (`rds:cluster-snapshot-tag/<key>`): https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/UsingWithRDS.IAM.SpecifyingCustomTags.html
 */
import { type CfnElement, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import { COPY_IDENTIFIER_PREFIX, DAILY_PREFIX, PLANS_PREFIX, RUNS_PREFIX } from '../../contracts/names';
import type * as kms from 'aws-cdk-lib/aws-kms';
import { TAGS } from '../../contracts/shapes';
import type { ExportStorage } from './export-storage';
import { partitionOf } from '../config/schema';
import { kmsKeysArn, rdsArns, rdsViaService, stackAccountRegion } from './names';
import { acknowledgeIam5, KMS_WILDCARD_ACTIONS } from './nag';
import { ASSUME_VAULT_ROLE_ACTIONS, ASSUME_VAULT_ROLE_SID, DESCRIBE_SNAPSHOT_ACTIONS, vaultCopyStatements } from '../../contracts/vault-access';
import type { NotificationTopic } from './notification-topic';
import type { VaultFunction } from './vault-function';

/**
 * How a source function reaches the vault copies: through the vault role (cross-account mode) or
 * with its own credentials in other Regions of its own account (same-account mode).
 */
export type VaultAccess =
  | { readonly mode: 'cross-account'; readonly vaultRoleArn: string }
  | {
      readonly mode: 'same-account';
      /** Every Region that keeps vault copies (vault.region, then the DR Regions). */
      readonly vaultRegions: readonly string[];
      /** The vault key alias in each of those Regions, `alias/<deploymentName>`. */
      readonly vaultKeyAlias: string;
    };

/**
 * plan-run: resolves event-triggered snapshots to their database (describe the snapshot) and, with
 * tag discovery, lists DB instances and DB clusters and reads their tags. Read-only, scoped to the
 * source account and Region.
 */
export function grantPlanRun(fn: VaultFunction<'plan-run'>, ledger: s3.IBucket): void {
  // Issue 12: writes the run's plan to the run ledger and reads one item back per database (its
  // second mode), under the plans/ prefix only: no list, no records.
  fn.role.addToPolicy(new iam.PolicyStatement({ sid: 'WriteAndReadLedgerPlans', actions: ['s3:PutObject', 's3:GetObject'], resources: [ledger.arnForObjects(`${PLANS_PREFIX}*`)] }));
  acknowledgeIam5(fn.role, { resources: [`<${logicalIdOf(ledger)}.Arn>/${PLANS_PREFIX}*`], reason: 'The plan of a run is keyed by run at run time, under the plans/ prefix of the one ledger bucket.' });
  const at = stackAccountRegion(fn);
  const arns = rdsArns(at);
  // Option groups of DB instances (plan-time check for permanent/persistent options, docs/aws-behaviour.md §15a).
  const optionGroups = `arn:${partitionOf(at.region)}:rds:${at.region}:${at.accountId}:og:*`;
  const resources = [arns.instances, arns.clusters, arns.snapshots, arns.clusterSnapshots];
  fn.role.addToPolicy(new iam.PolicyStatement({ sid: 'DescribeOptionGroups', actions: ['rds:DescribeOptionGroups'], resources: [optionGroups] }));
  acknowledgeIam5(fn.role, { resources: [optionGroups], reason: 'Read-only: the option group of a DB instance is known only at run time.' });
  fn.role.addToPolicy(
    new iam.PolicyStatement({
      sid: 'DescribeDatabasesAndSnapshots',
      actions: [
        'rds:DescribeDBInstances',
        'rds:DescribeDBClusters',
        'rds:DescribeDBSnapshots',
        'rds:DescribeDBClusterSnapshots',
        'rds:ListTagsForResource',
      ],
      resources,
    }),
  );
  acknowledgeIam5(fn.role, {
    resources,
    reason:
      'Read-only: tag discovery lists every DB instance and DB cluster of the source account and Region, and an event names a snapshot known only at run time; ' +
      'no write action is granted.',
  });
  // Manual snapshot quotas (issue 12): rds:DescribeAccountAttributes has no resource type, so `*`
  // is the only resource it takes (Service Authorization Reference, Amazon RDS).
  fn.role.addToPolicy(new iam.PolicyStatement({ sid: 'DescribeAccountQuotas', actions: ['rds:DescribeAccountAttributes'], resources: ['*'] }));
  // Its AwsSolutions-IAM5[Resource::*] finding is the one VaultFunction acknowledges for X-Ray (same id, one
  // acknowledgement per role; its reason names this action too).
}

/**
 * The KMS actions RDS needs on a key to copy a snapshot encrypted with it (docs/aws-behaviour.md §4).
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

/** Every tag key rds-snapshot-vault sets (contracts/shapes.ts `TAGS`). */
export const PROJECT_TAG_KEYS: readonly string[] = Object.values(TAGS);

/**
 * Conditions for an `rds:AddTagsToResource` statement: every tag key of the request is one of
 * {@link PROJECT_TAG_KEYS} (`ForAllValues:StringEquals` on `aws:TagKeys`), and the request carries
 * tags at all (`Null: aws:TagKeys = false`; ForAllValues alone holds when the key is absent).
 * Source: https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-single-vs-multi-valued-context-keys.html
 */
export function projectTagKeysCondition(): Record<string, Record<string, string | string[]>> {
  return { 'ForAllValues:StringEquals': { 'aws:TagKeys': [...PROJECT_TAG_KEYS] }, Null: { 'aws:TagKeys': 'false' } };
}

/** ARNs of this tool's copies (`rsv-*` DB snapshots and DB cluster snapshots) among `arns`. */
export function ownCopyArns(arns: { snapshots: string; clusterSnapshots: string }): { snapshots: string; clusterSnapshots: string } {
  return {
    snapshots: arns.snapshots.replace(/:snapshot:\*$/, `:snapshot:${COPY_IDENTIFIER_PREFIX}*`),
    clusterSnapshots: arns.clusterSnapshots.replace(/:cluster-snapshot:\*$/, `:cluster-snapshot:${COPY_IDENTIFIER_PREFIX}*`),
  };
}

/**
 * create-copy: finds the newest automated DB (cluster) snapshot and copies it to a manual snapshot
 * encrypted with the source key (docs/aws-behaviour.md §3), tagging the copy.
 * KMS: the source key (encrypt the copy) and, via RDS only, any key of the account (decrypt the
 * automated snapshot, usually under `aws/rds`, whose key ID is not known at synth time).
 */
export function grantCreateCopy(fn: VaultFunction<'create-copy'>, sourceKey: kms.IKey): void {
  const at = stackAccountRegion(fn);
  const arns = rdsArns(at);
  const readResources = [arns.snapshots, arns.clusterSnapshots, arns.instances, arns.clusters];
  fn.role.addToPolicy(
    new iam.PolicyStatement({
      sid: 'DescribeDatabasesAndSnapshots',
      actions: ['rds:DescribeDBSnapshots', 'rds:DescribeDBClusterSnapshots', 'rds:DescribeDBInstances', 'rds:DescribeDBClusters', 'rds:ListTagsForResource'],
      resources: readResources,
    }),
  );
  // Copy* is authorized against the source (the automated snapshot, `rds:<db>-<timestamp>`) and the
  // target alike, so it stays on every snapshot of the account and Region; the tags it may set are
  // limited to the project's keys (a request without tags has no aws:TagKeys, so ForAllValues holds).
  const snapshotResources = [arns.snapshots, arns.clusterSnapshots];
  fn.role.addToPolicy(
    new iam.PolicyStatement({
      sid: 'CopyAutomatedSnapshots',
      actions: ['rds:CopyDBSnapshot', 'rds:CopyDBClusterSnapshot'],
      resources: snapshotResources,
      conditions: { 'ForAllValues:StringEquals': { 'aws:TagKeys': [...PROJECT_TAG_KEYS] } },
    }),
  );
  // Copy* with Tags also needs AddTagsToResource on the new copy: only `rsv-*` snapshots of this
  // account and Region, only the project's tag keys, and only in a tagging request (Null: false).
  const copies = ownCopyArns(arns);
  fn.role.addToPolicy(
    new iam.PolicyStatement({
      sid: 'TagOwnCopies',
      actions: ['rds:AddTagsToResource'],
      resources: [copies.snapshots, copies.clusterSnapshots],
      conditions: projectTagKeysCondition(),
    }),
  );
  acknowledgeIam5(fn.role, {
    resources: [...readResources, copies.snapshots, copies.clusterSnapshots],
    reason:
      'Automated snapshot names (rds:<db>-<timestamp>) and copy names are only known at run time; ' +
      'scoped to the source account and Region, the only write actions are copy and tag (no delete, no share), ' +
      `tagging only rsv-* copies and only with the project's tag keys (aws:TagKeys).`,
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
      // needs the same actions on that source key as on any copy source (docs/aws-behaviour.md §4).
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
 * poll-status: describes a copy in the source account and the vault copies: cross-account by
 * assuming the vault role (with the external ID), same-account with its own credentials in the
 * vault Regions of its own account.
 */
export function grantPollStatus(fn: VaultFunction<'poll-status'>, access: VaultAccess): void {
  const at = stackAccountRegion(fn);
  const arns = rdsArns(at);
  const resources = [arns.snapshots, arns.clusterSnapshots];
  if (access.mode === 'same-account') {
    for (const region of access.vaultRegions) {
      const v = rdsArns({ accountId: at.accountId, region });
      resources.push(v.snapshots, v.clusterSnapshots);
    }
  }
  const unique = [...new Set(resources)];
  fn.role.addToPolicy(new iam.PolicyStatement({ sid: 'DescribeSnapshotCopies', actions: [...DESCRIBE_SNAPSHOT_ACTIONS], resources: unique }));
  acknowledgeIam5(fn.role, {
    resources: unique,
    reason: 'Read-only Describe of copies whose names are known only at run time, scoped to this account and the source and vault Regions.',
  });
  if (access.mode === 'cross-account') {
    fn.role.addToPolicy(assumeVaultRoleStatement(access.vaultRoleArn));
  }
}

/** `sts:AssumeRole` on the vault role only (poll-status and cross-account-copy in cross-account mode; contracts/vault-access.ts). */
function assumeVaultRoleStatement(vaultRoleArn: string): iam.PolicyStatement {
  return new iam.PolicyStatement({ sid: ASSUME_VAULT_ROLE_SID, actions: [...ASSUME_VAULT_ROLE_ACTIONS], resources: [vaultRoleArn] });
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

/**
 * cross-account-copy. Cross-account mode: only assumes the vault role (the copy runs under it).
 * Same-account mode: copies the source copy (or, two-hop, the vault copy) into the vault and DR
 * Regions of its own account itself: copy/tag/describe on snapshots of those Regions (copy also
 * from the source Region), the source key to read the source copy, and the vault keys
 * (`alias/<deploymentName>` in each vault Region) through RDS only. A key alias ARN cannot be an
 * IAM resource, so the vault keys are `key/*` of each vault Region limited by `kms:ViaService` and
 * `kms:ResourceAliases`.
 * Sources: https://docs.aws.amazon.com/kms/latest/developerguide/cmks-in-iam-policies.html (aliases in IAM),
 * https://docs.aws.amazon.com/kms/latest/developerguide/conditions-kms.html#conditions-kms-resource-aliases
 */
export function grantCrossAccountCopy(fn: VaultFunction<'cross-account-copy'>, access: VaultAccess, sourceKey: kms.IKey): void {
  if (access.mode === 'cross-account') {
    fn.role.addToPolicy(assumeVaultRoleStatement(access.vaultRoleArn));
    return;
  }
  const at = stackAccountRegion(fn);
  const source = rdsArns(at);
  const vault = access.vaultRegions.map((region) => rdsArns({ accountId: at.accountId, region }));
  const vaultSnapshots = vault.flatMap((v) => [v.snapshots, v.clusterSnapshots]);
  const sourceSnapshots = [source.snapshots, source.clusterSnapshots];
  // Copy, describe, tag: the same statements as the vault role's in cross-account mode (contracts/vault-access.ts).
  const copyStatements = vaultCopyStatements(
    {
      copy: [...vaultSnapshots, ...sourceSnapshots],
      describe: vaultSnapshots,
      tag: vault.flatMap((v) => Object.values(ownCopyArns(v))),
      tagKeys: PROJECT_TAG_KEYS,
      tagCondition: projectTagKeysCondition(),
    },
    { copy: 'CopyIntoVaultRegions', describe: 'DescribeVaultCopies', tag: 'TagVaultCopiesWithProjectKeys' },
  );
  for (const statement of copyStatements) fn.role.addToPolicy(new iam.PolicyStatement(statement));
  acknowledgeIam5(fn.role, {
    resources: [...vaultSnapshots, ...sourceSnapshots, ...vault.flatMap((v) => Object.values(ownCopyArns(v)))],
    reason:
      'Same-account mode: snapshot names are known only at run time. Copy targets are the vault Regions of this account, copy sources the source Region; ' +
      'the actions are copy, tag and describe only (no delete, share or restore).',
  });
  fn.role.addToPolicy(
    new iam.PolicyStatement({ sid: 'ReadSourceCopyWithSourceKey', actions: [...RDS_KMS_COPY_ACTIONS], resources: [sourceKey.keyArn] }),
  );
  const vaultKeys = access.vaultRegions.map((region) => kmsKeysArn({ accountId: at.accountId, region }));
  fn.role.addToPolicy(
    new iam.PolicyStatement({
      sid: 'EncryptWithVaultKeysThroughRds',
      actions: [...RDS_KMS_COPY_ACTIONS],
      resources: vaultKeys,
      conditions: {
        StringEquals: { 'kms:ViaService': access.vaultRegions.map(rdsViaService) },
        'ForAnyValue:StringEquals': { 'kms:ResourceAliases': [access.vaultKeyAlias] },
      },
    }),
  );
  acknowledgeIam5(fn.role, {
    actions: KMS_WILDCARD_ACTIONS,
    resources: vaultKeys,
    reason:
      'The vault keys are created by the vault stacks of each Region, so their IDs are unknown here and an alias ARN cannot be an IAM resource; key/* of each vault Region ' +
      'is allowed only through RDS (kms:ViaService) and only for keys carrying the vault alias (kms:ResourceAliases). GenerateDataKey*/ReEncrypt* are what RDS needs to copy.',
  });
}

/**
 * export-to-s3: starts an export task of a manual copy and describes export tasks (to reuse an
 * existing one), passing the export role to RDS only. `rds:StartExportTask` is authorized against the
 * source DB snapshot / DB cluster snapshot (its resource types in the Service Authorization
 * Reference), so it is scoped to this tool's copies (`rsv-*`) of this account and Region: the
 * function exports only the manual copy create-copy made, never another snapshot. `rds:DescribeExportTasks` by
 * export task identifier names no snapshot, and which resource AWS authorizes it against is not
 * documented, so it stays on `*` (read-only). What an export can reach is bounded by the one role it
 * may pass: that role writes only under the export prefix of the export bucket, with the export key.
 * Sources: https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/USER_ExportSnapshot.html,
 * https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonrds.html
 */
export function grantExportToS3(fn: VaultFunction<'export-to-s3'>, storage: ExportStorage): void {
  const copies = ownCopyArns(rdsArns(stackAccountRegion(fn)));
  fn.role.addToPolicy(
    new iam.PolicyStatement({ sid: 'StartExportTasksOfOwnCopies', actions: ['rds:StartExportTask'], resources: [copies.snapshots, copies.clusterSnapshots] }),
  );
  fn.role.addToPolicy(new iam.PolicyStatement({ sid: 'DescribeExportTasks', actions: ['rds:DescribeExportTasks'], resources: ['*'] }));
  acknowledgeIam5(fn.role, {
    resources: ['*', copies.snapshots, copies.clusterSnapshots],
    reason:
      'rds:StartExportTask is limited to this tool\'s rsv-* copies of this account and Region (their names are known only at run time); rds:DescribeExportTasks is a read-only ' +
      'describe by export task identifier whose authorization resource is not documented. An export can only go where the single role this function may pass ' +
      '(iam:PassRole to export.rds.amazonaws.com only) can write: the export prefix of the export bucket.',
  });
  storage.grantStartExport(fn.role);
}

/** poll-export: describes export tasks (read-only). */
export function grantPollExport(fn: VaultFunction<'poll-export'>): void {
  fn.role.addToPolicy(new iam.PolicyStatement({ sid: 'DescribeExportTasks', actions: ['rds:DescribeExportTasks'], resources: ['*'] }));
  acknowledgeIam5(fn.role, {
    resources: ['*'],
    reason:
      'rds:DescribeExportTasks is a read-only list action without resource-level permissions ' +
      '(https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonrds.html); it is the only action of this role besides its logs.',
  });
}

/**
 * retention-sweep: lists the managed copies of one database in its own account and Region and
 * deletes the expired ones. Delete is allowed only on snapshots tagged
 * `rds-snapshot-vault:managed=true`, so a bug cannot delete automated snapshots or anything else.
 * @param opts.markVaulted source retention: may also tag its own managed copies
 *   `rds-snapshot-vault:vaulted` (that tag key only) once their vault copy is available.
 */
export function grantRetentionSweep(fn: VaultFunction<'retention-sweep'>, opts: { readonly markVaulted?: boolean } = {}): void {
  const arns = rdsArns(stackAccountRegion(fn));
  const readResources = [arns.snapshots, arns.clusterSnapshots, arns.instances, arns.clusters];
  fn.role.addToPolicy(
    new iam.PolicyStatement({
      sid: 'ListSnapshots',
      actions: ['rds:DescribeDBSnapshots', 'rds:DescribeDBClusterSnapshots', 'rds:ListTagsForResource'],
      resources: readResources,
    }),
  );
  // Deletes: only our copies, by name (`rsv-*`: identifiers cannot be changed) AND by the managed
  // tag, so a snapshot somebody tagged `managed=true` by hand is still out of reach.
  const ownCopies = ownCopyArns(arns);
  fn.role.addToPolicy(
    new iam.PolicyStatement({
      sid: 'DeleteManagedDBSnapshots',
      actions: ['rds:DeleteDBSnapshot'],
      resources: [ownCopies.snapshots],
      conditions: managedSnapshotCondition('snapshot'),
    }),
  );
  fn.role.addToPolicy(
    new iam.PolicyStatement({
      sid: 'DeleteManagedDBClusterSnapshots',
      actions: ['rds:DeleteDBClusterSnapshot'],
      resources: [ownCopies.clusterSnapshots],
      conditions: managedSnapshotCondition('cluster-snapshot'),
    }),
  );
  if (opts.markVaulted) {
    for (const [sid, resource, kind] of [
      ['MarkManagedDBSnapshotsVaulted', ownCopies.snapshots, 'snapshot'],
      ['MarkManagedDBClusterSnapshotsVaulted', ownCopies.clusterSnapshots, 'cluster-snapshot'],
    ] as const) {
      fn.role.addToPolicy(
        new iam.PolicyStatement({
          sid,
          actions: ['rds:AddTagsToResource'],
          resources: [resource],
          conditions: { ...managedSnapshotCondition(kind), 'ForAllValues:StringEquals': { 'aws:TagKeys': [TAGS.VAULTED] } },
        }),
      );
    }
  }
  acknowledgeIam5(fn.role, {
    resources: [...readResources, ownCopies.snapshots, ownCopies.clusterSnapshots],
    reason:
      'Copy names are known only at run time; scoped to this account and Region. Delete*Snapshot is allowed only on snapshots tagged ' +
      `${TAGS.MANAGED}=true (condition keys rds:snapshot-tag / rds:cluster-snapshot-tag), never on automated or foreign snapshots.`,
  });
}

/** notify: publishes the run summary to its topic (sns:Publish plus the topic key's Decrypt/GenerateDataKey*). */
export function grantNotify(fn: VaultFunction<'notify'>, topic: NotificationTopic, ledger: s3.IBucket): void {
  topic.grantPublish(fn.role);
  // Issue 12: reads the run's records from the run ledger (list the run's prefix, get each record);
  // ListObjectsV2 is s3:ListBucket on the bucket, limited by s3:prefix (docs/aws-behaviour.md §27).
  fn.role.addToPolicy(
    new iam.PolicyStatement({ sid: 'ListLedgerRuns', actions: ['s3:ListBucket'], resources: [ledger.bucketArn], conditions: { StringLike: { 's3:prefix': [`${RUNS_PREFIX}*`] } } }),
  );
  // The run's plan too (plans/, issue 12), to report every planned database, recorded or not.
  fn.role.addToPolicy(new iam.PolicyStatement({ sid: 'ReadLedgerRuns', actions: ['s3:GetObject'], resources: [ledger.arnForObjects(`${RUNS_PREFIX}*`), ledger.arnForObjects(`${PLANS_PREFIX}*`)] }));
  const id = logicalIdOf(ledger);
  acknowledgeIam5(fn.role, {
    resources: [`<${id}.Arn>/${RUNS_PREFIX}*`, `<${id}.Arn>/${PLANS_PREFIX}*`],
    reason: 'Read-only: the records and the plan of a run are keyed by run (and database) at run time, under the runs/ and plans/ prefixes of the one ledger bucket.',
  });
}

/** record-result (issue 12): write-only, the run records (`runs/`) and their daily copies (`daily/`) of the run ledger. */
export function grantRecordResult(fn: VaultFunction<'record-result'>, ledger: s3.IBucket): void {
  const resources = [ledger.arnForObjects(`${RUNS_PREFIX}*`), ledger.arnForObjects(`${DAILY_PREFIX}*`)];
  fn.role.addToPolicy(new iam.PolicyStatement({ sid: 'WriteLedgerRecords', actions: ['s3:PutObject'], resources }));
  const id = logicalIdOf(ledger);
  acknowledgeIam5(fn.role, {
    resources: [`<${id}.Arn>/${RUNS_PREFIX}*`, `<${id}.Arn>/${DAILY_PREFIX}*`],
    reason: 'Write-only: one record per database per run, keyed by run and database at run time, under the two prefixes of the one ledger bucket.',
  });
}

/** send-digest (issue 12): publish to the topic; list (s3:ListBucket with s3:prefix, docs/aws-behaviour.md §27) and read the day's event-run records (`daily/`) of the run ledger. */
export function grantSendDigest(fn: VaultFunction<'send-digest'>, topic: NotificationTopic, ledger: s3.IBucket): void {
  topic.grantPublish(fn.role);
  fn.role.addToPolicy(
    new iam.PolicyStatement({ sid: 'ListLedgerDays', actions: ['s3:ListBucket'], resources: [ledger.bucketArn], conditions: { StringLike: { 's3:prefix': [`${DAILY_PREFIX}*`] } } }),
  );
  fn.role.addToPolicy(new iam.PolicyStatement({ sid: 'ReadLedgerDays', actions: ['s3:GetObject'], resources: [ledger.arnForObjects(`${DAILY_PREFIX}*`)] }));
  acknowledgeIam5(fn.role, { resources: [`<${logicalIdOf(ledger)}.Arn>/${DAILY_PREFIX}*`], reason: 'Read-only: the event-run records of a day, keyed by day, run and database at run time, under the daily/ prefix of the one ledger bucket.' });
}

/** The CloudFormation logical id of a bucket (for cdk-nag finding ids). */
function logicalIdOf(bucket: s3.IBucket): string {
  return Stack.of(bucket).getLogicalId(bucket.node.defaultChild as CfnElement);
}
