/**
 * Longest copy first (issue 12, scheduling toward the quota-bound minimum): BackupRun's Map starts
 * child executions in plan order, so the databases whose copies take longest start first and the
 * short ones fill the copy slots at the end, instead of one long copy starting last and stretching
 * the run by its whole length (the classic longest-processing-time-first rule).
 *
 * A copy's time grows with the snapshot's size, so the size is the sort key:
 * - DB instances and Multi-AZ DB clusters: `AllocatedStorage` (GiB) from DescribeDBInstances /
 *   DescribeDBClusters;
 * - Aurora DB clusters report `AllocatedStorage` 1 (their storage is not fixed), so their size is
 *   the newest automated DB cluster snapshot's `AllocatedStorage` (DescribeDBClusterSnapshots);
 * - a database whose size is unknown goes first (it might be the largest; a wrong guess costs less
 *   at the start of a run than at its end).
 * Ties keep plan order (the sort is stable). Every call is a paged list of the Region (100 per
 * page), not one call per database.
 *
 * Sources: https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_DBCluster.html (AllocatedStorage:
 * "For Aurora, AllocatedStorage always returns 1"), https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_DBClusterSnapshot.html
 */
import { paginateDescribeDBClusters, paginateDescribeDBClusterSnapshots, paginateDescribeDBInstances, type RDSClient } from '@aws-sdk/client-rds';
import type { PlannedDatabase } from '../../contracts/shapes.js';

/** Size in GiB per `<kind>/<lower-case identifier>`, as RDS reports it; Aurora clusters from their newest automated snapshot. */
export async function databaseSizes(rds: RDSClient, wanted: readonly PlannedDatabase[]): Promise<Map<string, number>> {
  const sizes = new Map<string, number>();
  const kinds = new Set(wanted.map((p) => p.database.kind));
  if (kinds.has('instance')) {
    for await (const page of paginateDescribeDBInstances({ client: rds, pageSize: 100 }, {})) {
      for (const db of page.DBInstances ?? []) {
        if (db.DBInstanceIdentifier && db.AllocatedStorage !== undefined) sizes.set(`instance/${db.DBInstanceIdentifier.toLowerCase()}`, db.AllocatedStorage);
      }
    }
  }
  if (kinds.has('cluster')) {
    const aurora = new Set<string>();
    for await (const page of paginateDescribeDBClusters({ client: rds, pageSize: 100 }, {})) {
      for (const c of page.DBClusters ?? []) {
        if (!c.DBClusterIdentifier) continue;
        const id = c.DBClusterIdentifier.toLowerCase();
        if ((c.Engine ?? '').startsWith('aurora') || (c.AllocatedStorage ?? 0) <= 1) aurora.add(id);
        else if (c.AllocatedStorage !== undefined) sizes.set(`cluster/${id}`, c.AllocatedStorage);
      }
    }
    if (aurora.size > 0) {
      const newest = new Map<string, number>();
      for await (const page of paginateDescribeDBClusterSnapshots({ client: rds, pageSize: 100 }, { SnapshotType: 'automated' })) {
        for (const s of page.DBClusterSnapshots ?? []) {
          const id = s.DBClusterIdentifier?.toLowerCase();
          if (!id || !aurora.has(id) || s.AllocatedStorage === undefined || s.AllocatedStorage <= 1) continue;
          const t = s.SnapshotCreateTime ? new Date(s.SnapshotCreateTime).getTime() : 0;
          if (t >= (newest.get(id) ?? -1)) {
            newest.set(id, t);
            sizes.set(`cluster/${id}`, s.AllocatedStorage);
          }
        }
      }
    }
  }
  return sizes;
}

/**
 * `list` ordered largest first; unknown sizes first of all; ties in their given order.
 * @throws the SDK error unchanged (AccessDenied, throttling: the state machine decides).
 */
export async function longestFirst(rds: RDSClient, list: readonly PlannedDatabase[]): Promise<PlannedDatabase[]> {
  if (list.length < 2) return [...list];
  const sizes = await databaseSizes(rds, list);
  const size = (p: PlannedDatabase) => sizes.get(`${p.database.kind}/${p.database.identifier.toLowerCase()}`) ?? Number.POSITIVE_INFINITY;
  return [...list].sort((a, b) => size(b) - size(a) || 0);
}
