/**
 * record-result's contract (functions/record-result): environment, input and output.
 * DatabaseBackup's last step on every path (`RecordSuccess`, `RecordFailure`, and issue 12's `RecordDeferral`).
 */
import * as z from 'zod/mini';
import { baseEnvShape, bucketNameSchema } from '../rules.js';
import { databaseRefSchema, runIdSchema } from '../schemas.js';
import type { DatabaseBackupOutput, DatabaseRef, RecordStatus, RunTrigger } from '../shapes.js';

/** The variables the stack sets for record-result. */
export const environment = {
  /** Issue 12: the run ledger bucket it writes each database's record to. */
  LEDGER_BUCKET: bucketNameSchema,
};

/** Environment as the handler validates it. */
export const envSchema = z.object({ ...baseEnvShape, ...environment });

/** Input: the DatabaseBackup state at the end of its success or failure path. */
export type RecordResultInput =
  | {
      readonly outcome: 'SUCCEEDED';
      /** The DatabaseBackup state; `result` = the DatabaseBackup output (RecordSuccess passes it beside the state instead). */
      readonly state: { readonly database: DatabaseRef; readonly runId: string; readonly trigger?: RunTrigger; readonly result: DatabaseBackupOutput };
    }
  | {
      readonly outcome: 'SUCCEEDED';
      readonly state: { readonly database: DatabaseRef; readonly runId: string; readonly trigger?: RunTrigger };
      /** The DatabaseBackup output, built by RecordSuccess's Parameters. */
      readonly result: DatabaseBackupOutput;
    }
  | {
      readonly outcome: 'FAILED';
      /** `error` = the caught `{ Error, Cause }` of the step that failed. */
      readonly state: { readonly database: DatabaseRef; readonly runId: string; readonly trigger?: RunTrigger; readonly error?: { readonly Error?: string; readonly Cause?: string } };
    }
  | {
      /**
       * Issue 12: an event-started run's first copy step deferred the database to the scheduled run
       * (`RecordDeferral`); `error` = the caught `{ Error: 'CopySlotsDeferred', Cause }` (Cause: the
       * Lambda error JSON, whose `errorMessage` is the reason: queue, expected turn, destination, kind).
       */
      readonly outcome: 'DEFERRED';
      readonly state: { readonly database: DatabaseRef; readonly runId: string; readonly trigger?: RunTrigger; readonly error?: { readonly Error?: string; readonly Cause?: string } };
    };

/** What DatabaseBackup (and, through it, BackupRun) keeps: fixed size. */
export interface RecordResultOutput {
  readonly database: string;
  /** `DEFERRED` (issue 12): left to the scheduled run, no copy made; not a failure. */
  readonly status: RecordStatus;
  /** FAILED: the error name (<= 256 characters, Step Functions' own bound on error names). */
  readonly error?: string;
  /** The ledger key of the record (`runs/<runId>/<database>.json`). */
  readonly key: string;
}

const stateBase = { database: databaseRefSchema, runId: runIdSchema, trigger: z.optional(z.enum(['schedule', 'event', 'manual'])) };

const resultSchema = z.looseObject({ summary: z.looseObject({ copy: z.string() }) });

/** Event schema: `{ outcome, state }` (outcome SUCCEEDED, FAILED or DEFERRED) or `{ outcome: 'SUCCEEDED', state, result }` (the rest is passed through unchecked into the record). */
export const inputSchema = z.union([
  z.object({ outcome: z.literal('SUCCEEDED'), state: z.looseObject(stateBase), result: resultSchema }),
  z.object({ outcome: z.literal('SUCCEEDED'), state: z.looseObject({ ...stateBase, result: resultSchema }) }),
  z.object({ outcome: z.literal('FAILED'), state: z.looseObject({ ...stateBase, error: z.optional(z.looseObject({ Error: z.optional(z.string()), Cause: z.optional(z.string()) })) }) }),
  z.object({ outcome: z.literal('DEFERRED'), state: z.looseObject({ ...stateBase, error: z.optional(z.looseObject({ Error: z.optional(z.string()), Cause: z.optional(z.string()) })) }) }),
]) as unknown as z.ZodMiniType<RecordResultInput>;
