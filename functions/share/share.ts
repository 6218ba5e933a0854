/**
 * share domain logic: add the vault account to a manual snapshot's `restore` attribute.
 * Sources: https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_ModifyDBSnapshotAttribute.html ,
 * https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_ModifyDBClusterSnapshotAttribute.html ,
 * https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/share-encrypted-snapshot.html
 */
import {
  DescribeDBClusterSnapshotAttributesCommand,
  DescribeDBSnapshotAttributesCommand,
  ModifyDBClusterSnapshotAttributeCommand,
  ModifyDBSnapshotAttributeCommand,
  type RDSClient,
} from '@aws-sdk/client-rds';
import type { ShareInput, ShareOutput, SnapshotRef } from '../../contracts/shapes.js';
import { isAwsError, ShareLimitExceeded, SnapshotNotFound, SnapshotNotShareable } from '../../contracts/errors.js';
import { isSnapshotNotFound, snapshotNoun } from '../../functions/shared/snapshots.js';

/** The snapshot attribute that lists accounts allowed to copy or restore a manual snapshot. */
export const RESTORE_ATTRIBUTE = 'restore';

type Attrs = ReadonlyArray<{ AttributeName?: string | undefined; AttributeValues?: string[] | undefined }> | undefined;
const restoreValues = (attrs: Attrs): string[] => attrs?.find((a) => a.AttributeName === RESTORE_ATTRIBUTE)?.AttributeValues ?? [];

async function describeRestore(rds: RDSClient, s: SnapshotRef): Promise<string[]> {
  if (s.kind === 'cluster') {
    const out = await rds.send(new DescribeDBClusterSnapshotAttributesCommand({ DBClusterSnapshotIdentifier: s.identifier }));
    return restoreValues(out.DBClusterSnapshotAttributesResult?.DBClusterSnapshotAttributes);
  }
  const out = await rds.send(new DescribeDBSnapshotAttributesCommand({ DBSnapshotIdentifier: s.identifier }));
  return restoreValues(out.DBSnapshotAttributesResult?.DBSnapshotAttributes);
}

async function addRestore(rds: RDSClient, s: SnapshotRef, account: string): Promise<string[] | undefined> {
  if (s.kind === 'cluster') {
    const out = await rds.send(
      new ModifyDBClusterSnapshotAttributeCommand({ DBClusterSnapshotIdentifier: s.identifier, AttributeName: RESTORE_ATTRIBUTE, ValuesToAdd: [account] }),
    );
    const attrs = out.DBClusterSnapshotAttributesResult?.DBClusterSnapshotAttributes;
    return attrs ? restoreValues(attrs) : undefined;
  }
  const out = await rds.send(new ModifyDBSnapshotAttributeCommand({ DBSnapshotIdentifier: s.identifier, AttributeName: RESTORE_ATTRIBUTE, ValuesToAdd: [account] }));
  const attrs = out.DBSnapshotAttributesResult?.DBSnapshotAttributes;
  return attrs ? restoreValues(attrs) : undefined;
}

/**
 * Shares `input.snapshot` with `vaultAccountId`. Idempotent: when the account is already in the
 * `restore` attribute nothing is modified and `alreadyShared` is true.
 *
 * @param rds client in the snapshot's account and Region.
 * @throws SnapshotNotShareable on InvalidParameterValue for a snapshot encrypted with the default
 *   `aws/rds` key or an automated snapshot (the message says how to fix it).
 * @throws ShareLimitExceeded on SharedSnapshotQuotaExceeded (20 accounts).
 * @throws SnapshotNotFound when the snapshot does not exist.
 */
export async function shareSnapshot(rds: RDSClient, input: ShareInput, vaultAccountId: string): Promise<ShareOutput> {
  const s = input.snapshot;
  const noun = snapshotNoun(s.kind);
  try {
    const before = await describeRestore(rds, s);
    if (before.includes(vaultAccountId)) return { sharedWith: before, alreadyShared: true };
    const after = (await addRestore(rds, s, vaultAccountId)) ?? [...before, vaultAccountId];
    return { sharedWith: after, alreadyShared: false };
  } catch (err) {
    if (isSnapshotNotFound(err, s.kind)) {
      throw new SnapshotNotFound(`${noun} ${s.arn} does not exist (deleted before it was shared?). Re-run the backup.`, { cause: err });
    }
    if (isAwsError(err, 'SharedSnapshotQuotaExceeded')) {
      throw new ShareLimitExceeded(
        `${noun} ${s.arn} is already shared with the maximum of 20 AWS accounts, so vault account ${vaultAccountId} cannot be added. ` +
          'Remove accounts that no longer need it from the restore attribute (ValuesToRemove), then re-run.',
        { cause: err },
      );
    }
    if (isAwsError(err, 'InvalidParameterValue', 'InvalidParameterCombination')) {
      if (/default/i.test(err.message) && /(key|kms|encrypt)/i.test(err.message)) {
        throw new SnapshotNotShareable(
          `${noun} ${s.arn} is encrypted with the account's default KMS key (aws/rds), which cannot be shared (${err.message}). ` +
            'Copy it with KmsKeyId = a customer-managed key whose key policy allows the vault account, and share the copy ' +
            '(create-copy does this; this snapshot was not made by it).',
          { cause: err },
        );
      }
      if (/automated/i.test(err.message)) {
        throw new SnapshotNotShareable(
          `${noun} ${s.arn} is an automated snapshot, which cannot be shared (${err.message}). Copy it to a manual snapshot first and share the copy.`,
          { cause: err },
        );
      }
    }
    throw err;
  }
}
