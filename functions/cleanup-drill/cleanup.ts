/**
 * cleanup-drill domain (issue 9): deletes restore-drill resources, and only those: a DB instance or
 * DB cluster is deleted only when it carries `rds-snapshot-vault:drill=true` AND its identifier
 * starts with `rsv-drill-` (the IAM policy requires the tag as well). Deletes skip the final
 * snapshot; RDS deletes the managed master user secret with the database.
 *
 * - `deleteDrill`: the drill resources of one database (deterministic names), on every path of the
 *   drill (success, failed check, timeout, error). Missing or already-deleting resources are fine.
 * - `sweep`: every drill DB instance and DB cluster in the account and Region (leftovers of a drill
 *   that could not clean up), run at the start of each drill.
 * @throws AWS errors by name (AccessDenied, InvalidDBClusterStateFault when a cluster still has a
 *   member that is not deleting, ...)
 * Sources: https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_DeleteDBInstance.html,
 * https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_DeleteDBCluster.html
 */
import {
  DeleteDBClusterCommand,
  DeleteDBInstanceCommand,
  paginateDescribeDBClusters,
  paginateDescribeDBInstances,
  type RDSClient,
  type Tag,
} from '@aws-sdk/client-rds';
import type { DatabaseRef } from '../../contracts/shapes.js';
import { DRILL_IDENTIFIER_PREFIX, DRILL_TAG, drillResourceNames } from '../../contracts/drill.js';
import { isAwsError } from '../../contracts/errors.js';

/** What a cleanup did: identifiers deleted now, and those already gone or being deleted. */
export interface CleanupResult {
  readonly deleted: string[];
  readonly alreadyGone: string[];
}

const isDrill = (identifier: string | undefined, tags: readonly Tag[] | undefined) =>
  identifier !== undefined && identifier.startsWith(DRILL_IDENTIFIER_PREFIX) && tags?.some((t) => t.Key === DRILL_TAG && t.Value === 'true') === true;

async function deleteInstance(rds: RDSClient, id: string, out: CleanupResult): Promise<void> {
  try {
    await rds.send(new DeleteDBInstanceCommand({ DBInstanceIdentifier: id, SkipFinalSnapshot: true, DeleteAutomatedBackups: true }));
    out.deleted.push(id);
  } catch (err) {
    if (isAwsError(err, 'DBInstanceNotFound', 'InvalidDBInstanceStateFault')) out.alreadyGone.push(id);
    else throw err;
  }
}

async function deleteCluster(rds: RDSClient, id: string, out: CleanupResult): Promise<void> {
  try {
    await rds.send(new DeleteDBClusterCommand({ DBClusterIdentifier: id, SkipFinalSnapshot: true }));
    out.deleted.push(id);
  } catch (err) {
    if (isAwsError(err, 'DBClusterNotFoundFault')) out.alreadyGone.push(id);
    else if (isAwsError(err, 'InvalidDBClusterStateFault') && /deleting|already/i.test((err as Error).message)) out.alreadyGone.push(id);
    else throw err;
  }
}

/** See the module comment. */
export async function deleteDrill(rds: RDSClient, database: DatabaseRef, drillId: string): Promise<CleanupResult> {
  const names = drillResourceNames(database, drillId);
  const out: CleanupResult = { deleted: [], alreadyGone: [] };
  await deleteInstance(rds, names.instanceIdentifier, out);
  if (names.clusterIdentifier) await deleteCluster(rds, names.clusterIdentifier, out);
  return out;
}

/** See the module comment. */
export async function sweep(rds: RDSClient): Promise<CleanupResult> {
  const out: CleanupResult = { deleted: [], alreadyGone: [] };
  // DB instances first: a DB cluster cannot be deleted while a member is not deleting.
  for await (const page of paginateDescribeDBInstances({ client: rds, pageSize: 100 }, {})) {
    for (const i of page.DBInstances ?? []) {
      if (!isDrill(i.DBInstanceIdentifier, i.TagList)) continue;
      if (i.DBInstanceStatus === 'deleting') out.alreadyGone.push(i.DBInstanceIdentifier!);
      else await deleteInstance(rds, i.DBInstanceIdentifier!, out);
    }
  }
  for await (const page of paginateDescribeDBClusters({ client: rds, pageSize: 100 }, {})) {
    for (const c of page.DBClusters ?? []) {
      if (!isDrill(c.DBClusterIdentifier, c.TagList)) continue;
      if (c.Status === 'deleting') out.alreadyGone.push(c.DBClusterIdentifier!);
      else await deleteCluster(rds, c.DBClusterIdentifier!, out);
    }
  }
  return out;
}
