/**
 * poll-restore's contract (functions/poll-restore): environment (nothing beyond the common variables; it works in its own account
 * and Region). Invoked by RestoreDrill (statemachines/restore-drill.ts).
 */
import * as z from 'zod/mini';
import { pollSchema, targetSchema, type DrillTarget, type RestorePoll } from '../drill.js';
import { baseEnvShape } from '../rules.js';

/** Nothing beyond the common variables. */
export const environment = {};

/** Environment as the handler validates it. */
export const envSchema = z.object({ ...baseEnvShape, ...environment });

/** Input of poll-restore. */
export interface PollRestoreInput {
  readonly target: DrillTarget;
  /** The previous poll (or the state machine's initial one). */
  readonly previous: RestorePoll;
  readonly maxWaitSeconds: number;
}

/** Event schema ({@link PollRestoreInput}). */
export const inputSchema: z.ZodMiniType<PollRestoreInput> = z.object({ target: targetSchema, previous: pollSchema, maxWaitSeconds: z.number().check(z.positive()) });
