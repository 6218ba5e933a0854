/**
 * Named errors thrown by the rds-snapshot-vault Lambdas.
 *
 * Step Functions sees a Lambda failure as `Error` = the thrown error's `name` and `Cause` =
 * `{"errorType","errorMessage","trace"}`; `Retry`/`Catch` match on that name. Every class below sets
 * `this.name` to a string literal (not `new.target.name`) so that minified bundles keep the names.
 * Messages say what went wrong *and what to do about it*.
 * Source: https://docs.aws.amazon.com/step-functions/latest/dg/concepts-error-handling.html
 */

/**
 * Error names the state machine should retry with backoff: AWS throttling and service-side faults
 * (the same codes the SDK's standard retry strategy treats as retryable, see
 * https://docs.aws.amazon.com/sdkref/latest/guide/feature-retry-behavior.html), timeouts, and
 * Node socket errors (which `makeHandler` renames from `Error` to their `code`, e.g. `ECONNRESET`).
 * SDK errors keep their AWS name when they leave a handler, so these match as-is.
 * Everything else (AccessDenied, our named errors) is permanent and must not be retried.
 */
export const TRANSIENT_ERROR_NAMES = [
  // Throttling
  'Throttling',
  'ThrottlingException',
  'ThrottledException',
  'RequestThrottled',
  'RequestThrottledException',
  'RequestLimitExceeded',
  'TooManyRequestsException',
  'SlowDown',
  'PriorRequestNotComplete',
  'BandwidthLimitExceeded',
  // Service-side faults
  'ServiceUnavailable',
  'ServiceUnavailableException',
  'InternalFailure',
  'InternalError',
  'InternalServerError',
  'InternalServiceError',
  'IDPCommunicationError',
  // Timeouts
  'RequestTimeout',
  'RequestTimeoutException',
  'TimeoutError',
  // Network (renamed from `Error` by makeHandler)
  'ECONNRESET',
  'ECONNREFUSED',
  'EPIPE',
  'ETIMEDOUT',
  'EAI_AGAIN',
] as const;

/** Union of {@link TRANSIENT_ERROR_NAMES}. */
export type TransientErrorName = (typeof TRANSIENT_ERROR_NAMES)[number];

const TRANSIENT = new Set<string>(TRANSIENT_ERROR_NAMES);

/** Whether `err` is an error whose `name` is in {@link TRANSIENT_ERROR_NAMES}. */
export function isTransientError(err: unknown): boolean {
  return err instanceof Error && TRANSIENT.has(err.name);
}

/**
 * Whether `err` is an AWS SDK error with the given error code. Modeled RDS faults carry the
 * shape name (`DBSnapshotNotFoundFault`) while the wire code may lack the suffix
 * (`DBSnapshotNotFound`), so both spellings match: `isAwsError(e, 'DBSnapshotNotFound')` matches
 * either name, and so does `isAwsError(e, 'DBSnapshotNotFoundFault')`.
 */
export function isAwsError(err: unknown, ...codes: string[]): err is Error {
  if (!(err instanceof Error)) return false;
  const names = new Set<string>();
  for (const c of codes) {
    const base = c.endsWith('Fault') ? c.slice(0, -'Fault'.length) : c;
    names.add(base).add(`${base}Fault`);
  }
  const code = (err as { Code?: unknown }).Code;
  return names.has(err.name) || (typeof code === 'string' && names.has(code));
}

/** The event (handler input) is invalid. `issues` are `path: problem` strings, e.g. `database.kind: expected one of instance, cluster`. */
export class InvalidInput extends Error {
  readonly issues: readonly string[];
  constructor(issues: readonly string[] | string, options?: ErrorOptions) {
    const list = typeof issues === 'string' ? [issues] : issues;
    super(`Invalid input: ${list.join('; ')}. Fix the state machine Parameters or the execution input.`, options);
    this.name = 'InvalidInput';
    this.issues = list;
  }
}

/** A Lambda environment variable is missing or invalid. `variables` names each bad variable. */
export class InvalidEnvironment extends Error {
  readonly variables: readonly string[];
  constructor(functionName: string, issues: readonly string[], variables: readonly string[]) {
    super(
      `${functionName}: invalid Lambda environment: ${issues.join('; ')}. ` +
        'The CDK stack sets these variables; fix the stack configuration and redeploy.',
    );
    this.name = 'InvalidEnvironment';
    this.variables = variables;
  }
}

/**
 * plan-run: the requested databases are neither configured nor (with tag discovery) discovered.
 * `known` lists the configured databases followed by the discovered ones.
 */
export class UnknownDatabase extends Error {
  readonly unknown: readonly string[];
  constructor(unknown: readonly string[], known: readonly string[], discovery = false) {
    super(
      `Unknown database(s): ${unknown.join(', ')}. ${discovery ? 'Configured or tag-discovered' : 'Configured'} databases: ${known.join(', ') || '(none)'}. ` +
        'Use configured identifiers, or add the database to the stack configuration (or tag it with the discovery tags) and redeploy.',
    );
    this.name = 'UnknownDatabase';
    this.unknown = unknown;
  }
}

/** The DB instance / DB cluster does not exist in this account and Region (DBInstanceNotFound / DBClusterNotFoundFault). */
export class DatabaseNotFound extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'DatabaseNotFound';
  }
}

/** The database exists but has no `available` automated snapshot (backups disabled, or the first backup has not run). */
export class NoAutomatedSnapshot extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'NoAutomatedSnapshot';
  }
}

/** A DB snapshot / DB cluster snapshot does not exist (DBSnapshotNotFound / DBClusterSnapshotNotFoundFault). */
export class SnapshotNotFound extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'SnapshotNotFound';
  }
}

/** A snapshot exists but is not `available` yet, so it cannot be copied. */
export class SnapshotNotAvailable extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'SnapshotNotAvailable';
  }
}

/** An unencrypted DB cluster snapshot cannot be encrypted by CopyDBClusterSnapshot. */
export class UnencryptedClusterNotSupported extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'UnencryptedClusterNotSupported';
  }
}

/** The snapshot cannot be shared (default `aws/rds` key, automated snapshot, ...). */
export class SnapshotNotShareable extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'SnapshotNotShareable';
  }
}

/** The snapshot is already shared with the maximum of 20 accounts (SharedSnapshotQuotaExceeded). */
export class ShareLimitExceeded extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'ShareLimitExceeded';
  }
}

/** RDS could not use a KMS key (KMSKeyNotAccessibleFault); the message names the key, the account and the missing grant. */
export class KmsKeyNotAccessible extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'KmsKeyNotAccessible';
  }
}

/** The manual snapshot quota of the account/Region is reached (SnapshotQuotaExceeded). */
export class SnapshotQuotaExceeded extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'SnapshotQuotaExceeded';
  }
}

/**
 * Plan time (issue 12): the retention policy needs more manual DB (cluster) snapshots in an account
 * and Region than its RDS quota allows (`ManualSnapshots` / `ManualClusterSnapshots`,
 * DescribeAccountAttributes); the message names the quota and the value to request. Not transient:
 * the run stops before it copies anything.
 */
export class ManualSnapshotQuotaTooLow extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'ManualSnapshotQuotaTooLow';
  }
}

/**
 * CopyDBSnapshot / CopyDBClusterSnapshot was refused because the destination account and Region
 * already has its maximum of copies in progress (SnapshotQuotaExceeded with a copy message: 20 DB
 * snapshot / 5 DB cluster snapshot copies, docs/aws-behaviour.md §11). Transient by nature: the
 * state machine retries it by name with long backoff, like {@link ExportTaskLimitReached}.
 * Source: https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/USER_CopySnapshot.html
 */
export class CopySlotsBusy extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'CopySlotsBusy';
  }
}

/**
 * cross-account-copy: a cross-Region copy of a DB snapshot whose option group has options needs an
 * option group of the destination account and Region (docs/aws-behaviour.md §15a), and none is
 * configured for that Region. The message says what to create and which config field to set.
 */
export class OptionGroupRequired extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'OptionGroupRequired';
  }
}

/** STS AssumeRole into the vault role was denied (trust policy or external ID). */
export class VaultRoleNotAssumable extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'VaultRoleNotAssumable';
  }
}

/** A snapshot copy ended in status `failed`. */
export class SnapshotCopyFailed extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'SnapshotCopyFailed';
  }
}

/**
 * The deterministic copy identifier is taken by a snapshot rds-snapshot-vault did not make (no
 * managed tag), or by a managed copy of a different source snapshot. We never adopt such a snapshot.
 */
export class SnapshotIdentifierConflict extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'SnapshotIdentifierConflict';
  }
}

/**
 * export-to-s3: RDS already runs the maximum of 5 export tasks per account (StartExportTask), so
 * this one cannot start now. Transient by nature: the state machine retries it with long backoff.
 * Source: https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/USER_ExportSnapshot.html (limitations)
 */
export class ExportTaskLimitReached extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'ExportTaskLimitReached';
  }
}

/**
 * export-to-s3: the export bucket, the export IAM role or the export KMS key is missing or not
 * usable by RDS (InvalidS3BucketFault, IamRoleNotFoundFault, IamRoleMissingPermissionsFault,
 * KMSKeyNotAccessibleFault). `setting` names what to fix (`EXPORT_BUCKET`, `EXPORT_ROLE_ARN`, `EXPORT_KMS_KEY_ARN`).
 */
export class ExportConfigurationInvalid extends Error {
  /** The environment variable / stack resource to fix. */
  readonly setting: string;
  constructor(setting: string, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'ExportConfigurationInvalid';
    this.setting = setting;
  }
}

/**
 * export-to-s3: an export task with our deterministic identifier exists but exports another
 * snapshot (its SourceArn differs). We never reuse such a task.
 */
export class ExportTaskIdentifierConflict extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'ExportTaskIdentifierConflict';
  }
}

/** poll-export: the export task ended in `FAILED` or `CANCELED`; the message carries RDS's FailureCause. */
export class ExportTaskFailed extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'ExportTaskFailed';
  }
}

/** poll-export: DescribeExportTasks does not know the task (ExportTaskNotFoundFault or an empty result). */
export class ExportTaskNotFound extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'ExportTaskNotFound';
  }
}
