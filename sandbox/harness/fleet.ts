/**
 * The example fleet of the demo and the workflow tests: the four encryption situations a
 * production account really has. Its identifiers match config/example.json.
 */
import type { DatabaseKind } from '../../contracts/shapes';
import type { VaultConfig } from '../../infra/config/schema';
import { createLocalEnvironment, type LocalEnvironment, type LocalEnvironmentOptions } from './environment';

export type DemoEncryption = 'customer-key' | 'default-key' | 'unencrypted';

export interface DemoDatabaseSpec {
  readonly identifier: string;
  /** Tags on the DB instance / DB cluster (tag discovery reads them). */
  readonly tags?: Record<string, string>;
  readonly kind: DatabaseKind;
  readonly engine: string;
  /** GiB; copy time in the sandbox grows with it. */
  readonly allocatedStorageGiB: number;
  readonly encryption: DemoEncryption;
}

export interface DemoDatabase extends DemoDatabaseSpec {
  readonly encryptionLabel: string;
  /** The application's own customer-managed key, for `customer-key` databases. */
  readonly customerKey?: { arn: string; alias: string };
}

/** 20 GiB to 4 TiB, so copies take minutes to about ten hours of virtual time. */
export const DEMO_FLEET: readonly DemoDatabaseSpec[] = [
  { identifier: 'orders-db', kind: 'instance', engine: 'postgres', allocatedStorageGiB: 500, encryption: 'customer-key' },
  { identifier: 'billing-db', kind: 'instance', engine: 'mysql', allocatedStorageGiB: 20, encryption: 'default-key' },
  { identifier: 'legacy-reports', kind: 'instance', engine: 'mariadb', allocatedStorageGiB: 200, encryption: 'unencrypted' },
  { identifier: 'catalog-aurora', kind: 'cluster', engine: 'aurora-postgresql', allocatedStorageGiB: 4096, encryption: 'customer-key' },
];

/** Not in the config, but tagged for tag discovery: backed up all the same. */
export const DISCOVERED_DATABASE: DemoDatabaseSpec = {
  identifier: 'analytics-db',
  kind: 'instance',
  engine: 'postgres',
  allocatedStorageGiB: 100,
  encryption: 'default-key',
  tags: { 'rds-snapshot-vault:backup': 'true' },
};

/** Neither configured nor tagged: its snapshot events must be ignored. */
export const UNMANAGED_DATABASE: DemoDatabaseSpec = {
  identifier: 'scratch-db',
  kind: 'instance',
  engine: 'mysql',
  allocatedStorageGiB: 20,
  encryption: 'unencrypted',
};

/**
 * Creates the databases in the source account of `env` (application keys included).
 * The application key policy is the AWS default (account root), so only the copy under the
 * stack's own key makes the snapshot shareable.
 */
export function seedFleet(env: LocalEnvironment, specs: readonly DemoDatabaseSpec[] = DEMO_FLEET): DemoDatabase[] {
  const { accountId, region } = env.config.source;
  return specs.map((spec) => {
    let customerKey: DemoDatabase['customerKey'];
    let kmsKeyId: string | undefined;
    if (spec.encryption === 'customer-key') {
      const alias = `alias/${spec.identifier}-app`;
      const key = env.sandbox.kms.createKey({
        accountId,
        region,
        alias,
        description: `application key of ${spec.identifier}`,
        policy: {
          Version: '2012-10-17',
          Statement: [{ Sid: 'EnableIamUserPermissions', Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${accountId}:root` }, Action: 'kms:*', Resource: '*' }],
        },
      });
      customerKey = { arn: key.arn, alias };
      kmsKeyId = key.arn;
    }
    const db = {
      accountId,
      region,
      identifier: spec.identifier,
      engine: spec.engine,
      allocatedStorageGiB: spec.allocatedStorageGiB,
      storageEncrypted: spec.encryption !== 'unencrypted',
      kmsKeyId,
      tags: spec.tags,
    };
    if (spec.kind === 'cluster') env.sandbox.rds.createDbCluster(db);
    else env.sandbox.rds.createDbInstance(db);
    const encryptionLabel =
      spec.encryption === 'customer-key' ? `encrypted, customer key ${customerKey?.alias}` : spec.encryption === 'default-key' ? 'encrypted, default aws/rds key' : 'unencrypted';
    return { ...spec, encryptionLabel, customerKey };
  });
}

/**
 * Takes today's automated snapshot of each database, `hoursAgo` hours before now (the backup
 * window). RDS publishes an `RDS-EVENT-0091`/`0169` event for each only when `emitEvents` is true
 * (tests that drive runs by hand keep them off so no event-started run interferes).
 */
export function takeAutomatedSnapshots(env: LocalEnvironment, fleet: readonly DemoDatabaseSpec[], opts: { hoursAgo?: number; emitEvents?: boolean } = {}): void {
  const at = new Date(env.clock.nowMs() - (opts.hoursAgo ?? 2) * 3600_000);
  for (const db of fleet) {
    env.sandbox.rds.createAutomatedSnapshot(
      { accountId: env.config.source.accountId, region: env.config.source.region, dbIdentifier: db.identifier, kind: db.kind, at },
      { emitEvent: opts.emitEvents ?? false },
    );
  }
}

/**
 * A fresh local deployment ({@link createLocalEnvironment}) with `fleet` seeded ({@link seedFleet}) and
 * today's automated snapshot of each database of `opts.snapshotted` (default: the whole fleet) taken
 * `opts.hoursAgo` hours (default 2) before the environment's start, without RDS events
 * ({@link takeAutomatedSnapshots}). Call `dispose()` when done.
 * @throws InvalidStateMachineDefinition as createLocalEnvironment does
 */
export async function createFleetEnvironment(
  options: LocalEnvironmentOptions,
  fleet: readonly DemoDatabaseSpec[],
  opts: { snapshotted?: readonly DemoDatabaseSpec[]; hoursAgo?: number } = {},
): Promise<LocalEnvironment> {
  const env = await createLocalEnvironment(options);
  seedFleet(env, fleet);
  takeAutomatedSnapshots(env, opts.snapshotted ?? fleet, { hoursAgo: opts.hoursAgo ?? 2 });
  return env;
}

/**
 * The databases to seed for `config` (the demo and `rsv --local`): each configured database, with
 * the demo fleet's spec where identifier and kind match, else 100 GiB of the configured kind
 * (`postgres` / `aurora-postgresql`) under the default `aws/rds` key; plus the demo's tag-discovered
 * database when the config's discovery tags match it. With config/example.json: DEMO_FLEET and
 * DISCOVERED_DATABASE.
 */
export function fleetForConfig(config: VaultConfig): DemoDatabaseSpec[] {
  const known = [...DEMO_FLEET, DISCOVERED_DATABASE];
  const fleet: DemoDatabaseSpec[] = config.databases.map(
    (d) =>
      known.find((k) => k.identifier === d.identifier && k.kind === d.kind) ?? {
        identifier: d.identifier,
        kind: d.kind,
        engine: d.kind === 'cluster' ? 'aurora-postgresql' : 'postgres',
        allocatedStorageGiB: 100,
        encryption: 'default-key',
      },
  );
  const discovered = config.discovery && Object.entries(config.discovery.tags).every(([k, v]) => DISCOVERED_DATABASE.tags?.[k] === v);
  if (discovered && !fleet.some((f) => f.identifier === DISCOVERED_DATABASE.identifier)) fleet.push(DISCOVERED_DATABASE);
  return fleet;
}

/**
 * The most intervals `[start, end)` open at once (an end and a start at the same instant do not
 * overlap), e.g. copies in progress per destination from their start and end times (epoch ms).
 */
export function maxOverlap(intervals: ReadonlyArray<readonly [number, number]>): number {
  const points = intervals.flatMap(([s, e]) => [[s, 1] as const, [e, -1] as const]).sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  let cur = 0;
  let max = 0;
  for (const [, d] of points) max = Math.max(max, (cur += d));
  return max;
}

/** What the copies of a run (or of several runs at once) did per destination, from the sandbox's copy log. */
export interface CopyFigures {
  /**
   * Per destination `account/Region/kind` (`instance` = DB snapshot copies, `cluster` = DB cluster
   * snapshot copies): the most copies requested and not yet finished at once, and the limit that
   * binds there: the lower of RDS's copy quota in the sandbox and the configured copy slots
   * (`concurrency.copySlots`).
   */
  readonly maxCopiesInProgress: Record<string, { max: number; limit: number }>;
  /**
   * Seconds of the quota-bound minimum makespan: the larger of, for each destination and kind, the
   * sum of its copy durations over its limit, and the longest single database's chain of copies.
   */
  readonly minimumSeconds: number;
  /** Copies requested per database identifier (all destinations together). */
  readonly copiesPerDatabase: ReadonlyMap<string, number>;
}

/**
 * {@link CopyFigures} of every copy in the sandbox's copy log. `endMs` (epoch ms) closes the copies
 * still in progress (the run's end).
 */
export function copyFigures(env: LocalEnvironment, endMs: number): CopyFigures {
  const log = env.sandbox.rds.copyLog();
  const groups = new Map<string, typeof log>();
  for (const c of log) {
    const key = `${c.accountId}/${c.region}/${c.kind}`;
    const g = groups.get(key);
    if (g) g.push(c);
    else groups.set(key, [c]);
  }
  const slots = env.config.concurrency.copySlots;
  const maxCopiesInProgress: Record<string, { max: number; limit: number }> = {};
  let minimumSeconds = 0;
  for (const [key, copies] of [...groups].sort(([a], [b]) => a.localeCompare(b))) {
    const [acct, region, kind] = key.split('/') as [string, string, DatabaseKind];
    const q = env.sandbox.rds.quota(acct, region);
    const limit = kind === 'instance' ? Math.min(q.concurrentDbSnapshotCopies, slots.dbSnapshotCopies) : Math.min(q.concurrentDbClusterSnapshotCopies, slots.dbClusterSnapshotCopies);
    maxCopiesInProgress[key] = { max: maxOverlap(copies.map((c) => [c.requestedAtMs, c.endedAtMs ?? endMs] as const)), limit };
    minimumSeconds = Math.max(minimumSeconds, copies.reduce((s, c) => s + c.durationSeconds, 0) / limit);
  }
  const chains = new Map<string, number>();
  const copiesPerDatabase = new Map<string, number>();
  for (const c of log) {
    chains.set(c.dbIdentifier, (chains.get(c.dbIdentifier) ?? 0) + c.durationSeconds);
    copiesPerDatabase.set(c.dbIdentifier, (copiesPerDatabase.get(c.dbIdentifier) ?? 0) + 1);
  }
  minimumSeconds = Math.max(minimumSeconds, ...chains.values());
  return { maxCopiesInProgress, minimumSeconds, copiesPerDatabase };
}
