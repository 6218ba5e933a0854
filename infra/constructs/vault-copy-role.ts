import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';
import { type AccountRegion, kmsKeysArn, rdsArns, rdsViaService, stackAccountRegion } from './names';
import { ownCopyArns, PROJECT_TAG_KEYS, projectTagKeysCondition } from './function-permissions';
import { acknowledgeIam5, KMS_WILDCARD_ACTIONS } from './nag';
import type { DrCopyMode } from '../../contracts/rules';
import { vaultCopyStatements } from '../../contracts/vault-access';

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
  readonly drCopyMode?: DrCopyMode;
}

/** RDS actions the vault role must never have; denied explicitly as defence in depth. */
export const VAULT_ROLE_DENIED_ACTIONS = [
  'rds:Delete*',
  'rds:ModifyDBSnapshotAttribute',
  'rds:ModifyDBClusterSnapshotAttribute',
  'rds:Restore*',
] as const;

/**
 * What the vault copy role may do with a vault key through RDS besides `kms:CreateGrant` (which it
 * may only for RDS's own grants): describe it, and let RDS read a vault copy (the source of a
 * two-hop DR copy) and re-encrypt under it. No `kms:Encrypt`: no copy needs it.
 */
export const VAULT_KEY_USE_ACTIONS = ['kms:DescribeKey', 'kms:Decrypt', 'kms:ReEncrypt*', 'kms:GenerateDataKey*'] as const;

/**
 * What the vault copy role may do with the source key through RDS besides `kms:CreateGrant`:
 * exactly what docs/aws-behaviour.md §4 says a cross-account copy needs from the target principal's
 * IAM policy (`ReEncrypt*` and `GenerateDataKey*` included: that AWS needs less is not confirmed, so
 * we take the stricter reading, §26). No `kms:Encrypt`.
 */
export const SOURCE_KEY_USE_ACTIONS = ['kms:DescribeKey', 'kms:Decrypt', 'kms:ReEncrypt*', 'kms:GenerateDataKey*'] as const;

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
    // This tool's copies only (`rsv-*`): the copy targets in the vault and DR Regions, and the copy
    // sources (the shared source copy, or the vault copy for a two-hop DR copy).
    const vaultCopies = vaultArns.flatMap((a) => Object.values(ownCopyArns(a)));
    const sourceCopies = Object.values(ownCopyArns(sourceArns));
    // Copy, describe, tag: the same statements as cross-account-copy's own in same-account mode (contracts/vault-access.ts).
    const copyStatements = vaultCopyStatements(
      { copy: [...vaultCopies, ...sourceCopies], describe: vaultSnapshots, tag: vaultCopies, tagKeys: PROJECT_TAG_KEYS, tagCondition: projectTagKeysCondition() },
      { copy: 'CopySharedSnapshotsIntoVault', describe: 'DescribeVaultCopies', tag: 'TagVaultCopiesWithProjectKeys' },
    );
    for (const statement of copyStatements) this.role.addToPolicy(new iam.PolicyStatement(statement));
    acknowledgeIam5(this.role, {
      resources: [...vaultSnapshots, ...vaultCopies, ...sourceCopies],
      reason:
        'Snapshot names are known only at run time. Copy and tag are limited to rsv-* copies of the vault account in the vault and DR Regions, copy sources to rsv-* copies of the ' +
        'source account and Region and of the vault itself (two-hop DR copies); the actions are copy, tag (project tag keys only) and describe only, and delete/share/restore are explicitly denied.',
    });

    // KMS, always through RDS (kms:ViaService): the role never needs a key directly, and a grant it
    // made itself (CreateGrant called directly) would outlive the session of whoever assumed it.
    // CreateGrant only for a grant RDS creates for its own use (kms:GrantIsForAWSResource, §17c).
    // No kms:Encrypt on any key: no copy needs it (docs/aws-behaviour.md §4, §26).
    const grantForRds = (viaService: string[]) => ({ StringEquals: { 'kms:ViaService': viaService }, Bool: { 'kms:GrantIsForAWSResource': 'true' } });
    // The vault key: copy target (first hop) and copy source (two-hop DR copies).
    this.role.addToPolicy(
      new iam.PolicyStatement({
        sid: 'UseVaultKeyThroughRds',
        actions: [...VAULT_KEY_USE_ACTIONS],
        resources: [props.vaultKey.keyArn],
        conditions: { StringEquals: { 'kms:ViaService': vaultRegions.map(rdsViaService) } },
      }),
    );
    this.role.addToPolicy(
      new iam.PolicyStatement({ sid: 'GrantOnVaultKeyForRds', actions: ['kms:CreateGrant'], resources: [props.vaultKey.keyArn], conditions: grantForRds(vaultRegions.map(rdsViaService)) }),
    );
    if (drRegions.length > 0) {
      const drKeys = drRegions.map((region) => kmsKeysArn({ accountId: vault.accountId, region }));
      const aliases = { 'ForAnyValue:StringEquals': { 'kms:ResourceAliases': [props.vaultKeyAlias as string] } };
      this.role.addToPolicy(
        new iam.PolicyStatement({
          sid: 'UseDrVaultKeysThroughRds',
          actions: [...VAULT_KEY_USE_ACTIONS],
          resources: drKeys,
          conditions: { StringEquals: { 'kms:ViaService': drRegions.map(rdsViaService) }, ...aliases },
        }),
      );
      this.role.addToPolicy(
        new iam.PolicyStatement({ sid: 'GrantOnDrVaultKeysForRds', actions: ['kms:CreateGrant'], resources: drKeys, conditions: { ...grantForRds(drRegions.map(rdsViaService)), ...aliases } }),
      );
      acknowledgeIam5(this.role, {
        actions: KMS_WILDCARD_ACTIONS,
        resources: drKeys,
        reason:
          'The DR vault keys are created by the DR vault stacks, so their IDs are unknown here and an alias ARN cannot be an IAM resource: key/* of each DR Region ' +
          'of the vault account is allowed only through RDS (kms:ViaService) and only for keys with the vault alias (kms:ResourceAliases).',
      });
    }
    // The source key: only what RDS needs to read a shared encrypted snapshot (docs/aws-behaviour.md §4, §26).
    const sourceKeys = kmsKeysArn(props.source);
    const sourceKeyVia = [...new Set([props.source.region, vault.region, ...(props.drCopyMode === 'single-step' ? drRegions : [])])].map(rdsViaService);
    this.role.addToPolicy(
      new iam.PolicyStatement({
        sid: 'ReadSharedSnapshotsWithSourceKeyThroughRds',
        actions: [...SOURCE_KEY_USE_ACTIONS],
        resources: [sourceKeys],
        conditions: { StringEquals: { 'kms:ViaService': sourceKeyVia } },
      }),
    );
    this.role.addToPolicy(
      new iam.PolicyStatement({ sid: 'GrantOnSourceKeyForRds', actions: ['kms:CreateGrant'], resources: [sourceKeys], conditions: grantForRds(sourceKeyVia) }),
    );
    acknowledgeIam5(this.role, {
      actions: KMS_WILDCARD_ACTIONS,
      resources: [sourceKeys],
      reason:
        'RDS needs GenerateDataKey*/ReEncrypt* on the source key of a cross-account copy (docs/aws-behaviour.md §4; https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/share-encrypted-snapshot.html). ' +
        "The source key's ID lives in another account and is unknown at synth time, so key/* of the source account and Region is allowed, " +
        "only through RDS (kms:ViaService), CreateGrant only for RDS's own grants; the source key's own policy admits this account only through RDS too.",
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
