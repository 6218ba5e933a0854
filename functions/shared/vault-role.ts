/**
 * Access to RDS in the vault account through the vault role (STS AssumeRole with an external ID).
 * Source: https://docs.aws.amazon.com/STS/latest/APIReference/API_AssumeRole.html ,
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_common-scenarios_third-party.html
 */
import type { RDSClient } from '@aws-sdk/client-rds';
import { AssumeRoleCommand } from '@aws-sdk/client-sts';
import type { ClientFactory } from './clients/factory.js';
import { isAwsError, VaultRoleNotAssumable } from './errors.js';

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

/** An IAM policy document passed as an AssumeRole session policy (JSON, at most 2,048 characters). */
export interface SessionPolicy {
  readonly Version: '2012-10-17';
  readonly Statement: ReadonlyArray<{ readonly Sid?: string; readonly Effect: 'Allow' | 'Deny'; readonly Action: string | readonly string[]; readonly Resource: string | readonly string[] }>;
}

/**
 * The session policy of poll-status's vault session: it may only describe DB snapshots and DB
 * cluster snapshots, whatever the vault copy role itself may do (copy, tag). A leaked or misused
 * poll-status session can then create or tag nothing in the vault. Resources stay `*`: the session
 * can never exceed the role, whose own policy scopes them to the vault account.
 * Source: https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies.html#policies_session
 */
export const DESCRIBE_ONLY_SESSION_POLICY: SessionPolicy = {
  Version: '2012-10-17',
  Statement: [{ Sid: 'DescribeOnly', Effect: 'Allow', Action: ['rds:DescribeDBSnapshots', 'rds:DescribeDBClusterSnapshots'], Resource: '*' }],
};

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
