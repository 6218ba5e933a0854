/**
 * Recovery points (issue 9): the managed copies of a database in one account and Region, with the
 * time of the data they hold, and the newest `available` one.
 *
 * The recovery point time of a copy is when its ORIGINAL snapshot was taken, never the copy's own
 * SnapshotCreateTime (a copy made today of a week-old snapshot holds week-old data):
 * - DB snapshot: `OriginalSnapshotCreateTime`, which RDS keeps through every copy
 *   (docs/aws-behaviour.md §13; https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_DBSnapshot.html);
 * - DB cluster snapshot: the API has no such field, so the source snapshot's time encoded in the
 *   managed copy identifier `rsv-<db>-<yyyymmddhhmm>` (minute precision; see `copyIdentifier`).
 * A copy whose time cannot be established has no recovery point time and is never "newest".
 */
import { paginateDescribeDBClusterSnapshots, paginateDescribeDBSnapshots, type RDSClient, type Tag } from '@aws-sdk/client-rds';
import { TAGS, type DatabaseKind, type DatabaseRef } from '../../contracts/shapes.js';
import { COPY_IDENTIFIER_PREFIX } from './snapshots.js';

/** One managed copy of a database. Times ISO-8601 UTC. */
export interface RecoveryPoint {
  readonly kind: DatabaseKind;
  readonly identifier: string;
  readonly arn: string;
  readonly status: string;
  readonly engine?: string;
  /** When the original snapshot was taken (the data's time); absent when unknown. */
  readonly recoveryPointTime?: string;
  /** GiB. */
  readonly allocatedStorageGiB?: number;
  readonly encrypted: boolean;
  readonly kmsKeyId?: string;
}

const STAMP = /-(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})$/;

/** The time encoded in a managed copy identifier (`rsv-<db>-<yyyymmddhhmm>`), or undefined. */
export function timeFromCopyIdentifier(identifier: string): Date | undefined {
  if (!identifier.startsWith(COPY_IDENTIFIER_PREFIX)) return undefined;
  const m = STAMP.exec(identifier);
  if (!m) return undefined;
  const d = new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5])));
  return Number.isNaN(d.getTime()) ? undefined : d;
}

const tag = (tags: readonly Tag[] | undefined, key: string) => tags?.find((t) => t.Key === key)?.Value;

/** Whether a copy is one of ours for `database`: managed tag, database tag, `rsv-` identifier. */
function isCopyOf(identifier: string, tags: readonly Tag[] | undefined, database: string): boolean {
  return identifier.startsWith(COPY_IDENTIFIER_PREFIX) && tag(tags, TAGS.MANAGED) === 'true' && tag(tags, TAGS.DATABASE) === database;
}

/**
 * The managed manual copies of `database` in the client's account and Region (DescribeDBSnapshots /
 * DescribeDBClusterSnapshots, SnapshotType `manual`, paginated), any status.
 * AWS errors propagate by name (e.g. `AccessDenied`).
 */
export async function listRecoveryPoints(rds: RDSClient, database: DatabaseRef): Promise<RecoveryPoint[]> {
  const out: RecoveryPoint[] = [];
  if (database.kind === 'instance') {
    for await (const page of paginateDescribeDBSnapshots({ client: rds, pageSize: 100 }, { SnapshotType: 'manual', DBInstanceIdentifier: database.identifier })) {
      for (const s of page.DBSnapshots ?? []) {
        if (!s.DBSnapshotIdentifier || !s.DBSnapshotArn || !isCopyOf(s.DBSnapshotIdentifier, s.TagList, database.identifier)) continue;
        const t = s.OriginalSnapshotCreateTime;
        out.push({
          kind: 'instance',
          identifier: s.DBSnapshotIdentifier,
          arn: s.DBSnapshotArn,
          status: s.Status ?? 'unknown',
          ...(s.Engine !== undefined && { engine: s.Engine }),
          ...(t !== undefined && { recoveryPointTime: new Date(t).toISOString() }),
          ...(s.AllocatedStorage !== undefined && { allocatedStorageGiB: s.AllocatedStorage }),
          encrypted: s.Encrypted ?? false,
          ...(s.KmsKeyId !== undefined && { kmsKeyId: s.KmsKeyId }),
        });
      }
    }
  } else {
    for await (const page of paginateDescribeDBClusterSnapshots({ client: rds, pageSize: 100 }, { SnapshotType: 'manual', DBClusterIdentifier: database.identifier })) {
      for (const s of page.DBClusterSnapshots ?? []) {
        if (!s.DBClusterSnapshotIdentifier || !s.DBClusterSnapshotArn || !isCopyOf(s.DBClusterSnapshotIdentifier, s.TagList, database.identifier)) continue;
        const t = timeFromCopyIdentifier(s.DBClusterSnapshotIdentifier);
        out.push({
          kind: 'cluster',
          identifier: s.DBClusterSnapshotIdentifier,
          arn: s.DBClusterSnapshotArn,
          status: s.Status ?? 'unknown',
          ...(s.Engine !== undefined && { engine: s.Engine }),
          ...(t !== undefined && { recoveryPointTime: t.toISOString() }),
          ...(s.AllocatedStorage !== undefined && { allocatedStorageGiB: s.AllocatedStorage }),
          encrypted: s.StorageEncrypted ?? false,
          ...(s.KmsKeyId !== undefined && { kmsKeyId: s.KmsKeyId }),
        });
      }
    }
  }
  return out;
}

/** The `available` recovery point with the latest recovery point time, or undefined. */
export function newestAvailable(points: readonly RecoveryPoint[]): RecoveryPoint | undefined {
  let best: RecoveryPoint | undefined;
  for (const p of points) {
    if (p.status !== 'available' || p.recoveryPointTime === undefined) continue;
    if (!best || p.recoveryPointTime > best.recoveryPointTime!) best = p;
  }
  return best;
}

/** Hours between a recovery point time and `now` (never negative), rounded to 0.01 h. */
export function recoveryPointAgeHours(recoveryPointTime: string, now: Date): number {
  return Math.max(0, Math.round(((now.getTime() - Date.parse(recoveryPointTime)) / 3_600_000) * 100) / 100);
}
