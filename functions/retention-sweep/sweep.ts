/**
 * retention-sweep domain logic: list a database's manual snapshots in this account/Region, keep
 * only rds-snapshot-vault's own copies as candidates, decide with {@link decideRetention}, delete.
 * Sources: https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_DescribeDBSnapshots.html ,
 * https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_DeleteDBSnapshot.html ,
 * https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_DeleteDBClusterSnapshot.html
 */
import type { RDSClient } from '@aws-sdk/client-rds';
import type { RetentionDecision, RetentionSweepInput, RetentionSweepOutput } from '../shared/contracts.js';
import { COPY_IDENTIFIER_PREFIX, deleteSnapshot, isManaged, listSnapshots, snapshotTags } from '../shared/snapshots.js';
import { decideRetention, type RetentionCandidate } from './policy.js';

/**
 * Runs the retention policy for one database.
 *
 * Only manual snapshots tagged `rds-snapshot-vault:managed=true` are candidates (tags from the
 * describe output's TagList, else ListTagsForResource). Deletes sequentially unless `dryRun`; a
 * snapshot that is already gone (NotFound) counts as deleted ("already deleted" in its reason).
 *
 * @param rds client in this account and Region.
 * @param where account and Region reported in the output.
 * @throws AWS errors of DescribeDB(Cluster)Snapshots / DeleteDB(Cluster)Snapshot other than NotFound
 *   (e.g. InvalidDBSnapshotState when a snapshot is being copied), unchanged.
 */
export async function sweep(
  rds: RDSClient,
  input: RetentionSweepInput,
  where: { accountId: string; region: string },
  now: Date,
): Promise<RetentionSweepOutput> {
  const manual = await listSnapshots(rds, input.database, 'manual');
  const candidates: RetentionCandidate[] = [];
  for (const s of manual) {
    // Ours: named like our copies (identifiers cannot be changed) and tagged managed=true.
    if (!s.identifier.startsWith(COPY_IDENTIFIER_PREFIX)) continue;
    if (!isManaged(await snapshotTags(rds, s))) continue;
    candidates.push({
      identifier: s.identifier,
      arn: s.arn,
      status: s.status,
      managed: true,
      ...(s.createTime !== undefined && !Number.isNaN(s.createTime.getTime()) && { createTime: s.createTime.toISOString() }),
    });
  }
  const decision = decideRetention({
    snapshots: candidates,
    policy: input.policy,
    now,
    ...(input.protectIdentifier !== undefined && { protectIdentifier: input.protectIdentifier }),
  });
  const dryRun = input.dryRun ?? false;
  const deleted: RetentionDecision[] = [];
  for (const d of decision.delete) {
    if (dryRun) {
      deleted.push({ ...d, reason: `${d.reason} (dry run: not deleted)` });
      continue;
    }
    const existed = await deleteSnapshot(rds, input.database.kind, d.identifier);
    deleted.push(existed ? d : { ...d, reason: `${d.reason} (already deleted)` });
  }
  return { accountId: where.accountId, region: where.region, kept: decision.keep, deleted, dryRun };
}
