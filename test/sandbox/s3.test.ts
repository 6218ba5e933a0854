/**
 * The simulated S3: global bucket names, Regions, objects with SSE-KMS, IAM + bucket policies,
 * ListObjectsV2 pagination — through real S3Clients.
 */
import {
  CreateBucketCommand,
  DeleteObjectCommand,
  GetBucketLocationCommand,
  GetObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
} from '@aws-sdk/client-s3';
import { createHash } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { allow, expectAwsError, newWorld, OTHER, R1, R2, role, root, SOURCE, VAULT, type World } from './helpers';

describe('S3', () => {
  let w: World;
  afterEach(() => w.sandbox.uninstall());

  it('bucket names are global: the same name in another account fails with BucketAlreadyExists, in the same with BucketAlreadyOwnedByYou; bad names with InvalidBucketName', async () => {
    w = newWorld();
    expect(w.sandbox.s3.createBucket({ accountId: SOURCE, region: R1, name: 'exports-1' })).toBe('arn:aws:s3:::exports-1');
    expect(() => w.sandbox.s3.createBucket({ accountId: VAULT, region: R2, name: 'exports-1' })).toThrow(expect.objectContaining({ name: 'BucketAlreadyExists' }));
    expect(() => w.sandbox.s3.createBucket({ accountId: SOURCE, region: R1, name: 'exports-1' })).toThrow(expect.objectContaining({ name: 'BucketAlreadyOwnedByYou' }));
    for (const bad of ['Upper', 'ab', 'a..b', '192.168.1.1', '-lead', 'x'.repeat(64)]) {
      expect(() => w.sandbox.s3.createBucket({ accountId: SOURCE, region: R1, name: bad }), bad).toThrow(expect.objectContaining({ name: 'InvalidBucketName' }));
    }
    // Through the API as well.
    await expectAwsError(w.s3(root(VAULT), R2).send(new CreateBucketCommand({ Bucket: 'exports-1', CreateBucketConfiguration: { LocationConstraint: R2 } })), 'BucketAlreadyExists');
    await expectAwsError(w.s3(root(SOURCE)).send(new CreateBucketCommand({ Bucket: 'exports-1', CreateBucketConfiguration: { LocationConstraint: R1 } })), 'BucketAlreadyOwnedByYou');
  });

  it('CreateBucket needs the LocationConstraint of the client Region (IllegalLocationConstraintException); GetBucketLocation and HeadBucket report the Region', async () => {
    w = newWorld();
    const s3 = w.s3(root(SOURCE), R2);
    await expectAwsError(s3.send(new CreateBucketCommand({ Bucket: 'b-r2' })), 'IllegalLocationConstraintException');
    await expectAwsError(s3.send(new CreateBucketCommand({ Bucket: 'b-r2', CreateBucketConfiguration: { LocationConstraint: R1 } })), 'IllegalLocationConstraintException');
    await s3.send(new CreateBucketCommand({ Bucket: 'b-r2', CreateBucketConfiguration: { LocationConstraint: R2 } }));
    expect(w.sandbox.s3.getBucket('b-r2')).toMatchObject({ accountId: SOURCE, region: R2 });
    // GetBucketLocation answers from any Region; us-east-1 buckets have no LocationConstraint.
    expect((await w.s3(root(SOURCE), R1).send(new GetBucketLocationCommand({ Bucket: 'b-r2' }))).LocationConstraint).toBe(R2);
    await w.s3(root(SOURCE), 'us-east-1').send(new CreateBucketCommand({ Bucket: 'b-use1' }));
    expect((await w.s3(root(SOURCE), R1).send(new GetBucketLocationCommand({ Bucket: 'b-use1' }))).LocationConstraint).toBeUndefined();
    expect((await s3.send(new HeadBucketCommand({ Bucket: 'b-r2' }))).BucketRegion).toBe(R2);
    // HEAD errors carry no body: 404 -> NotFound, 301 (other Region) and 403 -> Unknown with the status.
    await expectAwsError(s3.send(new HeadBucketCommand({ Bucket: 'nope-bucket' })), 'NotFound');
    const moved = await expectAwsError(w.s3(root(SOURCE), R1).send(new HeadBucketCommand({ Bucket: 'b-r2' })), 'Unknown');
    expect(moved.$metadata?.httpStatusCode).toBe(301);
    const forbidden = await expectAwsError(w.s3(root(VAULT), R2).send(new HeadBucketCommand({ Bucket: 'b-r2' })), 'Unknown');
    expect(forbidden.$metadata?.httpStatusCode).toBe(403);
    await expectAwsError(w.s3(root(VAULT), R1).send(new GetBucketLocationCommand({ Bucket: 'b-r2' })), 'AccessDenied');
  });

  it('PutObject/GetObject round-trip: Body.transformToString(), HeadObject headers, SSE-KMS with the bucket key; listObjects shows keys, sizes, bodies', async () => {
    w = newWorld();
    const key = w.sandbox.kms.createKey({ accountId: SOURCE, region: R1, alias: 'alias/exports' });
    w.sandbox.s3.createBucket({ accountId: SOURCE, region: R1, name: 'exports-1', kmsKeyArn: 'alias/exports' });
    const s3 = w.s3(root(SOURCE));
    const put = await s3.send(new PutObjectCommand({ Bucket: 'exports-1', Key: 'a/b.json', Body: '{"x":1}', ContentType: 'application/json', Metadata: { run: 'r1' } }));
    expect(put).toMatchObject({ ServerSideEncryption: 'aws:kms', SSEKMSKeyId: key.arn });
    expect(put.ETag).toBe(`"${createHash('md5').update('{"x":1}').digest('hex')}"`);
    const got = await s3.send(new GetObjectCommand({ Bucket: 'exports-1', Key: 'a/b.json' }));
    expect(await got.Body!.transformToString()).toBe('{"x":1}');
    expect(got).toMatchObject({ ContentLength: 7, ContentType: 'application/json', ServerSideEncryption: 'aws:kms', SSEKMSKeyId: key.arn, Metadata: { run: 'r1' } });
    expect(got.LastModified?.toISOString()).toBe('2026-11-20T05:00:00.000Z');
    await s3.send(new PutObjectCommand({ Bucket: 'exports-1', Key: 'bin', Body: new Uint8Array([1, 2, 3]) }));
    expect(Array.from(await (await s3.send(new GetObjectCommand({ Bucket: 'exports-1', Key: 'bin' }))).Body!.transformToByteArray())).toEqual([1, 2, 3]);
    expect(await s3.send(new HeadObjectCommand({ Bucket: 'exports-1', Key: 'bin' }))).toMatchObject({ ContentLength: 3, SSEKMSKeyId: key.arn });
    expect(w.sandbox.s3.listObjects('exports-1').map((o) => [o.key, o.size, o.body])).toEqual([
      ['a/b.json', 7, '{"x":1}'],
      ['bin', 3, '\u0001\u0002\u0003'],
    ]);
    expect(w.sandbox.s3.listObjects('exports-1', 'a/')).toHaveLength(1);
  });

  it('missing keys: NoSuchKey / NotFound when the caller may ListBucket, AccessDenied / 403 when not; NoSuchBucket; PermanentRedirect (301) from another Region', async () => {
    w = newWorld();
    w.sandbox.s3.createBucket({ accountId: SOURCE, region: R1, name: 'exports-1' });
    const reader = role(w, SOURCE, 'reader', [allow(['s3:GetObject'], 'arn:aws:s3:::exports-1/*')]);
    const lister = role(w, SOURCE, 'lister', [allow(['s3:GetObject'], 'arn:aws:s3:::exports-1/*'), allow(['s3:ListBucket'], 'arn:aws:s3:::exports-1')]);
    await expectAwsError(w.s3(lister).send(new GetObjectCommand({ Bucket: 'exports-1', Key: 'nope' })), 'NoSuchKey');
    await expectAwsError(w.s3(lister).send(new HeadObjectCommand({ Bucket: 'exports-1', Key: 'nope' })), 'NotFound');
    await expectAwsError(w.s3(reader).send(new GetObjectCommand({ Bucket: 'exports-1', Key: 'nope' })), 'AccessDenied');
    const head = await expectAwsError(w.s3(reader).send(new HeadObjectCommand({ Bucket: 'exports-1', Key: 'nope' })), 'Unknown');
    expect(head.$metadata?.httpStatusCode).toBe(403);
    await expectAwsError(w.s3(root(SOURCE)).send(new GetObjectCommand({ Bucket: 'no-such-bucket-x', Key: 'k' })), 'NoSuchBucket');
    const e = await expectAwsError(w.s3(root(SOURCE), R2).send(new PutObjectCommand({ Bucket: 'exports-1', Key: 'k', Body: 'x' })), 'PermanentRedirect');
    expect(e.$metadata?.httpStatusCode).toBe(301);
  });

  it('IAM for roles: s3:PutObject on arn:aws:s3:::bucket/key, s3:ListBucket on the bucket ARN (with s3:prefix), s3:DeleteObject', async () => {
    w = newWorld();
    w.sandbox.s3.createBucket({ accountId: SOURCE, region: R1, name: 'exports-1' });
    const writer = role(w, SOURCE, 'writer', [
      allow(['s3:PutObject'], 'arn:aws:s3:::exports-1/exports/*'),
      { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 's3:ListBucket', Resource: 'arn:aws:s3:::exports-1', Condition: { StringLike: { 's3:prefix': ['exports/*'] } } }] },
    ]);
    const s3 = w.s3(writer);
    await s3.send(new PutObjectCommand({ Bucket: 'exports-1', Key: 'exports/a', Body: 'a' }));
    const denied = await expectAwsError(s3.send(new PutObjectCommand({ Bucket: 'exports-1', Key: 'other/a', Body: 'a' })), 'AccessDenied');
    expect(denied.message).toContain('s3:PutObject on resource: arn:aws:s3:::exports-1/other/a');
    expect(denied.$metadata?.httpStatusCode).toBe(403);
    expect((await s3.send(new ListObjectsV2Command({ Bucket: 'exports-1', Prefix: 'exports/' }))).KeyCount).toBe(1);
    await expectAwsError(s3.send(new ListObjectsV2Command({ Bucket: 'exports-1', Prefix: 'other/' })), 'AccessDenied');
    // A grant on objects does not cover the bucket (ListBucket is a bucket action).
    const objOnly = role(w, SOURCE, 'objonly', [allow(['s3:*'], 'arn:aws:s3:::exports-1/*')]);
    await expectAwsError(w.s3(objOnly).send(new ListObjectsV2Command({ Bucket: 'exports-1' })), 'AccessDenied');
    await expectAwsError(s3.send(new DeleteObjectCommand({ Bucket: 'exports-1', Key: 'exports/a' })), 'AccessDenied');
    await w.s3(objOnly).send(new DeleteObjectCommand({ Bucket: 'exports-1', Key: 'exports/a' }));
    await w.s3(objOnly).send(new DeleteObjectCommand({ Bucket: 'exports-1', Key: 'never-existed' })); // S3 answers 204 either way
    expect(w.sandbox.s3.listObjects('exports-1')).toEqual([]);
  });

  it('bucket policies: another account needs the bucket policy AND its identity policy; an explicit Deny wins even for the owner; an enforceSSL deny blocks nothing over HTTPS', async () => {
    w = newWorld();
    const bucketArn = w.sandbox.s3.createBucket({ accountId: SOURCE, region: R1, name: 'shared-1' });
    const vaultRole = role(w, VAULT, 'puller', [allow(['s3:GetObject', 's3:PutObject'], `${bucketArn}/*`)]);
    await expectAwsError(w.s3(vaultRole).send(new PutObjectCommand({ Bucket: 'shared-1', Key: 'k', Body: 'x' })), 'AccessDenied');
    w.sandbox.s3.putBucketPolicy('shared-1', {
      Version: '2012-10-17',
      Statement: [
        { Sid: 'Vault', Effect: 'Allow', Principal: { AWS: root(VAULT) }, Action: ['s3:PutObject', 's3:GetObject'], Resource: `${bucketArn}/*` },
        { Sid: 'EnforceSSL', Effect: 'Deny', Principal: '*', Action: 's3:*', Resource: [bucketArn, `${bucketArn}/*`], Condition: { Bool: { 'aws:SecureTransport': 'false' } } },
        { Sid: 'NoSecrets', Effect: 'Deny', Principal: '*', Action: 's3:PutObject', Resource: `${bucketArn}/secrets/*` },
      ],
    });
    await w.s3(vaultRole).send(new PutObjectCommand({ Bucket: 'shared-1', Key: 'k', Body: 'x' }));
    // Bucket policy alone is not enough for another account's role without identity permissions.
    const bare = role(w, VAULT, 'bare', []);
    await expectAwsError(w.s3(bare).send(new PutObjectCommand({ Bucket: 'shared-1', Key: 'k2', Body: 'x' })), 'AccessDenied');
    await expectAwsError(w.s3(root(OTHER)).send(new PutObjectCommand({ Bucket: 'shared-1', Key: 'k3', Body: 'x' })), 'AccessDenied');
    const e = await expectAwsError(w.s3(root(SOURCE)).send(new PutObjectCommand({ Bucket: 'shared-1', Key: 'secrets/a', Body: 'x' })), 'AccessDenied');
    expect(e.message).toContain('explicit deny');
    await w.s3(root(SOURCE)).send(new PutObjectCommand({ Bucket: 'shared-1', Key: 'public/a', Body: 'x' }));
  });

  it('SSE-KMS: writers need kms:GenerateDataKey and readers kms:Decrypt on the bucket key (AccessDenied); a disabled key fails with KMS.DisabledException', async () => {
    w = newWorld();
    const key = w.sandbox.kms.createKey({ accountId: SOURCE, region: R1 });
    w.sandbox.s3.createBucket({ accountId: SOURCE, region: R1, name: 'enc-1', kmsKeyArn: key.arn });
    const noKms = role(w, SOURCE, 'nokms', [allow(['s3:PutObject', 's3:GetObject'], 'arn:aws:s3:::enc-1/*')]);
    const e = await expectAwsError(w.s3(noKms).send(new PutObjectCommand({ Bucket: 'enc-1', Key: 'k', Body: 'x' })), 'AccessDenied');
    expect(e.message).toContain('kms:GenerateDataKey');
    const writer = role(w, SOURCE, 'writer', [allow(['s3:PutObject'], 'arn:aws:s3:::enc-1/*'), allow(['kms:GenerateDataKey'], key.arn)]);
    await w.s3(writer).send(new PutObjectCommand({ Bucket: 'enc-1', Key: 'k', Body: 'x' }));
    const reader = role(w, SOURCE, 'reader', [allow(['s3:GetObject'], 'arn:aws:s3:::enc-1/*')]);
    expect((await expectAwsError(w.s3(reader).send(new GetObjectCommand({ Bucket: 'enc-1', Key: 'k' })), 'AccessDenied')).message).toContain('kms:Decrypt');
    w.sandbox.kms.disableKey(key.arn);
    await expectAwsError(w.s3(writer).send(new PutObjectCommand({ Bucket: 'enc-1', Key: 'k2', Body: 'x' })), 'KMS.DisabledException');
  });

  it('ListObjectsV2: Prefix, Delimiter/CommonPrefixes, MaxKeys pagination with ContinuationToken (bad token: InvalidArgument), UTF-8 key order', async () => {
    w = newWorld();
    w.sandbox.s3.createBucket({ accountId: SOURCE, region: R1, name: 'list-1' });
    const s3 = w.s3(root(SOURCE));
    for (const k of ['p/e', 'p/a', 'p/c', 'p/b', 'p/d', 'q/x', 'p/sub/1', 'p/sub/2', 'p/B']) await s3.send(new PutObjectCommand({ Bucket: 'list-1', Key: k, Body: k }));
    const pages: string[][] = [];
    let token: string | undefined;
    do {
      const out = await s3.send(new ListObjectsV2Command({ Bucket: 'list-1', Prefix: 'p/', MaxKeys: 3, ...(token ? { ContinuationToken: token } : {}) }));
      pages.push((out.Contents ?? []).map((c) => c.Key!));
      expect(out.IsTruncated).toBe(out.NextContinuationToken !== undefined);
      token = out.NextContinuationToken;
    } while (token);
    expect(pages).toEqual([['p/B', 'p/a', 'p/b'], ['p/c', 'p/d', 'p/e'], ['p/sub/1', 'p/sub/2']]);
    const delim = await s3.send(new ListObjectsV2Command({ Bucket: 'list-1', Prefix: 'p/', Delimiter: '/' }));
    expect(delim.CommonPrefixes).toEqual([{ Prefix: 'p/sub/' }]);
    expect(delim.KeyCount).toBe(7);
    expect((await s3.send(new ListObjectsV2Command({ Bucket: 'list-1' }))).Contents?.[0]).toMatchObject({ Key: 'p/B', Size: 3, StorageClass: 'STANDARD' });
    await expectAwsError(s3.send(new ListObjectsV2Command({ Bucket: 'list-1', ContinuationToken: 'garbage' })), 'InvalidArgument');
    await expectAwsError(s3.send(new ListObjectsV2Command({ Bucket: 'nope-list' })), 'NoSuchBucket');
  });

  it('S3 calls are recorded and respect faults.inject', async () => {
    w = newWorld();
    w.sandbox.s3.createBucket({ accountId: SOURCE, region: R1, name: 'f-1' });
    w.sandbox.faults.inject({ service: 's3', operation: 'PutObject', error: { name: 'SlowDown' } });
    const e = await expectAwsError(w.s3(root(SOURCE)).send(new PutObjectCommand({ Bucket: 'f-1', Key: 'k', Body: 'x' })), 'SlowDown');
    expect(e.$retryable?.throttling).toBe(true);
    await w.s3(root(SOURCE)).send(new PutObjectCommand({ Bucket: 'f-1', Key: 'k', Body: 'x' }));
    expect(w.sandbox.calls.map((c) => [c.operation, c.errorName])).toEqual([
      ['PutObject', 'SlowDown'],
      ['PutObject', undefined],
    ]);
  });
});
