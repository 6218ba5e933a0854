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
import {
  paginateDescribeDBClusterSnapshots,
  paginateDescribeDBSnapshots,
  type DescribeDBClusterSnapshotsCommandOutput,
  type DescribeDBSnapshotsCommandOutput,
  type RDSClient,
  type Tag,
} from '@aws-sdk/client-rds';
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

type DbSnapshotItem = NonNullable<DescribeDBSnapshotsCommandOutput['DBSnapshots']>[number];
type DbClusterSnapshotItem = NonNullable<DescribeDBClusterSnapshotsCommandOutput['DBClusterSnapshots']>[number];

/** The recovery point of a listed DB snapshot, when it is a managed copy of `database`. */
function pointOfDbSnapshot(s: DbSnapshotItem, database: string): RecoveryPoint | undefined {
  if (!s.DBSnapshotIdentifier || !s.DBSnapshotArn || !isCopyOf(s.DBSnapshotIdentifier, s.TagList, database)) return undefined;
  const t = s.OriginalSnapshotCreateTime;
  return {
    kind: 'instance',
    identifier: s.DBSnapshotIdentifier,
    arn: s.DBSnapshotArn,
    status: s.Status ?? 'unknown',
    ...(s.Engine !== undefined && { engine: s.Engine }),
    ...(t !== undefined && { recoveryPointTime: new Date(t).toISOString() }),
    ...(s.AllocatedStorage !== undefined && { allocatedStorageGiB: s.AllocatedStorage }),
    encrypted: s.Encrypted ?? false,
    ...(s.KmsKeyId !== undefined && { kmsKeyId: s.KmsKeyId }),
  };
}

/** The recovery point of a listed DB cluster snapshot, when it is a managed copy of `database`. */
function pointOfDbClusterSnapshot(s: DbClusterSnapshotItem, database: string): RecoveryPoint | undefined {
  if (!s.DBClusterSnapshotIdentifier || !s.DBClusterSnapshotArn || !isCopyOf(s.DBClusterSnapshotIdentifier, s.TagList, database)) return undefined;
  const t = timeFromCopyIdentifier(s.DBClusterSnapshotIdentifier);
  return {
    kind: 'cluster',
    identifier: s.DBClusterSnapshotIdentifier,
    arn: s.DBClusterSnapshotArn,
    status: s.Status ?? 'unknown',
    ...(s.Engine !== undefined && { engine: s.Engine }),
    ...(t !== undefined && { recoveryPointTime: t.toISOString() }),
    ...(s.AllocatedStorage !== undefined && { allocatedStorageGiB: s.AllocatedStorage }),
    encrypted: s.StorageEncrypted ?? false,
    ...(s.KmsKeyId !== undefined && { kmsKeyId: s.KmsKeyId }),
  };
}

/**
 * The managed manual copies of `database` in the client's account and Region (DescribeDBSnapshots /
 * DescribeDBClusterSnapshots filtered by its identifier, SnapshotType `manual`, paginated), any status.
 * AWS errors propagate by name (e.g. `AccessDenied`).
 */
export async function listRecoveryPoints(rds: RDSClient, database: DatabaseRef): Promise<RecoveryPoint[]> {
  const out: RecoveryPoint[] = [];
  if (database.kind === 'instance') {
    for await (const page of paginateDescribeDBSnapshots({ client: rds, pageSize: 100 }, { SnapshotType: 'manual', DBInstanceIdentifier: database.identifier })) {
      for (const s of page.DBSnapshots ?? []) {
        const p = pointOfDbSnapshot(s, database.identifier);
        if (p) out.push(p);
      }
    }
  } else {
    for await (const page of paginateDescribeDBClusterSnapshots({ client: rds, pageSize: 100 }, { SnapshotType: 'manual', DBClusterIdentifier: database.identifier })) {
      for (const s of page.DBClusterSnapshots ?? []) {
        const p = pointOfDbClusterSnapshot(s, database.identifier);
        if (p) out.push(p);
      }
    }
  }
  return out;
}

/** The key of a database in {@link listRecoveryPointsOf}'s result: `<kind>:<identifier>`. */
export const recoveryPointsKey = (database: DatabaseRef): string => `${database.kind}:${database.identifier}`;

/**
 * The managed manual copies of each of `databases` in the client's account and Region, any status,
 * by {@link recoveryPointsKey} (every database present, `[]` when it has none): the same copies
 * {@link listRecoveryPoints} finds for each, from ONE listing of the Region's manual DB snapshots
 * (if any database is a DB instance) and one of its manual DB cluster snapshots (if any is a DB
 * cluster), 100 a page. Calls: one per 100 manual snapshots of the Region, whatever the number of
 * databases, where one listing per database made at least one call each: RDS allows an account 300
 * requests in a burst and 12 a second after that, per Region, shared by every caller
 * (docs/aws-behaviour.md §40). A copy belongs to a database by its DB instance / DB cluster
 * identifier (as the per-database filter selects) and its managed tags.
 * AWS errors propagate by name (e.g. `AccessDenied`).
 */
export async function listRecoveryPointsOf(rds: RDSClient, databases: readonly DatabaseRef[]): Promise<Map<string, RecoveryPoint[]>> {
  const out = new Map<string, RecoveryPoint[]>(databases.map((d) => [recoveryPointsKey(d), []]));
  // RDS keeps identifiers lower-case; the per-database filter matches regardless of case.
  const wanted = (kind: DatabaseRef['kind']) => new Map(databases.filter((d) => d.kind === kind).map((d) => [d.identifier.toLowerCase(), d]));
  const instances = wanted('instance');
  const clusters = wanted('cluster');
  if (instances.size > 0) {
    for await (const page of paginateDescribeDBSnapshots({ client: rds, pageSize: 100 }, { SnapshotType: 'manual' })) {
      for (const s of page.DBSnapshots ?? []) {
        const db = instances.get(s.DBInstanceIdentifier?.toLowerCase() ?? '');
        const p = db && pointOfDbSnapshot(s, db.identifier);
        if (db && p) out.get(recoveryPointsKey(db))!.push(p);
      }
    }
  }
  if (clusters.size > 0) {
    for await (const page of paginateDescribeDBClusterSnapshots({ client: rds, pageSize: 100 }, { SnapshotType: 'manual' })) {
      for (const s of page.DBClusterSnapshots ?? []) {
        const db = clusters.get(s.DBClusterIdentifier?.toLowerCase() ?? '');
        const p = db && pointOfDbClusterSnapshot(s, db.identifier);
        if (db && p) out.get(recoveryPointsKey(db))!.push(p);
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
