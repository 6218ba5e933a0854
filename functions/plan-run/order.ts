/**
 * The order BackupRun's Map starts the fleet in, and how many children it runs at once (issue 12,
 * scheduling toward the quota-bound minimum). The Map starts child executions in plan order,
 * `concurrency` at a time; each database's copies run one after another (source, vault, DR Region),
 * each through the copy slot table (functions/shared/copy-slots.ts).
 *
 * Order ({@link fleetOrder}):
 * - a fleet the Map starts in one or two waves (at most twice as many databases as children):
 *   longest copy first, so the longest chains take the first slots of each FIFO queue (the classic
 *   longest-processing-time-first rule; the longest chain is then the quota-bound minimum);
 * - a larger fleet: a ramp, then longest first. Of the databases sorted by size, every third goes
 *   into a ramp (smallest first), the rest into a descent (largest first) after it. The last
 *   destination (the DR Region, whose cross-Region copies take longest) is the bottleneck: with the
 *   largest databases first its slots sat idle for their whole source and vault copies (~20 h at
 *   4 TiB); the ramp feeds it within minutes and moves up to the largest databases while it is busy,
 *   and the descent ends the run on the shortest copies, so the slots finish together. Measured with
 *   bench/schedule-sim.ts (the real queue rule) and `npm run bench` (docs/architecture.md, Scheduling).
 *
 * A copy's time grows with the snapshot's size, so the size is the sort key:
 * - DB instances and Multi-AZ DB clusters: `AllocatedStorage` (GiB) from DescribeDBInstances /
 *   DescribeDBClusters;
 * - Aurora DB clusters report `AllocatedStorage` 1 (their storage is not fixed), so their size is
 *   the newest automated DB cluster snapshot's `AllocatedStorage` (DescribeDBClusterSnapshots);
 * - a database whose size is unknown goes first (it might be the largest; a wrong guess costs less
 *   at the start of a run than at its end).
 * Ties keep plan order (the sorts are stable). Every call is a paged list of the Region (100 per
 * page), not one call per database.
 *
 * Sources: https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_DBCluster.html (AllocatedStorage:
 * "For Aurora, AllocatedStorage always returns 1"), https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_DBClusterSnapshot.html
 */
import { paginateDescribeDBClusters, paginateDescribeDBClusterSnapshots, paginateDescribeDBInstances, type RDSClient } from '@aws-sdk/client-rds';
import type { PlannedDatabase } from '../../contracts/shapes.js';
import type { MapConcurrencySettings } from '../../contracts/functions/plan-run.js';

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
 * `items` in the order the Map should start them (see the module comment): longest first when the
 * fleet fits in two waves (at most 2 x `concurrency` items), else every third item of the ascending
 * sort (smallest first: the ramp), then the rest largest first (the descent). `size(item)` in GiB;
 * `undefined` (unknown) sorts first in either case, in the given order. Pure; ties keep the given order.
 */
export function fleetOrder<T>(items: readonly T[], size: (item: T) => number | undefined, concurrency: number): T[] {
  const unknown = items.filter((i) => size(i) === undefined);
  const known = items.filter((i) => size(i) !== undefined);
  const gib = (i: T) => size(i) as number;
  const position = new Map(items.map((i, n) => [i, n]));
  const largestFirst = (a: T, b: T) => gib(b) - gib(a) || (position.get(a) as number) - (position.get(b) as number);
  if (items.length <= RAMP_AFTER_WAVES * Math.max(1, concurrency)) return [...unknown, ...[...known].sort(largestFirst)];
  const ascending = [...known].sort((a, b) => gib(a) - gib(b));
  const ramp = ascending.filter((_, i) => i % RAMP_EVERY === 0);
  const descent = ascending.filter((_, i) => i % RAMP_EVERY !== 0).sort(largestFirst);
  return [...unknown, ...ramp, ...descent];
}

/**
 * A fleet of more than this many waves of children (databases / concurrency) starts with the ramp;
 * up to it, longest first. In one or two waves the quota-bound minimum is the longest database's
 * chain of copies (100 bench databases: 35.8 h, against 31 h of DR copies per slot), which must start
 * at once: the ramp measured 1.44x there, longest first 1.39x.
 */
export const RAMP_AFTER_WAVES = 2;
/**
 * Every this-many-th database of the ascending sort goes into the ramp. 3 rather than 2: the ramp
 * climbs to the largest databases a third of the way in and the descent is longer, so fewer of the
 * largest databases arrive at the DR Region together (bench/schedule-sim.ts, 59 children: 1,000
 * databases 1.050x with 3, 1.067x with 2; 500 1.089x and 1.095x; fewer refused slot asks too).
 */
export const RAMP_EVERY = 3;

/**
 * The Map's concurrency for a plan of `instances` DB instances and `clusters` DB clusters, within
 * `settings` (contracts/functions/plan-run.ts {@link MapConcurrencySettings}):
 * 1. `min(instances, settings.instance) + min(clusters, settings.cluster)`: the children that keep
 *    every copy slot busy along the copies in a row (more only wait in the slot queues, 3 state
 *    transitions a round), no more than there are databases of each kind;
 * 2. at most half the fleet, rounded up: with fewer than two databases per child the Map starts
 *    nearly the whole fleet at once and the order cannot feed the last destination early
 *    (measured: 100 databases 1.37x the quota-bound minimum at 50 children, 1.62x at 60);
 * 3. at least `min(count, settings.min)` (the execution timeout counts waves of `settings.min`);
 * 4. at most `settings.max` (`concurrency.maxDatabasesInParallel`); at least 1.
 * @returns a whole number from 1 to `settings.max`
 */
export function mapConcurrency(counts: { readonly instances: number; readonly clusters: number }, settings: MapConcurrencySettings): number {
  const count = counts.instances + counts.clusters;
  const pipeline = Math.min(counts.instances, settings.instance) + Math.min(counts.clusters, settings.cluster);
  const chosen = Math.max(Math.min(pipeline, Math.ceil(count / 2)), Math.min(count, settings.min));
  return Math.max(1, Math.min(settings.max, chosen));
}

/**
 * `list` in {@link fleetOrder} for `concurrency` children at once, by the sizes RDS reports.
 * @throws the SDK error unchanged (AccessDenied, throttling: the caller keeps the plan order).
 */
export async function orderFleet(rds: RDSClient, list: readonly PlannedDatabase[], concurrency: number): Promise<PlannedDatabase[]> {
  if (list.length < 2) return [...list];
  const sizes = await databaseSizes(rds, list);
  return fleetOrder(list, (p) => sizes.get(`${p.database.kind}/${p.database.identifier.toLowerCase()}`), concurrency);
}
