/**
 * Errors thrown by the sandbox, shaped exactly like the AWS SDK v3 service exceptions a real client
 * raises: same class where the SDK exports one (so `instanceof DBSnapshotNotFoundFault` works), the
 * service's `XxxServiceException` otherwise, with `name` = the name the real SDK gives the error,
 * `$fault`, `$metadata.httpStatusCode` and, for throttling, `$retryable: { throttling: true }`.
 *
 * Names were checked against the SDK's own deserializer (a client fed a real AWS error body):
 * RDS wire code `DBSnapshotAlreadyExists` surfaces as `DBSnapshotAlreadyExistsFault` (and
 * `SnapshotQuotaExceeded`, both the manual snapshot quota and the copies-in-progress limit, as
 * `SnapshotQuotaExceededFault`: @aws-sdk/client-rds registers that class for the query error code
 * `SnapshotQuotaExceeded`), SNS `NotFound`
 * as `NotFoundException`, RDS `AccessDenied` / `InvalidParameterValue` / `Throttling` keep their code.
 * Source: https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/CommonErrors.html
 */
import * as RDS from '@aws-sdk/client-rds';
import * as STS from '@aws-sdk/client-sts';
import * as SNS from '@aws-sdk/client-sns';
import * as KMS from '@aws-sdk/client-kms';
import * as S3 from '@aws-sdk/client-s3';
import * as SecretsManager from '@aws-sdk/client-secrets-manager';
import * as DynamoDB from '@aws-sdk/client-dynamodb';

/** The services the sandbox simulates. */
export type ServiceName = 'rds' | 'sts' | 'kms' | 'sns' | 's3' | 'secretsmanager' | 'dynamodb';

type ExceptionCtor = new (opts: { name?: string; message?: string; $fault: 'client' | 'server'; $metadata: object }) => Error;

const MODULES: Record<ServiceName, { mod: Record<string, unknown>; base: ExceptionCtor }> = {
  rds: { mod: RDS as unknown as Record<string, unknown>, base: RDS.RDSServiceException as unknown as ExceptionCtor },
  sts: { mod: STS as unknown as Record<string, unknown>, base: STS.STSServiceException as unknown as ExceptionCtor },
  sns: { mod: SNS as unknown as Record<string, unknown>, base: SNS.SNSServiceException as unknown as ExceptionCtor },
  kms: { mod: KMS as unknown as Record<string, unknown>, base: KMS.KMSServiceException as unknown as ExceptionCtor },
  s3: { mod: S3 as unknown as Record<string, unknown>, base: S3.S3ServiceException as unknown as ExceptionCtor },
  // Issue 9: the RDS-managed master user secrets of restored databases (sandbox/simulator/secrets.ts).
  secretsmanager: { mod: SecretsManager as unknown as Record<string, unknown>, base: SecretsManager.SecretsManagerServiceException as unknown as ExceptionCtor },
  // Issue 12: the copy slot table (sandbox/simulator/dynamodb.ts).
  dynamodb: { mod: DynamoDB as unknown as Record<string, unknown>, base: DynamoDB.DynamoDBServiceException as unknown as ExceptionCtor },
};

const THROTTLING = new Set(['Throttling', 'ThrottlingException', 'ThrottledException', 'TooManyRequestsException', 'RequestLimitExceeded', 'KMSThrottlingException', 'SlowDown']);
const SERVER_500 = new Set(['InternalFailure', 'InternalError', 'InternalErrorException', 'KMSInternalException', 'InternalServerError']);
const SERVER_503 = new Set(['ServiceUnavailable', 'ServiceUnavailableException', 'DependencyTimeoutException']);
const STATUS: Record<string, number> = {
  AccessDenied: 403,
  AuthorizationErrorException: 403,
  InvalidClientTokenId: 403,
  ExpiredToken: 403,
  InvalidAccessKeyId: 403,
  DBSnapshotNotFoundFault: 404,
  DBClusterSnapshotNotFoundFault: 404,
  DBInstanceNotFoundFault: 404,
  DBClusterNotFoundFault: 404,
  NotFoundException: 404,
  NotImplemented: 501,
  // S3 (https://docs.aws.amazon.com/AmazonS3/latest/API/ErrorResponses.html)
  NotFound: 404,
  NoSuchBucket: 404,
  NoSuchKey: 404,
  BucketAlreadyExists: 409,
  BucketAlreadyOwnedByYou: 409,
  PermanentRedirect: 301,
  // RDS export tasks (https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_StartExportTask.html)
  ExportTaskNotFoundFault: 404,
  IamRoleNotFoundFault: 404,
};

/** Default HTTP status for an error name (400 unless known otherwise). */
export function statusFor(name: string): number {
  if (SERVER_500.has(name)) return 500;
  if (SERVER_503.has(name)) return 503;
  return STATUS[name] ?? 400;
}

let requestSeq = 0;
/** A request id like AWS's (a UUID-shaped string), deterministic per process. */
export function nextRequestId(): string {
  requestSeq++;
  const hex = requestSeq.toString(16).padStart(12, '0');
  return `5a4d0b1e-0000-4000-8000-${hex}`;
}

/**
 * Builds an SDK-shaped service exception.
 * @param service which client's exception family to use
 * @param name    the error name exactly as the real SDK reports it (e.g. `DBSnapshotNotFoundFault`, `AccessDenied`)
 * @param message AWS-like message
 * @param status  HTTP status; defaults from the name (403 AccessDenied, 404 not-found faults, 5xx internal, else 400)
 */
export function awsError(service: ServiceName, name: string, message: string, status?: number): Error & { name: string; $metadata: { httpStatusCode: number } } {
  const family = MODULES[service];
  const candidate = family.mod[name];
  const isSdkClass =
    typeof candidate === 'function' && (candidate as { prototype?: unknown }).prototype instanceof (family.base as unknown as { new (): object });
  const Ctor = (isSdkClass ? candidate : family.base) as ExceptionCtor;
  const httpStatusCode = status ?? statusFor(name);
  const err = new Ctor({
    name,
    message,
    $fault: httpStatusCode >= 500 ? 'server' : 'client',
    $metadata: { httpStatusCode, requestId: nextRequestId(), attempts: 1, totalRetryDelay: 0 },
  }) as Error & { name: string; $metadata: { httpStatusCode: number }; $retryable?: { throttling?: boolean } };
  // The SDK classes pin `name` to the class name; keep the requested name (identical for SDK classes).
  err.name = name;
  if (THROTTLING.has(name)) err.$retryable = { throttling: true };
  else if (httpStatusCode >= 500) err.$retryable = {};
  return err;
}

/** Shorthand for RDS errors. */
export const rdsError = (name: string, message: string, status?: number) => awsError('rds', name, message, status);

/**
 * Thrown by the sandbox's own set-up API (not by a simulated AWS call) when a test asks for something
 * impossible, e.g. `credentialsFor` a role that was never registered.
 */
export class SandboxUsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SandboxUsageError';
  }
}
