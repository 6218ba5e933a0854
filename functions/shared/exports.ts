/**
 * Shared helpers for RDS export tasks (snapshot export to S3, Apache Parquet): the deterministic
 * export task identifier, S3 locations, and DescribeExportTasks by identifier.
 *
 * Sources: https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_StartExportTask.html ,
 * https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_DescribeExportTasks.html ,
 * https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/USER_ExportSnapshot.html
 */
import { DescribeExportTasksCommand, paginateDescribeExportTasks, type ExportTask, type RDSClient } from '@aws-sdk/client-rds';
import { isAwsError } from '../../contracts/errors.js';
import { fitIdentifier, identifierText } from './identifiers.js';

/**
 * Longest export task identifier RDS accepts. The API reference states no length, but RDS rejects
 * identifiers longer than 60 characters (reported by users of StartExportTask, e.g.
 * https://github.com/wellcomecollection/catalogue-pipeline/pull/3227); the identifier rules are
 * otherwise those of DB identifiers (letters, digits, hyphens; starts with a letter; no `--`; no
 * trailing hyphen).
 */
export const MAX_EXPORT_TASK_IDENTIFIER_LENGTH = 60;

/**
 * The export task identifier for a snapshot: the snapshot identifier itself (lower-cased, with
 * characters other than letters, digits and hyphens turned into hyphens, hyphen runs collapsed, and
 * an `x-` prefix if it would not start with a letter) when that is at most 60 characters.
 *
 * Longer identifiers (our copies are `rsv-<db identifier up to 63>-<yyyymmddhhmm>`, up to 80
 * characters) become `<first 51 characters, trailing hyphens cut>-<first 8 hex characters of the
 * SHA-256 of the full cleaned identifier>`: deterministic (a re-run finds the same task) and unique
 * in practice (two snapshots differing only after character 51 get different hashes). Pure.
 *
 * @throws RangeError for an empty identifier.
 */
export function exportTaskIdentifier(snapshotIdentifier: string): string {
  let id = identifierText(snapshotIdentifier);
  if (id === '') throw new RangeError(`exportTaskIdentifier: snapshot identifier "${snapshotIdentifier}" has no letters or digits`);
  if (!/^[a-z]/.test(id)) id = `x-${id}`;
  return fitIdentifier(id, MAX_EXPORT_TASK_IDENTIFIER_LENGTH);
}

/** `yyyy-mm-dd` (UTC) of an ISO-8601 time. @throws RangeError when `iso` is not a valid time. */
export function utcDate(iso: string): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) throw new RangeError(`not an ISO-8601 time: ${iso}`);
  return d.toISOString().slice(0, 10);
}

/** `<prefix>/<db identifier>/<yyyy-mm-dd>`: the S3Prefix of an export (no leading or trailing slash). */
export function exportPrefix(prefix: string, dbIdentifier: string, snapshotCreateTime: string): string {
  return [prefix.replace(/^\/+|\/+$/g, ''), dbIdentifier, utcDate(snapshotCreateTime)].filter((p) => p !== '').join('/');
}

/** `s3://<bucket>/<prefix>/<identifier>/`: where RDS writes the export's files. */
export function exportS3Uri(bucket: string, s3Prefix: string, identifier: string): string {
  return `s3://${bucket}/${s3Prefix === '' ? '' : `${s3Prefix}/`}${identifier}/`;
}

/**
 * Describes one export task by identifier.
 * @returns undefined when RDS reports ExportTaskNotFoundFault or returns no task.
 */
export async function describeExportTask(rds: RDSClient, identifier: string): Promise<ExportTask | undefined> {
  try {
    const out = await rds.send(new DescribeExportTasksCommand({ ExportTaskIdentifier: identifier }));
    return out.ExportTasks?.find((t) => t.ExportTaskIdentifier === identifier) ?? out.ExportTasks?.[0];
  } catch (err) {
    if (isAwsError(err, 'ExportTaskNotFoundFault')) return undefined;
    throw err;
  }
}

/** Export task statuses that count against the account's limit of 5 running export tasks. */
export const RUNNING_EXPORT_STATUSES: ReadonlySet<string> = new Set(['STARTING', 'IN_PROGRESS']);

/**
 * Counts the export tasks of this account and Region that are `STARTING` or `IN_PROGRESS`
 * (DescribeExportTasks with filter `status` = `starting`, `in_progress` (the filter wants lower
 * case), all pages, 100 per page; the statuses are checked again client-side).
 */
export async function countRunningExportTasks(rds: RDSClient): Promise<number> {
  let n = 0;
  const filter = { Filters: [{ Name: 'status', Values: ['starting', 'in_progress'] }] };
  for await (const page of paginateDescribeExportTasks({ client: rds, pageSize: 100 }, filter)) {
    for (const t of page.ExportTasks ?? []) if (RUNNING_EXPORT_STATUSES.has((t.Status ?? '').toUpperCase())) n++;
  }
  return n;
}
