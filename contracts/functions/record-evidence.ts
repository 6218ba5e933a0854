/**
 * record-evidence's contract (functions/record-evidence): environment, input and output. Invoked by
 * RestoreDrill's `RecordEvidence` with the whole per-database drill state.
 */
import * as z from 'zod/mini';
import { databaseRefSchema, pollSchema, targetSchema, type DrillTarget, type RestorePoll, type ValidationResult } from '../drill.js';
import { baseEnvShape, bucketNameSchema, nonEmpty } from '../rules.js';
import type { DatabaseRef } from '../shapes.js';

/** The variables the stack sets for record-evidence. */
export const environment = {
  /** Evidence bucket name. */
  EVIDENCE_BUCKET: bucketNameSchema,
  /** Key prefix, e.g. `drills`. */
  EVIDENCE_PREFIX: nonEmpty,
};

/** Environment as the handler validates it. */
export const envSchema = z.object({ ...baseEnvShape, ...environment });

/** A Step Functions error caught into the state (`{ Error, Cause }`). */
export interface CaughtError {
  readonly Error: string;
  readonly Cause?: string;
}

/** The drill state record-evidence receives (fields are absent when the drill did not get that far). */
export interface DrillState {
  readonly drillId: string;
  readonly database: DatabaseRef;
  readonly target?: DrillTarget;
  readonly poll?: RestorePoll;
  readonly validation?: ValidationResult;
  readonly failure?: CaughtError;
  readonly cleanup?: { deleted: string[]; alreadyGone: string[] };
  readonly cleanupError?: CaughtError;
}

/** Input of record-evidence: the whole per-database drill state. */
export interface RecordEvidenceInput {
  readonly drill: DrillState;
}

/** What the state machine keeps per database (small: the record itself is in S3). */
export interface EvidenceSummary {
  readonly database: string;
  readonly status: 'PASSED' | 'FAILED';
  readonly rtoSeconds?: number;
  readonly rpoHoursAtDrill?: number;
  readonly checksPassed: number;
  readonly checksTotal: number;
  readonly evidenceKey: string;
  readonly error?: string;
  readonly cleanupDone: boolean;
}

const caught = z.optional(z.object({ Error: z.string(), Cause: z.optional(z.string()) }));

/** Event schema: `{ drill: <the per-database drill state> }`. */
export const inputSchema = z.object({
  drill: z.object({
    drillId: nonEmpty,
    database: databaseRefSchema,
    target: z.optional(targetSchema),
    poll: z.optional(pollSchema),
    validation: z.optional(z.object({ driver: z.enum(['pg', 'mysql2', 'none']), note: z.optional(z.string()), checks: z.array(z.any()) })),
    failure: caught,
    cleanup: z.optional(z.object({ deleted: z.array(z.string()), alreadyGone: z.array(z.string()) })),
    cleanupError: caught,
  }),
}) as unknown as z.ZodMiniType<RecordEvidenceInput>;
