/**
 * plan-run Lambda: validates a BackupRun execution input against the configured databases and
 * returns the list the Map state iterates over. Makes no AWS calls.
 *
 * Environment: AWS_REGION, ACCOUNT_ID, DATABASES (JSON array of `{ identifier, kind }`).
 * Input {@link PlanRunEvent} (unknown keys rejected), output {@link PlanRunOutput}.
 * Errors: InvalidEnvironment, InvalidInput, UnknownDatabase.
 */
import * as z from 'zod/mini';
import { createClientFactory } from '../shared/clients.js';
import type { DatabaseRef, PlanRunEvent, PlanRunOutput } from '../shared/contracts.js';
import { baseEnvShape, jsonEnv } from '../shared/env.js';
import { lazyHandler, makeHandler, type HandlerDeps, type LambdaHandler } from '../shared/handler.js';
import { databaseRefSchema, runIdSchema } from '../shared/schemas.js';
import { planRun } from './plan.js';

export type { HandlerDeps } from '../shared/handler.js';

/** Environment of plan-run. */
export const envSchema = z.object({
  ...baseEnvShape,
  DATABASES: jsonEnv(
    z.array(databaseRefSchema).check(
      z.minLength(1, 'must configure at least one database'),
      z.refine((dbs: DatabaseRef[]) => new Set(dbs.map((d) => d.identifier.toLowerCase())).size === dbs.length, 'identifiers must be unique'),
    ),
  ),
});

/**
 * Event schema: `{ input: <the BackupRun execution input>, runId: <execution name> }`, as the
 * PlanRun state passes them (Step Functions cannot merge the two into one object). The execution
 * input is strict, so a misspelt key (`database`) fails instead of silently backing up everything.
 */
export const inputSchema: z.ZodMiniType<PlanRunEvent> = z.strictObject({
  input: z.strictObject({
    databases: z.optional(z.array(z.string().check(z.minLength(1, 'must not be empty')))),
    sourceSnapshotArn: z.optional(z.string().check(z.minLength(1, 'must not be empty'))),
  }),
  runId: runIdSchema,
});

/**
 * Builds the plan-run handler. See {@link planRun} for the rules.
 * @throws InvalidEnvironment (first invocation), InvalidInput, UnknownDatabase.
 */
export function createHandler(deps: HandlerDeps): LambdaHandler<PlanRunOutput> {
  return makeHandler({
    name: 'plan-run',
    deps,
    envSchema,
    inputSchema,
    run: async (input, { config, metrics }) => {
      const out = planRun({ ...input.input, runId: input.runId }, { configured: config.DATABASES, accountId: config.ACCOUNT_ID, region: config.AWS_REGION });
      metrics.count('DatabasesPlanned', out.databases.length);
      return out;
    },
  });
}

/** The Lambda entry point (built on first invocation; importing this module has no side effects). */
export const handler = lazyHandler(() =>
  createHandler({ env: process.env, clients: createClientFactory({ region: process.env.AWS_REGION }), now: () => new Date() }),
);
