/**
 * Reads the restore-drill evidence records (issue 9) from the vault's evidence bucket, for
 * `rsv evidence` (a month's drills) and `rsv status` (each database's newest drill).
 *
 * A record is the JSON object functions/record-evidence/evidence.ts writes at
 * `drills/<database>/<yyyy-mm-dd of the record>/<drillId>.json` (times ISO-8601 UTC, `rtoSeconds`
 * seconds, `rpoHoursAtDrill` hours). S3 lists keys in ascending UTF-8 order
 * (https://docs.aws.amazon.com/AmazonS3/latest/API/API_ListObjectsV2.html), so the newest day's
 * records are the last keys of a database's prefix.
 */
import { GetObjectCommand, ListBucketsCommand, ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import { deploymentNames } from '../infra/constructs/names';
import { type Backend, vaultAccountOf } from './backend';

/** Key prefix of the drill records in the evidence bucket (infra/constructs/restore-drills.ts). */
export const DRILL_PREFIX = 'drills';

export interface DrillEvidence {
  readonly drillId: string;
  /** ISO-8601 UTC. */
  readonly restoreStartedAt?: string;
  /** ISO-8601 UTC: when the record was written (the end of the drill). */
  readonly recordedAt?: string;
  /** The record's `outcome`: `PASSED` (restored and every check passed) or `FAILED`. */
  readonly outcome: string;
  /**
   * `PASSED` when the outcome is PASSED and the drill's cleanup deleted what it restored, else
   * `FAILED` (as the drill's own summary: a drill whose cleanup failed is FAILED).
   */
  readonly result: 'PASSED' | 'FAILED';
  /** Seconds from restore start to available. */
  readonly rtoSeconds?: number;
  /** Age of the restored recovery point at the drill, hours. */
  readonly rpoHoursAtDrill?: number;
  readonly checksPassed: number;
  readonly checksTotal: number;
  /** `<error name>: <message>` of a failed drill. */
  readonly failure?: string;
  /** s3://bucket/key of the record. */
  readonly record: string;
}

export interface DrillReadOptions {
  readonly databases: readonly string[];
  /** Only records written in this month (`2026-11`); else all of them. */
  readonly month?: string;
  /** Only each database's newest record (the records of its newest day are read, no others). */
  readonly newestOnly?: boolean;
  /** The evidence bucket's name (else what the backend knows, else found by ListBuckets). */
  readonly bucket?: string;
}

/**
 * Drill records per database, oldest first (by record day, then `recordedAt`). Every database
 * asked for has an entry ([] when never drilled). Returns undefined, with a note saying why and
 * what to do, when there is nothing to read: drills not configured, no vault credentials, or no
 * evidence bucket. Notes are plain sentences for a person.
 * @throws S3 errors by name (AccessDenied, NoSuchBucket) from ListObjectsV2 / GetObject
 */
export async function readDrillRecords(backend: Backend, o: DrillReadOptions, notes: string[]): Promise<Map<string, DrillEvidence[]> | undefined> {
  const { config } = backend;
  if (!config.restoreDrill) {
    notes.push('Restore drills are not configured ("restoreDrill" in the config): no drill evidence.');
    return undefined;
  }
  const s3 = backend.s3(vaultAccountOf(config), config.vault.region);
  if (!s3) return undefined;
  const bucket = await findBucket(backend, s3, o.bucket, notes);
  if (!bucket) return undefined;
  const out = new Map<string, DrillEvidence[]>();
  for (const db of o.databases) {
    let keys: string[] = [];
    let token: string | undefined;
    do {
      const page = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: `${DRILL_PREFIX}/${db}/${o.month ? `${o.month}-` : ''}`, ContinuationToken: token }));
      keys.push(...(page.Contents ?? []).map((c) => c.Key ?? '').filter((k) => k.endsWith('.json')));
      token = page.NextContinuationToken;
    } while (token);
    const dayOf = (k: string) => k.split('/').at(-2) ?? '';
    if (o.newestOnly && keys.length > 0) {
      const newestDay = keys.map(dayOf).sort().at(-1);
      keys = keys.filter((k) => dayOf(k) === newestDay);
    }
    const list: DrillEvidence[] = [];
    for (const key of keys) list.push(await readRecord(s3, bucket, key));
    list.sort((a, b) => (dayOf(a.record) + (a.recordedAt ?? '')).localeCompare(dayOf(b.record) + (b.recordedAt ?? '')));
    out.set(db, o.newestOnly ? list.slice(-1) : list);
  }
  return out;
}

async function readRecord(s3: S3Client, bucket: string, key: string): Promise<DrillEvidence> {
  const body = await (await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }))).Body?.transformToString();
  const r = JSON.parse(body ?? '{}') as {
    drillId?: string;
    restoreStartedAt?: string | null;
    recordedAt?: string;
    outcome?: string;
    rtoSeconds?: number | null;
    rpoHoursAtDrill?: number | null;
    checks?: Array<{ passed?: boolean }>;
    failure?: { error?: string; message?: string };
    cleanup?: { done?: boolean };
  };
  const outcome = r.outcome ?? 'UNKNOWN';
  return {
    drillId: r.drillId ?? key,
    ...(r.restoreStartedAt ? { restoreStartedAt: r.restoreStartedAt } : {}),
    ...(r.recordedAt ? { recordedAt: r.recordedAt } : {}),
    outcome,
    result: outcome === 'PASSED' && r.cleanup?.done !== false ? 'PASSED' : 'FAILED',
    ...(typeof r.rtoSeconds === 'number' ? { rtoSeconds: r.rtoSeconds } : {}),
    ...(typeof r.rpoHoursAtDrill === 'number' ? { rpoHoursAtDrill: r.rpoHoursAtDrill } : {}),
    checksPassed: (r.checks ?? []).filter((c) => c.passed).length,
    checksTotal: (r.checks ?? []).length,
    ...(r.failure ? { failure: `${r.failure.error ?? ''}: ${r.failure.message ?? ''}` } : r.cleanup?.done === false ? { failure: 'cleanup not done: the restored database may still exist (see the record)' } : {}),
    record: `s3://${bucket}/${key}`,
  };
}

/**
 * The bucket's name is generated by CloudFormation from the vault stack and the construct
 * ("...evidencebucket..."): the given name, what the backend knows, or ListBuckets.
 */
async function findBucket(backend: Backend, s3: S3Client, given: string | undefined, notes: string[]): Promise<string | undefined> {
  const { config } = backend;
  let bucket = given ?? backend.evidenceBucket?.();
  if (!bucket) {
    const stack = deploymentNames(config.deploymentName).vaultStack.toLowerCase();
    try {
      const buckets = ((await s3.send(new ListBucketsCommand({}))).Buckets ?? []).map((b) => b.Name ?? '').filter((n) => /evidence/i.test(n) && !/accesslog/i.test(n));
      bucket = buckets.find((n) => n.startsWith(stack)) ?? buckets[0];
    } catch (err) {
      notes.push(`Could not list the vault account's buckets (${(err as Error).name}): pass --evidence-bucket <name> (the vault stack's evidence bucket) to include drills.`);
      return undefined;
    }
  }
  if (!bucket) notes.push(`No evidence bucket found in the vault account (${config.vault.region}): deploy the vault stack with "restoreDrill", or pass --evidence-bucket <name>.`);
  return bucket;
}
