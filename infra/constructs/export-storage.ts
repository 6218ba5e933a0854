/**
 * Where RDS exports snapshots to S3 (Apache Parquet, `StartExportTask`): the export KMS key, the
 * export bucket (plus its server-access-log bucket), the IAM role RDS assumes to write, and an
 * optional Glue database + crawler so the exports can be queried with Athena.
 *
 * Sources: https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/USER_ExportSnapshot.html
 * (role trusted by `export.rds.amazonaws.com`, its S3 and KMS actions; bucket in the snapshot's Region),
 * https://docs.aws.amazon.com/AmazonS3/latest/userguide/lifecycle-transition-general-considerations.html,
 * https://docs.aws.amazon.com/glue/latest/dg/crawler-prereqs.html,
 * https://docs.aws.amazon.com/glue/latest/dg/encryption-security-configuration.html
 */
import { Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as glue from 'aws-cdk-lib/aws-glue';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { partitionOf } from '../config/schema';
import { stackAccountRegion } from './names';
import { acknowledgeIam5 } from './nag';
import { createAccessLogBucket, kmsDataBucketProps } from './access-log-bucket';
import { EXPORT_PREFIX_PATTERN } from '../../contracts/rules';

/** Lifecycle of the exported objects, in whole days after creation; each step optional. */
export interface ExportLifecycle {
  /** Days until objects move to S3 Glacier Flexible Retrieval (`GLACIER`). */
  readonly glacierAfterDays?: number;
  /** Days until objects move to S3 Glacier Deep Archive (`DEEP_ARCHIVE`). */
  readonly deepArchiveAfterDays?: number;
  /** Days until objects expire (a delete marker; the noncurrent version is removed 30 days later). */
  readonly expireAfterDays?: number;
}

/** The Glue catalog over the exports. */
export interface ExportCatalogProps {
  /** Glue database name (lower-case letters, digits, `_`). */
  readonly databaseName: string;
  /** Glue crawler name. */
  readonly crawlerName: string;
  /**
   * When the crawler runs (Glue cron, UTC), e.g. `cron(0 12 * * ? *)`.
   * @default - on demand only
   */
  readonly schedule?: string;
}

/** Props of {@link ExportStorage}. */
export interface ExportStorageProps {
  /** Key prefix the exports are written under (no leading or trailing `/`), e.g. `exports`. */
  readonly prefix: string;
  /** @default - no transitions, no expiration */
  readonly lifecycle?: ExportLifecycle;
  /** @default - no Glue database or crawler */
  readonly catalog?: ExportCatalogProps;
  /**
   * Days KMS waits before deleting the export key once deletion is scheduled (7-30).
   * @default Duration.days(30)
   */
  readonly keyPendingWindow?: Duration;
}

/** The S3 actions RDS needs on the export bucket (USER_ExportSnapshot.html, "Creating an IAM role"). */
export const EXPORT_OBJECT_ACTIONS = ['s3:PutObject*', 's3:GetObject*', 's3:DeleteObject*'] as const;
export const EXPORT_BUCKET_ACTIONS = ['s3:ListBucket', 's3:GetBucketLocation'] as const;
/** The KMS actions the export needs on the export key (docs/aws-behaviour.md §16). */
export const EXPORT_KMS_ACTIONS = [
  'kms:Encrypt',
  'kms:Decrypt',
  'kms:GenerateDataKey*',
  'kms:ReEncrypt*',
  'kms:CreateGrant',
  'kms:DescribeKey',
  'kms:RetireGrant',
] as const;

/**
 * The S3 export destination of one source account and Region.
 *
 * - `key`: customer-managed, rotating, retained; encrypts the exported Parquet files (the
 *   `KmsKeyId` of StartExportTask) and is the bucket's default SSE-KMS key (bucket key on).
 * - `bucket`: SSE-KMS, all public access blocked, SSL only, versioned, objects owned by the bucket
 *   owner, server access logs to `accessLogBucket`, lifecycle from {@link ExportLifecycle}
 *   (incomplete multipart uploads aborted after 7 days), retained when the stack is deleted.
 * - `role`: assumable only by `export.rds.amazonaws.com` acting for this account
 *   (`aws:SourceAccount`); may write, read and delete objects under `<prefix>/` of that bucket, list
 *   it and get its location, and use the export key. Nothing else.
 * - optional Glue database + crawler (own role: read the prefix, decrypt with the key, write the
 *   catalog of that one database, its own CloudWatch logs encrypted with the key).
 */
export class ExportStorage extends Construct {
  readonly key: kms.Key;
  readonly bucket: s3.Bucket;
  readonly accessLogBucket: s3.Bucket;
  /** The role passed to StartExportTask as `IamRoleArn`. */
  readonly role: iam.Role;
  /** The key prefix (as given). */
  readonly prefix: string;
  readonly glueDatabase?: glue.CfnDatabase;
  readonly crawler?: glue.CfnCrawler;
  readonly crawlerRole?: iam.Role;

  constructor(scope: Construct, id: string, props: ExportStorageProps) {
    super(scope, id);
    const at = stackAccountRegion(this);
    const partition = partitionOf(at.region);
    if (!EXPORT_PREFIX_PATTERN.test(props.prefix)) {
      throw new Error(`ExportStorage: prefix "${props.prefix}" must be /-separated segments with no leading or trailing "/"`);
    }
    this.prefix = props.prefix;

    this.key = new kms.Key(this, 'Key', {
      description: 'rds-snapshot-vault: encrypts the S3 exports (Parquet) of RDS snapshots',
      enableKeyRotation: true,
      pendingWindow: props.keyPendingWindow ?? Duration.days(30),
      removalPolicy: RemovalPolicy.RETAIN,
    });

    this.accessLogBucket = createAccessLogBucket(this);

    const lifecycle = props.lifecycle ?? {};
    const transitions: s3.Transition[] = [];
    if (lifecycle.glacierAfterDays !== undefined) {
      transitions.push({ storageClass: s3.StorageClass.GLACIER, transitionAfter: Duration.days(lifecycle.glacierAfterDays) });
    }
    if (lifecycle.deepArchiveAfterDays !== undefined) {
      transitions.push({ storageClass: s3.StorageClass.DEEP_ARCHIVE, transitionAfter: Duration.days(lifecycle.deepArchiveAfterDays) });
    }
    this.bucket = new s3.Bucket(this, 'Bucket', {
      ...kmsDataBucketProps(this.key, this.accessLogBucket, 'export-bucket/'),
      lifecycleRules: [
        {
          id: 'ExportLifecycle',
          abortIncompleteMultipartUploadAfter: Duration.days(7),
          transitions: transitions.length > 0 ? transitions : undefined,
          expiration: lifecycle.expireAfterDays !== undefined ? Duration.days(lifecycle.expireAfterDays) : undefined,
          noncurrentVersionExpiration: lifecycle.expireAfterDays !== undefined ? Duration.days(30) : undefined,
        },
      ],
    });

    const objects = `${this.bucket.bucketArn}/${props.prefix}/*`;
    this.role = new iam.Role(this, 'Role', {
      description: 'rds-snapshot-vault: lets RDS write snapshot exports (Parquet) to the export bucket',
      assumedBy: new iam.ServicePrincipal('export.rds.amazonaws.com').withConditions({
        StringEquals: { 'aws:SourceAccount': at.accountId },
      }),
    });
    this.role.addToPolicy(new iam.PolicyStatement({ sid: 'WriteExports', actions: [...EXPORT_OBJECT_ACTIONS], resources: [objects] }));
    this.role.addToPolicy(new iam.PolicyStatement({ sid: 'ListExportBucket', actions: [...EXPORT_BUCKET_ACTIONS], resources: [this.bucket.bucketArn] }));
    this.role.addToPolicy(new iam.PolicyStatement({ sid: 'UseExportKey', actions: [...EXPORT_KMS_ACTIONS], resources: [this.key.keyArn] }));
    acknowledgeIam5(this.role, {
      actions: [...EXPORT_OBJECT_ACTIONS, 'kms:GenerateDataKey*', 'kms:ReEncrypt*'],
      resources: [`<${this.logicalIdOf(this.bucket)}.Arn>/${props.prefix}/*`],
      reason:
        'These are exactly the S3 and KMS actions RDS documents for the export role (https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/USER_ExportSnapshot.html); ' +
        'objects are limited to the export prefix of this one bucket, KMS to the export key, and only export.rds.amazonaws.com for this account can assume the role.',
    });

    if (props.catalog) {
      const catalog = props.catalog;
      const arnPrefix = (service: string) => `arn:${partition}:${service}:${at.region}:${at.accountId}`;
      this.glueDatabase = new glue.CfnDatabase(this, 'GlueDatabase', {
        catalogId: at.accountId,
        databaseInput: {
          name: catalog.databaseName,
          description: 'rds-snapshot-vault: tables of the RDS snapshot exports (Parquet), for Athena',
        },
      });
      const securityConfiguration = new glue.CfnSecurityConfiguration(this, 'CrawlerSecurity', {
        name: `${catalog.crawlerName}-security`,
        encryptionConfiguration: {
          cloudWatchEncryption: { cloudWatchEncryptionMode: 'SSE-KMS', kmsKeyArn: this.key.keyArn },
          s3Encryptions: [{ s3EncryptionMode: 'SSE-KMS', kmsKeyArn: this.key.keyArn }],
        },
      });
      // CloudWatch Logs encrypts the crawler's log group with the key (Glue security configuration).
      // Only actions that carry an encryption context: kms:DescribeKey has none, so the
      // kms:EncryptionContext:aws:logs:arn condition could never hold for it (it granted nothing).
      this.key.addToResourcePolicy(
        new iam.PolicyStatement({
          sid: 'AllowCloudWatchLogsForGlueCrawler',
          principals: [new iam.ServicePrincipal(`logs.${at.region}.amazonaws.com`)],
          actions: ['kms:Encrypt', 'kms:Decrypt', 'kms:ReEncrypt*', 'kms:GenerateDataKey*'],
          resources: ['*'],
          conditions: { ArnLike: { 'kms:EncryptionContext:aws:logs:arn': `${arnPrefix('logs')}:log-group:/aws-glue/crawlers*` } },
        }),
      );

      const crawlerLogs = `${arnPrefix('logs')}:log-group:/aws-glue/crawlers*`;
      const glueResources = [
        `${arnPrefix('glue')}:catalog`,
        `${arnPrefix('glue')}:database/${catalog.databaseName}`,
        `${arnPrefix('glue')}:table/${catalog.databaseName}/*`,
      ];
      this.crawlerRole = new iam.Role(this, 'CrawlerRole', {
        description: 'rds-snapshot-vault: lets the Glue crawler catalog the S3 exports',
        assumedBy: new iam.ServicePrincipal('glue.amazonaws.com').withConditions({ StringEquals: { 'aws:SourceAccount': at.accountId } }),
      });
      this.crawlerRole.addToPolicy(
        new iam.PolicyStatement({ sid: 'ReadExports', actions: ['s3:GetObject'], resources: [objects] }),
      );
      this.crawlerRole.addToPolicy(new iam.PolicyStatement({ sid: 'ListExports', actions: ['s3:ListBucket'], resources: [this.bucket.bucketArn] }));
      this.crawlerRole.addToPolicy(
        new iam.PolicyStatement({ sid: 'DecryptExports', actions: ['kms:Decrypt', 'kms:DescribeKey'], resources: [this.key.keyArn] }),
      );
      this.crawlerRole.addToPolicy(
        new iam.PolicyStatement({
          sid: 'CatalogExportTables',
          actions: [
            'glue:GetDatabase',
            'glue:GetTable',
            'glue:GetTables',
            'glue:CreateTable',
            'glue:UpdateTable',
            'glue:GetPartition',
            'glue:GetPartitions',
            'glue:BatchGetPartition',
            'glue:CreatePartition',
            'glue:BatchCreatePartition',
            'glue:UpdatePartition',
            'glue:BatchUpdatePartition',
          ],
          resources: glueResources,
        }),
      );
      this.crawlerRole.addToPolicy(
        new iam.PolicyStatement({
          sid: 'GetSecurityConfiguration',
          actions: ['glue:GetSecurityConfiguration'],
          resources: ['*'],
        }),
      );
      this.crawlerRole.addToPolicy(
        new iam.PolicyStatement({
          sid: 'WriteCrawlerLogs',
          actions: ['logs:CreateLogGroup', 'logs:CreateLogStream', 'logs:PutLogEvents', 'logs:AssociateKmsKey'],
          resources: [crawlerLogs, `${crawlerLogs}:*`],
        }),
      );
      this.crawlerRole.addToPolicy(
        new iam.PolicyStatement({ sid: 'EncryptCrawlerLogs', actions: ['kms:Encrypt', 'kms:GenerateDataKey*'], resources: [this.key.keyArn] }),
      );
      acknowledgeIam5(this.crawlerRole, {
        actions: ['kms:GenerateDataKey*'],
        resources: [
          `<${this.logicalIdOf(this.bucket)}.Arn>/${props.prefix}/*`,
          `${arnPrefix('glue')}:table/${catalog.databaseName}/*`,
          crawlerLogs,
          `${crawlerLogs}:*`,
          '*',
        ],
        reason:
          'The crawler reads every export object under the prefix and creates one table per exported table, whose names are known only after an export; ' +
          'logs are limited to Glue\'s crawler log groups (/aws-glue/crawlers*, named by Glue per security configuration); glue:GetSecurityConfiguration ' +
          'supports no resource-level permissions (https://docs.aws.amazon.com/service-authorization/latest/reference/list_awsglue.html); kms:GenerateDataKey* is on the export key only.',
      });

      this.crawler = new glue.CfnCrawler(this, 'Crawler', {
        name: catalog.crawlerName,
        description: 'rds-snapshot-vault: catalogs the RDS snapshot exports for Athena',
        role: this.crawlerRole.roleArn,
        databaseName: catalog.databaseName,
        crawlerSecurityConfiguration: securityConfiguration.ref,
        targets: { s3Targets: [{ path: `s3://${this.bucket.bucketName}/${props.prefix}/` }] },
        schemaChangePolicy: { updateBehavior: 'UPDATE_IN_DATABASE', deleteBehavior: 'LOG' },
        recrawlPolicy: { recrawlBehavior: 'CRAWL_NEW_FOLDERS_ONLY' },
        schedule: catalog.schedule ? { scheduleExpression: catalog.schedule } : undefined,
      });
      this.crawler.node.addDependency(this.glueDatabase);
    }
  }

  /**
   * Lets `grantee` start exports into this storage: `iam:PassRole` on the export role (only to
   * `export.rds.amazonaws.com`, condition `iam:PassedToService`) and the KMS actions StartExportTask
   * checks on the caller (CreateGrant, DescribeKey) on the export key.
   * Source: https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/USER_ExportSnapshot.html
   */
  grantStartExport(grantee: iam.IGrantable): void {
    grantee.grantPrincipal.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'PassExportRoleToRds',
        actions: ['iam:PassRole'],
        resources: [this.role.roleArn],
        conditions: { StringEquals: { 'iam:PassedToService': 'export.rds.amazonaws.com' } },
      }),
    );
    grantee.grantPrincipal.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'UseExportKeyForExportTasks',
        actions: ['kms:CreateGrant', 'kms:DescribeKey'],
        resources: [this.key.keyArn],
      }),
    );
  }

  private logicalIdOf(c: Construct): string {
    return Stack.of(this).getLogicalId(c.node.defaultChild as s3.CfnBucket);
  }
}
