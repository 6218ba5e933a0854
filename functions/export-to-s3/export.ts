/**
 * export-to-s3 domain logic: start (or find) the RDS export task of the run's manual copy.
 *
 * Sources: https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_StartExportTask.html ,
 * https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/USER_ExportSnapshot.html (5 running
 * export tasks per account; bucket in the snapshot's Region; role trusted by export.rds.amazonaws.com).
 */
import type { SlotFor } from '../../functions/shared/copy-slots.js';
import { StartExportTaskCommand, type ExportTask, type RDSClient } from '@aws-sdk/client-rds';
import type { ExportTaskRef, ExportToS3Input, ExportToS3Output } from '../../contracts/shapes.js';
import {
  ExportConfigurationInvalid,
  ExportTaskIdentifierConflict,
  ExportTaskLimitReached,
  InvalidInput,
  isAwsError,
  SnapshotNotAvailable,
  SnapshotNotFound,
} from '../../contracts/errors.js';
import { countRunningExportTasks, describeExportTask, exportPrefix, exportS3Uri, exportTaskIdentifier } from '../../functions/shared/exports.js';
import { isSnapshotNotFound, snapshotNoun } from '../../functions/shared/snapshots.js';

/** At most this many export tasks run at once per account (StartExportTask; not adjustable). */
export const MAX_RUNNING_EXPORT_TASKS = 5;

/** Export settings (from the environment). */
export interface ExportSettings {
  readonly accountId: string;
  /** The function's Region: the snapshot, the bucket and the key must all be in it. */
  readonly region: string;
  /** `EXPORT_BUCKET`. */
  readonly bucket: string;
  /** `EXPORT_PREFIX`, without leading/trailing slash. */
  readonly prefix: string;
  /** `EXPORT_ROLE_ARN`: trusted by export.rds.amazonaws.com. */
  readonly roleArn: string;
  /** `EXPORT_KMS_KEY_ARN`. */
  readonly kmsKeyArn: string;
}

const LIMIT_TEXT = /(limit|quota|maximum number|too many|concurrent)/i;

/**
 * Whether `err` is RDS refusing a sixth running export task. The SDK (3.11xx) models no fault for
 * this limit, so it is recognised by name (`...LimitExceeded...`, `...QuotaExceeded...`,
 * `ExportTaskLimitReached...`) or by a message that speaks of a limit/quota/concurrency of export tasks.
 */
export function isExportLimitError(err: unknown): err is Error {
  if (!(err instanceof Error)) return false;
  const code = (err as { Code?: unknown }).Code;
  const names = [err.name, typeof code === 'string' ? code : ''];
  if (names.some((n) => /ExportTask(Limit|Quota)|LimitExceeded|QuotaExceeded|TooMany/i.test(n))) return true;
  return /export/i.test(err.message) && LIMIT_TEXT.test(err.message);
}

function limitError(running: number | undefined, cause?: unknown): ExportTaskLimitReached {
  return new ExportTaskLimitReached(
    `RDS already runs the maximum of ${MAX_RUNNING_EXPORT_TASKS} export tasks per account` +
      (running === undefined ? '' : ` (${running} STARTING/IN_PROGRESS in this Region)`) +
      ', so this export cannot start now. This is not a failure of the backup: the state machine retries ExportToS3 with a long ' +
      'backoff until a slot frees up. If it keeps happening, stagger the exported databases or cancel stale export tasks ' +
      '(aws rds describe-export-tasks / cancel-export-task).',
    cause === undefined ? undefined : { cause },
  );
}

function toRef(task: ExportTask | undefined, fallback: ExportTaskRef): ExportTaskRef {
  return { ...fallback, status: task?.Status ?? fallback.status };
}

/**
 * Starts the export of `input.snapshot` (the run's manual copy, `available`, in this account and
 * Region) to `s3://<bucket>/<prefix>/<db>/<yyyy-mm-dd of its createTime, UTC>/<identifier>/`.
 *
 * 1. ExportTaskIdentifier = {@link exportTaskIdentifier}(snapshot identifier) (the identifier
 *    itself up to 60 characters, else shortened with a hash). An existing task with that
 *    identifier (DescribeExportTasks) is reused (`created=false`) when its SourceArn is this
 *    snapshot, whatever its status (poll-export reports FAILED/CANCELED).
 * 2. Counts the running (STARTING/IN_PROGRESS) tasks of the Region; 5 or more -> ExportTaskLimitReached
 *    without calling StartExportTask.
 * 3. StartExportTask (SourceArn, S3BucketName, S3Prefix, IamRoleArn, KmsKeyId). A concurrent start
 *    of the same identifier (ExportTaskAlreadyExistsFault) is resolved as in step 1.
 *
 * @param rds client in this account and Region (own credentials).
 * @param now handler start time (`startedAt`).
 * @throws InvalidInput snapshot in another account/Region, kind mismatch, no createTime.
 * @throws SnapshotNotAvailable snapshot status is not `available` (input, or InvalidExportSourceStateFault).
 * @throws SnapshotNotFound DBSnapshotNotFound / DBClusterSnapshotNotFoundFault.
 * @throws ExportTaskIdentifierConflict the identifier is taken by an export of another snapshot.
 * @param slotFor the copy slot table (functions/shared/copy-slots.ts): an export slot of the account is
 *   taken right before StartExportTask. @default - none
 * @throws ExportTaskLimitReached 5 export tasks already run, or every export slot is held (retried by the state machine).
 * @throws ExportConfigurationInvalid InvalidS3BucketFault (EXPORT_BUCKET), IamRoleNotFoundFault /
 *   IamRoleMissingPermissionsFault (EXPORT_ROLE_ARN), KMSKeyNotAccessibleFault (EXPORT_KMS_KEY_ARN).
 */
export async function exportToS3(rds: RDSClient, input: ExportToS3Input, s: ExportSettings, now: Date, slotFor?: SlotFor): Promise<ExportToS3Output> {
  const snap = input.snapshot;
  const noun = snapshotNoun(snap.kind);
  if (snap.kind !== input.database.kind) throw new InvalidInput(`snapshot.kind: ${snap.kind} does not match database.kind ${input.database.kind}`);
  if (snap.accountId !== s.accountId || snap.region !== s.region) {
    throw new InvalidInput(
      `snapshot.arn: ${snap.arn} must be in this account and Region (${s.accountId}, ${s.region}): RDS exports to a bucket in the snapshot's Region`,
    );
  }
  if (snap.createTime === undefined || Number.isNaN(Date.parse(snap.createTime))) {
    throw new InvalidInput('snapshot.createTime: required (ISO-8601 UTC); pass the snapshot as poll-status reported it once available');
  }
  if (snap.status !== 'available') {
    throw new SnapshotNotAvailable(`${noun} ${snap.identifier} is ${snap.status}, not available; export it once the copy is available (poll-status ready).`);
  }

  const identifier = exportTaskIdentifier(snap.identifier);
  const s3Prefix = exportPrefix(s.prefix, input.database.identifier, snap.createTime);
  const ref: ExportTaskRef = {
    identifier,
    sourceArn: snap.arn,
    region: s.region,
    s3Bucket: s.bucket,
    s3Prefix,
    s3Uri: exportS3Uri(s.bucket, s3Prefix, identifier),
    status: 'STARTING',
  };
  const startedAt = now.toISOString();

  const adopt = (task: ExportTask): ExportToS3Output => {
    if (task.SourceArn !== snap.arn) {
      throw new ExportTaskIdentifierConflict(
        `Export task ${identifier} in account ${s.accountId} Region ${s.region} already exists but exports ${task.SourceArn ?? '(unknown)'}, ` +
          `not ${snap.arn}. Export task identifiers are never reusable; export ${snap.arn} by hand with another identifier.`,
      );
    }
    // Report where that task really writes (an earlier run may have used another prefix).
    const bucket = task.S3Bucket ?? ref.s3Bucket;
    const prefix = task.S3Prefix ?? ref.s3Prefix;
    return { exportTask: { ...toRef(task, ref), s3Bucket: bucket, s3Prefix: prefix, s3Uri: exportS3Uri(bucket, prefix, identifier) }, created: false, startedAt };
  };

  const existing = await describeExportTask(rds, identifier);
  if (existing) return adopt(existing);

  const running = await countRunningExportTasks(rds);
  if (running >= MAX_RUNNING_EXPORT_TASKS) throw limitError(running);
  // The account's export slot (issue 12): ExportTaskLimitReached when all are held.
  const slot = slotFor?.({ accountId: s.accountId, region: s.region, kind: 'export', holder: identifier });
  await slot?.acquire();

  try {
    const out = await rds.send(
      new StartExportTaskCommand({
        ExportTaskIdentifier: identifier,
        SourceArn: snap.arn,
        S3BucketName: s.bucket,
        S3Prefix: s3Prefix,
        IamRoleArn: s.roleArn,
        KmsKeyId: s.kmsKeyArn,
      }),
    );
    return { exportTask: toRef(out, ref), created: true, startedAt };
  } catch (err) {
    // A concurrent start of the same task shares its holder; any other refusal gives the slot back.
    if (!isAwsError(err, 'ExportTaskAlreadyExistsFault')) await slot?.release();
    if (isAwsError(err, 'ExportTaskAlreadyExistsFault')) {
      const raced = await describeExportTask(rds, identifier);
      if (raced) return adopt(raced);
      throw err;
    }
    if (isAwsError(err, 'InvalidS3BucketFault')) {
      throw new ExportConfigurationInvalid(
        'EXPORT_BUCKET',
        `RDS cannot use the export bucket ${s.bucket} (${err.message}). Fix EXPORT_BUCKET: the bucket must exist in ${s.region} (the snapshot's Region) ` +
          `and the export role ${s.roleArn} must allow s3:PutObject*, s3:GetObject*, s3:ListBucket, s3:DeleteObject*, s3:GetBucketLocation on it.`,
        { cause: err },
      );
    }
    if (isAwsError(err, 'IamRoleNotFoundFault', 'IamRoleMissingPermissionsFault')) {
      throw new ExportConfigurationInvalid(
        'EXPORT_ROLE_ARN',
        `RDS cannot use the export role ${s.roleArn} (${err.name}: ${err.message}). Fix EXPORT_ROLE_ARN: the role must exist, trust ` +
          `export.rds.amazonaws.com, and allow s3:PutObject*, s3:GetObject*, s3:ListBucket, s3:DeleteObject*, s3:GetBucketLocation on bucket ${s.bucket}.`,
        { cause: err },
      );
    }
    if (isAwsError(err, 'KMSKeyNotAccessibleFault')) {
      throw new ExportConfigurationInvalid(
        'EXPORT_KMS_KEY_ARN',
        `RDS cannot use the export KMS key ${s.kmsKeyArn} (${err.message}). Fix EXPORT_KMS_KEY_ARN: the key must be enabled in ${s.region}, and its key ` +
          'policy must allow this function kms:CreateGrant and kms:DescribeKey and the export role kms:Encrypt, kms:Decrypt, kms:GenerateDataKey*, ' +
          'kms:ReEncrypt*, kms:CreateGrant, kms:DescribeKey, kms:RetireGrant.',
        { cause: err },
      );
    }
    // After the modeled configuration faults (whose messages could mention "export"), before
    // InvalidExportSourceStateFault (which RDS might use for the limit too).
    if (isExportLimitError(err)) throw limitError(undefined, err);
    if (isAwsError(err, 'InvalidExportSourceStateFault')) {
      throw new SnapshotNotAvailable(
        `RDS refused to export ${noun} ${snap.arn}: ${err.message}. The snapshot must be available and not already being exported; re-run once it is.`,
        { cause: err },
      );
    }
    if (isSnapshotNotFound(err, snap.kind)) {
      throw new SnapshotNotFound(`${noun} ${snap.arn} to export was not found (deleted by retention or by hand?). Re-run the backup.`, { cause: err });
    }
    throw err;
  }
}
