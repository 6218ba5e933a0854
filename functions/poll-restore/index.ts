/**
 * poll-restore Lambda (issue 9): where a drill restore stands and the next step (see poll.ts).
 *
 * Environment: AWS_REGION, ACCOUNT_ID. AWS: rds:DescribeDBInstances, rds:DescribeDBClusters.
 * Input {@link PollRestoreInput}, output {@link RestorePoll}.
 * Errors: InvalidEnvironment, InvalidInput, AWS errors by name.
 */
import { createClients } from '../../functions/shared/clients/factory.js';
import { rds } from '../../functions/shared/clients/rds.js';
import { type RestorePoll } from '../../contracts/drill.js';
import { lazyHandler, makeHandler, type HandlerDeps, type LambdaHandler } from '../../functions/shared/handler.js';
import { pollRestore, type PollRestoreInput } from './poll.js';
import { envSchema, inputSchema } from '../../contracts/functions/poll-restore.js';

export type { HandlerDeps } from '../../functions/shared/handler.js';
/** Environment schema: poll-restore's contract (contracts/functions/poll-restore.ts). */
export { envSchema, inputSchema };


/** Builds the poll-restore handler. */
export function createHandler(deps: HandlerDeps<'rds'>): LambdaHandler<RestorePoll> {
  return makeHandler({ name: 'poll-restore', deps, envSchema, inputSchema, run: async (input, { clients, now }) => pollRestore(clients.rds(), input, now()) });
}

/** The Lambda entry point (built on first invocation; importing this module has no side effects). */
export const handler = lazyHandler(() =>
  createHandler({ env: process.env, clients: createClients({ rds }, { region: process.env.AWS_REGION }), now: () => new Date() }),
);
