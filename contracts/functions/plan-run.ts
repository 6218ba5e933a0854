/**
 * plan-run's contract (functions/plan-run): the environment the stack sets. Its events and outputs:
 * PlanRunEvent, PlanItemEvent, PlanRunResult (contracts/shapes.ts, functions/plan-run/index.ts).
 */
import * as z from 'zod/mini';
import { bucketNameSchema, booleanFlagEnv, jsonEnv, policySchema } from '../rules.js';
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
  /** `'true'` in cross-account mode: DB instances whose option group has permanent or persistent options are failed at plan time (docs/aws-behaviour.md §15a). */
  CHECK_SHAREABLE: booleanFlagEnv,
};
