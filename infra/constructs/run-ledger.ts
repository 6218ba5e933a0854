/**
 * The run ledger bucket (issue 12) of the source account: one small JSON record per database per
 * BackupRun (`runs/<runId>/<database>.json`) and, for event-started runs, the same record under the
 * day it was written (`daily/<yyyy-mm-dd>/<runId>/<database>.json`, read by the daily digest);
 * key layout in functions/shared/ledger.ts.
 *
 * Like the project's other buckets (access-log-bucket.ts `BUCKET_BASELINE`): encrypted at rest, all public access blocked, TLS only
 * (`enforceSSL`), versioned, objects owned by the bucket owner, server access logs to its own
 * access-log bucket (access-log-bucket.ts), lifecycle expiry, retained when the stack is deleted.
 * Encryption is SSE-S3: the records hold snapshot ARNs, times and error messages, no database data,
 * and SSE-S3 needs no key policy or KMS grant for the three functions that touch it
 * (docs/aws-behaviour.md §27; the export and evidence buckets, which hold data and audit records,
 * use their own KMS keys).
 * Sources: https://docs.aws.amazon.com/AmazonS3/latest/userguide/UsingServerSideEncryption.html,
 * https://docs.aws.amazon.com/AmazonS3/latest/userguide/object-lifecycle-mgmt.html
 */
import { Duration } from 'aws-cdk-lib';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { LEDGER_EXPIRE_DAYS } from '../../contracts/names';
import { BUCKET_BASELINE, createAccessLogBucket } from './access-log-bucket';

/** Props of {@link RunLedger}. */
export interface RunLedgerProps {
  /**
   * Days after which a record expires (its noncurrent versions 30 days later).
   * @default LEDGER_EXPIRE_DAYS (400, contracts/names.ts)
   */
  readonly expireDays?: number;
}

/** See the module comment. */
export class RunLedger extends Construct {
  readonly bucket: s3.Bucket;
  readonly accessLogBucket: s3.Bucket;

  constructor(scope: Construct, id: string, props: RunLedgerProps = {}) {
    super(scope, id);
    const expireDays = props.expireDays ?? LEDGER_EXPIRE_DAYS;
    if (!Number.isInteger(expireDays) || expireDays < 1) throw new Error(`RunLedger: expireDays (${expireDays}) must be a whole number of days >= 1`);
    this.accessLogBucket = createAccessLogBucket(this);
    this.bucket = new s3.Bucket(this, 'Bucket', {
      encryption: s3.BucketEncryption.S3_MANAGED,
      ...BUCKET_BASELINE,
      serverAccessLogsBucket: this.accessLogBucket,
      serverAccessLogsPrefix: 'run-ledger/',
      lifecycleRules: [
        { id: 'LedgerLifecycle', abortIncompleteMultipartUploadAfter: Duration.days(1), expiration: Duration.days(expireDays), noncurrentVersionExpiration: Duration.days(30) },
      ],
    });
  }
}
