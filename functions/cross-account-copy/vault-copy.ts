/**
 * cross-account-copy domain logic: from inside the vault account (via the vault role), copy the
 * shared source copy by ARN into the vault, under the vault's KMS key, in the vault Region.
 *
 * Sources: https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_CopyDBSnapshot.html ,
 * https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/USER_CopyDBClusterSnapshot.CrossAccount.html
 */
import type { RDSClient } from '@aws-sdk/client-rds';
import type { CrossAccountCopyInput, CrossAccountCopyOutput } from '../shared/contracts.js';
import { InvalidInput, KmsKeyNotAccessible, UnencryptedClusterNotSupported } from '../shared/errors.js';
import { copySnapshotIdempotently, managedTags, toSnapshotRef } from '../shared/snapshots.js';

/** Vault settings (from the environment). */
export interface VaultSettings {
  readonly vaultAccountId: string;
  readonly vaultRegion: string;
  /** KMS key ARN or alias ARN in the vault account and Region. */
  readonly vaultKmsKeyId: string;
}

/** The key ID part of a key ARN (`.../key/<id>` -> `<id>`), or the alias name; for message matching. */
function keyIdPart(keyArnOrAlias: string): string {
  return keyArnOrAlias.split(':').pop()?.replace(/^(key|alias)\//, '') ?? keyArnOrAlias;
}

/**
 * Builds the KmsKeyNotAccessible for a failed cross-account copy: names the vault key when RDS's
 * message mentions it, else the source key (the usual cause: its key policy does not allow the vault account).
 */
export function crossAccountKmsError(err: Error, input: CrossAccountCopyInput, v: VaultSettings): KmsKeyNotAccessible {
  const s = input.snapshot;
  const grants = 'kms:Decrypt, kms:DescribeKey, kms:CreateGrant, kms:ReEncrypt*, kms:GenerateDataKey*';
  if (err.message.includes(v.vaultKmsKeyId) || err.message.includes(keyIdPart(v.vaultKmsKeyId))) {
    return new KmsKeyNotAccessible(
      `RDS in vault account ${v.vaultAccountId} could not use the vault KMS key ${v.vaultKmsKeyId} in Region ${v.vaultRegion} ` +
        `(${err.message}). The vault key must exist and be enabled in ${v.vaultRegion}, its key policy must allow the vault role ${grants} ` +
        'via rds, and the vault role\'s IAM policy must allow the same.',
      { cause: err },
    );
  }
  return new KmsKeyNotAccessible(
    `The vault account ${v.vaultAccountId} cannot use the source KMS key ${s.kmsKeyId ?? '(unknown)'} of ${s.arn} (${err.message}). ` +
      `The source key policy (account ${s.accountId}) must allow account ${v.vaultAccountId} ${grants}, and the vault role's IAM ` +
      `policy must allow the same on that key. Also check the vault key ${v.vaultKmsKeyId} is in Region ${v.vaultRegion}.`,
    { cause: err },
  );
}

/**
 * Copies (or finds) the vault copy of `input.snapshot`.
 *
 * `SourceDBSnapshotIdentifier` / `SourceDBClusterSnapshotIdentifier` = the source ARN (never the
 * name), target identifier = the source copy's identifier, `KmsKeyId` = the vault key, tags =
 * managed/database/source-snapshot (the source copy ARN)/run. When the vault Region differs from
 * the snapshot's, `SourceRegion` is passed so the SDK presigns the request. Idempotent.
 *
 * @param rds client in the vault account (vault role credentials) and the vault Region.
 * @param now handler start time (`startedAt`).
 * @throws InvalidInput (kind mismatch, snapshot already in the vault account)
 * @throws UnencryptedClusterNotSupported for an unencrypted DB cluster snapshot
 * @throws KmsKeyNotAccessible, SnapshotQuotaExceeded, SnapshotNotFound (not shared / deleted),
 *   SnapshotIdentifierConflict, SnapshotCopyFailed
 */
export async function copyToVault(rds: RDSClient, input: CrossAccountCopyInput, v: VaultSettings, now: Date): Promise<CrossAccountCopyOutput> {
  const s = input.snapshot;
  if (s.kind !== input.database.kind) throw new InvalidInput(`snapshot.kind: ${s.kind} does not match database.kind ${input.database.kind}`);
  if (s.accountId === v.vaultAccountId) {
    throw new InvalidInput(`snapshot.accountId: ${s.arn} is already in the vault account ${v.vaultAccountId}; pass the shared source copy`);
  }
  if (s.kind === 'cluster' && s.kmsKeyId === undefined) {
    throw new UnencryptedClusterNotSupported(
      `DB cluster snapshot ${s.arn} is unencrypted; AWS cannot encrypt an unencrypted Aurora DB cluster snapshot during copy. ` +
        'Restore it into a new encrypted DB cluster (customer-managed key) and back up that cluster instead.',
    );
  }
  const { record, created } = await copySnapshotIdempotently({
    rds,
    kind: s.kind,
    sourceIdentifier: s.arn,
    sourceArn: s.arn,
    targetIdentifier: s.identifier,
    kmsKeyId: v.vaultKmsKeyId,
    tags: managedTags({ database: input.database.identifier, sourceSnapshotArn: s.arn, runId: input.runId }),
    ...(v.vaultRegion !== s.region && { sourceRegion: s.region }),
    destination: { accountId: v.vaultAccountId, region: v.vaultRegion },
    kmsError: (err) => crossAccountKmsError(err, input, v),
  });
  return { snapshot: toSnapshotRef(record), created, startedAt: now.toISOString() };
}
