import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';
import { type AccountRegion, kmsKeysArn, rdsArns, rdsViaService, stackAccountRegion } from './names';
import { PROJECT_TAG_KEYS, projectTagKeysCondition } from './function-permissions';
import { acknowledgeIam5, KMS_WILDCARD_ACTIONS } from './nag';

/** Props of {@link VaultCopyRole}. */
export interface VaultCopyRoleProps {
  /** Physical role name, `<deploymentName>-vault-copy` (the source functions assume it by ARN). */
  readonly roleName: string;
  /**
   * ARNs of the source account roles allowed to assume this role: the cross-account-copy and the
   * poll-status function roles. Full ARNs, never a wildcard or an account root.
   */
  readonly trustedRoleArns: readonly string[];
  /** The `sts:ExternalId` the callers must pass (12-1224 characters). */
  readonly externalId: string;
  /** The source account and Region the shared snapshots (copy sources) and their KMS key live in. */
  readonly source: AccountRegion;
  /** The vault KMS key of this (the primary vault) Region. */
  readonly vaultKey: kms.IKey;
  /**
   * DR Regions of the vault account: the role also copies, tags and describes there, and uses the
   * DR vault keys (created by the DR vault stacks) through RDS.
   * @default []
   */
  readonly drRegions?: readonly string[];
  /**
   * Alias the vault key has in every vault Region (`alias/<deploymentName>`); limits the DR key
   * statement with `kms:ResourceAliases`. Required when `drRegions` is not empty.
   */
  readonly vaultKeyAlias?: string;
  /**
   * `single-step` DR copies read the source copy from the DR Regions, so RDS there must reach the
   * source key too; `two-hop` copies from the vault copy.
   * @default 'two-hop'
   */
  readonly drCopyMode?: 'two-hop' | 'single-step';
}

/** RDS actions the vault role must never have; denied explicitly as defence in depth. */
export const VAULT_ROLE_DENIED_ACTIONS = [
  'rds:Delete*',
  'rds:ModifyDBSnapshotAttribute',
  'rds:ModifyDBClusterSnapshotAttribute',
  'rds:Restore*',
] as const;

/**
 * The copy-only role of the vault account. The source account's cross-account-copy and
 * poll-status functions assume it (by exact role ARN and with the external ID) to copy a shared
 * snapshot into the vault under the vault key and to watch the copy.
 *
 * Its policy covers the vault Region and every DR Region (IAM is global, so the role lives in the
 * primary vault stack only): copy targets are snapshots of the vault account in those Regions, copy
 * sources the source account's snapshots (single step and first hop) and the vault's own (two-hop DR copies).
 *
 * It may copy, tag and describe, nothing else: no delete, no share, no restore. Those are also
 * denied explicitly, so a later, broader grant cannot give them: whoever controls the production
 * account can create copies in the vault, never destroy or exfiltrate them (docs/aws-behaviour.md,
 * "Why a separate vault account").
 *
 * Sources: https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/USER_CopyDBClusterSnapshot.CrossAccount.html,
 * https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_CopyDBSnapshot.html (source by ARN),
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_common-scenarios_third-party.html (external ID),
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html (explicit deny wins).
 */
export class VaultCopyRole extends Construct {
  /** The role (`arn:<partition>:iam::<vault>:role/<roleName>`). */
  readonly role: iam.Role;
  constructor(scope: Construct, id: string, props: VaultCopyRoleProps) {
    super(scope, id);
    if (props.trustedRoleArns.length === 0) throw new Error('VaultCopyRole: trustedRoleArns must not be empty');
    for (const arn of props.trustedRoleArns) {
      if (!/^arn:[\w-]+:iam::\d{12}:role\/[\w+=,.@/-]+$/.test(arn) || arn.includes('*')) {
        throw new Error(`VaultCopyRole: trusted principal ${arn} must be a full IAM role ARN`);
      }
    }
    const vault = stackAccountRegion(this);
    const drRegions = [...new Set(props.drRegions ?? [])].filter((r) => r !== vault.region);
    if (drRegions.length > 0 && !props.vaultKeyAlias) throw new Error('VaultCopyRole: vaultKeyAlias is required with drRegions');
    const vaultRegions = [vault.region, ...drRegions];
    const vaultArns = vaultRegions.map((region) => rdsArns({ accountId: vault.accountId, region }));
    const sourceArns = rdsArns(props.source);

    this.role = new iam.Role(this, 'Role', {
      roleName: props.roleName,
      description: 'rds-snapshot-vault: copies shared RDS snapshots into the vault (copy only; no delete, share or restore)',
      assumedBy: new iam.CompositePrincipal(...props.trustedRoleArns.map((arn) => new iam.ArnPrincipal(arn))),
      externalIds: [props.externalId],
    });

    const vaultSnapshots = vaultArns.flatMap((a) => [a.snapshots, a.clusterSnapshots]);
    const sourceSnapshots = [sourceArns.snapshots, sourceArns.clusterSnapshots];
    this.role.addToPolicy(
      new iam.PolicyStatement({
        sid: 'CopySharedSnapshotsIntoVault',
        actions: ['rds:CopyDBSnapshot', 'rds:CopyDBClusterSnapshot'],
        resources: [...vaultSnapshots, ...sourceSnapshots],
        // Tags on the copy: the project's keys only (a source authorization carries no aws:TagKeys, so ForAllValues holds).
        conditions: { 'ForAllValues:StringEquals': { 'aws:TagKeys': [...PROJECT_TAG_KEYS] } },
      }),
    );
    this.role.addToPolicy(
      new iam.PolicyStatement({
        sid: 'DescribeVaultCopies',
        actions: ['rds:DescribeDBSnapshots', 'rds:DescribeDBClusterSnapshots', 'rds:ListTagsForResource'],
        resources: vaultSnapshots,
      }),
    );
    this.role.addToPolicy(
      new iam.PolicyStatement({
        sid: 'TagVaultCopiesWithProjectKeys',
        actions: ['rds:AddTagsToResource'],
        resources: vaultSnapshots,
        conditions: projectTagKeysCondition(),
      }),
    );
    acknowledgeIam5(this.role, {
      resources: [...vaultSnapshots, ...sourceSnapshots],
      reason:
        'Snapshot names are known only at run time. Copy targets are limited to the vault account in the vault and DR Regions, copy sources to the ' +
        'source account and Region and the vault account itself (two-hop DR copies); the actions are copy, tag (project tag keys only) and describe only, and delete/share/restore are explicitly denied.',
    });

    const keyActions = ['kms:CreateGrant', 'kms:DescribeKey', 'kms:Encrypt', 'kms:Decrypt', 'kms:GenerateDataKey*', 'kms:ReEncrypt*'];
    // Through RDS only: the role never needs the key directly, and a grant it made itself (CreateGrant
    // called directly) would outlive the session of whoever assumed it.
    this.role.addToPolicy(
      new iam.PolicyStatement({
        sid: 'EncryptCopiesWithVaultKey',
        actions: keyActions,
        resources: [props.vaultKey.keyArn],
        conditions: { StringEquals: { 'kms:ViaService': vaultRegions.map(rdsViaService) } },
      }),
    );
    if (drRegions.length > 0) {
      const drKeys = drRegions.map((region) => kmsKeysArn({ accountId: vault.accountId, region }));
      this.role.addToPolicy(
        new iam.PolicyStatement({
          sid: 'EncryptDrCopiesWithDrVaultKeysThroughRds',
          actions: keyActions,
          resources: drKeys,
          conditions: {
            StringEquals: { 'kms:ViaService': drRegions.map(rdsViaService) },
            'ForAnyValue:StringEquals': { 'kms:ResourceAliases': [props.vaultKeyAlias as string] },
          },
        }),
      );
      acknowledgeIam5(this.role, {
        actions: KMS_WILDCARD_ACTIONS,
        resources: drKeys,
        reason:
          'The DR vault keys are created by the DR vault stacks, so their IDs are unknown here and an alias ARN cannot be an IAM resource: key/* of each DR Region ' +
          'of the vault account is allowed only through RDS (kms:ViaService) and only for keys with the vault alias (kms:ResourceAliases).',
      });
    }
    const sourceKeys = kmsKeysArn(props.source);
    const sourceKeyRegions = [props.source.region, vault.region, ...(props.drCopyMode === 'single-step' ? drRegions : [])];
    this.role.addToPolicy(
      new iam.PolicyStatement({
        sid: 'DecryptSharedSnapshotsThroughRds',
        actions: keyActions,
        resources: [sourceKeys],
        conditions: {
          StringEquals: { 'kms:ViaService': [...new Set(sourceKeyRegions)].map(rdsViaService) },
        },
      }),
    );
    acknowledgeIam5(this.role, {
      actions: KMS_WILDCARD_ACTIONS,
      resources: [sourceKeys],
      reason:
        'RDS needs GenerateDataKey*/ReEncrypt* to re-encrypt a copy under the vault key (https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/share-encrypted-snapshot.html). ' +
        "The source key's ID lives in another account and is unknown at synth time, so key/* of the source account and Region is allowed, " +
        "only through RDS (kms:ViaService); the source key's own policy admits this account only through RDS too.",
    });

    this.role.addToPolicy(
      new iam.PolicyStatement({
        sid: 'DenyDestructiveAndSharingActions',
        effect: iam.Effect.DENY,
        actions: [...VAULT_ROLE_DENIED_ACTIONS],
        resources: ['*'],
      }),
    );
  }
}
