/**
 * The example fleet of the demo and the workflow tests: the four encryption situations a
 * production account really has. Its identifiers match config/example.json.
 */
import type { DatabaseKind } from '../../functions/shared/contracts';
import type { VaultConfig } from '../../infra/config/schema';
import type { LocalEnvironment } from './environment';

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
