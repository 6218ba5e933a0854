import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import type { Construct } from 'constructs';

/**
 * What every bucket of the project sets, whatever it holds: all public access blocked, TLS only
 * (`enforceSSL`), versioned, objects owned by the bucket owner (ACLs off), retained when the stack
 * is deleted. Encryption, access logs and lifecycle are the bucket's own.
 * Sources: https://docs.aws.amazon.com/AmazonS3/latest/userguide/security-best-practices.html,
 * https://docs.aws.amazon.com/AmazonS3/latest/userguide/about-object-ownership.html
 */
export const BUCKET_BASELINE = {
  blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
  enforceSSL: true,
  versioned: true,
  objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
  removalPolicy: RemovalPolicy.RETAIN,
} as const satisfies s3.BucketProps;

/**
 * The props a data bucket (export, evidence) shares: {@link BUCKET_BASELINE}, SSE-KMS under its own
 * `key` with an S3 Bucket Key (fewer KMS requests), and server access logs to `accessLogs` under
 * `logPrefix` (e.g. `export-bucket/`).
 * Source: https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucket-key.html
 */
export function kmsDataBucketProps(key: kms.IKey, accessLogs: s3.IBucket, logPrefix: string) {
  return {
    encryption: s3.BucketEncryption.KMS,
    encryptionKey: key,
    bucketKeyEnabled: true,
    ...BUCKET_BASELINE,
    serverAccessLogsBucket: accessLogs,
    serverAccessLogsPrefix: logPrefix,
  } as const satisfies s3.BucketProps;
}

/**
 * The S3 server access log bucket of a data bucket (`<scope>/AccessLogs`): {@link BUCKET_BASELINE},
 * SSE-S3 (server access logs can only be delivered to a bucket encrypted with SSE-S3); logs expire
 * after 365 days, old versions after 30.
 * Source: https://docs.aws.amazon.com/AmazonS3/latest/userguide/enable-server-access-logging.html
 */
export function createAccessLogBucket(scope: Construct): s3.Bucket {
  return new s3.Bucket(scope, 'AccessLogs', {
    encryption: s3.BucketEncryption.S3_MANAGED,
    ...BUCKET_BASELINE,
    lifecycleRules: [{ id: 'ExpireAccessLogs', expiration: Duration.days(365), noncurrentVersionExpiration: Duration.days(30) }],
  });
}
