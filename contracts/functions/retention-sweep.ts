/**
 * retention-sweep's contract (functions/retention-sweep): environment and the three events (sweep
 * one database, list the databases a retention run covers, sweep the removed databases) with their
 * outputs (contracts/shapes.ts). Invoked by DatabaseBackup, BackupRun and VaultRetention.
 */
import * as z from 'zod/mini';
import { accountIdSchema, baseEnvShape, jsonEnv, nonEmpty, policySchema } from '../rules.js';
import { databaseRefSchema } from '../schemas.js';
import type { ListManagedDatabasesInput, ListManagedDatabasesOutput, RetentionSweepInput, RetentionSweepOutput, SweepRemovedDatabasesInput, SweepRemovedDatabasesOutput } from '../shapes.js';

export { policySchema };
export type { ListManagedDatabasesInput, ListManagedDatabasesOutput, RetentionSweepInput, RetentionSweepOutput, SweepRemovedDatabasesInput, SweepRemovedDatabasesOutput };

/** The variables the stack sets for retention-sweep (it sweeps its own account and Region). */
export const environment = {
  /**
   * Source stack only: name of the bundled file (`$LAMBDA_TASK_ROOT/<name>`, as plan-run's) holding the
   * configured databases, which BackupRun's `sweepRemoved` reads instead of receiving the list in its
   * Task input (issue 12). The handler reads it into `DATABASES` before validating.
   */
  DATABASES_FILE: z.optional(z.string()),
};

/** Environment of retention-sweep as the handler validates it: `DATABASES` is filled from `DATABASES_FILE`. */
export const envSchema = z.object({ ...baseEnvShape, DATABASES: z.optional(jsonEnv(z.array(databaseRefSchema))) });

/** Sweep event schema (strict at the top level and in `policy`). */
export const sweepInputSchema: z.ZodMiniType<RetentionSweepInput> = z.strictObject({
  database: databaseRefSchema,
  policy: policySchema,
  dryRun: z.optional(z.boolean()),
  protectIdentifier: z.optional(nonEmpty),
  markVaulted: z.optional(z.strictObject({ identifier: nonEmpty, anyDrCopyFailed: z.optional(z.boolean()) })),
  requireVaulted: z.optional(z.boolean()),
  provenanceAccounts: z.optional(z.array(accountIdSchema).check(z.minLength(1))),
});

/** Removed-database sweep event schema: `{ sweepRemoved: { configured, policy, dryRun? } }` (BackupRun's last sweep). */
export const sweepRemovedInputSchema: z.ZodMiniType<SweepRemovedDatabasesInput> = z.strictObject({
  sweepRemoved: z.strictObject({ configured: z.optional(z.array(databaseRefSchema)), policy: policySchema, dryRun: z.optional(z.boolean()) }),
});

/** List event schema: `{ listDatabases: { configured: DatabaseRef[] } }` (VaultRetention's first step). */
export const listInputSchema: z.ZodMiniType<ListManagedDatabasesInput> = z.strictObject({
  listDatabases: z.strictObject({ configured: z.array(databaseRefSchema) }),
});

export type RetentionEvent = RetentionSweepInput | ListManagedDatabasesInput | SweepRemovedDatabasesInput;

/**
 * Either event: a sweep of one database, or (with a `listDatabases` key) the list of databases to
 * sweep. The shape is chosen by that key first, so validation errors keep their field paths.
 */
export const inputSchema: z.ZodMiniType<RetentionEvent> = z.pipe(
  z.unknown(),
  z.transform((event: unknown, ctx) => {
    const has = (key: string) => event !== null && typeof event === 'object' && key in event;
    const schema: z.ZodMiniType<RetentionEvent> = has('listDatabases') ? listInputSchema : has('sweepRemoved') ? sweepRemovedInputSchema : sweepInputSchema;
    const parsed = schema.safeParse(event);
    if (parsed.success) return parsed.data;
    for (const issue of parsed.error.issues) ctx.issues.push({ ...issue, input: event } as never);
    return z.NEVER;
  }),
);

