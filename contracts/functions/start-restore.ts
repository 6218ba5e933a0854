/**
 * start-restore's contract (functions/start-restore): environment (nothing beyond the common variables; it works in its own account
 * and Region). Invoked by RestoreDrill (statemachines/restore-drill.ts).
 */
import * as z from 'zod/mini';
import { drillDatabaseSchema, settingsSchema, targetSchema } from '../drill.js';
import { baseEnvShape, nonEmpty } from '../rules.js';

/** Nothing beyond the common variables. */
export const environment = {};

/** Environment as the handler validates it. */
export const envSchema = z.object({ ...baseEnvShape, ...environment });

/** Event schema: one of three actions. */
export const inputSchema = z.discriminatedUnion('action', [
  z.object({ action: z.literal('restore'), database: drillDatabaseSchema, settings: settingsSchema, drillId: nonEmpty }),
  z.object({ action: z.literal('create-instance'), target: targetSchema, settings: settingsSchema, drillId: nonEmpty }),
  z.object({ action: z.literal('set-password'), target: targetSchema }),
]);

/** start-restore's input. */
export type StartRestoreInput = z.infer<typeof inputSchema>;
