/**
 * check-recovery-points' contract (functions/check-recovery-points): environment and input. VaultRetention's
 * first step (statemachines/vault-retention.ts). Output: CheckRecoveryPointsOutput (functions/check-recovery-points/index.ts).
 */
import * as z from 'zod/mini';
import { baseEnvShape, nonEmpty } from '../rules.js';

/** Nothing beyond the common variables: it reads its own account and Region. */
export const environment = {};

/** Environment of check-recovery-points as the handler validates it. */
export const envSchema = z.object({ ...baseEnvShape, ...environment });

/** Event schema: the databases and their recovery point objectives (hours). */
export const inputSchema = z.object({
  databases: z.array(z.object({ identifier: nonEmpty, kind: z.enum(['instance', 'cluster']), rpoHours: z.number().check(z.positive()) })),
});

/** check-recovery-points' input. */
export type CheckRecoveryPointsInput = z.infer<typeof inputSchema>;
