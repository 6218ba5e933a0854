/**
 * notify's contract (functions/notify): environment, input and output. BackupRun invokes it once
 * per run (statemachines/backup-run.ts). Errors: InvalidEnvironment, InvalidInput, LedgerRecordInvalid.
 */
import * as z from 'zod/mini';
import { baseEnvShape, bucketNameSchema, snsTopicArnSchema } from '../rules.js';
import { runIdSchema } from '../schemas.js';
import type { NotifyOutput } from '../shapes.js';

export type { NotifyOutput };

/** The variables the stack sets for notify (besides ACCOUNT_ID and the Powertools ones, infra/constructs/vault-function.ts). */
export const environment = {
  /** The SNS topic the run summary is published to. */
  TOPIC_ARN: snsTopicArnSchema,
  /** Issue 9: recovery point objective in hours (default 26); older recovery points are reported RecoveryPointStale. */
  RPO_HOURS: z.optional(z.string().check(z.regex(/^\d+(\.\d+)?$/, 'must be a number of hours'))),
  /** Issue 12: the run ledger bucket (functions/shared/ledger.ts). */
  LEDGER_BUCKET: bucketNameSchema,
};

/** Environment of notify as the handler validates it. */
export const envSchema = z.object({ ...baseEnvShape, ...environment });

const inputShape = z.object({
  runId: runIdSchema,
  /** `event`: publish only when a database failed; successes go into the daily digest. @default 'manual' */
  trigger: z.optional(z.enum(['schedule', 'event', 'manual'])),
  /** Per database, its final status (a run whose plan is inline). */
  results: z.optional(
    z.array(
      z.object({
        /** DBInstanceIdentifier or DBClusterIdentifier. */
        database: z.string().check(z.minLength(1)),
        status: z.enum(['SUCCEEDED', 'FAILED']),
        /** FAILED: the child execution's error name (e.g. `SnapshotCopyTimedOut`), or a Step Functions name. */
        error: z.optional(z.string()),
      }),
    ),
  ),
  /** Plan chunk objects of the run (`PlanRunResult.chunks`): the results are read from the run ledger. */
  chunks: z.optional(z.number().check(z.int(), z.gte(0))),
});

/** notify's input: a run and exactly one of `results` and `chunks`. */
export type NotifyInput = z.infer<typeof inputShape>;

/** Event schema ({@link NotifyInput}): exactly one of `results` and `chunks`. */
export const inputSchema = inputShape.check(
  z.refine((e: NotifyInput) => (e.results === undefined) !== (e.chunks === undefined), 'exactly one of results and chunks'),
);
