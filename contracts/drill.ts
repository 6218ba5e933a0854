/**
 * Restore drills (issue 9): the contracts between the RestoreDrill state machine
 * (statemachines/restore-drill.ts) and its functions (plan-drill, start-restore, poll-restore,
 * validate-restore, cleanup-drill, record-evidence), their schemas, the drill resource names and
 * the named errors. Times are ISO-8601 UTC strings, durations seconds.
 */
import { createHash } from 'node:crypto';
import * as z from 'zod/mini';
import type { DatabaseKind, DatabaseRef } from './shapes.js';
import { nonEmpty } from './rules.js';

/** Tag on every drill DB instance / DB cluster (value `true`); the drill roles may only restore, modify and delete resources carrying it. */
export const DRILL_TAG = 'rds-snapshot-vault:drill';
/** Tag naming the drill (execution) a resource belongs to. */
export const DRILL_ID_TAG = 'rds-snapshot-vault:drill-id';
/** Every drill DB instance / DB cluster identifier starts with this (IAM resource patterns use it too). */
export const DRILL_IDENTIFIER_PREFIX = 'rsv-drill-';

/** What a check expects (see infra/config/schema.ts `DrillExpect`). */
export interface DrillExpectation {
  readonly minRows?: number;
  readonly nonEmpty?: true;
  readonly equals?: string | number | boolean;
  readonly maxAgeHours?: number;
}
/** One named SQL check. */
export interface DrillCheck {
  readonly name: string;
  readonly sql: string;
  readonly expect: DrillExpectation;
}
/** A database as the drill sees it: its ref, the database name to connect to, its checks. */
export interface DrillDatabase extends DatabaseRef {
  readonly databaseName?: string;
  readonly checks: readonly DrillCheck[];
  /**
   * `true` for a database that is not configured but has managed copies in the vault (tag-discovered,
   * or removed from the configuration): drilled with restore and RTO only, no data checks.
   */
  readonly discovered?: true;
}
/** Per-run settings fixed at synth (from `restoreDrill` in the config and the vault stack). */
export interface DrillSettings {
  readonly instanceClass: string;
  readonly clusterInstanceClass: string;
  readonly maxWaitSeconds: number;
  readonly subnetGroupName: string;
  readonly securityGroupIds: readonly string[];
}

/** The drill resources of one database: deterministic, so cleanup can find them without StartRestore's output. */
export interface DrillResourceNames {
  /** The DB instance (standalone, or the one DB instance of the Aurora DB cluster). */
  readonly instanceIdentifier: string;
  /** The Aurora DB cluster (cluster drills only). */
  readonly clusterIdentifier?: string;
}

/**
 * `rsv-drill-<8 hex of the drill id>-<database>`, cut to 60 characters (the DB instance of a cluster
 * adds `-i1`); always a valid DB identifier (1-63 letters, digits, hyphens, starting with a letter,
 * no `--`, no trailing hyphen).
 * Source: https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_RestoreDBInstanceFromDBSnapshot.html
 */
export function drillResourceNames(database: DatabaseRef, drillId: string): DrillResourceNames {
  const h = createHash('sha256').update(drillId).digest('hex').slice(0, 8);
  const db = database.identifier.toLowerCase().replace(/[^a-z0-9-]+/g, '-').replace(/-{2,}/g, '-');
  const base = `${DRILL_IDENTIFIER_PREFIX}${h}-${db}`.slice(0, 60).replace(/-+$/, '');
  return database.kind === 'cluster' ? { clusterIdentifier: base, instanceIdentifier: `${base}-i1` } : { instanceIdentifier: base };
}

/** What start-restore started (the newest available vault copy and the drill resources). */
export interface DrillTarget extends DrillResourceNames {
  readonly database: DatabaseRef;
  readonly engine: string;
  /** The vault copy restored. */
  readonly snapshotArn: string;
  /** Its recovery point time (OriginalSnapshotCreateTime; see recovery-points.ts). */
  readonly snapshotTime: string;
  /** Age of that recovery point when the drill started, hours. */
  readonly rpoHoursAtDrill: number;
  readonly restoreStartedAt: string;
}

/** poll-restore's report: facts, and the next step the state machine takes. */
export interface RestorePoll {
  /** Status of the DB instance (for a cluster drill: `<cluster status>/<instance status>`). */
  readonly status: string;
  /** `wait` (poll again), `create-instance` (Aurora: the cluster is available, add its DB instance), `set-password`, `validate`. */
  readonly nextAction: 'wait' | 'create-instance' | 'set-password' | 'validate';
  /** First time the restore was seen available (DB instance, or cluster and its DB instance); kept across polls. */
  readonly availableAt?: string;
  /** Seconds from restore start to availableAt (the RTO evidence). */
  readonly rtoSeconds?: number;
  readonly endpoint?: { readonly host: string; readonly port: number };
  /** DBName / DatabaseName RDS reports for the restored database. */
  readonly dbName?: string;
  readonly secretArn?: string;
  /** Seconds since restore start. */
  readonly elapsedSeconds: number;
  readonly timedOut: boolean;
  /** Seconds the state machine waits before the next poll. */
  readonly waitSeconds: number;
  readonly attempt: number;
}

/** One check's outcome. */
export interface CheckResult {
  readonly name: string;
  readonly sql: string;
  readonly expect: DrillExpectation;
  readonly passed: boolean;
  /** What was found, e.g. `{ rows: 0 }`, `{ value: "42" }`, `{ newest: "...", ageHours: 30.5 }`. */
  readonly actual: Record<string, unknown>;
}

/** validate-restore's output. */
export interface ValidationResult {
  /** `pg`, `mysql2`, or `none` (no driver for the engine: restore and RTO only). */
  readonly driver: 'pg' | 'mysql2' | 'none';
  /** Why there are no data checks, when there are none. */
  readonly note?: string;
  readonly checks: readonly CheckResult[];
}

// ---------------------------------------------------------------- schemas

const kindSchema = z.enum(['instance', 'cluster']);
const iso = z.string().check(z.minLength(20));
export const databaseRefSchema: z.ZodMiniType<DatabaseRef> = z.object({ identifier: nonEmpty, kind: kindSchema });
export const expectationSchema: z.ZodMiniType<DrillExpectation> = z.object({
  minRows: z.optional(z.number()),
  nonEmpty: z.optional(z.literal(true)),
  equals: z.optional(z.union([z.string(), z.number(), z.boolean()])),
  maxAgeHours: z.optional(z.number()),
});
export const checkSchema: z.ZodMiniType<DrillCheck> = z.object({ name: nonEmpty, sql: nonEmpty, expect: expectationSchema });
export const drillDatabaseSchema: z.ZodMiniType<DrillDatabase> = z.object({
  identifier: nonEmpty,
  kind: kindSchema,
  databaseName: z.optional(nonEmpty),
  checks: z.array(checkSchema),
  discovered: z.optional(z.literal(true)),
});
export const settingsSchema: z.ZodMiniType<DrillSettings> = z.object({
  instanceClass: nonEmpty,
  clusterInstanceClass: nonEmpty,
  maxWaitSeconds: z.number().check(z.positive()),
  subnetGroupName: nonEmpty,
  securityGroupIds: z.array(nonEmpty),
});
export const targetSchema: z.ZodMiniType<DrillTarget> = z.object({
  database: databaseRefSchema,
  engine: nonEmpty,
  snapshotArn: nonEmpty,
  snapshotTime: iso,
  rpoHoursAtDrill: z.number(),
  restoreStartedAt: iso,
  instanceIdentifier: nonEmpty,
  clusterIdentifier: z.optional(nonEmpty),
});
export const pollSchema = z.object({
  status: z.string(),
  nextAction: z.enum(['wait', 'create-instance', 'set-password', 'validate']),
  availableAt: z.optional(iso),
  rtoSeconds: z.optional(z.number()),
  endpoint: z.optional(z.object({ host: nonEmpty, port: z.number() })),
  dbName: z.optional(z.string()),
  secretArn: z.optional(nonEmpty),
  elapsedSeconds: z.number(),
  timedOut: z.boolean(),
  waitSeconds: z.number(),
  attempt: z.number(),
}) as z.ZodMiniType<RestorePoll>;

/** The state machine's initial poll state (before the first PollRestore). */
export const INITIAL_POLL = { status: 'not-started', nextAction: 'wait', elapsedSeconds: 0, timedOut: false, waitSeconds: 60, attempt: 0 } as const;

export type { DatabaseKind };

// ---------------------------------------------------------------- named errors

/** start-restore: the database has no `available` managed copy in the vault (nothing to restore). */
export class NoRecoveryPoint extends Error {
  constructor(database: DatabaseRef, detail: string) {
    super(`No available vault copy of ${database.kind === 'cluster' ? 'DB cluster' : 'DB instance'} ${database.identifier} to restore: ${detail}`);
    this.name = 'NoRecoveryPoint';
  }
}

/** plan-drill: a requested database is neither configured nor has managed copies in the vault. */
export class UnknownDrillDatabase extends Error {
  constructor(names: readonly string[], known: readonly string[]) {
    super(`Neither configured nor with managed copies in the vault, so nothing to drill: ${names.join(', ')}. Known: ${known.join(', ') || '(none)'}.`);
    this.name = 'UnknownDatabase';
  }
}

/**
 * validate-restore: at least one check failed. The message names every failed check with its
 * query, the expected and the actual values, then `Results: <JSON of every CheckResult>` so the
 * evidence keeps every check's result.
 */
export class RestoreCheckFailed extends Error {
  readonly results: readonly CheckResult[];
  constructor(database: string, results: readonly CheckResult[]) {
    const failed = results.filter((r) => !r.passed);
    super(
      `${failed.length} of ${results.length} restore checks failed for ${database}: ` +
        failed.map((r) => `${r.name} [${r.sql}] expected ${JSON.stringify(r.expect)}, actual ${JSON.stringify(r.actual)}`).join('; ') +
        `. Results: ${JSON.stringify(results)}`,
    );
    this.name = 'RestoreCheckFailed';
    this.results = results;
  }
}

/** validate-restore: the master user secret is missing or malformed. */
export class MasterSecretUnusable extends Error {
  constructor(secretArn: string, why: string) {
    super(`The master user secret ${secretArn} cannot be used: ${why}`);
    this.name = 'MasterSecretUnusable';
  }
}
