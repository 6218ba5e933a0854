/**
 * AwsSandbox: an in-process AWS (RDS with export tasks, KMS, STS, SNS, S3, EventBridge) for several
 * accounts and Regions, plugged into AWS SDK v3 clients with aws-sdk-client-mock. Every `send` of an
 * RDSClient, KMSClient, STSClient, SNSClient or S3Client — including clients created elsewhere at
 * module scope — is routed to the simulation while installed. EventBridge has no SDK client here: rules
 * are seeded with `sandbox.events.putRule` and matched events go to one target handler. The caller's identity is read from the client itself
 * (`client.config.credentials()` -> access key -> principal; `client.config.region()` -> Region), so
 * a test proves the same wiring production uses.
 *
 * All time comes from the VirtualClock; nothing runs on timers.
 */
import { mockClient } from 'aws-sdk-client-mock';
import {
  AddTagsToResourceCommand,
  CancelExportTaskCommand,
  CopyDBClusterSnapshotCommand,
  CopyDBSnapshotCommand,
  CreateDBInstanceCommand,
  DeleteDBClusterCommand,
  DeleteDBInstanceCommand,
  ModifyDBClusterCommand,
  ModifyDBInstanceCommand,
  RestoreDBClusterFromSnapshotCommand,
  RestoreDBInstanceFromDBSnapshotCommand,
  DeleteDBClusterSnapshotCommand,
  DeleteDBSnapshotCommand,
  DescribeDBClusterSnapshotAttributesCommand,
  DescribeDBClusterSnapshotsCommand,
  DescribeDBClustersCommand,
  DescribeDBInstancesCommand,
  DescribeDBSnapshotAttributesCommand,
  DescribeDBSnapshotsCommand,
  DescribeExportTasksCommand,
  DescribeAccountAttributesCommand,
  DescribeOptionGroupsCommand,
  ListTagsForResourceCommand,
  ModifyDBClusterSnapshotAttributeCommand,
  ModifyDBSnapshotAttributeCommand,
  RDSClient,
  RemoveTagsFromResourceCommand,
  StartExportTaskCommand,
} from '@aws-sdk/client-rds';
import { AssumeRoleCommand, GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { DescribeKeyCommand, GetKeyPolicyCommand, KMSClient } from '@aws-sdk/client-kms';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import {
  CreateBucketCommand,
  DeleteObjectCommand,
  GetBucketLocationCommand,
  GetObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { DynamoDBClient, GetItemCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import type { VirtualClock } from './clock';
import { checkServicePrincipal, identityDenial, type CallContext, type CallRecord } from './context';
import { awsError, nextRequestId, type ServiceName } from './errors';
import { DynamoDbStore, type CreateTableInput } from './dynamodb';
import { EventsStore, type DeliveryRecord, type EventEnvelope, type PutEventInput, type PutRuleInput, type TargetHandler } from './events';
import { FaultStore, type FaultSpec } from './faults';
import { IamStore, type PutRoleInput, type RoleRecord, type SandboxCredentials } from './identity';
import { KmsStore, type CreateKeyInput } from './kms';
import type { PolicyDocument } from './iam-eval';
import { RdsStore, type CreateDatabaseInput, type CreateOptionGroupInput, type RdsKind, type RdsQuota, type SnapshotRecordView } from './rds';
import { ExportTaskStore, type ExportTaskView } from './rds-export';
import { RestoreStore } from './rds-restore';
import { SecretsStore } from './secrets';
import { S3Store, type CreateBucketInput, type S3ObjectView } from './s3';
import { SnsStore, type AlarmDelivery, type CreateTopicInput, type PublishedMessage } from './sns';
import { assumeRole, getCallerIdentity } from './sts';

/** Options of {@link AwsSandbox}. */
export interface AwsSandboxOptions {
  /** The clock every simulated service reads. */
  readonly clock: VirtualClock;
  /** Only the commercial partition is simulated. @default 'aws' */
  readonly partition?: 'aws';
  /**
   * Keep each call's input in {@link AwsSandbox.calls}. Off for fleet benches: the copy slot table's
   * UpdateItem carries its whole waiter list, so keeping every input grows with the square of the
   * fleet (~8 GB at 1,000 event runs). Off, `input` is undefined in every record.
   * @default true
   */
  readonly recordCallInputs?: boolean;
}

/** `sandbox.iam`. */
export interface SandboxIam {
  /** Registers a role; its identity policies are ENFORCED for calls made with its credentials. @returns the role ARN */
  putRole(role: PutRoleInput): string;
  /** The registered role, or undefined. */
  getRole(roleArn: string): RoleRecord | undefined;
  /** Removes a role (its sessions are then denied everything). */
  deleteRole(roleArn: string): void;
}

/** `sandbox.kms`. */
export interface SandboxKms {
  /** Creates a customer managed key (default policy: account root `kms:*`). @returns `{ keyId, arn }` */
  createKey(k: CreateKeyInput): { keyId: string; arn: string };
  /** Replaces a key policy. */
  putKeyPolicy(keyArn: string, policy: PolicyDocument): void;
  /** Disables a key. */
  disableKey(keyArn: string): void;
  /** Enables a key again. */
  enableKey(keyArn: string): void;
  /** The AWS managed `aws/rds` key of an account/Region (created on first use). @returns key ARN */
  defaultRdsKey(accountId: string, region: string): string;
}

/** `sandbox.rds`. */
export interface SandboxRds {
  /** Creates a DB instance. @throws `DBInstanceAlreadyExistsFault` */
  createDbInstance(db: CreateDatabaseInput): void;
  /** Creates a DB cluster. @throws `DBClusterAlreadyExistsFault` */
  createDbCluster(db: CreateDatabaseInput): void;
  /** Creates an option group (rule 15a) in an account/Region. @returns its ARN @throws `OptionGroupAlreadyExistsFault` */
  createOptionGroup(og: CreateOptionGroupInput): string;
  /** Deletes a database and its automated snapshots. */
  deleteDatabase(accountId: string, region: string, identifier: string, kind: RdsKind): void;
  /**
   * An automated snapshot `rds:<db>-<yyyy-mm-dd-hh-mm>`, `available` at once, created at clock now (or
   * `at`). Emits RDS-EVENT-0091 (DB instance) / RDS-EVENT-0169 (DB cluster) on the default EventBridge
   * bus unless `opts.emitEvent` is false (see RdsStore.createAutomatedSnapshot for the event shape).
   */
  createAutomatedSnapshot(s: { accountId: string; region: string; dbIdentifier: string; kind: RdsKind; at?: Date }, opts?: { emitEvent?: boolean }): { identifier: string; arn: string };
  /** A manual snapshot, `available` at once, created at clock now (or `at`), with optional tags. */
  createManualSnapshot(s: { accountId: string; region: string; dbIdentifier: string; kind: RdsKind; identifier: string; at?: Date; tags?: Readonly<Record<string, string>> }): { identifier: string; arn: string };
  /** Every snapshot in an account/Region (status/percent computed at clock now). */
  listSnapshots(accountId: string, region: string): SnapshotRecordView[];
  /** One snapshot by ARN (undefined when absent/deleted). */
  getSnapshot(arn: string): SnapshotRecordView | undefined;
  /** Changes quotas of one account/Region. */
  setQuota(accountId: string, region: string, q: Partial<RdsQuota>): void;
  /** The effective quotas of an account/Region (defaults and changes). */
  quota(accountId: string, region: string): RdsQuota;
  /** Every copy ever requested, with its virtual times (measurements; see RdsStore.copyLog). */
  copyLog(): ReturnType<RdsStore['copyLog']>;
  /** Rule 9 switch: allow cross-account + cross-Region DB cluster snapshot copy in one step (default true). */
  setCrossAccountCrossRegionClusterCopy(allowed: boolean): void;
  /** Forces a snapshot to `failed` from now on. */
  failSnapshot(arn: string): void;
  /** Forces a snapshot to stay `creating` forever. */
  stallSnapshot(arn: string): void;
  /**
   * Copies requested from now on that `match` (all when absent) progress in `shape` (steady, the
   * default, or queued-then-jump) and, with `durationSeconds`, transfer that long. See RdsStore.setCopyShape.
   */
  setCopyShape: RdsStore['setCopyShape'];
  /** Forgets every setCopyShape rule. */
  clearCopyShapes(): void;
  /**
   * Forces an export task (STARTING/IN_PROGRESS) to FAILED from now on (emits RDS-EVENT-0159/0162).
   * @throws SandboxUsageError for an unknown identifier, one present in several accounts/Regions, or a task that ended
   */
  failExportTask(identifier: string, failureCause?: string): void;
  /** One export task by identifier (status at clock now), or undefined. */
  getExportTask(identifier: string): ExportTaskView | undefined;
  /** Every export task, in start order. */
  listExportTasks(): ExportTaskView[];
}

/**
 * `sandbox.rdsRestore` (issue 9): set-up and inspection of restored DB instances / DB clusters.
 * See sandbox/simulator/rds-restore.ts.
 */
export interface SandboxRdsRestore {
  /** SQL fixture of a source database from clock now on; snapshots carry the one in effect at their OriginalSnapshotCreateTime. */
  setSqlFixture(f: { accountId: string; region: string; kind: RdsKind; dbIdentifier: string; sql: string; at?: Date }): void;
  /** A DB subnet group (the deployer creates those of AWS::RDS::DBSubnetGroup). */
  createDbSubnetGroup(accountId: string, region: string, name: string): void;
  /** A VPC security group id (the deployer creates those of AWS::EC2::SecurityGroup). */
  createSecurityGroup(accountId: string, region: string, groupId: string): void;
  /** From now on, restores whose new DB instance / DB cluster identifier matches stay `creating` forever. */
  stallRestoresMatching(pattern: RegExp): void;
  /** Keeps a restored DB instance / DB cluster `creating` forever. */
  stallRestore(accountId: string, region: string, kind: RdsKind, identifier: string): void;
  /** Restored databases not yet gone: `{ kind, accountId, region, identifier, status, tags, database?, secretArn? }`. */
  listRestored(): ReturnType<RestoreStore['listRestored']>;
  /** Whether a Secrets Manager secret exists. */
  hasSecret(arn: string): boolean;
}

/** `sandbox.s3`. */
export interface SandboxS3 {
  /**
   * Creates a bucket (no IAM checks). @returns `arn:aws:s3:::<name>`
   * @throws `InvalidBucketName`, `BucketAlreadyOwnedByYou`, `BucketAlreadyExists` (names are global); SandboxUsageError (unknown KMS key)
   */
  createBucket(b: CreateBucketInput): string;
  /** Replaces (undefined: removes) a bucket policy. */
  putBucketPolicy(bucket: string, policy: PolicyDocument | undefined): void;
  /** Objects whose key starts with `prefix`, in key order: `{ key, size, body (UTF-8), bytes, contentType, lastModified, etag, kmsKeyArn?, metadata }`. */
  listObjects(bucket: string, prefix?: string): S3ObjectView[];
  /** A bucket's owner, Region, ARN and default KMS key, or undefined. */
  getBucket(bucket: string): { name: string; accountId: string; region: string; arn: string; kmsKeyArn?: string } | undefined;
  /** Every bucket of every account and Region, in name order. */
  listBuckets(): Array<{ name: string; accountId: string; region: string; arn: string; kmsKeyArn?: string }>;
}

/** `sandbox.events` (EventBridge default buses). */
export interface SandboxEvents {
  /** Creates or replaces a rule with its targets. @throws SandboxUsageError naming `InvalidEventPatternException` / `ValidationException` */
  putRule(r: PutRuleInput): void;
  /** Removes a rule. */
  deleteRule(accountId: string, region: string, name: string): void;
  /** The one handler matched targets are delivered to (asynchronously, on the microtask queue); undefined clears it. */
  setTargetHandler(handler: TargetHandler | undefined): void;
  /** Puts an event (envelope built with virtual time); matched targets are delivered after the current call returns. */
  putEvent(e: PutEventInput): EventEnvelope;
  /** Every event put so far, in order. */
  readonly emitted: readonly EventEnvelope[];
  /** Every delivery so far (`{ rule, targetArn, roleArn?, input, at, status, error? }`). */
  readonly deliveries: readonly DeliveryRecord[];
  /** Resolves once every delivery scheduled so far (and any scheduled meanwhile) has finished. */
  settled(): Promise<void>;
}

/** `sandbox.sns`. */
export interface SandboxSns {
  /** Creates a topic. @returns topic ARN */
  createTopic(t: CreateTopicInput): string;
  /** Replaces a topic's access policy. */
  setTopicPolicy(topicArn: string, policy: PolicyDocument): void;
  /** Messages published so far, in order. */
  readonly messages: readonly PublishedMessage[];
  /**
   * A CloudWatch alarm's action publishing to a topic as `cloudwatch.amazonaws.com` (topic policy and
   * topic key policy checked, aws:SourceArn = the alarm). Never throws for a denial: the attempt is
   * recorded in `alarmDeliveries` (delivered or failed, with AWS's alarm-history wording).
   */
  alarmPublish(alarmArn: string, topicArn: string, message?: string): AlarmDelivery;
  /** Every alarm action attempted so far, in order. */
  readonly alarmDeliveries: readonly AlarmDelivery[];
}

/** `sandbox.dynamodb` (issue 12: the copy slot table; sandbox/simulator/dynamodb.ts). */
export interface SandboxDynamoDb {
  /** Creates a table with a string partition key and optional TTL attribute (no IAM checks). @returns its ARN */
  createTable(t: CreateTableInput): string;
  /** One item as stored (expired ones included: TTL deletes late), or undefined. */
  peekItem(tableArn: string, key: string): ReturnType<DynamoDbStore['peekItem']>;
  /** Time to Live's background deletion, now: deletes every expired item. @returns how many */
  expireTtlItems(): number;
}

/** `sandbox.faults`. */
export interface SandboxFaults {
  /** Next matching calls throw `error` instead of running (times defaults to 1; Infinity allowed). */
  inject(f: FaultSpec): void;
  /** Disarms every fault. */
  clear(): void;
}

type Handler = (input: any, ctx: CallContext) => unknown;
type CommandClass = abstract new (...args: any[]) => unknown;

/** The in-process AWS. See the module comment. */
export class AwsSandbox {
  readonly clock: VirtualClock;
  readonly partition: 'aws';
  readonly iam: SandboxIam;
  readonly kms: SandboxKms;
  readonly rds: SandboxRds;
  readonly rdsRestore: SandboxRdsRestore;
  readonly sns: SandboxSns;
  readonly s3: SandboxS3;
  readonly events: SandboxEvents;
  readonly dynamodb: SandboxDynamoDb;
  readonly faults: SandboxFaults;
  /** Every call seen, in call order (recorded when the call starts; errorName filled on failure). */
  readonly calls: CallRecord[] = [];

  private readonly iamStore: IamStore;
  private readonly kmsStore: KmsStore;
  private readonly rdsStore: RdsStore;
  private readonly snsStore: SnsStore;
  private readonly s3Store: S3Store;
  private readonly eventsStore: EventsStore;
  private readonly exportStore: ExportTaskStore;
  private readonly secretsStore: SecretsStore;
  private readonly restoreStore: RestoreStore;
  private readonly dynamoStore: DynamoDbStore;
  private readonly faultStore = new FaultStore();
  private stubs: Array<{ restore(): void; resetHistory(): unknown }> = [];
  /** Calls since the stubs' call history was last cleared (see {@link AwsSandbox.dispatch}). */
  private callsSinceHistoryReset = 0;
  private readonly recordCallInputs: boolean;

  constructor(opts: AwsSandboxOptions) {
    this.clock = opts.clock;
    this.partition = opts.partition ?? 'aws';
    this.recordCallInputs = opts.recordCallInputs ?? true;
    this.iamStore = new IamStore(this.clock);
    this.kmsStore = new KmsStore(this.clock, this.iamStore);
    this.rdsStore = new RdsStore(this.clock, this.iamStore, this.kmsStore);
    this.snsStore = new SnsStore(this.clock, this.iamStore, this.kmsStore);
    const settle = () => this.exportStore.settle();
    this.s3Store = new S3Store(this.clock, this.iamStore, this.kmsStore, settle);
    this.eventsStore = new EventsStore(this.clock, settle);
    this.rdsStore.setEventSink((e) => this.eventsStore.putEvent(e));
    this.exportStore = new ExportTaskStore({
      clock: this.clock,
      iam: this.iamStore,
      kms: this.kmsStore,
      s3: this.s3Store,
      getSnapshot: (arn) => this.rdsStore.getSnapshot(arn),
      quota: (a, r) => this.rdsStore.quota(a, r),
      emit: (e) => this.eventsStore.putEvent(e),
    });
    this.secretsStore = new SecretsStore(this.clock, this.iamStore);
    this.dynamoStore = new DynamoDbStore(this.clock, this.iamStore);
    const ddb = this.dynamoStore;
    this.dynamodb = { createTable: (t) => ddb.createTable(t), peekItem: (a, k) => ddb.peekItem(a, k), expireTtlItems: () => ddb.expireTtlItems() };
    this.restoreStore = new RestoreStore(this.clock, this.iamStore, this.kmsStore, this.rdsStore, this.secretsStore);
    const restore = this.restoreStore;
    this.rdsRestore = {
      setSqlFixture: (f) => restore.setSqlFixture(f),
      createDbSubnetGroup: (a, r, n) => restore.createDbSubnetGroup(a, r, n),
      createSecurityGroup: (a, r, g) => restore.createSecurityGroup(a, r, g),
      stallRestore: (a, r, k, i) => restore.stallRestore(a, r, k, i),
      stallRestoresMatching: (p) => restore.stallRestoresMatching(p),
      listRestored: () => restore.listRestored(),
      hasSecret: (arn) => this.secretsStore.has(arn),
    };
    const iam = this.iamStore;
    const kms = this.kmsStore;
    const rds = this.rdsStore;
    const sns = this.snsStore;
    const faults = this.faultStore;
    this.iam = { putRole: (r) => iam.putRole(r), getRole: (a) => iam.getRole(a), deleteRole: (a) => iam.deleteRole(a) };
    this.kms = {
      createKey: (k) => kms.createKey(k),
      putKeyPolicy: (a, p) => kms.putKeyPolicy(a, p),
      disableKey: (a) => kms.disableKey(a),
      enableKey: (a) => kms.enableKey(a),
      defaultRdsKey: (acct, region) => kms.defaultRdsKey(acct, region),
    };
    this.rds = {
      createDbInstance: (db) => rds.createDbInstance(db),
      createDbCluster: (db) => rds.createDbCluster(db),
      createOptionGroup: (og) => rds.createOptionGroup(og),
      deleteDatabase: (a, r, id, k) => rds.deleteDatabase(a, r, id, k),
      createAutomatedSnapshot: (s, o) => rds.createAutomatedSnapshot(s, o),
      createManualSnapshot: (s) => rds.createManualSnapshot(s),
      listSnapshots: (a, r) => rds.listSnapshots(a, r),
      getSnapshot: (arn) => rds.getSnapshot(arn),
      setQuota: (a, r, q) => rds.setQuota(a, r, q),
      quota: (a, r) => rds.quota(a, r),
      copyLog: () => rds.copyLog(),
      setCrossAccountCrossRegionClusterCopy: (allowed) => rds.setCrossAccountCrossRegionClusterCopy(allowed),
      failSnapshot: (arn) => rds.failSnapshot(arn),
      stallSnapshot: (arn) => rds.stallSnapshot(arn),
      setCopyShape: (rule) => rds.setCopyShape(rule),
      clearCopyShapes: () => rds.clearCopyShapes(),
      failExportTask: (id, cause) => this.exportStore.failExportTask(id, cause),
      getExportTask: (id) => this.exportStore.getExportTask(id),
      listExportTasks: () => this.exportStore.listExportTasks(),
    };
    const s3 = this.s3Store;
    this.s3 = {
      createBucket: (b) => s3.createBucket(b),
      putBucketPolicy: (b, p) => s3.putBucketPolicy(b, p),
      listObjects: (b, p) => s3.listObjects(b, p),
      getBucket: (b) => s3.getBucket(b),
      listBuckets: () => s3.listBuckets(),
    };
    const events = this.eventsStore;
    this.events = {
      putRule: (r) => events.putRule(r),
      deleteRule: (a, r, n) => events.deleteRule(a, r, n),
      setTargetHandler: (h) => events.setTargetHandler(h),
      putEvent: (e) => events.putEvent(e),
      get emitted() {
        return events.emitted;
      },
      get deliveries() {
        return events.deliveries;
      },
      settled: () => events.settled(),
    };
    events.setTargetAuthorizer((d, rule) => authorizeStateMachineTarget(this.iamStore, d, rule));
    this.sns = {
      createTopic: (t) => sns.createTopic(t),
      setTopicPolicy: (a, p) => sns.setTopicPolicy(a, p),
      messages: sns.messages,
      alarmPublish: (alarm, topic, message) => sns.alarmPublish(alarm, topic, message),
      alarmDeliveries: sns.alarmDeliveries,
    };
    this.faults = { inject: (f) => faults.inject(f), clear: () => faults.clear() };
  }

  /**
   * Credentials the sandbox recognises as this principal: a role ARN `arn:aws:iam::<acct>:role/<name>`
   * (must exist via iam.putRole; session name `sandbox`, never expires) or an account root
   * `arn:aws:iam::<acct>:root` (full admin, no IAM checks). Stable per principal.
   * @throws SandboxUsageError for other ARNs or unknown roles
   */
  credentialsFor(principalArn: string): SandboxCredentials {
    return this.iamStore.credentialsFor(principalArn);
  }

  /**
   * Routes RDSClient, KMSClient, STSClient, SNSClient and S3Client `send` to the sandbox (commands it
   * does not simulate throw `NotImplemented`). Idempotent; the last installed sandbox wins.
   */
  install(): void {
    this.uninstall();
    const rds = this.rdsStore;
    const restore = this.restoreStore;
    this.route('rds', RDSClient, [
      // Issue 9: restored databases answer beside the source ones (sandbox/simulator/rds-restore.ts).
      [DescribeDBInstancesCommand, 'DescribeDBInstances', (i, c) => restore.describe('instance', i, c, () => rds.describeDbInstances(i, c))],
      [DescribeDBClustersCommand, 'DescribeDBClusters', (i, c) => restore.describe('cluster', i, c, () => rds.describeDbClusters(i, c))],
      [RestoreDBInstanceFromDBSnapshotCommand, 'RestoreDBInstanceFromDBSnapshot', (i, c) => restore.restoreDbInstanceFromDbSnapshot(i, c)],
      [RestoreDBClusterFromSnapshotCommand, 'RestoreDBClusterFromSnapshot', (i, c) => restore.restoreDbClusterFromSnapshot(i, c)],
      [CreateDBInstanceCommand, 'CreateDBInstance', (i, c) => restore.createDbInstance(i, c)],
      [ModifyDBInstanceCommand, 'ModifyDBInstance', (i, c) => restore.modify('instance', i, c)],
      [ModifyDBClusterCommand, 'ModifyDBCluster', (i, c) => restore.modify('cluster', i, c)],
      [DeleteDBInstanceCommand, 'DeleteDBInstance', (i, c) => restore.delete('instance', i, c)],
      [DeleteDBClusterCommand, 'DeleteDBCluster', (i, c) => restore.delete('cluster', i, c)],
      [DescribeDBSnapshotsCommand, 'DescribeDBSnapshots', (i, c) => rds.describeSnapshots('instance', i, c)],
      [DescribeDBClusterSnapshotsCommand, 'DescribeDBClusterSnapshots', (i, c) => rds.describeSnapshots('cluster', i, c)],
      [DescribeOptionGroupsCommand, 'DescribeOptionGroups', (i, c) => rds.describeOptionGroups(i, c)],
      [DescribeAccountAttributesCommand, 'DescribeAccountAttributes', (i, c) => rds.describeAccountAttributes(i, c)],
      [CopyDBSnapshotCommand, 'CopyDBSnapshot', (i, c) => rds.copySnapshot('instance', i, c)],
      [CopyDBClusterSnapshotCommand, 'CopyDBClusterSnapshot', (i, c) => rds.copySnapshot('cluster', i, c)],
      [ModifyDBSnapshotAttributeCommand, 'ModifyDBSnapshotAttribute', (i, c) => rds.modifySnapshotAttribute('instance', i, c)],
      [ModifyDBClusterSnapshotAttributeCommand, 'ModifyDBClusterSnapshotAttribute', (i, c) => rds.modifySnapshotAttribute('cluster', i, c)],
      [DescribeDBSnapshotAttributesCommand, 'DescribeDBSnapshotAttributes', (i, c) => rds.describeSnapshotAttributes('instance', i, c)],
      [DescribeDBClusterSnapshotAttributesCommand, 'DescribeDBClusterSnapshotAttributes', (i, c) => rds.describeSnapshotAttributes('cluster', i, c)],
      [DeleteDBSnapshotCommand, 'DeleteDBSnapshot', (i, c) => rds.deleteSnapshot('instance', i, c)],
      [DeleteDBClusterSnapshotCommand, 'DeleteDBClusterSnapshot', (i, c) => rds.deleteSnapshot('cluster', i, c)],
      [AddTagsToResourceCommand, 'AddTagsToResource', (i, c) => rds.tags('AddTagsToResource', i, c)],
      [ListTagsForResourceCommand, 'ListTagsForResource', (i, c) => rds.tags('ListTagsForResource', i, c)],
      [RemoveTagsFromResourceCommand, 'RemoveTagsFromResource', (i, c) => rds.tags('RemoveTagsFromResource', i, c)],
      [StartExportTaskCommand, 'StartExportTask', (i, c) => this.exportStore.startExportTask(i, c)],
      [DescribeExportTasksCommand, 'DescribeExportTasks', (i, c) => this.exportStore.describeExportTasks(i, c)],
      [CancelExportTaskCommand, 'CancelExportTask', (i, c) => this.exportStore.cancelExportTask(i, c)],
    ]);
    this.route('sts', STSClient, [
      [AssumeRoleCommand, 'AssumeRole', (i, c) => assumeRole(this.iamStore, i, c)],
      [GetCallerIdentityCommand, 'GetCallerIdentity', (_i, c) => getCallerIdentity(c)],
    ]);
    this.route('dynamodb', DynamoDBClient, [
      [GetItemCommand, 'GetItem', (i, c) => this.dynamoStore.getItem(i, c)],
      [UpdateItemCommand, 'UpdateItem', (i, c) => this.dynamoStore.updateItem(i, c)],
    ]);
    this.route('secretsmanager', SecretsManagerClient, [[GetSecretValueCommand, 'GetSecretValue', (i, c) => this.secretsStore.getSecretValue(i, c)]]);
    this.route('kms', KMSClient, [
      [DescribeKeyCommand, 'DescribeKey', (i, c) => this.kmsStore.describeKey(i, c)],
      [GetKeyPolicyCommand, 'GetKeyPolicy', (i, c) => this.kmsStore.getKeyPolicy(i, c)],
    ]);
    this.route('sns', SNSClient, [[PublishCommand, 'Publish', (i, c) => this.snsStore.publish(i, c)]]);
    const s3 = this.s3Store;
    this.route('s3', S3Client, [
      [CreateBucketCommand, 'CreateBucket', (i, c) => s3.createBucketApi(i, c)],
      [HeadBucketCommand, 'HeadBucket', (i, c) => s3.headBucket(i, c)],
      [GetBucketLocationCommand, 'GetBucketLocation', (i, c) => s3.getBucketLocation(i, c)],
      [PutObjectCommand, 'PutObject', (i, c) => s3.putObject(i, c)],
      [GetObjectCommand, 'GetObject', (i, c) => s3.getObject(i, c)],
      [HeadObjectCommand, 'HeadObject', (i, c) => s3.headObject(i, c)],
      [ListObjectsV2Command, 'ListObjectsV2', (i, c) => s3.listObjectsV2(i, c)],
      [DeleteObjectCommand, 'DeleteObject', (i, c) => s3.deleteObject(i, c)],
    ]);
  }

  /** Restores the real clients (mock.restore()). Safe to call when not installed. */
  uninstall(): void {
    for (const s of this.stubs) s.restore();
    this.stubs = [];
  }

  private route(service: ServiceName, clientClass: any, table: Array<[CommandClass, string, Handler]>): void {
    const stub = mockClient(clientClass);
    this.stubs.push(stub);
    // Registered first so that the specific `.on(Command)` behaviours below take precedence.
    stub.onAnyCommand().callsFake((input: unknown, getClient: () => any) => {
      const client = getClient();
      const cmd = stub.send.lastCall?.args[0] as { constructor?: { name?: string } } | undefined;
      const operation = (cmd?.constructor?.name ?? 'Unknown').replace(/Command$/, '');
      return this.dispatch(service, operation, input, client, () => {
        throw awsError(service, 'NotImplemented', `The sandbox does not simulate ${service}:${operation}`, 501);
      });
    });
    for (const [command, operation, handler] of table) {
      stub.on(command as any).callsFake((input: unknown, getClient: () => any) => this.dispatch(service, operation, input, getClient(), handler));
    }
  }

  private async dispatch(service: ServiceName, operation: string, input: unknown, client: any, handler: Handler): Promise<unknown> {
    const record: CallRecord = { service, operation, accountId: '', region: '', principalArn: '', input: this.recordCallInputs ? safeClone(input) : undefined, at: this.clock.iso() };
    this.calls.push(record);
    try {
      const region = String(await resolveConfig(client?.config?.region));
      const creds = (await resolveConfig(client?.config?.credentials)) as { accessKeyId?: string } | undefined;
      record.region = region;
      const principal = this.iamStore.authenticate(service, creds?.accessKeyId);
      record.accountId = principal.accountId;
      record.principalArn = principal.arn;
      const ctx: CallContext = { service, operation, accountId: principal.accountId, region, principalArn: principal.arn, principal };
      this.faultStore.check(input, ctx);
      // Export tasks that ended since the last call write their files and events now (lazy, like copies).
      this.exportStore.settle();
      const output = (await handler(input ?? {}, ctx)) as Record<string, unknown>;
      return { $metadata: { httpStatusCode: 200, requestId: nextRequestId(), attempts: 1, totalRetryDelay: 0 }, ...output };
    } catch (err) {
      record.errorName = (err as Error)?.name ?? 'Error';
      throw err;
    } finally {
      // aws-sdk-client-mock's sinon stubs keep every call (the Command with its middleware stack, its
      // arguments and result) until reset: ~1 MB per database of a fleet run, which 1,000 event runs at
      // once would hold to the end. `calls` is the sandbox's record; the stubs' own history is read only
      // during a call (lastCall, above), and this runs after the call's synchronous part (sinon refuses
      // a reset while it is invoking).
      if (++this.callsSinceHistoryReset >= 256) {
        this.callsSinceHistoryReset = 0;
        for (const s of this.stubs) s.resetHistory();
      }
    }
  }
}

async function resolveConfig(v: unknown): Promise<unknown> {
  return typeof v === 'function' ? await (v as () => unknown)() : v;
}

function safeClone<T>(v: T): T {
  try {
    return structuredClone(v);
  } catch {
    return v;
  }
}

/**
 * EventBridge invoking a Step Functions target: it needs the target's role (AWS requires one for
 * state machine targets), whose trust policy must let `events.amazonaws.com` assume it with
 * `aws:SourceArn` = the rule ARN and `aws:SourceAccount` = the rule's account, and whose identity
 * policies must allow `states:StartExecution` on the state machine. Other target types are not checked.
 * Sources: https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-use-identity-based.html,
 * https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-troubleshooting.html#eb-rule-does-not-trigger
 * @returns undefined when allowed, else the failure EventBridge records
 */
function authorizeStateMachineTarget(iam: IamStore, d: { targetArn: string; roleArn?: string }, rule: { arn: string; accountId: string }): string | undefined {
  if (!/^arn:aws[\w-]*:states:[^:]+:\d{12}:stateMachine:/.test(d.targetArn)) return undefined;
  if (!d.roleArn) return `FailedInvocation: a role is required to invoke ${d.targetArn}`;
  const role = iam.getRole(d.roleArn);
  const assume = { action: 'sts:AssumeRole', resource: d.roleArn, context: { 'aws:SourceArn': rule.arn, 'aws:SourceAccount': rule.accountId } };
  if (!role || checkServicePrincipal('events.amazonaws.com', role.trustPolicy, role.accountId, assume, 'trust')) {
    return `FailedInvocation: events.amazonaws.com is not authorized to perform: sts:AssumeRole on resource: ${d.roleArn}`;
  }
  const { principal } = iam.sessionPrincipal(role, 'events');
  if (identityDenial(iam, principal, { action: 'states:StartExecution', resource: d.targetArn })) {
    return `FailedInvocation: User: ${principal.callerArn} is not authorized to perform: states:StartExecution on resource: ${d.targetArn}`;
  }
  return undefined;
}
