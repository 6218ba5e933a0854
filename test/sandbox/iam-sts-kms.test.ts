/**
 * STS AssumeRole (trust policy, external ID, identity policy, expiry), KMS DescribeKey, and the
 * IAM policy evaluation the sandbox enforces.
 */
import { DescribeDBSnapshotsCommand, RDSClient } from '@aws-sdk/client-rds';
import { DescribeKeyCommand } from '@aws-sdk/client-kms';
import { AssumeRoleCommand, GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { afterEach, describe, expect, it } from 'vitest';
import { evaluateIdentity, type PolicyDocument } from '../../sandbox/index';
import { expectAwsError, newWorld, OTHER, R1, R2, root, SOURCE, VAULT, type World } from './helpers';

const trust = (principal: string | string[], externalId?: string): PolicyDocument => ({
  Version: '2012-10-17',
  Statement: [
    {
      Effect: 'Allow',
      Principal: { AWS: principal },
      Action: 'sts:AssumeRole',
      ...(externalId ? { Condition: { StringEquals: { 'sts:ExternalId': externalId } } } : {}),
    },
  ],
});

describe('STS AssumeRole', () => {
  let w: World;
  afterEach(() => w.sandbox.uninstall());

  it('returns session credentials mapped to the role; the session is an IAM-enforced assumed role', async () => {
    w = newWorld();
    const roleArn = w.sandbox.iam.putRole({
      accountId: VAULT,
      roleName: 'vault-copier',
      trustPolicy: trust(root(SOURCE), 'vault-ext-id'),
      policies: [{ Statement: [{ Effect: 'Allow', Action: 'rds:DescribeDBSnapshots', Resource: '*' }] }],
    });
    const out = await w.sts(root(SOURCE)).send(new AssumeRoleCommand({ RoleArn: roleArn, RoleSessionName: 'backup-run', ExternalId: 'vault-ext-id', DurationSeconds: 900 }));
    expect(out.AssumedRoleUser?.Arn).toBe(`arn:aws:sts::${VAULT}:assumed-role/vault-copier/backup-run`);
    expect(out.Credentials?.Expiration?.toISOString()).toBe('2026-11-20T05:15:00.000Z');
    const credentials = { accessKeyId: out.Credentials!.AccessKeyId!, secretAccessKey: out.Credentials!.SecretAccessKey!, sessionToken: out.Credentials!.SessionToken! };
    const who = await new STSClient({ region: R1, credentials }).send(new GetCallerIdentityCommand({}));
    expect(who).toMatchObject({ Account: VAULT, Arn: `arn:aws:sts::${VAULT}:assumed-role/vault-copier/backup-run` });
    const rds = new RDSClient({ region: R1, credentials });
    await expect(rds.send(new DescribeDBSnapshotsCommand({}))).resolves.toBeDefined();
    expect(w.sandbox.calls.at(-1)).toMatchObject({ accountId: VAULT, principalArn: roleArn });
    // Sessions expire: after DurationSeconds the credentials fail with ExpiredToken.
    w.clock.advance(900);
    await expectAwsError(rds.send(new DescribeDBSnapshotsCommand({})), 'ExpiredToken');
  });

  it('AssumeRole with a wrong or missing external ID fails with AccessDenied (AWS message shape)', async () => {
    w = newWorld();
    const roleArn = w.sandbox.iam.putRole({ accountId: VAULT, roleName: 'vault-copier', trustPolicy: trust(SOURCE, 'right-id'), policies: [] });
    const sts = w.sts(root(SOURCE));
    const e = await expectAwsError(sts.send(new AssumeRoleCommand({ RoleArn: roleArn, RoleSessionName: 's1', ExternalId: 'wrong-id' })), 'AccessDenied');
    expect(e.message).toBe(`User: ${root(SOURCE)} is not authorized to perform: sts:AssumeRole on resource: ${roleArn}`);
    expect(e.$metadata?.httpStatusCode).toBe(403);
    await expectAwsError(sts.send(new AssumeRoleCommand({ RoleArn: roleArn, RoleSessionName: 's1' })), 'AccessDenied');
    await expect(sts.send(new AssumeRoleCommand({ RoleArn: roleArn, RoleSessionName: 's1', ExternalId: 'right-id' }))).resolves.toBeDefined();
  });

  it('the trust policy must name the caller; a missing role is AccessDenied; a role caller needs sts:AssumeRole in its identity policy', async () => {
    w = newWorld();
    const target = w.sandbox.iam.putRole({ accountId: VAULT, roleName: 'target', trustPolicy: trust(`arn:aws:iam::${SOURCE}:role/orchestrator`), policies: [] });
    await expectAwsError(w.sts(root(OTHER)).send(new AssumeRoleCommand({ RoleArn: target, RoleSessionName: 'x1' })), 'AccessDenied');
    await expectAwsError(w.sts(root(SOURCE)).send(new AssumeRoleCommand({ RoleArn: `arn:aws:iam::${VAULT}:role/missing`, RoleSessionName: 'x1' })), 'AccessDenied');
    const orchestrator = w.sandbox.iam.putRole({ accountId: SOURCE, roleName: 'orchestrator', trustPolicy: { Statement: [] }, policies: [] });
    const denied = await expectAwsError(w.sts(orchestrator).send(new AssumeRoleCommand({ RoleArn: target, RoleSessionName: 'x1' })), 'AccessDenied');
    expect(denied.message).toContain(`User: arn:aws:sts::${SOURCE}:assumed-role/orchestrator/sandbox`);
    w.sandbox.iam.putRole({ accountId: SOURCE, roleName: 'orchestrator', trustPolicy: { Statement: [] }, policies: [{ Statement: [{ Effect: 'Allow', Action: 'sts:AssumeRole', Resource: target }] }] });
    await expect(w.sts(orchestrator).send(new AssumeRoleCommand({ RoleArn: target, RoleSessionName: 'x1' }))).resolves.toBeDefined();
    // Role chaining is limited to one hour.
    await expectAwsError(w.sts(orchestrator).send(new AssumeRoleCommand({ RoleArn: target, RoleSessionName: 'x1', DurationSeconds: 7200 })), 'ValidationError');
  });
});

describe('KMS DescribeKey', () => {
  let w: World;
  afterEach(() => w.sandbox.uninstall());

  it('finds keys by id, ARN, alias and alias ARN in the caller Region; other Regions and unknown keys fail with NotFoundException', async () => {
    w = newWorld();
    const key = w.sandbox.kms.createKey({ accountId: VAULT, region: R1, alias: 'alias/vault', description: 'vault key' });
    const kms = w.kms(root(VAULT));
    for (const KeyId of [key.keyId, key.arn, 'alias/vault', `arn:aws:kms:${R1}:${VAULT}:alias/vault`]) {
      const out = await kms.send(new DescribeKeyCommand({ KeyId }));
      expect(out.KeyMetadata).toMatchObject({ Arn: key.arn, KeyId: key.keyId, AWSAccountId: VAULT, Enabled: true, KeyState: 'Enabled', KeyManager: 'CUSTOMER', Description: 'vault key' });
    }
    await expectAwsError(w.kms(root(VAULT), R2).send(new DescribeKeyCommand({ KeyId: 'alias/vault' })), 'NotFoundException');
    await expectAwsError(kms.send(new DescribeKeyCommand({ KeyId: 'alias/nope' })), 'NotFoundException');
    w.sandbox.kms.disableKey(key.arn);
    expect((await kms.send(new DescribeKeyCommand({ KeyId: key.arn }))).KeyMetadata).toMatchObject({ Enabled: false, KeyState: 'Disabled' });
  });

  it('another account needs the key policy to allow it (AccessDeniedException); a role needs kms:DescribeKey in its identity policy', async () => {
    w = newWorld();
    const key = w.sandbox.kms.createKey({ accountId: SOURCE, region: R1 });
    await expectAwsError(w.kms(root(VAULT)).send(new DescribeKeyCommand({ KeyId: key.arn })), 'AccessDeniedException');
    w.sandbox.kms.putKeyPolicy(key.arn, {
      Statement: [
        { Effect: 'Allow', Principal: { AWS: root(SOURCE) }, Action: 'kms:*', Resource: '*' },
        { Effect: 'Allow', Principal: { AWS: root(VAULT) }, Action: 'kms:DescribeKey', Resource: '*' },
      ],
    });
    await expect(w.kms(root(VAULT)).send(new DescribeKeyCommand({ KeyId: key.arn }))).resolves.toBeDefined();
    const role = w.sandbox.iam.putRole({ accountId: SOURCE, roleName: 'no-kms', trustPolicy: { Statement: [] }, policies: [] });
    const e = await expectAwsError(w.kms(role).send(new DescribeKeyCommand({ KeyId: key.arn })), 'AccessDeniedException');
    expect(e.message).toContain('kms:DescribeKey');
    // The AWS managed aws/rds key is only usable through RDS by its own account.
    const rdsKey = w.sandbox.kms.defaultRdsKey(SOURCE, R1);
    expect((await w.kms(root(SOURCE)).send(new DescribeKeyCommand({ KeyId: 'alias/aws/rds' }))).KeyMetadata).toMatchObject({ Arn: rdsKey, KeyManager: 'AWS' });
    await expectAwsError(w.kms(root(VAULT)).send(new DescribeKeyCommand({ KeyId: rdsKey })), 'AccessDeniedException');
  });
});

describe('IAM policy evaluation', () => {
  const req = { action: 'rds:DeleteDBSnapshot', resource: `arn:aws:rds:${R1}:${SOURCE}:snapshot:vault-copy-1`, context: { 'aws:ResourceTag/env': 'prod' } };

  it('Allow matches with wildcards in Action (case-insensitive) and Resource; Deny wins; NotAction/NotResource work', () => {
    expect(evaluateIdentity([{ Statement: [{ Effect: 'Allow', Action: 'RDS:Delete*', Resource: `arn:aws:rds:*:${SOURCE}:snapshot:vault-*` }] }], req)).toBe('allow');
    expect(evaluateIdentity([{ Statement: [{ Effect: 'Allow', Action: 'rds:DeleteDBSnapsho?', Resource: '*' }] }], req)).toBe('allow');
    expect(evaluateIdentity([{ Statement: [{ Effect: 'Allow', Action: 'rds:Describe*', Resource: '*' }] }], req)).toBe('implicitDeny');
    expect(evaluateIdentity([{ Statement: [{ Effect: 'Allow', Action: 'rds:*', Resource: `arn:aws:rds:*:${SOURCE}:snapshot:other-*` }] }], req)).toBe('implicitDeny');
    expect(
      evaluateIdentity(
        [{ Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }] }, { Statement: { Effect: 'Deny', NotAction: ['rds:Describe*'], Resource: '*' } }],
        req,
      ),
    ).toBe('explicitDeny');
    expect(evaluateIdentity([{ Statement: [{ Effect: 'Allow', Action: '*', NotResource: `arn:aws:rds:*:*:snapshot:vault-*` }] }], req)).toBe('implicitDeny');
  });

  it('conditions: StringEquals / StringLike / StringNotEquals on known keys; unknown keys are satisfied', () => {
    const allowIf = (Condition: NonNullable<PolicyDocument['Statement'] extends infer S ? (S extends readonly (infer T)[] ? T : S) : never>['Condition']) =>
      evaluateIdentity([{ Statement: [{ Effect: 'Allow', Action: 'rds:*', Resource: '*', ...(Condition ? { Condition } : {}) }] }], req);
    expect(allowIf({ StringEquals: { 'aws:ResourceTag/env': 'prod' } })).toBe('allow');
    expect(allowIf({ StringEquals: { 'aws:ResourceTag/env': ['dev', 'test'] } })).toBe('implicitDeny');
    expect(allowIf({ StringLike: { 'aws:ResourceTag/env': 'pr*' } })).toBe('allow');
    expect(allowIf({ StringNotEquals: { 'aws:ResourceTag/env': 'prod' } })).toBe('implicitDeny');
    expect(allowIf({ StringNotEquals: { 'aws:ResourceTag/owner': 'bob' } })).toBe('allow'); // absent key
    expect(allowIf({ StringEquals: { 'aws:ResourceTag/owner': 'bob' } })).toBe('implicitDeny'); // absent key
    expect(allowIf({ StringEqualsIfExists: { 'aws:ResourceTag/owner': 'bob' } })).toBe('allow');
    expect(allowIf({ StringEquals: { 'aws:SourceVpc': 'vpc-1' } })).toBe('allow'); // unknown key
    expect(allowIf({ Null: { 'aws:ResourceTag/env': 'false' } })).toBe('allow');
  });
});
