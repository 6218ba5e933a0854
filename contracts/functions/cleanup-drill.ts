/**
 * cleanup-drill's contract (functions/cleanup-drill): environment (nothing beyond the common variables; it works in its own account
 * and Region). Invoked by RestoreDrill (statemachines/restore-drill.ts).
 */
import * as z from 'zod/mini';
import { databaseRefSchema } from '../drill.js';
import { baseEnvShape, nonEmpty } from '../rules.js';

/** Nothing beyond the common variables. */
export const environment = {};

/** Environment as the handler validates it. */
export const envSchema = z.object({ ...baseEnvShape, ...environment });

/** Event schema: `{ sweep: true }` (delete every drill resource left by earlier drills) or one drill's `{ database, drillId }`. */
export const inputSchema = z.union([z.object({ sweep: z.literal(true) }), z.object({ database: databaseRefSchema, drillId: nonEmpty })]);

/** cleanup-drill's input. */
export type CleanupDrillInput = z.infer<typeof inputSchema>;
