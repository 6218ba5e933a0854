/**
 * create-copy domain logic: copy the newest automated (or a given) DB snapshot / DB cluster
 * snapshot to a manual snapshot in the same account and Region, re-encrypted with the source
 * stack's customer-managed KMS key, so that it can be shared with the vault account
 * (automated snapshots and snapshots under the default `aws/rds` key cannot be shared).
 *
 * Sources: https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/share-encrypted-snapshot.html ,
 * https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_CopyDBSnapshot.html ,
 * https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_CopyDBClusterSnapshot.html
 */
import type { SlotFor } from '../../functions/shared/copy-slots.js';
import type { RDSClient } from '@aws-sdk/client-rds';
import type { CreateCopyInput, CreateCopyOutput, DatabaseRef } from '../../contracts/shapes.js';
import {
  DatabaseNotFound,
  InvalidInput,
  KmsKeyNotAccessible,
  NoAutomatedSnapshot,
  SnapshotNotAvailable,
  SnapshotNotFound,
  UnencryptedClusterNotSupported,
} from '../../contracts/errors.js';
import {
  copyIdentifier,
  copySnapshotIdempotently,
  databaseExists,
  databaseNoun,
  describeSnapshot,
  listSnapshots,
  managedTags,
  parseSnapshotArn,
  snapshotNoun,
  toSnapshotRef,
  type SnapshotRecord,
} from '../../functions/shared/snapshots.js';

/** Settings of create-copy. */
export interface CreateCopySettings {
  /** Account the function runs in. */
  readonly accountId: string;
  /** Region the function runs in. */
  readonly region: string;
  /** KMS key ARN of the source account used for every copy. */
  readonly kmsKeyArn: string;
}

/**
 * Newest `available` automated snapshot of the database across all pages, by SnapshotCreateTime.
 * @throws DatabaseNotFound when there is none and the DB does not exist.
 * @throws NoAutomatedSnapshot when there is none but the DB exists.
 */
export async function newestAutomatedSnapshot(rds: RDSClient, database: DatabaseRef, settings: CreateCopySettings): Promise<SnapshotRecord> {
  const all = await listSnapshots(rds, database, 'automated');
  let newest: SnapshotRecord | undefined;
  for (const s of all) {
    if (s.status !== 'available' || s.createTime === undefined) continue;
    if (!newest || (newest.createTime as Date) < s.createTime) newest = s;
  }
  if (newest) return newest;
  const where = `account ${settings.accountId} Region ${settings.region}`;
  if (!(await databaseExists(rds, database))) {
    throw new DatabaseNotFound(
      `${databaseNoun(database.kind)} ${database.identifier} does not exist in ${where}. Fix the identifier or kind in the stack configuration (DATABASES).`,
    );
  }
  throw new NoAutomatedSnapshot(
    `${databaseNoun(database.kind)} ${database.identifier} in ${where} has no available automated snapshot ` +
      `(${all.length} automated snapshot(s) found, none available). Enable automated backups (backup retention period >= 1 day) ` +
      'or wait for the first backup window, then re-run.',
  );
}

/**
 * Resolves and checks a given source snapshot ARN (same account and Region, matching kind and database, `available`).
 * @throws InvalidInput, SnapshotNotFound, SnapshotNotAvailable.
 */
export async function givenSnapshot(rds: RDSClient, database: DatabaseRef, arn: string, settings: CreateCopySettings): Promise<SnapshotRecord> {
  const parts = parseSnapshotArn(arn);
  if (!parts) throw new InvalidInput('sourceSnapshotArn: must be a DB snapshot or DB cluster snapshot ARN');
  if (parts.accountId !== settings.accountId || parts.region !== settings.region) {
    throw new InvalidInput(`sourceSnapshotArn: must be in account ${settings.accountId} Region ${settings.region}, not ${parts.accountId} ${parts.region}`);
  }
  if (parts.kind !== database.kind) {
    throw new InvalidInput(`sourceSnapshotArn: a ${snapshotNoun(parts.kind)} cannot be copied for ${databaseNoun(database.kind)} ${database.identifier}`);
  }
  const s = await describeSnapshot(rds, parts.kind, parts.identifier);
  if (!s) throw new SnapshotNotFound(`${snapshotNoun(parts.kind)} ${arn} does not exist (deleted?). Pass an existing snapshot ARN or omit sourceSnapshotArn.`);
  if (s.dbIdentifier !== undefined && s.dbIdentifier.toLowerCase() !== database.identifier.toLowerCase()) {
    throw new InvalidInput(`sourceSnapshotArn: ${arn} is a snapshot of ${s.dbIdentifier}, not of ${database.identifier}`);
  }
  if (s.status !== 'available') {
    throw new SnapshotNotAvailable(`${snapshotNoun(parts.kind)} ${arn} is ${s.status}, not available; wait until it is available and re-run.`);
  }
  return s;
}

/**
 * Makes (or finds) the manual copy of the newest automated snapshot, or of `input.sourceSnapshotArn`.
 *
 * The copy is `copyIdentifier(db, source SnapshotCreateTime)`, encrypted with `settings.kmsKeyArn`
 * (this re-encrypts default-key and unencrypted DB instance snapshots), tagged with the managed,
 * database, source-snapshot and run tags. Re-running returns the existing copy with `created=false`.
 *
 * @param now handler start time (`startedAt`).
 * @param slotFor the copy slot table (functions/shared/copy-slots.ts). @default - none
 * @throws DatabaseNotFound, NoAutomatedSnapshot, SnapshotNotFound, SnapshotNotAvailable, InvalidInput
 * @throws UnencryptedClusterNotSupported for an unencrypted DB cluster snapshot
 * @throws KmsKeyNotAccessible, SnapshotQuotaExceeded, SnapshotIdentifierConflict, SnapshotCopyFailed
 * @throws CopySlotsBusy when the account/Region already has its maximum of copies in progress (retried by the state machine)
 */
export async function createCopy(rds: RDSClient, input: CreateCopyInput, settings: CreateCopySettings, now: Date, slotFor?: SlotFor): Promise<CreateCopyOutput> {
  const { database } = input;
  const source =
    input.sourceSnapshotArn !== undefined
      ? await givenSnapshot(rds, database, input.sourceSnapshotArn, settings)
      : await newestAutomatedSnapshot(rds, database, settings);
  if (!source.createTime) throw new SnapshotNotAvailable(`${snapshotNoun(source.kind)} ${source.arn} has no SnapshotCreateTime yet; re-run later.`);

  if (database.kind === 'cluster' && !source.encrypted) {
    throw new UnencryptedClusterNotSupported(
      `DB cluster snapshot ${source.arn} is unencrypted. AWS cannot encrypt an unencrypted Aurora DB cluster snapshot during ` +
        `CopyDBClusterSnapshot, so it cannot be re-encrypted with ${settings.kmsKeyArn} and shared. Restore the snapshot into a new ` +
        'DB cluster with storage encryption on (KmsKeyId = a customer-managed key), switch the application to it, and back up that cluster instead.',
    );
  }

  const target = copyIdentifier(database.identifier, source.createTime, database.kind);
  const { record, created, copyStartedAt } = await copySnapshotIdempotently({
    rds,
    kind: database.kind,
    sourceIdentifier: source.identifier,
    sourceArn: source.arn,
    targetIdentifier: target,
    kmsKeyId: settings.kmsKeyArn,
    tags: managedTags({ database: database.identifier, sourceSnapshotArn: source.arn, runId: input.runId }),
    destination: { accountId: settings.accountId, region: settings.region },
    requestedAt: now,
    // This account and Region's copy slot (issue 12): one holder per copy, its target identifier.
    ...(slotFor && { slot: slotFor({ accountId: settings.accountId, region: settings.region, kind: database.kind, holder: target }) }),
    kmsError: (err) =>
      new KmsKeyNotAccessible(
        `RDS could not use KMS key ${settings.kmsKeyArn}${source.kmsKeyId ? ` or the source key ${source.kmsKeyId}` : ''} to copy ` +
          `${source.arn} in account ${settings.accountId} Region ${settings.region} (${err.message}). The key policy of ` +
          `${settings.kmsKeyArn} must allow account ${settings.accountId} (this Lambda's role) kms:CreateGrant, kms:DescribeKey, ` +
          'kms:Decrypt, kms:ReEncrypt*, kms:GenerateDataKey* via rds; the key must be enabled and in the same Region as the snapshot.',
        { cause: err },
      ),
  });
  // How old the recovery point was when this backup picked it (0 when RDS gave no time): notify's RecoveryPointStale.
  const sourceTime = source.createTime?.getTime();
  const recoveryPointAgeSeconds = sourceTime !== undefined && Number.isFinite(sourceTime) ? Math.max(0, Math.floor((now.getTime() - sourceTime) / 1000)) : 0;
  return { snapshot: toSnapshotRef(record), sourceSnapshot: toSnapshotRef(source), created, startedAt: now.toISOString(), copyStartedAt, recoveryPointAgeSeconds };
}
