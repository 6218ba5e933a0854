/**
 * Tag discovery for plan-run: the DB instances and DB clusters of this account and Region whose
 * tags contain every `key=value` of the configured discovery tags.
 *
 * Sources: https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_DescribeDBInstances.html ,
 * https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_DescribeDBClusters.html (both return
 * `TagList`; paginated with `Marker`, `MaxRecords` 20-100),
 * https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_ListTagsForResource.html
 */
import {
  ListTagsForResourceCommand,
  paginateDescribeDBClusters,
  paginateDescribeDBInstances,
  type RDSClient,
  type Tag,
} from '@aws-sdk/client-rds';
import type { DatabaseRef } from '../../contracts/shapes.js';

/**
 * Engines that the RDS API also lists (DescribeDBClusters / DescribeDBInstances serve Amazon
 * Neptune and Amazon DocumentDB too) but that rds-snapshot-vault does not back up.
 */
const FOREIGN_ENGINES = new Set(['neptune', 'docdb']);

/** Whether `tags` contain every `key=value` of `wanted` (keys and values compare exactly, case-sensitively). */
export function matchesTags(tags: readonly Tag[], wanted: Readonly<Record<string, string>>): boolean {
  return Object.entries(wanted).every(([key, value]) => tags.some((t) => t.Key === key && t.Value === value));
}

async function tagsOf(rds: RDSClient, arn: string | undefined, tagList: Tag[] | undefined): Promise<readonly Tag[]> {
  if (tagList !== undefined) return tagList;
  if (arn === undefined) return [];
  const out = await rds.send(new ListTagsForResourceCommand({ ResourceName: arn }));
  return out.TagList ?? [];
}

/**
 * Lists the databases whose tags match `wanted`:
 *
 * - DB instances (DescribeDBInstances, all pages, 100 per page) that are NOT members of a DB
 *   cluster: an instance with `DBClusterIdentifier` (an Aurora or Multi-AZ DB cluster member) is
 *   backed up through its cluster's DB cluster snapshots, never on its own.
 * - DB clusters (DescribeDBClusters, all pages), except Neptune / DocumentDB clusters.
 *
 * Tags come from each item's `TagList`; when RDS omits it, ListTagsForResource is called.
 * Identifiers are returned lower-case (RDS stores them so), sorted by identifier (a DB instance
 * before a DB cluster of the same identifier).
 *
 * @param rds client in the source account and Region (the function's own credentials).
 * @param wanted at least one `key: value`.
 * @throws the SDK error unchanged (e.g. AccessDenied, throttling; the state machine decides).
 */
export async function discoverDatabases(rds: RDSClient, wanted: Readonly<Record<string, string>>): Promise<DatabaseRef[]> {
  const instances: DatabaseRef[] = [];
  for await (const page of paginateDescribeDBInstances({ client: rds, pageSize: 100 }, {})) {
    for (const db of page.DBInstances ?? []) {
      if (!db.DBInstanceIdentifier || db.DBClusterIdentifier) continue;
      if (db.Engine !== undefined && FOREIGN_ENGINES.has(db.Engine)) continue;
      if (matchesTags(await tagsOf(rds, db.DBInstanceArn, db.TagList), wanted)) {
        instances.push({ identifier: db.DBInstanceIdentifier.toLowerCase(), kind: 'instance' });
      }
    }
  }
  const clusters: DatabaseRef[] = [];
  for await (const page of paginateDescribeDBClusters({ client: rds, pageSize: 100 }, {})) {
    for (const c of page.DBClusters ?? []) {
      if (!c.DBClusterIdentifier) continue;
      if (c.Engine !== undefined && FOREIGN_ENGINES.has(c.Engine)) continue;
      if (matchesTags(await tagsOf(rds, c.DBClusterArn, c.TagList), wanted)) {
        clusters.push({ identifier: c.DBClusterIdentifier.toLowerCase(), kind: 'cluster' });
      }
    }
  }
  const order = (a: DatabaseRef, b: DatabaseRef): number =>
    a.identifier < b.identifier ? -1 : a.identifier > b.identifier ? 1 : a.kind === b.kind ? 0 : a.kind === 'instance' ? -1 : 1;
  return [...instances, ...clusters].sort(order);
}
