/**
 * STS AssumeRole (trust policy, external ID, identity policy, expiry), KMS DescribeKey, and the
 * IAM policy evaluation the sandbox enforces (the third-party evaluator behind sandbox/simulator/iam-eval.ts).
 */
import { CopyDBSnapshotCommand, DeleteDBSnapshotCommand, DescribeDBClusterSnapshotsCommand, DescribeDBSnapshotsCommand, RDSClient } from '@aws-sdk/client-rds';
import { DescribeKeyCommand } from '@aws-sdk/client-kms';
import { AssumeRoleCommand, GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { afterEach, describe, expect, it } from 'vitest';
import { authorize, type AuthzRequest, type PolicyDocument } from '../../sandbox/simulator/index';
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

describe('STS AssumeRole with a session policy (Policy)', () => {
  let w: World;
  afterEach(() => w.sandbox.uninstall());
  const describeOnly = JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: ['rds:DescribeDBSnapshots', 'rds:DescribeDBClusterSnapshots'], Resource: '*' }] });

  async function session(policy?: string) {
    const roleArn = w.sandbox.iam.putRole({
      accountId: VAULT,
      roleName: 'vault-copier',
      trustPolicy: trust(root(SOURCE), 'ext-id'),
      // The role itself may describe, copy and delete.
      policies: [{ Statement: [{ Effect: 'Allow', Action: ['rds:DescribeDBSnapshots', 'rds:CopyDBSnapshot', 'rds:DeleteDBSnapshot'], Resource: '*' }] }],
    });
    const out = await w.sts(root(SOURCE)).send(new AssumeRoleCommand({ RoleArn: roleArn, RoleSessionName: 'poll', ExternalId: 'ext-id', ...(policy !== undefined && { Policy: policy }) }));
    const c = out.Credentials!;
    return new RDSClient({ region: R1, credentials: { accessKeyId: c.AccessKeyId!, secretAccessKey: c.SecretAccessKey!, sessionToken: c.SessionToken! } });
  }

  it('the session may do only what both the role and the session policy allow', async () => {
    w = newWorld();
    w.sandbox.rds.createDbInstance({ accountId: VAULT, region: R1, identifier: 'a', engine: 'postgres', allocatedStorageGiB: 20, storageEncrypted: false });
    w.sandbox.rds.createManualSnapshot({ accountId: VAULT, region: R1, dbIdentifier: 'a', kind: 'instance', identifier: 'rsv-a-202611200300' });
    const rds = await session(describeOnly);
    await expect(rds.send(new DescribeDBSnapshotsCommand({}))).resolves.toBeDefined();
    const copy = await expectAwsError(rds.send(new CopyDBSnapshotCommand({ SourceDBSnapshotIdentifier: 'rsv-a-202611200300', TargetDBSnapshotIdentifier: 'rsv-b-202611200300' })), 'AccessDenied');
    expect(copy.message).toBe(
      `User: arn:aws:sts::${VAULT}:assumed-role/vault-copier/poll is not authorized to perform: rds:CopyDBSnapshot on resource: arn:aws:rds:${R1}:${VAULT}:snapshot:rsv-a-202611200300 because no session policy allows the rds:CopyDBSnapshot action`,
    );
    await expectAwsError(rds.send(new DeleteDBSnapshotCommand({ DBSnapshotIdentifier: 'rsv-a-202611200300' })), 'AccessDenied');
    // A session policy never adds to the role: the role may not describe cluster snapshots.
    await expectAwsError(rds.send(new DescribeDBClusterSnapshotsCommand({})), 'AccessDenied');
  });

  it('without a session policy the session has the role\'s permissions', async () => {
    w = newWorld();
    w.sandbox.rds.createDbInstance({ accountId: VAULT, region: R1, identifier: 'a', engine: 'postgres', allocatedStorageGiB: 20, storageEncrypted: false });
    w.sandbox.rds.createManualSnapshot({ accountId: VAULT, region: R1, dbIdentifier: 'a', kind: 'instance', identifier: 'rsv-a-202611200300' });
    const rds = await session();
    await expect(rds.send(new CopyDBSnapshotCommand({ SourceDBSnapshotIdentifier: 'rsv-a-202611200300', TargetDBSnapshotIdentifier: 'rsv-b-202611200300' }))).resolves.toBeDefined();
    await expect(rds.send(new DeleteDBSnapshotCommand({ DBSnapshotIdentifier: 'rsv-a-202611200300' }))).resolves.toBeDefined();
  });

  it('a malformed or too long session policy is rejected; managed session policies (PolicyArns) are not modelled', async () => {
    w = newWorld();
    await expectAwsError(session('{not json'), 'MalformedPolicyDocumentException');
    await expectAwsError(session(JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Permit', Action: 'rds:*', Resource: '*' }] })), 'MalformedPolicyDocumentException');
    await expectAwsError(session(JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'rds:DescribeDBSnapshots', Resource: '*', Sid: 'x'.repeat(2100) }] })), 'ValidationError');
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
  const roleArn = `arn:aws:iam::${SOURCE}:role/r`;
  /** The decision for a role of SOURCE with these identity policies: allow, explicitDeny or implicitDeny. */
  const evaluateIdentity = (policies: readonly PolicyDocument[], request: AuthzRequest, resourcePolicy?: PolicyDocument) => {
    const why = authorize({
      caller: { kind: 'role', principal: { accountId: SOURCE, arn: roleArn, sessionArn: `arn:aws:sts::${SOURCE}:assumed-role/r/s` }, policies },
      request,
      resourceAccountId: SOURCE,
      ...(resourcePolicy ? { resourcePolicy } : {}),
    });
    return why === undefined ? 'allow' : why === 'explicit' ? 'explicitDeny' : 'implicitDeny';
  };

  it('Allow matches with wildcards in Action (case-insensitive) and Resource; Deny wins; NotAction/NotResource work', () => {
    expect(evaluateIdentity([{ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'RDS:Delete*', Resource: `arn:aws:rds:*:${SOURCE}:snapshot:vault-*` }] }], req)).toBe('allow');
    expect(evaluateIdentity([{ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'rds:DeleteDBSnapsho?', Resource: '*' }] }], req)).toBe('allow');
    expect(evaluateIdentity([{ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'rds:Describe*', Resource: '*' }] }], req)).toBe('implicitDeny');
    expect(evaluateIdentity([{ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'rds:*', Resource: `arn:aws:rds:*:${SOURCE}:snapshot:other-*` }] }], req)).toBe('implicitDeny');
    expect(
      evaluateIdentity(
        [{ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }] }, { Version: '2012-10-17', Statement: { Effect: 'Deny', NotAction: ['rds:Describe*'], Resource: '*' } }],
        req,
      ),
    ).toBe('explicitDeny');
    expect(evaluateIdentity([{ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: '*', NotResource: `arn:aws:rds:*:*:snapshot:vault-*` }] }], req)).toBe('implicitDeny');
  });

  type Condition = NonNullable<PolicyDocument['Statement'] extends infer S ? (S extends readonly (infer T)[] ? T : S) : never>['Condition'];
  const allowIf = (Condition: Condition, request: AuthzRequest = req) =>
    evaluateIdentity([{ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'rds:*', Resource: '*', ...(Condition ? { Condition } : {}) }] }], request);

  it('conditions: StringEquals / StringLike / StringNotEquals / IfExists / Null on keys the sandbox models (absent tag keys are facts)', () => {
    expect(allowIf({ StringEquals: { 'aws:ResourceTag/env': 'prod' } })).toBe('allow');
    expect(allowIf({ StringEquals: { 'aws:ResourceTag/env': ['dev', 'test'] } })).toBe('implicitDeny');
    expect(allowIf({ StringLike: { 'aws:ResourceTag/env': 'pr*' } })).toBe('allow');
    expect(allowIf({ StringNotEquals: { 'aws:ResourceTag/env': 'prod' } })).toBe('implicitDeny');
    expect(allowIf({ StringNotEquals: { 'aws:ResourceTag/owner': 'bob' } })).toBe('allow'); // absent key
    expect(allowIf({ StringEquals: { 'aws:ResourceTag/owner': 'bob' } })).toBe('implicitDeny'); // absent key
    expect(allowIf({ StringEqualsIfExists: { 'aws:ResourceTag/owner': 'bob' } })).toBe('allow');
    expect(allowIf({ Null: { 'aws:ResourceTag/env': 'false' } })).toBe('allow');
  });

  it('a condition key the sandbox cannot judge never counts as satisfied: an Allow on it grants nothing, a Deny on it applies', () => {
    // aws:SourceVpc is not modelled (no VPC endpoints in the sandbox): an Allow conditioned on it cannot grant,
    // whatever the operator (the old evaluator counted it as satisfied).
    expect(allowIf({ StringEquals: { 'aws:SourceVpc': 'vpc-1' } })).toBe('implicitDeny');
    expect(allowIf({ StringNotEquals: { 'aws:SourceVpc': 'vpc-1' } })).toBe('implicitDeny');
    // ...also when another, judged, entry of the same statement holds.
    expect(allowIf({ StringEquals: { 'aws:ResourceTag/env': 'prod', 'aws:SourceVpc': 'vpc-1' } })).toBe('implicitDeny');
    // A Deny conditioned on an unjudged key applies (stricter reading), while its judged entries still count.
    const allowAll = { Version: '2012-10-17', Statement: [{ Effect: 'Allow' as const, Action: 'rds:*', Resource: '*' }] };
    const denyIf = (Condition: Condition) => evaluateIdentity([allowAll, { Version: '2012-10-17', Statement: [{ Effect: 'Deny', Action: 'rds:*', Resource: '*', Condition }] }], req);
    expect(denyIf({ StringNotEquals: { 'aws:SourceVpce': 'vpce-1' } })).toBe('explicitDeny');
    expect(denyIf({ StringEquals: { 'aws:SourceVpce': 'vpce-1' } })).toBe('explicitDeny');
    expect(denyIf({ StringEquals: { 'aws:SourceVpce': 'vpce-1', 'aws:ResourceTag/env': 'dev' } })).toBe('allow');
    // A key the caller sends that AWS does not set for the action is dropped and unjudged: kms:ViaService on an RDS call.
    const withVia = { ...req, context: { ...req.context, 'kms:ViaService': 'rds.us-east-1.amazonaws.com' } };
    expect(allowIf({ StringEquals: { 'kms:ViaService': 'rds.us-east-1.amazonaws.com' } }, withVia)).toBe('implicitDeny');
  });

  it('resource policies: same account grants through the policy alone, the account root needs the identity policy too; another account needs both', () => {
    const key = `arn:aws:kms:${R1}:${SOURCE}:key/k1`;
    const kreq = { action: 'kms:Decrypt', resource: key };
    const namesRole = { Version: '2012-10-17', Statement: [{ Effect: 'Allow' as const, Principal: { AWS: roleArn }, Action: 'kms:Decrypt', Resource: '*' }] };
    const namesRoot = { Version: '2012-10-17', Statement: [{ Effect: 'Allow' as const, Principal: { AWS: `arn:aws:iam::${SOURCE}:root` }, Action: 'kms:*', Resource: '*' }] };
    const idAllow = { Version: '2012-10-17', Statement: [{ Effect: 'Allow' as const, Action: 'kms:Decrypt', Resource: key }] };
    expect(evaluateIdentity([], kreq, namesRole)).toBe('allow');
    expect(evaluateIdentity([], kreq, namesRoot)).toBe('implicitDeny');
    expect(evaluateIdentity([idAllow], kreq, namesRoot)).toBe('allow');
    // KMS: without a key policy statement for the account, an identity policy alone grants nothing.
    expect(evaluateIdentity([idAllow], kreq, { Version: '2012-10-17', Statement: [] })).toBe('implicitDeny');
    const crossKey = `arn:aws:kms:${R1}:${VAULT}:key/k2`;
    const namesSource = { Version: '2012-10-17', Statement: [{ Effect: 'Allow' as const, Principal: { AWS: `arn:aws:iam::${SOURCE}:root` }, Action: 'kms:Decrypt', Resource: '*' }] };
    const cross = (policies: PolicyDocument[]) =>
      authorize({
        caller: { kind: 'role', principal: { accountId: SOURCE, arn: roleArn, sessionArn: `arn:aws:sts::${SOURCE}:assumed-role/r/s` }, policies },
        request: { action: 'kms:Decrypt', resource: crossKey },
        resourceAccountId: VAULT,
        resourcePolicy: namesSource,
      });
    expect(cross([])).toBe('identity');
    expect(cross([{ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'kms:Decrypt', Resource: crossKey }] }])).toBeUndefined();
  });
});
