/**
 * plan-run domain logic: turns a BackupRun execution input into the list of databases to back up.
 *
 * The known databases are the configured ones (configuration order) followed by those found by
 * tag discovery (sorted by identifier). AWS calls (source account and Region, own credentials):
 * DescribeDBInstances / DescribeDBClusters (+ ListTagsForResource) when discovery is on, and
 * DescribeDBSnapshots / DescribeDBClusterSnapshots when the database must be derived from a
 * `sourceSnapshotArn`.
 */
import type { RDSClient } from '@aws-sdk/client-rds';
import type { DatabaseRef, PlannedDatabase, PlanRunInput, PlanRunOutput, RunTrigger } from '../../contracts/shapes.js';
import { InvalidInput, SnapshotNotFound, SnapshotNotShareable, UnknownDatabase } from '../../contracts/errors.js';
import { databaseNoun, describeSnapshot, parseSnapshotArn, snapshotNoun, type SnapshotArnParts } from '../../functions/shared/snapshots.js';
import { discoverDatabases } from './discover.js';
import { mapConcurrency, orderFleet } from './order.js';
import type { MapConcurrencySettings } from '../../contracts/functions/plan-run.js';
import { lockedOptionsOf } from './option-groups.js';

/** A configured database: DatabaseRef plus whether its copy is exported to S3. */
export interface ConfiguredDatabase extends DatabaseRef {
  /** DB instances: Region -> option group name of the vault account (docs/aws-behaviour.md §15a). */
  readonly optionGroups?: Readonly<Record<string, string>>;
  /** Export the run's manual copy to S3. */
  readonly export: boolean;
}

/** Configuration and location of plan-run (from its environment). */
export interface PlanContext {
  /** `DATABASES`, in configuration order. */
  readonly configured: readonly ConfiguredDatabase[];
  /** `DISCOVERY_TAGS`: every `key: value` must be on a database for it to be discovered; absent = no discovery. */
  readonly discoveryTags?: Readonly<Record<string, string>>;
  /** `DISCOVERY_EXPORT`: `export` of every discovered database. */
  readonly discoveryExport: boolean;
  /**
   * `CHECK_SHAREABLE` (cross-account mode): a DB instance whose option group has permanent or
   * persistent options (TDE) is planned with `blocked` = SnapshotNotShareable. @default false
   */
  readonly checkShareable?: boolean;
  /**
   * `MAP_CONCURRENCY` (issue 12): the bounds of BackupRun's Map concurrency ({@link mapConcurrency}).
   * @default {@link FIXED_MAP_CONCURRENCY} (50 children whatever the fleet)
   */
  readonly mapConcurrency?: MapConcurrencySettings;
  /** This account and Region; a `sourceSnapshotArn` must be in them. */
  readonly accountId: string;
  readonly region: string;
}

/** AWS access and logging of {@link planRun}. */
export interface PlanDeps {
  /** RDS client in the source account and Region. */
  readonly rds: RDSClient;
  /** Receives warnings that do not fail the run (a discovered database hidden by a configured one of the other kind). */
  readonly warn?: (message: string) => void;
}

interface KnownDatabases {
  /** Configured first, then discovered. */
  readonly list: readonly ConfiguredDatabase[];
  /** Lower-case identifiers of the discovered (not configured) databases. */
  readonly discovered: ReadonlySet<string>;
}

async function knownDatabases(ctx: PlanContext, deps: PlanDeps): Promise<KnownDatabases> {
  const list: ConfiguredDatabase[] = ctx.configured.map((d) => ({
    identifier: d.identifier,
    kind: d.kind,
    export: d.export,
    ...(d.optionGroups !== undefined && { optionGroups: d.optionGroups }),
  }));
  const discovered = new Set<string>();
  if (ctx.discoveryTags === undefined) return { list, discovered };
  const byId = new Map(list.map((d) => [d.identifier.toLowerCase(), d]));
  for (const d of await discoverDatabases(deps.rds, ctx.discoveryTags)) {
    const taken = byId.get(d.identifier);
    if (taken) {
      // Configured wins (its `export` too). Same identifier, other kind: identifiers select databases,
      // so the discovered one cannot be planned next to it.
      if (taken.kind !== d.kind) {
        deps.warn?.(
          `Tag discovery found ${databaseNoun(d.kind)} ${d.identifier}, but ${databaseNoun(taken.kind)} ${taken.identifier} ` +
            'already uses that identifier; the discovered one is not backed up. Remove its discovery tags or configure it explicitly.',
        );
      }
      continue;
    }
    const item: ConfiguredDatabase = { ...d, export: ctx.discoveryExport };
    byId.set(d.identifier, item);
    list.push(item);
    discovered.add(d.identifier);
  }
  return { list, discovered };
}

function parseArnInContext(arn: string, ctx: PlanContext): SnapshotArnParts {
  const parts = parseSnapshotArn(arn);
  if (!parts) {
    throw new InvalidInput(
      'sourceSnapshotArn: must be a DB snapshot ARN (arn:aws:rds:<region>:<account>:snapshot:<id>) or a DB cluster snapshot ARN (...:cluster-snapshot:<id>)',
    );
  }
  if (parts.accountId !== ctx.accountId || parts.region !== ctx.region) {
    throw new InvalidInput(
      `sourceSnapshotArn: the snapshot must be in this account and Region (${ctx.accountId}, ${ctx.region}), not ${parts.accountId}, ${parts.region}`,
    );
  }
  return parts;
}

const planned = (d: ConfiguredDatabase, runId: string, sourceSnapshotArn?: string): PlannedDatabase => ({
  database: { identifier: d.identifier, kind: d.kind },
  runId,
  export: d.export,
  ...(sourceSnapshotArn !== undefined && { sourceSnapshotArn }),
  optionGroups: d.optionGroups ?? {},
  blocked: null,
});

/**
 * Cross-account mode: marks DB instances whose snapshots can never be shared (option group with
 * permanent or persistent options, e.g. Oracle or SQL Server TDE, docs/aws-behaviour.md §15a) as
 * `blocked` with SnapshotNotShareable, so they fail at once with a clear message instead of daily at share.
 */
async function checkShareable(list: PlannedDatabase[], ctx: PlanContext, deps: PlanDeps): Promise<PlannedDatabase[]> {
  if (ctx.checkShareable !== true) return list;
  const instances = list.filter((p) => p.database.kind === 'instance').map((p) => p.database.identifier);
  const lockedById = await lockedOptionsOf(deps.rds, instances);
  const out: PlannedDatabase[] = [];
  for (const p of list) {
    const locked = p.database.kind === 'instance' ? lockedById.get(p.database.identifier.toLowerCase()) : undefined;
    if (!locked) {
      out.push(p);
      continue;
    }
    const err = new SnapshotNotShareable(
      `DB instance ${p.database.identifier} in account ${ctx.accountId} Region ${ctx.region} uses option group ${locked.optionGroupName} with permanent or ` +
        `persistent options [${locked.options.join(', ')}] (e.g. TDE). RDS cannot share snapshots with such options with another account ` +
        '(docs/aws-behaviour.md §15a), so this database cannot be copied to the vault account. Remove it from the configuration (or its discovery tags), ' +
        'or back it up with same-account mode or a native database backup (e.g. RMAN / SQL Server native backup to S3).',
    );
    out.push({ ...p, blocked: { error: err.name, cause: JSON.stringify({ errorType: err.name, errorMessage: err.message }) } });
  }
  return out;
}

/** The Map concurrency without `MAP_CONCURRENCY`: 50 children whatever the fleet (BackupRun's fixed MaxConcurrency before issue 12's plan-chosen one). */
export const FIXED_MAP_CONCURRENCY: MapConcurrencySettings = { max: 50, min: 50, instance: 50, cluster: 50 };

/**
 * The whole fleet in the Map's start order for `concurrency` children (./order.ts `fleetOrder`).
 * Ordering only speeds a run up, so a failed size lookup keeps the plan order and warns instead of failing the run.
 */
async function orderWholeFleet(list: PlannedDatabase[], concurrency: number, deps: PlanDeps): Promise<PlannedDatabase[]> {
  try {
    return await orderFleet(deps.rds, list, concurrency);
  } catch (err) {
    deps.warn?.(`Could not read the database sizes to order the fleet (${(err as Error)?.name}: ${(err as Error)?.message}); keeping the plan order.`);
    return list;
  }
}

function output(runId: string, trigger: RunTrigger, databases: PlannedDatabase[], known: KnownDatabases, skipped: PlanRunOutput['skipped'] = []): PlanRunOutput {
  return {
    runId,
    trigger,
    // Issue 12: an event run's database carries the trigger, so its ledger record also goes into the daily digest.
    databases: trigger === 'event' ? databases.map((d) => ({ ...d, trigger })) : databases,
    count: databases.length,
    skipped,
    concurrency: 1,
    discovered: databases.map((d) => d.database.identifier).filter((id) => known.discovered.has(id.toLowerCase())),
  };
}

/**
 * Plans a backup run.
 *
 * - `databases` omitted, no `sourceSnapshotArn`: every known database in the Map's start order
 *   (./order.ts `fleetOrder` by AllocatedStorage: longest first when the Map starts them all at once,
 *   else a ramp of every other database smallest first, then the rest largest first; issue 12),
 *   ties in configured-then-discovered order.
 * - `concurrency`: BackupRun's Map concurrency for the planned databases (./order.ts `mapConcurrency`
 *   within `ctx.mapConcurrency`).
 * - `databases` given: that subset in the given order, duplicates removed (identifiers compare
 *   case-insensitively; RDS stores them lower-case). With a `sourceSnapshotArn` it must name exactly
 *   one database whose kind matches the ARN (`snapshot` -> instance, `cluster-snapshot` -> cluster).
 * - `sourceSnapshotArn` without `databases`: the snapshot is described (DescribeDBSnapshots /
 *   DescribeDBClusterSnapshots) and its DBInstanceIdentifier / DBClusterIdentifier with the kind
 *   from the ARN is the database; it must be known.
 * - `trigger: 'event'` (EventBridge, an automated snapshot was just created) needs a
 *   `sourceSnapshotArn` and no `databases`. A database that is not known, a snapshot that is gone
 *   or a kind mismatch is NOT an error: nothing is planned and the reason is listed in `skipped`
 *   (events are best effort; the schedule is the backstop).
 *
 * The ARN must be a DB snapshot / DB cluster snapshot ARN of this account and Region.
 * `discovered` lists the planned databases that tag discovery added.
 *
 * @throws InvalidInput empty `databases`, bad ARN, ARN with zero or several databases, kind
 *   mismatch, `event` without `sourceSnapshotArn` or with `databases`.
 * @throws UnknownDatabase naming every requested identifier that is neither configured nor discovered.
 * @throws SnapshotNotFound (manual/schedule trigger) when the `sourceSnapshotArn` snapshot does not exist.
 */
export async function planRun(input: PlanRunInput, ctx: PlanContext, deps: PlanDeps): Promise<PlanRunOutput> {
  const plan = await planDatabases(input, ctx, deps);
  const checked = await checkShareable([...plan.databases], ctx, deps);
  const instances = checked.filter((d) => d.database.kind === 'instance').length;
  const concurrency = mapConcurrency({ instances, clusters: checked.length - instances }, ctx.mapConcurrency ?? FIXED_MAP_CONCURRENCY);
  return { ...plan, concurrency, databases: input.databases === undefined ? await orderWholeFleet(checked, concurrency, deps) : checked };
}

async function planDatabases(input: PlanRunInput, ctx: PlanContext, deps: PlanDeps): Promise<PlanRunOutput> {
  const trigger: RunTrigger = input.trigger ?? 'manual';
  const runId = input.runId;
  if (input.databases !== undefined && input.databases.length === 0) {
    throw new InvalidInput('databases: must list at least one database (omit it to back up all configured databases)');
  }
  if (trigger === 'event') {
    if (input.sourceSnapshotArn === undefined) throw new InvalidInput('sourceSnapshotArn: required when trigger is "event"');
    if (input.databases !== undefined) throw new InvalidInput('databases: must be omitted when trigger is "event" (the database is taken from sourceSnapshotArn)');
  }
  const arnParts = input.sourceSnapshotArn === undefined ? undefined : parseArnInContext(input.sourceSnapshotArn, ctx);

  const known = await knownDatabases(ctx, deps);
  const byId = new Map(known.list.map((d) => [d.identifier.toLowerCase(), d]));
  const unknown = (ids: string[]) => new UnknownDatabase(ids, known.list.map((d) => d.identifier), ctx.discoveryTags !== undefined);

  if (input.databases !== undefined) {
    const wanted = [...new Set(input.databases.map((d) => d.toLowerCase()))];
    const missing = wanted.filter((d) => !byId.has(d));
    if (missing.length > 0) throw unknown(missing);
    const selected = wanted.map((d) => byId.get(d)).filter((d): d is ConfiguredDatabase => d !== undefined);
    if (input.sourceSnapshotArn === undefined || arnParts === undefined) return output(runId, trigger, selected.map((d) => planned(d, runId)), known);
    if (selected.length !== 1) {
      throw new InvalidInput(
        `sourceSnapshotArn: requires exactly one database in "databases", got ${selected.length} (${selected.map((d) => d.identifier).join(', ')})`,
      );
    }
    const only = selected[0] as ConfiguredDatabase;
    if (only.kind !== arnParts.kind) throw kindMismatch(arnParts, only);
    return output(runId, trigger, [planned(only, runId, input.sourceSnapshotArn)], known);
  }

  if (input.sourceSnapshotArn === undefined || arnParts === undefined) return output(runId, trigger, known.list.map((d) => planned(d, runId)), known);

  // Derive the database from the snapshot.
  const arn = input.sourceSnapshotArn;
  const skip = (identifier: string, reason: string): PlanRunOutput => output(runId, trigger, [], known, [{ identifier, reason }]);
  const record = await describeSnapshot(deps.rds, arnParts.kind, arnParts.identifier);
  if (!record?.dbIdentifier) {
    const reason = `${snapshotNoun(arnParts.kind)} ${arnParts.identifier} was not found in account ${ctx.accountId} Region ${ctx.region} (deleted since the event?)`;
    if (trigger === 'event') return skip(arnParts.identifier, reason);
    throw new SnapshotNotFound(`sourceSnapshotArn: ${reason}. Pass the ARN of an existing snapshot.`);
  }
  const dbId = record.dbIdentifier.toLowerCase();
  const match = byId.get(dbId);
  if (!match) {
    if (trigger === 'event') {
      return skip(
        dbId,
        `${databaseNoun(arnParts.kind)} ${dbId} (snapshot ${arnParts.identifier}) is not configured` +
          (ctx.discoveryTags === undefined ? '' : ' and does not carry the discovery tags'),
      );
    }
    throw unknown([dbId]);
  }
  if (match.kind !== arnParts.kind) {
    if (trigger === 'event') {
      return skip(dbId, `snapshot ${arnParts.identifier} is a ${snapshotNoun(arnParts.kind)}, but ${dbId} is configured as a ${databaseNoun(match.kind)}`);
    }
    throw kindMismatch(arnParts, match);
  }
  return output(runId, trigger, [planned(match, runId, arn)], known);
}

function kindMismatch(parts: SnapshotArnParts, db: DatabaseRef): InvalidInput {
  return new InvalidInput(
    `sourceSnapshotArn: a ${snapshotNoun(parts.kind)} ARN cannot be the source for ${databaseNoun(db.kind)} ${db.identifier}; ` +
      `use a ${db.kind === 'cluster' ? 'cluster-snapshot' : 'snapshot'} ARN`,
  );
}
