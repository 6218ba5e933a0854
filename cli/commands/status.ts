/**
 * `rsv status`: per database, the newest recovery point in the vault Region and in each DR Region,
 * and its age against the RPO objective. A recovery point is a managed (`rds-snapshot-vault:managed=true`)
 * manual snapshot in `available` state; its time is `OriginalSnapshotCreateTime`, when RDS took the
 * database's automated snapshot, which every copy keeps
 * (https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_DBSnapshot.html).
 * Then the last restore drill of each database and its RTO, from the drill records in the vault's
 * evidence bucket (cli/drills.ts; a database never drilled says so).
 * Exit code 0 when every database has a recovery point within the RPO everywhere, 1 otherwise (a
 * failed drill is reported, not counted: `rsv evidence` is the drill report); 2 without vault credentials.
 */
import { isManaged } from '../../functions/shared/snapshots';
import { type Backend, vaultAccountOf } from '../backend';
import { readDrillRecords } from '../drills';
import { formatDuration, type Output, secondsBetween, shortTime, style, table } from '../render';
import { manualSnapshots, type SnapshotRow } from '../runs';

/** Default RPO objective in hours: a daily copy plus two hours of slack. */
export const DEFAULT_RPO_HOURS = 26;

export interface StatusOptions {
  readonly rpoHours: number;
  readonly databases: readonly string[];
  readonly json: boolean;
  /** The evidence bucket's name (else found as `rsv evidence` finds it). */
  readonly evidenceBucket?: string;
}

/** The newest restore drill of a database. */
export interface LastDrill {
  readonly drillId: string;
  /** ISO-8601 UTC: when the restore started (else when the record was written). */
  readonly at: string;
  /** `PASSED` or `FAILED` (a drill whose cleanup failed is FAILED). */
  readonly result: 'PASSED' | 'FAILED';
  /** Seconds from restore start to available; absent when the restore did not finish. */
  readonly rtoSeconds?: number;
  /** The same in minutes, one decimal. */
  readonly rtoMinutes?: number;
  readonly failure?: string;
  /** s3://bucket/key of the drill's evidence record. */
  readonly record: string;
}

export interface RecoveryPointStatus {
  /** `vault` (the vault Region) or a DR Region name. */
  readonly where: string;
  readonly region: string;
  readonly snapshotIdentifier?: string;
  readonly snapshotArn?: string;
  /** ISO-8601 UTC. */
  readonly recoveryPoint?: string;
  readonly ageSeconds?: number;
  /** `ok` within the RPO, `late` older, `none` no recovery point. */
  readonly state: 'ok' | 'late' | 'none';
}

export interface DatabaseStatus {
  readonly identifier: string;
  readonly kind: string;
  readonly locations: readonly RecoveryPointStatus[];
  /** The newest drill; null when never drilled (or drills not readable: see `drillNotes`). */
  readonly lastDrill: LastDrill | null;
}

/**
 * `rsv status`: per database, the newest recovery point in the vault and each DR Region and its age
 * (hours) against the RPO objective, the last drill and its RTO (minutes).
 * @returns exit code: 0 every database within its objective; 1 any outside it; 2 the vault cannot be read
 */
export async function statusCommand(backend: Backend, o: StatusOptions, output: Output): Promise<number> {
  const { config } = backend;
  const account = vaultAccountOf(config);
  const regions = [{ where: 'vault', region: config.vault.region }, ...config.vault.drRegions.map((r) => ({ where: r, region: r }))];
  const byRegion = new Map<string, SnapshotRow[]>();
  for (const { region } of regions) {
    const rds = backend.rds(account, region);
    if (!rds) {
      output.err(`rsv status: no credentials for the vault account ${account}: pass --vault-profile <profile of that account> (a read-only role with rds:DescribeDBSnapshots and rds:DescribeDBClusterSnapshots is enough).\n`);
      return 2;
    }
    const rows = [...(await manualSnapshots(rds, undefined, 'instance')), ...(await manualSnapshots(rds, undefined, 'cluster'))];
    byRegion.set(region, rows.filter((s) => s.status === 'available' && isManaged(s.tags as never)));
  }
  // Configured databases, then any other database with managed copies (tag-discovered, or removed from the config).
  const known = new Map<string, string>(config.databases.map((d) => [d.identifier, d.kind]));
  for (const rows of byRegion.values()) for (const s of rows) if (!known.has(s.dbIdentifier)) known.set(s.dbIdentifier, s.kind);
  const drillNotes: string[] = [];
  const identifiers = [...known.keys()].filter((id) => o.databases.length === 0 || o.databases.includes(id));
  // The drill columns must not cost the RPO view: a reader without access to the evidence bucket gets a note.
  let drills: Awaited<ReturnType<typeof readDrillRecords>>;
  try {
    drills = await readDrillRecords(backend, { databases: identifiers, newestOnly: true, ...(o.evidenceBucket ? { bucket: o.evidenceBucket } : {}) }, drillNotes);
  } catch (err) {
    drillNotes.push(`Could not read the drill records (${(err as Error).name}: ${(err as Error).message}): the profile needs s3:ListBucket and s3:GetObject on the evidence bucket and kms:Decrypt on its key (docs/operating.md), or pass --evidence-bucket <name>.`);
    drills = undefined;
  }
  const lastDrillOf = (id: string): LastDrill | null => {
    const d = drills?.get(id)?.at(-1);
    if (!d) return null;
    return {
      drillId: d.drillId,
      at: d.restoreStartedAt ?? d.recordedAt ?? '',
      result: d.result,
      ...(d.rtoSeconds === undefined ? {} : { rtoSeconds: d.rtoSeconds, rtoMinutes: Math.round(d.rtoSeconds / 6) / 10 }),
      ...(d.failure ? { failure: d.failure } : {}),
      record: d.record,
    };
  };
  const now = backend.now();
  const limit = o.rpoHours * 3600;
  const result: DatabaseStatus[] = [...known.entries()]
    .filter(([id]) => o.databases.length === 0 || o.databases.includes(id))
    .map(([identifier, kind]) => ({
      identifier,
      kind,
      locations: regions.map(({ where, region }) => {
        const newest = (byRegion.get(region) ?? [])
          .filter((s) => s.dbIdentifier === identifier && s.kind === kind && s.recoveryPoint)
          .sort((a, b) => (b.recoveryPoint ?? '').localeCompare(a.recoveryPoint ?? ''))[0];
        if (!newest?.recoveryPoint) return { where, region, state: 'none' as const };
        const ageSeconds = secondsBetween(newest.recoveryPoint, now);
        return { where, region, snapshotIdentifier: newest.identifier, snapshotArn: newest.arn, recoveryPoint: newest.recoveryPoint, ageSeconds, state: ageSeconds <= limit ? ('ok' as const) : ('late' as const) };
      }),
      lastDrill: lastDrillOf(identifier),
    }));
  const healthy = result.every((d) => d.locations.every((l) => l.state === 'ok'));
  if (o.json) {
    output.out(`${JSON.stringify({ at: now.toISOString(), rpoHours: o.rpoHours, vaultAccount: account, healthy, drillNotes, databases: result }, null, 2)}\n`);
    return healthy ? 0 : 1;
  }
  const cell = (l: RecoveryPointStatus) =>
    l.state === 'none' ? style(output, 'red', 'NONE') : `${shortTime(l.recoveryPoint)} (${formatDuration(l.ageSeconds ?? 0)} ago)${l.state === 'late' ? ` ${style(output, 'red', 'LATE')}` : ''}`;
  const drillCell = (d: LastDrill | null) => (d ? `${d.at.slice(0, 10)} ${d.result === 'PASSED' ? style(output, 'green', 'passed') : style(output, 'red', 'FAILED')}` : drills ? 'never drilled' : '-');
  const rtoCell = (d: LastDrill | null) => (d?.rtoMinutes === undefined ? '-' : `${d.rtoMinutes < 1 ? '<1' : Math.round(d.rtoMinutes)} min`);
  output.out(`Newest recovery point per database in the vault account ${account} (RPO objective ${o.rpoHours} h), at ${shortTime(now.toISOString())}\n\n`);
  output.out(
    `${table(
      ['DATABASE', ...regions.map((r) => (r.where === 'vault' ? `VAULT ${r.region}` : `DR ${r.region}`)), 'LAST DRILL', 'RTO'],
      result.map((d) => [d.identifier, ...d.locations.map(cell), drillCell(d.lastDrill), rtoCell(d.lastDrill)]),
    )}\n\n`,
  );
  const bad = result.filter((d) => d.locations.some((l) => l.state !== 'ok'));
  if (bad.length === 0) output.out(style(output, 'green', `All ${result.length} databases have a recovery point younger than ${o.rpoHours} h in every Region.\n`));
  else {
    const why = (d: DatabaseStatus) => {
      const none = d.locations.filter((l) => l.state === 'none').map((l) => l.region);
      const late = d.locations.filter((l) => l.state === 'late').map((l) => l.region);
      return [none.length ? `no copy in ${none.join(', ')}` : '', late.length ? `too old in ${late.join(', ')}` : ''].filter(Boolean).join(', ');
    };
    output.out(`${style(output, 'red', `${bad.length} of ${result.length} databases miss the RPO objective`)}: ${bad.map((d) => `${d.identifier} (${why(d)})`).join('; ')}.\n`);
    output.out(`Their last runs (a first copy of a large database can still be running): rsv history --db ${bad[0]?.identifier}\n`);
  }
  const failed = result.filter((d) => d.lastDrill?.result === 'FAILED');
  if (failed.length) output.out(`${style(output, 'red', `Last restore drill FAILED`)}: ${failed.map((d) => `${d.identifier} (${d.lastDrill?.failure ?? 'see the record'})`).join('; ')}. Details: rsv evidence --month ${failed[0]?.lastDrill?.at.slice(0, 7)}\n`);
  const never = result.filter((d) => d.lastDrill === null);
  const schedule = backend.config.restoreDrill?.schedule;
  if (drills && never.length) output.out(`Never drilled: ${never.map((d) => d.identifier).join(', ')} (RestoreDrill runs ${schedule?.enabled === false ? 'only when started: its schedule is disabled' : `on ${schedule?.cron} ${schedule?.timeZone ?? 'UTC'}`}; docs/restore.md).\n`);
  for (const n of drillNotes) output.out(`Note: ${n}\n`);
  return healthy ? 0 : 1;
}
