/**
 * create-copy's contract (functions/create-copy): environment and input. Invoked by DatabaseBackup's
 * `CreateCopy` with the whole state (a PlannedDatabase). Input/output: CreateCopyInput,
 * CreateCopyOutput (contracts/shapes.ts).
 */
import * as z from 'zod/mini';
import { slotEnvShape } from '../copy-slots.js';
import { baseEnvShape, kmsKeyArnSchema, kmsKeyLocatedIn } from '../rules.js';
import { databaseRefSchema, runIdSchema, snapshotArnSchema } from '../schemas.js';
import type { CreateCopyInput, CreateCopyOutput } from '../shapes.js';

export type { CreateCopyInput, CreateCopyOutput };

/** The variables the stack sets for create-copy. */
export const environment = {
  /** ARN of the source stack's customer-managed KMS key used for the manual copy (this account and Region). */
  SOURCE_KMS_KEY_ARN: kmsKeyArnSchema,
  ...slotEnvShape,
};

const envShape = z.object({ ...baseEnvShape, ...environment });

/** Environment as the handler validates it (the key in the function's own account and Region). */
export const envSchema = envShape.check(kmsKeyLocatedIn<z.infer<typeof envShape>>('SOURCE_KMS_KEY_ARN', 'ACCOUNT_ID', 'AWS_REGION'));

/** Event schema (unknown keys of the DatabaseBackup state it is given are stripped). */
export const inputSchema: z.ZodMiniType<CreateCopyInput> = z.object({
  database: databaseRefSchema,
  runId: runIdSchema,
  sourceSnapshotArn: z.optional(snapshotArnSchema),
  /** Issue 12: `event` for an event-started run (the plan item's trigger): a hopeless slot wait is deferred to the scheduled run. */
  trigger: z.optional(z.literal('event')),
});
