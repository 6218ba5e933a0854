import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';
import { type AccountRegion, kmsKeysArn, rdsArns, rdsViaService, stackAccountRegion } from './names';
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
  /** The vault KMS key the copies are encrypted with. */
  readonly vaultKey: kms.IKey;
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
 * It may copy, tag and describe, nothing else: no delete, no share, no restore. Those are also
 * denied explicitly, so a later, broader grant cannot give them: whoever controls the production
 * account can create copies in the vault, never destroy or exfiltrate them (aws-rules.md,
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
    const vaultArns = rdsArns(vault);
    const sourceArns = rdsArns(props.source);

    this.role = new iam.Role(this, 'Role', {
      roleName: props.roleName,
      description: 'rds-snapshot-vault: copies shared RDS snapshots into the vault (copy only; no delete, share or restore)',
      assumedBy: new iam.CompositePrincipal(...props.trustedRoleArns.map((arn) => new iam.ArnPrincipal(arn))),
      externalIds: [props.externalId],
    });

    const vaultSnapshots = [vaultArns.snapshots, vaultArns.clusterSnapshots];
    const sourceSnapshots = [sourceArns.snapshots, sourceArns.clusterSnapshots];
    this.role.addToPolicy(
      new iam.PolicyStatement({
        sid: 'CopySharedSnapshotsIntoVault',
        actions: ['rds:CopyDBSnapshot', 'rds:CopyDBClusterSnapshot'],
        resources: [...vaultSnapshots, ...sourceSnapshots],
      }),
    );
    this.role.addToPolicy(
      new iam.PolicyStatement({
        sid: 'TagAndDescribeVaultCopies',
        actions: ['rds:AddTagsToResource', 'rds:DescribeDBSnapshots', 'rds:DescribeDBClusterSnapshots', 'rds:ListTagsForResource'],
        resources: vaultSnapshots,
      }),
    );
    acknowledgeIam5(this.role, {
      resources: [...vaultSnapshots, ...sourceSnapshots],
      reason:
        'Snapshot names are known only at run time. Copy targets are limited to the vault account and Region, copy sources to the source ' +
        'account and Region; the actions are copy, tag and describe only, and delete/share/restore are explicitly denied.',
    });

    this.role.addToPolicy(
      new iam.PolicyStatement({
        sid: 'EncryptCopiesWithVaultKey',
        actions: ['kms:CreateGrant', 'kms:DescribeKey', 'kms:Encrypt', 'kms:Decrypt', 'kms:GenerateDataKey*', 'kms:ReEncrypt*'],
        resources: [props.vaultKey.keyArn],
      }),
    );
    const sourceKeys = kmsKeysArn(props.source);
    this.role.addToPolicy(
      new iam.PolicyStatement({
        sid: 'DecryptSharedSnapshotsThroughRds',
        actions: ['kms:CreateGrant', 'kms:DescribeKey', 'kms:Encrypt', 'kms:Decrypt', 'kms:GenerateDataKey*', 'kms:ReEncrypt*'],
        resources: [sourceKeys],
        conditions: {
          StringEquals: { 'kms:ViaService': [...new Set([props.source.region, vault.region])].map(rdsViaService) },
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
