/**
 * Access to RDS in the vault account through the vault role (STS AssumeRole with an external ID).
 * Source: https://docs.aws.amazon.com/STS/latest/APIReference/API_AssumeRole.html ,
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_common-scenarios_third-party.html
 */
import type { RDSClient } from '@aws-sdk/client-rds';
import { AssumeRoleCommand } from '@aws-sdk/client-sts';
import type { ClientFactory } from './clients/factory.js';
import { InvalidInput, isAwsError, VaultRoleNotAssumable } from '../../contracts/errors.js';
import { type SessionPolicy, vaultAccessFor, type VaultAccessEnvironment, type VaultAccessPurpose } from '../../contracts/vault-access.js';

export { DESCRIBE_ONLY_SESSION_POLICY, type SessionPolicy } from '../../contracts/vault-access.js';

/** Parameters of {@link assumeVaultRole}. */
export interface VaultRoleParams {
  /** `arn:aws:iam::<vault account>:role/<name>`. */
  readonly roleArn: string;
  readonly externalId: string;
  /** RoleSessionName, e.g. `rds-snapshot-vault-poll-status` (cut to 64 characters). */
  readonly sessionName: string;
  /** Region of the returned RDS client (where the vault snapshot lives or the copy is made). */
  readonly region: string;
  /** Region of the STS endpoint; defaults to `region`. Pass the Lambda's own Region to stay local. */
  readonly stsRegion?: string;
  /**
   * Inline session policy (AssumeRole `Policy`): the session may do only what both the vault role
   * and this policy allow, e.g. {@link DESCRIBE_ONLY_SESSION_POLICY}. Default: the role's full permissions.
   */
  readonly sessionPolicy?: SessionPolicy;
}

/** Assumed-role sessions last this long (seconds; the STS minimum). A Lambda runs at most 900 s. */
export const VAULT_SESSION_SECONDS = 900;

/**
 * Assumes the vault role (`DurationSeconds` 900, `ExternalId`, and `Policy` when a session policy
 * is given) and returns an RDS client in
 * `params.region` using the temporary credentials (`accessKeyId`, `secretAccessKey`,
 * `sessionToken`, `expiration`).
 *
 * @throws VaultRoleNotAssumable when STS denies the call (AccessDenied): the role's trust policy
 *   does not trust this account/role, or the external ID differs.
 * @throws the STS error unchanged otherwise (e.g. throttling, which the state machine retries).
 */
export async function assumeVaultRole(clients: ClientFactory<'sts' | 'rds'>, params: VaultRoleParams): Promise<RDSClient> {
  const sts = clients.sts({ region: params.stsRegion ?? params.region });
  const sessionName = params.sessionName.replace(/[^\w+=,.@-]/g, '-').slice(0, 64);
  let out;
  try {
    out = await sts.send(
      new AssumeRoleCommand({
        RoleArn: params.roleArn,
        RoleSessionName: sessionName,
        ExternalId: params.externalId,
        DurationSeconds: VAULT_SESSION_SECONDS,
        ...(params.sessionPolicy !== undefined && { Policy: JSON.stringify(params.sessionPolicy) }),
      }),
    );
  } catch (err) {
    if (isAwsError(err, 'AccessDenied', 'AccessDeniedException')) {
      throw new VaultRoleNotAssumable(
        `Could not assume the vault role ${params.roleArn}: STS denied AssumeRole (${err.message}). Either the external ID is wrong ` +
          '(VAULT_EXTERNAL_ID must equal the sts:ExternalId condition in the role\'s trust policy) or the trust policy does not allow ' +
          'this Lambda\'s role as principal. Check the vault stack\'s trust policy, that the role exists, and that this ' +
          'Lambda\'s IAM policy allows sts:AssumeRole on that role.',
        { cause: err },
      );
    }
    throw err;
  }
  const c = out.Credentials;
  if (!c?.AccessKeyId || !c.SecretAccessKey) {
    throw new VaultRoleNotAssumable(`STS AssumeRole on ${params.roleArn} returned no credentials; check the vault role and retry.`);
  }
  return clients.rds({
    region: params.region,
    credentials: {
      accessKeyId: c.AccessKeyId,
      secretAccessKey: c.SecretAccessKey,
      ...(c.SessionToken !== undefined && { sessionToken: c.SessionToken }),
      ...(c.Expiration !== undefined && { expiration: new Date(c.Expiration) }),
    },
  });
}

/**
 * The RDS client in `region` for the snapshots of account `accountId`, as the vault access decision
 * ({@link vaultAccessFor}, contracts/vault-access.ts) says: the function's own credentials for its
 * own account, the vault role (describe-only session for `describe`) for the vault account in
 * cross-account mode.
 * @throws InvalidInput naming `field` when `accountId` is neither account.
 * @throws VaultRoleNotAssumable (see {@link assumeVaultRole}).
 */
export async function rdsForAccount(
  clients: ClientFactory<'sts' | 'rds'>,
  env: VaultAccessEnvironment,
  purpose: VaultAccessPurpose,
  target: { readonly accountId: string; readonly region: string; readonly field: string },
): Promise<RDSClient> {
  const access = vaultAccessFor(env, purpose, target.accountId);
  switch (access.via) {
    case 'own-credentials':
      return clients.rds({ region: target.region });
    case 'vault-role':
      return assumeVaultRole(clients, { ...access, region: target.region });
    case 'unreachable':
      throw new InvalidInput(`${target.field}: ${access.reason}`);
  }
}
