/**
 * The two customer-managed KMS keys of rds-snapshot-vault.
 *
 * - {@link SourceKey} (source account): the manual copy is re-encrypted with it so it can be shared
 *   (a snapshot under `aws/rds` cannot be shared), and its key policy lets the vault account use it,
 *   through RDS only, to copy the shared snapshot.
 * - {@link VaultKey} (vault account): the vault copy is encrypted with it; only the vault account's
 *   IAM principals can use it.
 *
 * Sources: https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/share-encrypted-snapshot.html,
 * https://docs.aws.amazon.com/kms/latest/developerguide/key-policy-modifying-external-accounts.html,
 * https://docs.aws.amazon.com/kms/latest/developerguide/conditions-kms.html#conditions-kms-via-service,
 * https://docs.aws.amazon.com/kms/latest/developerguide/conditions-kms.html#conditions-kms-grant-is-for-aws-resource
 */
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';
import { rdsViaService } from './names';

/** Props of {@link SourceKey}. */
export interface SourceKeyProps {
  /** Alias name including the prefix, e.g. `alias/rds-snapshot-vault-source`. */
  readonly aliasName: string;
  /**
   * The vault account allowed to use the key through RDS (12 digits).
   * @default - same-account mode: no statement for another account (IAM policies of this account decide)
   */
  readonly vaultAccountId?: string;
  /**
   * Regions whose RDS endpoint may use the key on the vault account's behalf (the `kms:ViaService`
   * values): the source Region, plus the vault Region when the vault copy crosses Regions, plus the
   * DR Regions when DR copies are made from the source copy (single-step).
   */
  readonly rdsRegions: readonly string[];
  /**
   * Days KMS waits before deleting the key once deletion is scheduled (7-30).
   * @default Duration.days(30)
   */
  readonly pendingWindow?: Duration;
}

/**
 * Customer-managed, rotating KMS key of the source account. Key policy:
 * 1. the source account (root) - enables IAM policies to grant use of the key;
 * 2. the vault account - `kms:Decrypt`, `kms:DescribeKey`, `kms:ReEncrypt*`, `kms:GenerateDataKey*`
 *    only when the request comes through RDS (`kms:ViaService = rds.<region>.amazonaws.com`);
 * 3. the vault account - `kms:CreateGrant` only through RDS and only for an AWS resource
 *    (`kms:GrantIsForAWSResource = true`).
 * Statements 2 and 3 exist only in cross-account mode (`vaultAccountId` given).
 * No statement has a wildcard principal. Retained when the stack is deleted (snapshots need it).
 */
export class SourceKey extends Construct {
  /** The key; its ARN is create-copy's `SOURCE_KMS_KEY_ARN`. */
  readonly key: kms.Key;
  constructor(scope: Construct, id: string, props: SourceKeyProps) {
    super(scope, id);
    if (props.rdsRegions.length === 0) throw new Error('SourceKey: rdsRegions must list at least one Region');
    this.key = new kms.Key(this, 'Key', {
      description: 'rds-snapshot-vault: encrypts the shareable manual copies of RDS snapshots in the source account',
      enableKeyRotation: true,
      alias: props.aliasName,
      pendingWindow: props.pendingWindow ?? Duration.days(30),
      removalPolicy: RemovalPolicy.RETAIN,
    });
    if (props.vaultAccountId === undefined) return;
    const vault = new iam.AccountPrincipal(props.vaultAccountId);
    const viaRds = { 'kms:ViaService': [...new Set(props.rdsRegions)].map(rdsViaService) };
    this.key.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'AllowVaultAccountUseThroughRds',
        principals: [vault],
        actions: ['kms:Decrypt', 'kms:DescribeKey', 'kms:ReEncrypt*', 'kms:GenerateDataKey*'],
        resources: ['*'],
        conditions: { StringEquals: viaRds },
      }),
    );
    this.key.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'AllowVaultAccountGrantsForRds',
        principals: [vault],
        actions: ['kms:CreateGrant'],
        resources: ['*'],
        conditions: { StringEquals: viaRds, Bool: { 'kms:GrantIsForAWSResource': 'true' } },
      }),
    );
  }
}

/** Props of {@link VaultKey}. */
export interface VaultKeyProps {
  /**
   * Alias name including the prefix, e.g. `alias/rds-snapshot-vault`: the same in every vault Region
   * (the cross-account-copy function's `VAULT_KMS_KEY_ALIAS`).
   */
  readonly aliasName: string;
  /**
   * Days KMS waits before deleting the key once deletion is scheduled (7-30).
   * @default Duration.days(30)
   */
  readonly pendingWindow?: Duration;
  /**
   * ARN of the vault account's break-glass role, the only principal allowed to schedule the key's
   * deletion or disable it (`arn:<partition>:iam::<vault>:role/<name>`; it need not exist yet).
   * @default - no key guard statement
   */
  readonly breakGlassRoleArn?: string;
}

/** The KMS actions that destroy every copy under a key (after the pending window) or make them unusable at once. */
export const KEY_GUARD_ACTIONS = ['kms:ScheduleKeyDeletion', 'kms:DisableKey'] as const;

/**
 * Customer-managed, rotating KMS key of the vault account that encrypts the vault copies. Key
 * policy: the vault account only (root, enabling IAM); nothing for the source account, since the
 * copy runs as the vault's own copy role. With `breakGlassRoleArn`, a `Deny` of
 * {@link KEY_GUARD_ACTIONS} to every principal but that role (an explicit deny in a key policy
 * beats any IAM grant, also an administrator's). `kms:PutKeyPolicy` stays with the account, so the
 * CloudFormation deployment can update the policy and KMS's lockout safety check passes; changing
 * the policy is alarmed instead (VaultGuard). Retained when the stack is deleted.
 * Source: docs/aws-behaviour.md §17b; https://docs.aws.amazon.com/kms/latest/developerguide/key-policy-default.html#prevent-unmanageable-key,
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html#condition-keys-principalarn
 */
export class VaultKey extends Construct {
  /** The key; the vault copy role may use it. */
  readonly key: kms.Key;
  constructor(scope: Construct, id: string, props: VaultKeyProps) {
    super(scope, id);
    this.key = new kms.Key(this, 'Key', {
      description: 'rds-snapshot-vault: encrypts the RDS snapshot copies kept in the vault account',
      enableKeyRotation: true,
      alias: props.aliasName,
      pendingWindow: props.pendingWindow ?? Duration.days(30),
      removalPolicy: RemovalPolicy.RETAIN,
    });
    if (props.breakGlassRoleArn !== undefined) {
      this.key.addToResourcePolicy(
        new iam.PolicyStatement({
          sid: 'KeyGuardOnlyBreakGlassMayDeleteOrDisable',
          effect: iam.Effect.DENY,
          principals: [new iam.AnyPrincipal()],
          actions: [...KEY_GUARD_ACTIONS],
          resources: ['*'],
          conditions: { ArnNotEquals: { 'aws:PrincipalArn': props.breakGlassRoleArn } },
        }),
      );
    }
  }
}
