/**
 * plan-run's contract (functions/plan-run): the environment the stack sets and the event schema.
 * Its events and outputs: PlanRunEvent (BackupRun's `PlanRun`), PlanItemEvent (`ReadPlanItem`),
 * PlanRunResult, PlannedDatabase (contracts/shapes.ts). The handler's own environment schema (with
 * `DATABASES` read from `DATABASES_FILE`) is in functions/plan-run/index.ts.
 */
import * as z from 'zod/mini';
import { bucketNameSchema, booleanFlagEnv, jsonEnv, policySchema } from '../rules.js';
import { runIdSchema } from '../schemas.js';
import type { PlanItemEvent, PlannedDatabase, PlanRunEvent, PlanRunInput, PlanRunResult } from '../shapes.js';

export type { PlanItemEvent, PlannedDatabase, PlanRunEvent, PlanRunInput, PlanRunResult };

/**
 * `DISCOVERY_TAGS`: 1-50 tags, keys 1-128 and values 0-256 characters (RDS tag limits,
 * https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/USER_Tagging.html).
 */
const discoveryTagsSchema = z.record(z.string().check(z.minLength(1), z.maxLength(128)), z.string().check(z.maxLength(256))).check(
  z.refine((tags: Record<string, string>) => Object.keys(tags).length >= 1, 'must name at least one tag (omit the variable to disable discovery)'),
  z.refine((tags: Record<string, string>) => Object.keys(tags).length <= 50, 'must name at most 50 tags'),
);

/**
 * `MAP_CONCURRENCY` (issue 12): the bounds within which plan-run chooses BackupRun's Map concurrency
 * for each run (functions/plan-run/order.ts `mapConcurrency`), set by the stack from the config
 * (statemachines/map-concurrency.ts `mapConcurrencySettings`). Whole numbers:
 * - `max`: `concurrency.maxDatabasesInParallel`, never exceeded (1-200);
 * - `min`: never fewer than this many children while that many databases are planned (1..max): the
 *   execution timeout counts waves of `min` (statemachines/timeouts.ts);
 * - `instance`, `cluster`: children that keep every copy slot of that kind busy along a database's
 *   copies in a row (its pipeline), >= 1.
 */
export interface MapConcurrencySettings {
  readonly max: number;
  readonly min: number;
  readonly instance: number;
  readonly cluster: number;
}

const wholeNumber = (lo: number, hi: number) => z.number().check(z.int(), z.gte(lo), z.lte(hi));
/** Schema of {@link MapConcurrencySettings}: `min` <= `max`. */
export const mapConcurrencySettingsSchema = z
  .strictObject({ max: wholeNumber(1, 200), min: wholeNumber(1, 200), instance: wholeNumber(1, 10_000), cluster: wholeNumber(1, 10_000) })
  .check(z.refine((s: MapConcurrencySettings) => s.min <= s.max, 'min must be at most max'));

/** The variables the stack sets for plan-run. */
export const environment = {
  /**
   * Name of the bundled file (`$LAMBDA_TASK_ROOT/<name>`) holding the JSON array of configured
   * databases `{ identifier, kind, export, optionGroups? }` (any number: the 4 KB environment would hold ~55).
   * The handler reads it into `DATABASES` (the same JSON inline, accepted but not set by the stack).
   */
  DATABASES_FILE: z.string(),
  /** Issue 12: the run ledger bucket the plan is written to and read from. */
  LEDGER_BUCKET: bucketNameSchema,
  /** JSON retention policy of the source copies: plan-run checks the manual snapshot quotas against it. */
  SOURCE_RETENTION: z.optional(jsonEnv(policySchema)),
  /** JSON object tag key -> value (absent = no tag discovery). */
  DISCOVERY_TAGS: z.optional(jsonEnv(discoveryTagsSchema)),
  /** Whether discovered databases are exported (only with DISCOVERY_TAGS). */
  DISCOVERY_EXPORT: booleanFlagEnv,
  /**
   * Issue 12: JSON {@link MapConcurrencySettings}, how many child executions BackupRun's Map may run
   * at once (plan-run chooses within it per run). Absent: 50 whatever the fleet (the fixed MaxConcurrency before).
   */
  MAP_CONCURRENCY: z.optional(jsonEnv(mapConcurrencySettingsSchema)),
  /** `'true'` in cross-account mode: DB instances whose option group has permanent or persistent options are failed at plan time (docs/aws-behaviour.md §15a). */
  CHECK_SHAREABLE: booleanFlagEnv,
};

/**
 * Event schema: `{ input: <the BackupRun execution input>, runId: <execution name> }`, as the
 * PlanRun state passes them (Step Functions cannot merge the two into one object). The execution
 * input is strict, so a misspelt key (`database`) fails instead of silently backing up everything.
 */
export const inputSchema = z
  .strictObject({
    input: z.optional(
      z.strictObject({
        trigger: z.optional(z.enum(['schedule', 'event', 'manual'])),
        databases: z.optional(z.array(z.string().check(z.minLength(1, 'must not be empty')))),
        sourceSnapshotArn: z.optional(z.string().check(z.minLength(1, 'must not be empty'))),
      }),
    ),
    runId: runIdSchema,
    /** Item mode (issue 12): the 0-based index of the plan item to read. */
    index: z.optional(z.number().check(z.int(), z.gte(0))),
  })
  .check(
    z.refine((e: { input?: unknown; index?: unknown }) => (e.input === undefined) !== (e.index === undefined), 'give exactly one of input (plan a run) and index (read a plan item)'),
  ) as unknown as z.ZodMiniType<PlanRunEvent | PlanItemEvent>;
