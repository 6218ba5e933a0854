/**
 * The mock plumbing: real SDK clients reach the sandbox, identity comes from the client's
 * credentials, unknown keys fail like AWS, every call is recorded.
 */
import { DescribeDBInstancesCommand, RDSClient } from '@aws-sdk/client-rds';
import { DescribeKeyCommand, KMSClient } from '@aws-sdk/client-kms';
import { ListBucketsCommand, S3Client } from '@aws-sdk/client-s3';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { afterEach, describe, expect, it } from 'vitest';
import { AwsSandbox, VirtualClock } from '../../sandbox/simulator/index';
import { expectAwsError, newWorld, R1, R2, root, SOURCE, VAULT, type World } from './helpers';

// Created at module scope, before any sandbox exists: must still be routed once installed.
const moduleScopeClient = new RDSClient({ region: R2, credentials: { accessKeyId: 'AKIAUNKNOWN000000000', secretAccessKey: 'x' } });

describe('sandbox plumbing', () => {
  let w: World;
  afterEach(() => w.sandbox.uninstall());

  it('routes a real RDSClient to the account and Region of its credentials and records the call', async () => {
    w = newWorld();
    w.sandbox.rds.createDbInstance({ accountId: SOURCE, region: R1, identifier: 'Orders-DB', engine: 'postgres', allocatedStorageGiB: 20, storageEncrypted: false });
    w.sandbox.rds.createDbInstance({ accountId: VAULT, region: R1, identifier: 'other', engine: 'postgres', allocatedStorageGiB: 20, storageEncrypted: false });
    const out = await w.rds(root(SOURCE)).send(new DescribeDBInstancesCommand({}));
    expect(out.DBInstances?.map((d) => d.DBInstanceIdentifier)).toEqual(['orders-db']);
    expect(out.$metadata.httpStatusCode).toBe(200);
    const inOtherRegion = await w.rds(root(SOURCE), R2).send(new DescribeDBInstancesCommand({}));
    expect(inOtherRegion.DBInstances).toEqual([]);
    expect(w.sandbox.calls).toHaveLength(2);
    expect(w.sandbox.calls[0]).toMatchObject({ service: 'rds', operation: 'DescribeDBInstances', accountId: SOURCE, region: R1, principalArn: root(SOURCE), at: '2026-11-20T05:00:00.000Z' });
    expect(w.sandbox.calls[0]?.errorName).toBeUndefined();
  });

  it('recordCallInputs: false keeps each call (operation, account, error) but not its input; the default keeps the input', async () => {
    w = newWorld();
    const { sandbox } = w;
    w.sandbox.rds.createDbInstance({ accountId: SOURCE, region: R1, identifier: 'orders-db', engine: 'postgres', allocatedStorageGiB: 20, storageEncrypted: false });
    await w.rds(root(SOURCE)).send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: 'orders-db' }));
    expect(sandbox.calls[0]?.input).toEqual({ DBInstanceIdentifier: 'orders-db' });
    sandbox.uninstall();
    const lean = new AwsSandbox({ clock: new VirtualClock(new Date('2026-11-20T05:00:00.000Z')), recordCallInputs: false });
    lean.install();
    try {
      lean.rds.createDbInstance({ accountId: SOURCE, region: R1, identifier: 'orders-db', engine: 'postgres', allocatedStorageGiB: 20, storageEncrypted: false });
      const rds = new RDSClient({ region: R1, credentials: lean.credentialsFor(root(SOURCE)) });
      await rds.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: 'orders-db' }));
      await expect(rds.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: 'missing-db' }))).rejects.toMatchObject({ name: 'DBInstanceNotFoundFault' });
      expect(lean.calls).toMatchObject([
        { operation: 'DescribeDBInstances', accountId: SOURCE, input: undefined },
        { operation: 'DescribeDBInstances', accountId: SOURCE, input: undefined, errorName: 'DBInstanceNotFoundFault' },
      ]);
    } finally {
      lean.uninstall();
      w = newWorld();
    }
  });

  it('catches clients created at module scope; an unknown access key fails with InvalidClientTokenId (RDS/STS/SNS) or UnrecognizedClientException (KMS)', async () => {
    w = newWorld();
    const e = await expectAwsError(moduleScopeClient.send(new DescribeDBInstancesCommand({})), 'InvalidClientTokenId');
    expect(e.$metadata?.httpStatusCode).toBe(403);
    const bad = { accessKeyId: 'AKIANOTISSUED0000000', secretAccessKey: 'x' };
    await expectAwsError(new STSClient({ region: R1, credentials: bad }).send(new GetCallerIdentityCommand({})), 'InvalidClientTokenId');
    await expectAwsError(new SNSClient({ region: R1, credentials: bad }).send(new PublishCommand({ TopicArn: `arn:aws:sns:${R1}:${SOURCE}:t`, Message: 'x' })), 'InvalidClientTokenId');
    await expectAwsError(new KMSClient({ region: R1, credentials: bad }).send(new DescribeKeyCommand({ KeyId: 'alias/x' })), 'UnrecognizedClientException');
    expect(w.sandbox.calls.map((c) => c.errorName)).toEqual(['InvalidClientTokenId', 'InvalidClientTokenId', 'InvalidClientTokenId', 'UnrecognizedClientException']);
  });

  it('GetCallerIdentity reports the principal behind the credentials', async () => {
    w = newWorld();
    const roleArn = w.sandbox.iam.putRole({ accountId: VAULT, roleName: 'copier', trustPolicy: { Statement: [] }, policies: [] });
    expect(await w.sts(root(SOURCE)).send(new GetCallerIdentityCommand({}))).toMatchObject({ Account: SOURCE, Arn: root(SOURCE), UserId: SOURCE });
    const asRole = await w.sts(roleArn).send(new GetCallerIdentityCommand({}));
    expect(asRole.Account).toBe(VAULT);
    expect(asRole.Arn).toBe(`arn:aws:sts::${VAULT}:assumed-role/copier/sandbox`);
    expect(w.sandbox.credentialsFor(roleArn)).toEqual(w.sandbox.credentialsFor(roleArn));
  });

  it('operations the sandbox does not simulate fail with NotImplemented (e.g. S3 ListBuckets)', async () => {
    w = newWorld();
    const s3 = new S3Client({ region: R1, credentials: w.sandbox.credentialsFor(root(SOURCE)) });
    const e = await expectAwsError(s3.send(new ListBucketsCommand({})), 'NotImplemented');
    expect(e.message).toContain('s3:ListBuckets');
    expect(w.sandbox.calls.at(-1)).toMatchObject({ service: 's3', operation: 'ListBuckets', errorName: 'NotImplemented' });
  });

  it('uninstall restores the real send; install is idempotent', () => {
    w = newWorld();
    w.sandbox.install();
    expect(typeof (RDSClient.prototype.send as unknown as { restore?: unknown }).restore).toBe('function');
    w.sandbox.uninstall();
    expect((RDSClient.prototype.send as unknown as { restore?: unknown }).restore).toBeUndefined();
    const other = new AwsSandbox({ clock: new VirtualClock() });
    other.uninstall(); // safe when never installed
  });
});

describe('issued credentials', () => {
  it('never reuses an access key: 2,000 sessions keep mapping to their own principals', async () => {
    const { AwsSandbox } = await import('../../sandbox/simulator/index');
    const { VirtualClock } = await import('../../sandbox/simulator/index');
    const { STSClient, AssumeRoleCommand, GetCallerIdentityCommand } = await import('@aws-sdk/client-sts');
    const sandbox = new AwsSandbox({ clock: new VirtualClock() });
    sandbox.install();
    try {
      const trust = { Version: '2012-10-17', Statement: [{ Effect: 'Allow' as const, Principal: { AWS: 'arn:aws:iam::111111111111:root' }, Action: 'sts:AssumeRole' }] };
      const target = sandbox.iam.putRole({ accountId: '222222222222', roleName: 'target', trustPolicy: trust, policies: [] });
      const root = new STSClient({ region: 'us-east-1', credentials: sandbox.credentialsFor('arn:aws:iam::111111111111:root') });
      const keys = new Set<string>();
      for (let i = 0; i < 2000; i++) {
        const out = await root.send(new AssumeRoleCommand({ RoleArn: target, RoleSessionName: `s${i}` }));
        keys.add(out.Credentials!.AccessKeyId!);
      }
      expect(keys.size).toBe(2000);
      const me = await root.send(new GetCallerIdentityCommand({}));
      expect(me.Arn).toBe('arn:aws:iam::111111111111:root');
    } finally {
      sandbox.uninstall();
    }
  });
});
