/**
 * plan-drill's contract (functions/plan-drill): environment (nothing beyond the common variables; it works in its own account
 * and Region). Invoked by RestoreDrill (statemachines/restore-drill.ts).
 */
import * as z from 'zod/mini';
import { drillDatabaseSchema } from '../drill.js';
import { baseEnvShape, nonEmpty } from '../rules.js';

/** Nothing beyond the common variables. */
export const environment = {};

/** Environment as the handler validates it. */
export const envSchema = z.object({ ...baseEnvShape, ...environment });

/** Event schema. */
export const inputSchema = z.object({
  /** The configured drill databases. */
  configured: z.array(drillDatabaseSchema),
  /** Identifiers requested by a manual start (`databases`), else empty. */
  requested: z.array(nonEmpty),
  /** true for a manual start with `databases`. */
  subset: z.boolean(),
  /** 0 = all. */
  sampleSize: z.number().check(z.int(), z.gte(0)),
});

/** plan-drill's input. */
export type PlanDrillInput = z.infer<typeof inputSchema>;
