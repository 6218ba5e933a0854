/**
 * Which databases a retention run covers in this account and Region: the configured ones, plus
 * every database that has managed copies here (tag-discovered databases, and databases removed
 * from the configuration, whose copies stay under the retention policy: keepLast of them are
 * always kept). Source of the tags: contracts/shapes.ts `TAGS`.
 * APIs: https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_DescribeDBSnapshots.html,
 * https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_DescribeDBClusterSnapshots.html
 */
import type { RDSClient } from '@aws-sdk/client-rds';
import { TAGS, type DatabaseKind, type DatabaseRef } from '../../contracts/shapes.js';
import { isManaged, listSnapshots, snapshotTags, tagValue } from '../../functions/shared/snapshots.js';

/**
 * The configured databases (in their order) followed by the other databases with managed manual
 * copies in this account and Region (by identifier). The database of a copy is its
 * `rds-snapshot-vault:database` tag, else the DB identifier RDS reports.
 * @returns DatabaseRef[]; never throws for an empty account. AWS errors propagate by name.
 */
export async function listManagedDatabases(rds: RDSClient, configured: readonly DatabaseRef[]): Promise<DatabaseRef[]> {
  const key = (d: DatabaseRef) => `${d.kind}:${d.identifier}`;
  const known = new Set(configured.map(key));
  const found = new Map<string, DatabaseRef>();
  for (const kind of ['instance', 'cluster'] as DatabaseKind[]) {
    for (const s of await listSnapshots(rds, { kind }, 'manual')) {
      const tags = await snapshotTags(rds, s);
      if (!isManaged(tags)) continue;
      const identifier = tagValue(tags, TAGS.DATABASE) ?? s.dbIdentifier;
      if (!identifier) continue;
      const ref: DatabaseRef = { identifier, kind };
      if (!known.has(key(ref))) found.set(key(ref), ref);
    }
  }
  const extra = [...found.values()].sort((a, b) => a.identifier.localeCompare(b.identifier) || a.kind.localeCompare(b.kind));
  return [...configured.map((d) => ({ identifier: d.identifier, kind: d.kind })), ...extra];
}
