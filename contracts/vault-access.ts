/**
 * The vault access decision, in one place (issue 11): when a source function reaches a snapshot
 * with its own credentials and when it assumes the vault role (STS AssumeRole with the external
 * ID), with which session policy; and the IAM actions of those accesses, which the infrastructure
 * grants (infra/constructs/function-permissions.ts, vault-copy-role.ts) and the functions use
 * (poll-status, cross-account-copy through functions/shared/vault-role.ts). Pure: no AWS SDK, no CDK.
 *
 * Sources: https://docs.aws.amazon.com/STS/latest/APIReference/API_AssumeRole.html ,
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies.html#policies_session
 */

/** What a function does with the snapshots it reaches: `describe` (poll-status) or `copy` (cross-account-copy: copy, tag, describe). */
export type VaultAccessPurpose = 'describe' | 'copy';

/** An IAM policy document passed as an AssumeRole session policy (JSON, at most 2,048 characters). */
export interface SessionPolicy {
  readonly Version: '2012-10-17';
  readonly Statement: ReadonlyArray<{ readonly Sid?: string; readonly Effect: 'Allow' | 'Deny'; readonly Action: string | readonly string[]; readonly Resource: string | readonly string[] }>;
}

/** Describe a DB snapshot or DB cluster snapshot (poll-status, and the vault role's describe). */
export const DESCRIBE_SNAPSHOT_ACTIONS = ['rds:DescribeDBSnapshots', 'rds:DescribeDBClusterSnapshots'] as const;
/** Copy a DB snapshot or DB cluster snapshot (into the vault: the vault role, or cross-account-copy itself in same-account mode). */
export const COPY_SNAPSHOT_ACTIONS = ['rds:CopyDBSnapshot', 'rds:CopyDBClusterSnapshot'] as const;
/** What the copier reads of the vault copies: describe, and their tags (a re-run recognises its own copy). */
export const DESCRIBE_VAULT_COPY_ACTIONS = [...DESCRIBE_SNAPSHOT_ACTIONS, 'rds:ListTagsForResource'] as const;
/** Tag a vault copy (project tag keys only; see the statements' conditions). */
export const TAG_VAULT_COPY_ACTIONS = ['rds:AddTagsToResource'] as const;
/** What a source function needs to use the vault role (on the role's ARN only). */
export const ASSUME_VAULT_ROLE_ACTIONS = ['sts:AssumeRole'] as const;
/** Sid of the statement granting {@link ASSUME_VAULT_ROLE_ACTIONS}. */
export const ASSUME_VAULT_ROLE_SID = 'AssumeVaultRole';

/**
 * The session policy of poll-status's vault session: it may only describe DB snapshots and DB
 * cluster snapshots, whatever the vault copy role itself may do (copy, tag). A leaked or misused
 * poll-status session can then create or tag nothing in the vault. Resources stay `*`: the session
 * can never exceed the role, whose own policy scopes them to the vault account.
 * Source: https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies.html#policies_session
 */
export const DESCRIBE_ONLY_SESSION_POLICY: SessionPolicy = {
  Version: '2012-10-17',
  Statement: [{ Sid: 'DescribeOnly', Effect: 'Allow', Action: [...DESCRIBE_SNAPSHOT_ACTIONS], Resource: '*' }],
};

/** The variables of a function's environment the decision reads (validated by vaultModeCheck, contracts/rules.ts). */
export interface VaultAccessEnvironment {
  /** The account the function runs in. */
  readonly ACCOUNT_ID: string;
  /** The Lambda's own Region (the STS endpoint it calls). */
  readonly AWS_REGION: string;
  /** The vault account (= ACCOUNT_ID in same-account mode). */
  readonly VAULT_ACCOUNT_ID: string;
  /** Both set in cross-account mode, both absent in same-account mode. */
  readonly VAULT_ROLE_ARN?: string | undefined;
  readonly VAULT_EXTERNAL_ID?: string | undefined;
}

/** How to reach one account's snapshots; see {@link vaultAccessFor}. */
export type VaultAccessDecision =
  /** The function's own credentials (its own account: the source account, or the vault in same-account mode). */
  | { readonly via: 'own-credentials' }
  /** AssumeRole on `roleArn` with `externalId` through the STS endpoint of `stsRegion`, the session limited by `sessionPolicy` when given. */
  | {
      readonly via: 'vault-role';
      readonly roleArn: string;
      readonly externalId: string;
      /** RoleSessionName: `rds-snapshot-vault-<function>`. */
      readonly sessionName: string;
      readonly stsRegion: string;
      readonly sessionPolicy?: SessionPolicy;
    }
  /** Neither this account nor a vault reached through the role: the caller rejects the input. */
  | { readonly via: 'unreachable'; readonly reason: string };

/** RoleSessionName of each purpose's vault session (the function that opens it). */
const SESSION_NAMES: Record<VaultAccessPurpose, string> = {
  describe: 'rds-snapshot-vault-poll-status',
  copy: 'rds-snapshot-vault-cross-account-copy',
};

/**
 * The one vault access decision. `accountId` is the account whose snapshot is described
 * (`describe`) or where the copy is made (`copy`: always VAULT_ACCOUNT_ID).
 * - this account (ACCOUNT_ID, the vault too in same-account mode): own credentials;
 * - the vault account in cross-account mode (VAULT_ROLE_ARN and VAULT_EXTERNAL_ID set): the vault
 *   role, limited to describing by {@link DESCRIBE_ONLY_SESSION_POLICY} for `describe`, with the
 *   role's full permissions (copy, tag, describe) for `copy`;
 * - any other account: `unreachable`. Pure.
 */
export function vaultAccessFor(env: VaultAccessEnvironment, purpose: VaultAccessPurpose, accountId: string): VaultAccessDecision {
  if (accountId === env.ACCOUNT_ID) return { via: 'own-credentials' };
  if (accountId === env.VAULT_ACCOUNT_ID && env.VAULT_ROLE_ARN !== undefined && env.VAULT_EXTERNAL_ID !== undefined) {
    return {
      via: 'vault-role',
      roleArn: env.VAULT_ROLE_ARN,
      externalId: env.VAULT_EXTERNAL_ID,
      sessionName: SESSION_NAMES[purpose],
      stsRegion: env.AWS_REGION,
      ...(purpose === 'describe' && { sessionPolicy: DESCRIBE_ONLY_SESSION_POLICY }),
    };
  }
  return { via: 'unreachable', reason: `${accountId} is neither this account (${env.ACCOUNT_ID}) nor the vault account (${env.VAULT_ACCOUNT_ID})` };
}

/** An IAM policy statement as plain data (the shape of CDK's `PolicyStatementProps`, without CDK). */
export interface StatementSpec {
  readonly sid: string;
  readonly actions: string[];
  readonly resources: string[];
  readonly conditions?: Record<string, Record<string, unknown>>;
}

/** Resources of {@link vaultCopyStatements}. */
export interface VaultCopyResources {
  /** Copy targets and copy sources (this tool's `rsv-*` copies). */
  readonly copy: readonly string[];
  /** Snapshots of the vault Regions the copier describes. */
  readonly describe: readonly string[];
  /** The vault copies it tags. */
  readonly tag: readonly string[];
  /** `aws:TagKeys` allowed on a copy (the project's keys). */
  readonly tagKeys: readonly string[];
  /** The condition limiting AddTagsToResource to the project's tag keys. */
  readonly tagCondition: Record<string, Record<string, unknown>>;
}

/**
 * The statements of whoever copies into the vault: the vault role (cross-account mode) or
 * cross-account-copy itself (same-account mode). Copy (with the project's tag keys only, a source
 * authorization carries no aws:TagKeys so ForAllValues holds), describe, tag. `sids` names them
 * as each role always has.
 */
export function vaultCopyStatements(r: VaultCopyResources, sids: { readonly copy: string; readonly describe: string; readonly tag: string }): StatementSpec[] {
  return [
    { sid: sids.copy, actions: [...COPY_SNAPSHOT_ACTIONS], resources: [...r.copy], conditions: { 'ForAllValues:StringEquals': { 'aws:TagKeys': [...r.tagKeys] } } },
    { sid: sids.describe, actions: [...DESCRIBE_VAULT_COPY_ACTIONS], resources: [...r.describe] },
    { sid: sids.tag, actions: [...TAG_VAULT_COPY_ACTIONS], resources: [...r.tag], conditions: r.tagCondition },
  ];
}
