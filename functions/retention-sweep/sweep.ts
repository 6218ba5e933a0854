/**
 * retention-sweep domain logic: list a database's manual snapshots in this account/Region, keep
 * only rds-snapshot-vault's own copies as candidates, decide with {@link decideRetention}, delete.
 * Sources: https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_DescribeDBSnapshots.html ,
 * https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_DeleteDBSnapshot.html ,
 * https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_DeleteDBClusterSnapshot.html
 */
import { AddTagsToResourceCommand, type RDSClient } from '@aws-sdk/client-rds';
import {
  TAGS,
  type DatabaseRef,
  type RetentionDecision,
  type RetentionSweepInput,
  type RetentionSweepOutput,
  type SweepRemovedDatabasesInput,
  type SweepRemovedDatabasesOutput,
} from '../../contracts/shapes.js';
import { COPY_IDENTIFIER_PREFIX, deleteSnapshot, isManaged, listSnapshots, parseSnapshotArn, snapshotTags, tagValue, type SnapshotRecord } from '../../functions/shared/snapshots.js';
import { listManagedDatabases } from './inventory.js';
import { decideRetention, type RetentionCandidate } from './policy.js';

/** Whether RDS records `s` as copied from a snapshot of one of `accounts` (see RetentionSweepInput.provenanceAccounts). */
function copiedFrom(s: SnapshotRecord, accounts: readonly string[]): boolean {
  const source = s.sourceArn === undefined ? undefined : parseSnapshotArn(s.sourceArn);
  return source !== undefined && accounts.includes(source.accountId);
}

/** Options of {@link sweep} that only the domain code sets (not part of the Lambda event). */
export interface SweepOptions {
  /** Never delete the newest available copy tagged `vaulted` (decideRetention `keepNewestVaulted`). Used for databases no longer configured. */
  readonly keepNewestVaulted?: boolean;
}

/**
 * The databases with managed copies in this account and Region that are not in `configured`,
 * each swept by `policy` with the source rules ({@link SweepRemovedDatabasesInput}): `requireVaulted`
 * (a copy that never reached the vault is kept) and `keepNewestVaulted` (the newest vaulted copy is
 * kept, however old: a removed database keeps at least that one source copy until somebody deletes
 * it by hand). Databases are swept one after another; the first AWS error stops the sweep and
 * propagates unchanged (what was deleted before it stays deleted, by the same rules).
 * @returns per database: copies kept (count) and deleted (identifiers)
 */
export async function sweepRemovedDatabases(
  rds: RDSClient,
  input: SweepRemovedDatabasesInput['sweepRemoved'] & { readonly configured: readonly DatabaseRef[] },
  where: { accountId: string; region: string },
  now: Date,
): Promise<SweepRemovedDatabasesOutput> {
  const all = await listManagedDatabases(rds, input.configured);
  const removed = all.slice(input.configured.length);
  const dryRun = input.dryRun ?? false;
  const databases: Array<SweepRemovedDatabasesOutput['databases'][number]> = [];
  for (const database of removed) {
    const out = await sweep(rds, { database, policy: input.policy, requireVaulted: true, dryRun }, where, now, { keepNewestVaulted: true });
    databases.push({ database, kept: out.kept.length, deleted: out.deleted.map((d) => d.identifier) });
  }
  return { accountId: where.accountId, region: where.region, dryRun, databases, deletedCount: databases.reduce((n, d) => n + d.deleted.length, 0) };
}

/**
 * Runs the retention policy for one database.
 *
 * Only manual snapshots named `rsv-...` and tagged `rds-snapshot-vault:managed=true` are
 * candidates (tags from the describe output's TagList, else ListTagsForResource); with
 * `provenanceAccounts` (vault retention), only those RDS records as copied from one of those
 * accounts, and a copy under another account's KMS key never counts toward keepLast or GFS. The
 * recovery point time handed to the policy is OriginalSnapshotCreateTime (DB
 * snapshots), else SnapshotCreateTime; the copy time is SnapshotCreateTime.
 * With `markVaulted` (source retention) and no failed DR copy, that copy is first tagged
 * `rds-snapshot-vault:vaulted=true` (AddTagsToResource; also in a dry run, since it records a fact,
 * not a decision); with `markVaulted` or `requireVaulted`, copies without that tag are never deleted.
 * Deletes sequentially unless `dryRun`; a snapshot that is already gone (NotFound) counts as
 * deleted ("already deleted" in its reason).
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
  opts: SweepOptions = {},
): Promise<RetentionSweepOutput> {
  const manual = await listSnapshots(rds, input.database, 'manual');
  if (input.markVaulted !== undefined && input.markVaulted.anyDrCopyFailed !== true) {
    const wanted = input.markVaulted.identifier;
    const copy = manual.find((s) => s.identifier === wanted && s.identifier.startsWith(COPY_IDENTIFIER_PREFIX));
    if (copy !== undefined && isManaged(await snapshotTags(rds, copy))) {
      await rds.send(new AddTagsToResourceCommand({ ResourceName: copy.arn, Tags: [{ Key: TAGS.VAULTED, Value: 'true' }] }));
      const tags = [...(copy.tags ?? []).filter((t) => t.Key !== TAGS.VAULTED), { Key: TAGS.VAULTED, Value: 'true' }];
      manual[manual.indexOf(copy)] = { ...copy, tags };
    }
  }
  const iso = (d: Date | undefined) => (d !== undefined && !Number.isNaN(d.getTime()) ? d.toISOString() : undefined);
  const candidates: RetentionCandidate[] = [];
  const foreignKeyCopies: string[] = [];
  for (const s of manual) {
    // Ours: named like our copies (identifiers cannot be changed) and tagged managed=true.
    if (!s.identifier.startsWith(COPY_IDENTIFIER_PREFIX)) continue;
    const tags = await snapshotTags(rds, s);
    if (!isManaged(tags)) continue;
    // Vault: and made by a copy from the source account (or from the vault's own copy, two-hop DR), as RDS records it.
    if (input.provenanceAccounts !== undefined && !copiedFrom(s, input.provenanceAccounts)) continue;
    const recoveryPoint = iso(s.originalCreateTime) ?? iso(s.createTime);
    // Vault: a copy under another account's KMS key is no recovery point the vault controls.
    const keyAccount = s.kmsKeyId?.startsWith('arn:') ? s.kmsKeyId.split(':')[4] : undefined;
    const foreignKey = input.provenanceAccounts !== undefined && keyAccount !== undefined && keyAccount !== where.accountId;
    if (foreignKey) foreignKeyCopies.push(s.identifier);
    const copyTime = iso(s.createTime);
    candidates.push({
      identifier: s.identifier,
      arn: s.arn,
      status: s.status,
      managed: true,
      ...(recoveryPoint !== undefined && { createTime: recoveryPoint }),
      ...(copyTime !== undefined && { copyTime }),
      vaulted: tagValue(tags, TAGS.VAULTED) === 'true',
      ...(foreignKey && { countable: false }),
    });
  }
  const decision = decideRetention({
    snapshots: candidates,
    policy: input.policy,
    now,
    ...(input.protectIdentifier !== undefined && { protectIdentifier: input.protectIdentifier }),
    ...(opts.keepNewestVaulted === true && { keepNewestVaulted: true }),
    ...(input.requireVaulted === true || input.markVaulted !== undefined ? { requireVaulted: true } : {}),
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
  return { accountId: where.accountId, region: where.region, kept: decision.keep, deleted, dryRun, foreignKeyCopies };
}
