/**
 * The simulated AWS (RDS with export tasks, KMS, STS, SNS, S3, EventBridge) used by every local test and the demo.
 * Import from here (`sandbox/aws`) or from `sandbox/index.ts`, which re-exports this and adds createSandbox.
 */
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
