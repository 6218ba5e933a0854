/**
 * plan-drill Lambda (issue 9): which databases this RestoreDrill run restores.
 *
 * - A manual start naming `requested` databases drills exactly those (each must be configured).
 * - Otherwise, with `sampleSize` N: a rotating sample of N configured databases, moving on by N each
 *   ISO week (week number since 1970-01-05 of `now`), so every database is drilled within
 *   ceil(count / N) weeks; without a sample size: all configured databases.
 *
 * Environment: AWS_REGION, ACCOUNT_ID. AWS: none.
 * Input `{ configured: DrillDatabase[], requested: string[], subset: boolean, sampleSize: number (0 = all) }`,
 * output `{ databases: DrillDatabase[], rotation?: { week, offset } }`.
 * Errors: InvalidEnvironment, InvalidInput, UnknownDatabase.
 */
import * as z from 'zod/mini';
import { createClientFactory } from '../shared/clients.js';
import { drillDatabaseSchema, UnknownDrillDatabase, type DrillDatabase } from '../shared/drill.js';
import { baseEnvShape, nonEmpty } from '../shared/env.js';
import { lazyHandler, makeHandler, type HandlerDeps, type LambdaHandler } from '../shared/handler.js';

export type { HandlerDeps } from '../shared/handler.js';

/** Environment of plan-drill. */
export const envSchema = z.object({ ...baseEnvShape });

/** Event schema. */
export const inputSchema = z.object({
  configured: z.array(drillDatabaseSchema),
  requested: z.array(nonEmpty),
  /** true for a manual start with `databases`. */
  subset: z.boolean(),
  /** 0 = all. */
  sampleSize: z.number().check(z.int(), z.gte(0)),
});

/** Output of plan-drill. */
export interface DrillPlan {
  readonly databases: DrillDatabase[];
  readonly rotation?: { readonly week: number; readonly offset: number };
}

const WEEK_MS = 7 * 86_400_000;
/** A Monday, so weeks turn over on Monday 00:00 UTC. */
const EPOCH_MONDAY = Date.UTC(1970, 0, 5);

/** The plan (pure). @throws UnknownDatabase */
export function planDrill(input: z.infer<typeof inputSchema>, now: Date): DrillPlan {
  const { configured } = input;
  if (input.subset) {
    const byId = new Map(configured.map((d) => [d.identifier.toLowerCase(), d]));
    const unknown = input.requested.filter((r) => !byId.has(r.toLowerCase()));
    if (unknown.length > 0) throw new UnknownDrillDatabase(unknown, configured.map((d) => d.identifier));
    return { databases: [...new Set(input.requested.map((r) => r.toLowerCase()))].map((r) => byId.get(r)!) };
  }
  const n = input.sampleSize;
  if (n === 0 || n >= configured.length) return { databases: [...configured] };
  const week = Math.floor((now.getTime() - EPOCH_MONDAY) / WEEK_MS);
  const offset = (week * n) % configured.length;
  const databases = Array.from({ length: n }, (_, i) => configured[(offset + i) % configured.length]!);
  return { databases, rotation: { week, offset } };
}

/** Builds the plan-drill handler. */
export function createHandler(deps: HandlerDeps): LambdaHandler<DrillPlan> {
  return makeHandler({ name: 'plan-drill', deps, envSchema, inputSchema, run: async (input, { now }) => planDrill(input, now()) });
}

/** The Lambda entry point (built on first invocation; importing this module has no side effects). */
export const handler = lazyHandler(() =>
  createHandler({ env: process.env, clients: createClientFactory({ region: process.env.AWS_REGION }), now: () => new Date() }),
);
