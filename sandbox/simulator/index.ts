/**
 * Public API of the AWS simulator: an in-process AWS for several accounts and Regions (RDS with
 * export tasks and restores, KMS, STS, IAM policy evaluation, SNS, S3, EventBridge, DynamoDB,
 * Secrets Manager) plugged into the SDK v3 clients, on a {@link VirtualClock}. Used by every local
 * test, the harness (sandbox/harness/) and the demo.
 *
 * Everything outside sandbox/simulator/ imports from this file only; the other files of this folder
 * are internal. The simulator knows nothing of the Step Functions harness or the demo
 * (test/sandbox/boundaries.test.ts).
 *
 * ```ts
 * const { clock, sandbox } = createSandbox({ start: new Date('2026-11-20T05:00:00Z') });
 * const rds = new RDSClient({ region: 'eu-west-1', credentials: sandbox.credentialsFor('arn:aws:iam::111111111111:root') });
 * // ... afterEach: sandbox.uninstall()
 * ```
 */
export { createSandbox } from './create-sandbox';
export { VirtualClock } from './clock';
export { AwsSandbox } from './sandbox';
export type { AwsSandboxOptions, SandboxDynamoDb, SandboxEvents, SandboxFaults, SandboxIam, SandboxKms, SandboxRds, SandboxS3, SandboxSns } from './sandbox';
export { copyDurationSeconds, percentProgressAt, scheduleCopies, transferPercent, COPY_BASE_SECONDS, COPY_SECONDS_PER_GIB, CROSS_REGION_BASE_SECONDS, CROSS_REGION_SECONDS_PER_GIB } from './copy-model';
export type { CopyShape, QueuedCopy } from './copy-model';
export type { CallContext, CallRecord } from './context';
export { awsError, SandboxUsageError } from './errors';
export type { ServiceName } from './errors';
export type { FaultSpec } from './faults';
export type { PutRoleInput, RoleRecord, SandboxCredentials } from './identity';
export type { CreateKeyInput } from './kms';
export { actionTakesResource, authorize, statementsOf, withoutUnjudgedKeys, AUTHORITATIVE_KEYS } from './iam-eval';
export type { AuthorizeInput, AuthzRequest, DenialReason, EvalCaller, PolicyDocument, PolicyPrincipal, PolicyStatement, ResourcePolicyKind } from './iam-eval';
export { actionSupportsConditionKey, arnFitsFormat, catalogAction, conditionKeysFor, expandAction, isGlobalConditionKey, resourceTypesFor, wildcardMatch } from './iam-catalog';
export type { CatalogAction, CatalogResourceType } from './iam-catalog';
export { automatedSnapshotIdentifier, isValidSnapshotIdentifier, parseRdsArn } from './rds';
export type { CopyShapeTarget, CreateDatabaseInput, RdsKind, RdsQuota, SnapshotRecordView } from './rds';
export type { AlarmDelivery, CreateTopicInput, PublishedMessage } from './sns';
export { applyInputTransformer, matchesEventPattern } from './events';
export type { DeliveryRecord, EventDelivery, EventEnvelope, EventTargetInput, PutEventInput, PutRuleInput, TargetHandler } from './events';
export {
  exportDurationSeconds,
  isValidExportTaskIdentifier,
  EXPORT_BASE_SECONDS,
  EXPORT_CANCELING_SECONDS,
  EXPORT_ROLE_S3_ACTIONS,
  EXPORT_SECONDS_PER_GIB,
  EXPORT_STARTING_SECONDS,
  EXPORT_TASK_IDENTIFIER_MAX,
} from './rds-export';
export type { ExportTaskStatus, ExportTaskView } from './rds-export';
export { isValidBucketName, sdkStreamBody } from './s3';
export type { CreateBucketInput, S3ObjectView } from './s3';
export { MAX_ITEM_BYTES } from './dynamodb';
export type { AttributeValue, CreateTableInput } from './dynamodb';
export { restoreDurationSeconds } from './rds-restore';
/** Real databases behind restored DB instances and clusters (embedded PostgreSQL, a MariaDB server). */
export { listPostgresDatabases, MariaDbNotInstalled, serverFamilyOf, startPrivateMariaDb, stopDatabaseServers, useMariaDb } from './db-server';
export type { MariaDbConnection, PrivateMariaDb, ServerFamily } from './db-server';
