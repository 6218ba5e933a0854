/**
 * zod/mini schemas for the contract shapes that several handlers receive (shapes.ts).
 * Nested shapes passed through from earlier steps (SnapshotRef) strip unknown keys rather than
 * reject them, so adding an output field to a contract never breaks a later step.
 */
import * as z from 'zod/mini';
import type { DatabaseRef, SnapshotRef } from './shapes.js';
import { accountIdSchema, dbIdentifierSchema, nonEmpty, regionSchema } from './rules.js';

/** `instance` | `cluster`. */
export const databaseKindSchema = z.enum(['instance', 'cluster']);

/** {@link DatabaseRef}. */
export const databaseRefSchema: z.ZodMiniType<DatabaseRef> = z.object({
  identifier: dbIdentifierSchema,
  kind: databaseKindSchema,
});

/** ARN of a DB snapshot or DB cluster snapshot. */
export const snapshotArnSchema = z
  .string()
  .check(
    z.regex(
      /^arn:aws[a-z-]*:rds:[a-z0-9-]+:\d{12}:(snapshot|cluster-snapshot):[A-Za-z][A-Za-z0-9:-]*$/,
      'must be a DB snapshot or DB cluster snapshot ARN (arn:aws:rds:<region>:<account>:snapshot:<id> or :cluster-snapshot:<id>)',
    ),
  );

/** {@link SnapshotRef}. */
export const snapshotRefSchema: z.ZodMiniType<SnapshotRef> = z.object({
  kind: databaseKindSchema,
  identifier: nonEmpty,
  arn: snapshotArnSchema,
  accountId: accountIdSchema,
  region: regionSchema,
  status: z.string(),
  kmsKeyId: z.optional(z.string()),
  createTime: z.optional(z.string()),
  allocatedStorageGiB: z.optional(z.number()),
  engine: z.optional(z.string()),
  optionGroupName: z.optional(z.string()),
});

/** Step Functions run identifier (execution name: 1-80 characters). */
export const runIdSchema = z.string().check(z.minLength(1, 'must not be empty'), z.maxLength(80, 'must be at most 80 characters'));
