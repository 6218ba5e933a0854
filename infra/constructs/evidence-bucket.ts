/**
 * The vault's restore-drill evidence bucket (issue 9): one JSON record per database per drill.
 * S3 Object Lock in GOVERNANCE mode with a default retention (records cannot be overwritten or
 * deleted during it without `s3:BypassGovernanceRetention`), versioned (Object Lock requires it),
 * SSE-KMS under its own rotating key, TLS only, public access blocked, server access logs to a
 * second bucket, lifecycle expiration after the lock, retained when the stack is deleted.
 * Source: https://docs.aws.amazon.com/AmazonS3/latest/userguide/object-lock.html
 */
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { createAccessLogBucket, kmsDataBucketProps } from './access-log-bucket';

/** Props of {@link EvidenceBucket}. */
export interface EvidenceBucketProps {
  /** Days each record is locked (governance mode). */
  readonly lockDays: number;
  /** Days after which records expire (must exceed lockDays). */
  readonly expireDays: number;
}

/** See the module comment. */
export class EvidenceBucket extends Construct {
  readonly bucket: s3.Bucket;
  readonly key: kms.Key;
  readonly accessLogBucket: s3.Bucket;

  constructor(scope: Construct, id: string, props: EvidenceBucketProps) {
    super(scope, id);
    if (props.expireDays <= props.lockDays) throw new Error(`EvidenceBucket: expireDays (${props.expireDays}) must exceed lockDays (${props.lockDays})`);
    this.key = new kms.Key(this, 'Key', {
      description: 'rds-snapshot-vault: encrypts the restore-drill evidence records',
      enableKeyRotation: true,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    this.accessLogBucket = createAccessLogBucket(this);
    this.bucket = new s3.Bucket(this, 'Bucket', {
      ...kmsDataBucketProps(this.key, this.accessLogBucket, 'evidence-bucket/'),
      objectLockEnabled: true,
      objectLockDefaultRetention: s3.ObjectLockRetention.governance(Duration.days(props.lockDays)),
      lifecycleRules: [
        { id: 'EvidenceLifecycle', abortIncompleteMultipartUploadAfter: Duration.days(7), expiration: Duration.days(props.expireDays), noncurrentVersionExpiration: Duration.days(30) },
      ],
    });
  }
}
