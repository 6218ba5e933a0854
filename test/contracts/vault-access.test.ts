/**
 * Issue 11: the vault access decision is made once (contracts/vault-access.ts) for poll-status
 * (describe) and cross-account-copy (copy). What each function does with it end to end is in
 * test/functions/poll-status.test.ts and cross-account-copy.test.ts; the IAM side in test/infra.
 */
import { describe, expect, it } from 'vitest';
import { DESCRIBE_ONLY_SESSION_POLICY, vaultAccessFor } from '../../contracts/vault-access';

const SOURCE = '111111111111';
const VAULT = '222222222222';
const ROLE = `arn:aws:iam::${VAULT}:role/rds-snapshot-vault-vault-copy`;
const CROSS = { ACCOUNT_ID: SOURCE, AWS_REGION: 'eu-west-1', VAULT_ACCOUNT_ID: VAULT, VAULT_ROLE_ARN: ROLE, VAULT_EXTERNAL_ID: 'ext-123456789012' };
const SAME = { ACCOUNT_ID: SOURCE, AWS_REGION: 'eu-west-1', VAULT_ACCOUNT_ID: SOURCE };

describe('vaultAccessFor', () => {
  it('own account: own credentials, whatever the purpose and mode', () => {
    for (const env of [CROSS, SAME]) {
      expect(vaultAccessFor(env, 'describe', SOURCE)).toEqual({ via: 'own-credentials' });
      expect(vaultAccessFor(env, 'copy', SOURCE)).toEqual({ via: 'own-credentials' });
    }
  });

  it('vault account, cross-account mode: the vault role through the local STS endpoint; describe-only session for describe, full role for copy', () => {
    expect(vaultAccessFor(CROSS, 'describe', VAULT)).toEqual({
      via: 'vault-role',
      roleArn: ROLE,
      externalId: 'ext-123456789012',
      sessionName: 'rds-snapshot-vault-poll-status',
      stsRegion: 'eu-west-1',
      sessionPolicy: DESCRIBE_ONLY_SESSION_POLICY,
    });
    const copy = vaultAccessFor(CROSS, 'copy', VAULT);
    expect(copy).toMatchObject({ via: 'vault-role', roleArn: ROLE, sessionName: 'rds-snapshot-vault-cross-account-copy' });
    expect(copy).not.toHaveProperty('sessionPolicy');
  });

  it('the describe-only session allows exactly the two snapshot Describe actions', () => {
    expect(DESCRIBE_ONLY_SESSION_POLICY.Statement).toEqual([
      { Sid: 'DescribeOnly', Effect: 'Allow', Action: ['rds:DescribeDBSnapshots', 'rds:DescribeDBClusterSnapshots'], Resource: '*' },
    ]);
  });

  it('another account (or the vault without a role) is unreachable, named in the reason', () => {
    const other = vaultAccessFor(CROSS, 'describe', '333333333333');
    expect(other).toEqual({ via: 'unreachable', reason: `333333333333 is neither this account (${SOURCE}) nor the vault account (${VAULT})` });
    expect(vaultAccessFor({ ...CROSS, VAULT_EXTERNAL_ID: undefined }, 'copy', VAULT).via).toBe('unreachable');
  });
});
