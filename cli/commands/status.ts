/**
 * `rsv status`: per database, the newest recovery point in the vault Region and in each DR Region,
 * and its age against the RPO objective. A recovery point is a managed (`rds-snapshot-vault:managed=true`)
 * manual snapshot in `available` state; its time is `OriginalSnapshotCreateTime`, when RDS took the
 * database's automated snapshot, which every copy keeps
 * (https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_DBSnapshot.html).
 * Exit code 0 when every database has a recovery point within the RPO everywhere, 1 otherwise.
 */
import { isManaged } from '../../functions/shared/snapshots';
import { type Backend, vaultAccountOf } from '../backend';
import { formatDuration, type Output, secondsBetween, shortTime, style, table } from '../render';
import { manualSnapshots, type SnapshotRow } from '../runs';

/** Default RPO objective in hours: a daily copy plus two hours of slack. */
export const DEFAULT_RPO_HOURS = 26;

export interface StatusOptions {
  readonly rpoHours: number;
  readonly databases: readonly string[];
  readonly json: boolean;
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
}

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
    }));
  const healthy = result.every((d) => d.locations.every((l) => l.state === 'ok'));
  if (o.json) {
    output.out(`${JSON.stringify({ at: now.toISOString(), rpoHours: o.rpoHours, vaultAccount: account, healthy, databases: result }, null, 2)}\n`);
    return healthy ? 0 : 1;
  }
  const cell = (l: RecoveryPointStatus) =>
    l.state === 'none' ? style(output, 'red', 'NONE') : `${shortTime(l.recoveryPoint)} (${formatDuration(l.ageSeconds ?? 0)} ago)${l.state === 'late' ? ` ${style(output, 'red', 'LATE')}` : ''}`;
  output.out(`Newest recovery point per database in the vault account ${account}, RPO ${o.rpoHours} h, at ${shortTime(now.toISOString())}\n`);
  output.out(`${table(['DATABASE', ...regions.map((r) => (r.where === 'vault' ? `VAULT ${r.region}` : `DR ${r.region}`))], result.map((d) => [d.identifier, ...d.locations.map(cell)]))}\n`);
  const bad = result.filter((d) => d.locations.some((l) => l.state !== 'ok'));
  if (bad.length === 0) output.out(style(output, 'green', `All ${result.length} databases are within the RPO of ${o.rpoHours} h.\n`));
  else output.out(`${style(output, 'red', `${bad.length} of ${result.length} databases are outside the RPO`)}: ${bad.map((d) => d.identifier).join(', ')}. See their last runs with: rsv history --db ${bad[0]?.identifier}\n`);
  return healthy ? 0 : 1;
}
