/**
 * cross-account-copy domain logic: copy a snapshot by ARN into the vault account (or, in
 * same-account mode, into another Region of the source account), under the vault KMS key of the
 * destination Region.
 *
 * Paths it serves (all the same call, started in the destination Region, docs/aws-behaviour.md §8):
 * - vault copy: the shared source copy (source account) -> vault account, vault Region;
 * - single-step DR copy: the shared source copy -> vault account, a DR Region (cross-account and
 *   cross-Region in one call, rule 9);
 * - two-hop DR copy: the vault copy (vault account, vault Region) -> the same account, a DR Region;
 * - same-account mode: the source copy -> the source account, the vault Region or a DR Region.
 *
 * Sources: https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_CopyDBSnapshot.html ,
 * https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_CopyDBClusterSnapshot.html ,
 * https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/USER_CopyDBClusterSnapshot.CrossAccount.html
 */
import type { SlotFor } from '../../functions/shared/copy-slots.js';
import type { RDSClient } from '@aws-sdk/client-rds';
import type { CrossAccountCopyInput, CrossAccountCopyOutput } from '../../contracts/shapes.js';
import { InvalidInput, KmsKeyNotAccessible, OptionGroupRequired, UnencryptedClusterNotSupported } from '../../contracts/errors.js';
import { copySnapshotIdempotently, managedTags, parseSnapshotArn, toSnapshotRef } from '../../functions/shared/snapshots.js';

/** Vault settings (from the environment). */
export interface VaultSettings {
  readonly vaultAccountId: string;
  /** `alias/<name>`: the vault key has this alias in the vault Region and in every DR Region. */
  readonly vaultKmsKeyAlias: string;
}

/**
 * The vault key's alias ARN in `region`: `arn:<partition>:kms:<region>:<vault account>:alias/<name>`.
 * KMS keys are regional (docs/aws-behaviour.md §6), so a copy into another Region names that Region's key.
 */
export function vaultKeyAliasArn(partition: string, region: string, vaultAccountId: string, alias: string): string {
  return `arn:${partition}:kms:${region}:${vaultAccountId}:${alias}`;
}

/** The key ID part of a key ARN (`.../key/<id>` -> `<id>`), or the alias name; for message matching. */
function keyIdPart(keyArnOrAlias: string): string {
  return keyArnOrAlias.split(':').pop()?.replace(/^(key|alias)\//, '') ?? keyArnOrAlias;
}

/** Where the copy goes and with which key. */
interface Destination {
  readonly accountId: string;
  readonly region: string;
  readonly kmsKeyId: string;
}

/**
 * Builds the KmsKeyNotAccessible for a failed copy: names the destination (vault) key when RDS's
 * message mentions it, else the source key (the usual cause: its key policy does not allow the
 * destination account, or the copier's IAM policy lacks the grants on it).
 */
export function crossAccountKmsError(err: Error, input: CrossAccountCopyInput, d: Destination): KmsKeyNotAccessible {
  const s = input.snapshot;
  const grants = 'kms:Decrypt, kms:DescribeKey, kms:CreateGrant, kms:ReEncrypt*, kms:GenerateDataKey*';
  if (err.message.includes(d.kmsKeyId) || err.message.includes(keyIdPart(d.kmsKeyId))) {
    return new KmsKeyNotAccessible(
      `RDS in account ${d.accountId} could not use the vault KMS key ${d.kmsKeyId} in Region ${d.region} (${err.message}). ` +
        `A key with that alias must exist and be enabled in ${d.region} (the vault stack of that Region creates it), its key policy must ` +
        `allow the copier ${grants} via rds, and the copier's IAM policy must allow the same.`,
      { cause: err },
    );
  }
  const grantsNeeded =
    s.accountId === d.accountId
      ? `The source key policy and the copier's IAM policy must allow ${grants} on that key. `
      : `The source key policy (account ${s.accountId}) must allow account ${d.accountId} ${grants}, and the copier's IAM policy must allow the same on that key. `;
  return new KmsKeyNotAccessible(
    `Account ${d.accountId} cannot use the source KMS key ${s.kmsKeyId ?? '(unknown)'} of ${s.arn} (${err.message}). ` +
      grantsNeeded +
      `Also check the vault key ${d.kmsKeyId} exists in Region ${d.region}.`,
    { cause: err },
  );
}

/**
 * Copies (or finds) the copy of `input.snapshot` in the destination (vault account,
 * `input.destinationRegion`).
 *
 * `SourceDBSnapshotIdentifier` / `SourceDBClusterSnapshotIdentifier` = the source ARN (never the
 * name), target identifier = the source's identifier, `KmsKeyId` = the vault key's alias ARN in the
 * destination Region (always passed: a cross-Region copy of an encrypted snapshot needs a key of
 * the destination Region, and a cross-account copy needs a key of the destination account), tags =
 * managed/database/source-snapshot (the source ARN)/run. When the source Region differs, the SDK
 * presigns the request from the ARN (see copySnapshotIdempotently). Idempotent: an existing managed
 * copy of the same source is returned with `created=false`.
 *
 * @param rds client in the destination account (vault role or own credentials) and destination Region.
 * @param now handler start time (`startedAt`).
 * @param slotFor the copy slot table (functions/shared/copy-slots.ts); a slot of the destination is
 *   taken right before the copy call. @default - none
 * @throws InvalidInput (kind mismatch, bad ARN, snapshot already in the destination account and Region)
 * @throws UnencryptedClusterNotSupported for an unencrypted DB cluster snapshot
 * DB snapshots copied across Regions pass `OptionGroupName` = `input.optionGroups[destination Region]` when configured.
 * @throws OptionGroupRequired when RDS needs an option group for the cross-Region copy (none, or not the right one, configured)
 * @throws CopySlotsBusy when the destination already has its maximum of copies in progress (retried by the state machine)
 * @throws KmsKeyNotAccessible, SnapshotQuotaExceeded, SnapshotNotFound (not shared / deleted),
 *   SnapshotIdentifierConflict, SnapshotCopyFailed
 */
export async function copyToVault(rds: RDSClient, input: CrossAccountCopyInput, v: VaultSettings, now: Date, slotFor?: SlotFor): Promise<CrossAccountCopyOutput> {
  const s = input.snapshot;
  if (s.kind !== input.database.kind) throw new InvalidInput(`snapshot.kind: ${s.kind} does not match database.kind ${input.database.kind}`);
  const parts = parseSnapshotArn(s.arn);
  if (!parts || parts.kind !== s.kind) throw new InvalidInput(`snapshot.arn: ${s.arn} is not a ${s.kind === 'cluster' ? 'DB cluster snapshot' : 'DB snapshot'} ARN`);
  const region = input.destinationRegion;
  if (parts.accountId === v.vaultAccountId && parts.region === region) {
    throw new InvalidInput(
      `snapshot.arn: ${s.arn} is already in the destination (account ${v.vaultAccountId}, Region ${region}); ` +
        'pass the shared source copy, or the vault copy with a destinationRegion of another Region',
    );
  }
  if (s.kind === 'cluster' && s.kmsKeyId === undefined) {
    throw new UnencryptedClusterNotSupported(
      `DB cluster snapshot ${s.arn} is unencrypted; AWS cannot encrypt an unencrypted Aurora DB cluster snapshot during copy. ` +
        'Restore it into a new encrypted DB cluster (customer-managed key) and back up that cluster instead.',
    );
  }
  const destination: Destination = {
    accountId: v.vaultAccountId,
    region,
    kmsKeyId: vaultKeyAliasArn(parts.partition, region, v.vaultAccountId, v.vaultKmsKeyAlias),
  };
  // Docs/aws-behaviour.md §15a: a cross-Region copy of a DB snapshot whose option group has options
  // needs an option group of the destination; pass the configured one for that Region.
  const crossRegion = parts.region !== region;
  const optionGroupName = crossRegion && s.kind === 'instance' ? input.optionGroups?.[region] : undefined;
  const { record, created, copyStartedAt } = await copySnapshotIdempotently({
    rds,
    kind: s.kind,
    sourceIdentifier: s.arn,
    sourceArn: s.arn,
    targetIdentifier: s.identifier,
    kmsKeyId: destination.kmsKeyId,
    tags: managedTags({ database: input.database.identifier, sourceSnapshotArn: s.arn, runId: input.runId }),
    destination: { accountId: destination.accountId, region: destination.region },
    requestedAt: now,
    // The destination's copy slot (issue 12): one holder per copy, its target identifier.
    ...(slotFor && { slot: slotFor({ accountId: destination.accountId, region, kind: s.kind, holder: s.identifier }) }),
    kmsError: (err) => crossAccountKmsError(err, input, destination),
    ...(optionGroupName !== undefined && { optionGroupName }),
    optionGroupError: (err, options) =>
      new OptionGroupRequired(
        `The cross-Region copy of ${s.arn} into account ${destination.accountId} Region ${region} needs an option group there (RDS: ${err.message}). ${optionGroupName !== undefined ? `The configured option group ${optionGroupName} does not hold those options. ` : ''}` +
          `Create an option group in account ${destination.accountId} Region ${region} for engine ${s.engine ?? '(the engine of the database)'}` +
          `${s.optionGroupName ? ` with the options of the source option group ${s.optionGroupName}` : ''} (${options.join(', ') || 'the options listed above'}), ` +
          `then set its name for Region ${region} in databases[].optionGroups of ${input.database.identifier} in the stack configuration and redeploy.`,
        { cause: err },
      ),
  });
  return { snapshot: toSnapshotRef(record), created, startedAt: now.toISOString(), copyStartedAt };
}
