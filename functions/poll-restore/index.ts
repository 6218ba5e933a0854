/**
 * poll-restore Lambda (issue 9): where a drill restore stands and the next step (see poll.ts).
 *
 * Environment: AWS_REGION, ACCOUNT_ID. AWS: rds:DescribeDBInstances, rds:DescribeDBClusters.
 * Input {@link PollRestoreInput}, output {@link RestorePoll}.
 * Errors: InvalidEnvironment, InvalidInput, AWS errors by name.
 */
import * as z from 'zod/mini';
import { createClients } from '../../functions/shared/clients/factory.js';
import { rds } from '../../functions/shared/clients/rds.js';
import { pollSchema, targetSchema, type RestorePoll } from '../../functions/shared/drill.js';
import { baseEnvShape } from '../../functions/shared/env.js';
import { lazyHandler, makeHandler, type HandlerDeps, type LambdaHandler } from '../../functions/shared/handler.js';
import { pollRestore, type PollRestoreInput } from './poll.js';

export type { HandlerDeps } from '../../functions/shared/handler.js';

/** Environment of poll-restore. */
export const envSchema = z.object({ ...baseEnvShape });

/** Event schema. */
export const inputSchema: z.ZodMiniType<PollRestoreInput> = z.object({ target: targetSchema, previous: pollSchema, maxWaitSeconds: z.number().check(z.positive()) });

/** Builds the poll-restore handler. */
export function createHandler(deps: HandlerDeps<'rds'>): LambdaHandler<RestorePoll> {
  return makeHandler({ name: 'poll-restore', deps, envSchema, inputSchema, run: async (input, { clients, now }) => pollRestore(clients.rds(), input, now()) });
}

/** The Lambda entry point (built on first invocation; importing this module has no side effects). */
export const handler = lazyHandler(() =>
  createHandler({ env: process.env, clients: createClients({ rds }, { region: process.env.AWS_REGION }), now: () => new Date() }),
);
