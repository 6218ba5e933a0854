/**
 * The simulated AWS (RDS, KMS, STS, SNS; S3 stubbed) used by every local test and the demo.
 * Import from here (`sandbox/aws`) or from `sandbox/index.ts`, which re-exports this and adds createSandbox.
 */
export { AwsSandbox } from './sandbox';
export type { AwsSandboxOptions, SandboxFaults, SandboxIam, SandboxKms, SandboxRds, SandboxSns } from './sandbox';
export { copyDurationSeconds, scheduleCopies, COPY_BASE_SECONDS, COPY_SECONDS_PER_GIB, CROSS_REGION_BASE_SECONDS, CROSS_REGION_SECONDS_PER_GIB } from './copy-model';
export type { QueuedCopy } from './copy-model';
export type { CallContext, CallRecord } from './context';
export { awsError, SandboxUsageError } from './errors';
export type { ServiceName } from './errors';
export type { FaultSpec } from './faults';
export type { PutRoleInput, RoleRecord, SandboxCredentials } from './identity';
export type { CreateKeyInput } from './kms';
export { evaluateIdentity, globMatch } from './policy';
export type { AuthzRequest, PolicyDocument, PolicyStatement } from './policy';
export { automatedSnapshotIdentifier, isValidSnapshotIdentifier, parseRdsArn } from './rds';
export type { CreateDatabaseInput, RdsKind, RdsQuota, SnapshotRecordView } from './rds';
export type { CreateTopicInput, PublishedMessage } from './sns';
