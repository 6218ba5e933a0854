/**
 * The CLI's reads of the run ledger (issue 12; key layout and record shape in functions/shared/ledger.ts):
 * one small JSON record per database per BackupRun at `runs/<runId>/<database>.json` in the ledger
 * bucket of the source account, where `runId` is the BackupRun execution name.
 *
 * Why the CLI reads it: a finished run's per-database results cost one ListObjectsV2 per 1,000
 * databases plus one GetObject per database, instead of one or more Step Functions calls per
 * DatabaseBackup child (which Step Functions throttles at fleet size), and the ledger keeps records
 * for its lifecycle (400 days, infra/constructs/run-ledger.ts) where Step Functions keeps a closed
 * execution 90 days (docs/aws-behaviour.md §24).
 *
 * The bucket (SSE-S3: no kms:Decrypt needed) has a CloudFormation-generated name
 * (`<source stack>-runledgerbucket...`): `--ledger-bucket`, what the backend knows (`--local`), or
 * ListBuckets in the source account.
 * Sources: https://docs.aws.amazon.com/AmazonS3/latest/API/API_ListObjectsV2.html,
 * https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetObject.html,
 * https://docs.aws.amazon.com/AmazonS3/latest/API/API_ListBuckets.html
 */
import { ListBucketsCommand, type S3Client } from '@aws-sdk/client-s3';
import { type LedgerRecord, listLedgerObjects, readPlanHead, readRecords, RUNS_PREFIX, runPrefix } from '../functions/shared/ledger';
import { deploymentNames } from '../infra/constructs/names';
import type { Backend } from './backend';

export type { LedgerRecord } from '../functions/shared/ledger';

/** The ledger bucket and an S3 client of the source account that reads it. */
export interface LedgerAccess {
  readonly s3: S3Client;
  readonly bucket: string;
}

const found = new WeakMap<Backend, Promise<LedgerAccess | { readonly why: string }>>();

/**
 * The ledger bucket of the deployment, found once per backend: the backend's (`--ledger-bucket`, or
 * the local deployment's), else the source account's buckets (ListBuckets) whose name contains
 * `runledgerbucket` (not its access-log bucket), preferring those of the source stack.
 * @returns the access, or `{ why }` (a sentence for a person) when there is no bucket to read
 */
export function ledgerAccess(backend: Backend): Promise<LedgerAccess | { readonly why: string }> {
  let p = found.get(backend);
  if (!p) {
    p = findLedger(backend);
    found.set(backend, p);
  }
  return p;
}

async function findLedger(backend: Backend): Promise<LedgerAccess | { readonly why: string }> {
  const { config } = backend;
  const s3 = backend.s3(config.source.accountId, config.source.region);
  if (!s3) return { why: `no credentials for the source account ${config.source.accountId}` };
  const given = backend.ledgerBucket?.();
  if (given) return { s3, bucket: given };
  const stack = deploymentNames(config.deploymentName).sourceStack.toLowerCase();
  try {
    const names = ((await s3.send(new ListBucketsCommand({}))).Buckets ?? []).map((b) => b.Name ?? '').filter((n) => /runledgerbucket/i.test(n) && !/accesslog/i.test(n));
    const bucket = names.find((n) => n.startsWith(stack)) ?? (names.length === 1 ? names[0] : undefined);
    if (bucket) return { s3, bucket };
    return { why: `no run ledger bucket (${stack}-runledgerbucket...) found in ${config.source.accountId}: pass --ledger-bucket <name> (the source stack's LedgerBucket)` };
  } catch (err) {
    return { why: `could not list the source account's buckets (${(err as Error).name}): pass --ledger-bucket <name>, or allow s3:ListAllMyBuckets` };
  }
}

/** The runId of a `runs/<runId>/<database>.json` key (undefined for other keys). */
export function runIdOfKey(key: string): string | undefined {
  if (!key.startsWith(RUNS_PREFIX)) return undefined;
  const parts = key.slice(RUNS_PREFIX.length).split('/');
  return parts.length === 2 ? parts[0] : undefined;
}

/** The database of a `runs/<runId>/<database>.json` key. */
export function databaseOfKey(key: string): string | undefined {
  return runIdOfKey(key) === undefined ? undefined : key.split('/').at(-1)?.replace(/\.json$/, '');
}

/**
 * A finished run's records when the ledger has all of them: one ListObjectsV2 per 1,000 records of
 * `runs/<runId>/`, one GetObject of the plan head (`plans/<runId>/plan.json`: how many databases the
 * run planned) and one GetObject per record. Undefined when the ledger cannot answer for the whole
 * run: no bucket, no plan (the run failed before planning), or fewer records than planned databases
 * (a run aborted or timed out while databases were still being backed up, which wrote no record):
 * the caller reads Step Functions instead.
 * @throws LedgerRecordInvalid (a record that is not one); S3 errors other than NoSuchKey/AccessDenied/NoSuchBucket
 */
export async function completeRunRecords(backend: Backend, runId: string): Promise<{ records: LedgerRecord[]; bucket: string } | undefined> {
  const access = await ledgerAccess(backend);
  if (!('bucket' in access) || !/^[A-Za-z0-9_.-]{1,128}$/.test(runId)) return undefined;
  try {
    const keys = await listLedgerObjects(access.s3, access.bucket, runPrefix(runId));
    if (keys.length === 0) return undefined;
    const head = await readPlanHead(access.s3, access.bucket, runId);
    if (keys.length < head.count) return undefined;
    return { records: await readRecords(access.s3, access.bucket, keys.map((k) => k.key)), bucket: access.bucket };
  } catch (err) {
    const name = (err as Error).name;
    if (['NoSuchKey', 'AccessDenied', 'NoSuchBucket', 'PlanItemNotFound'].includes(name)) return undefined;
    throw err;
  }
}
