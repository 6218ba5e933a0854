/**
 * cleanup-drill Lambda (issue 9): deletes restore-drill resources (see cleanup.ts).
 * `{ sweep: true }` -> every leftover drill DB instance / DB cluster; `{ database, drillId }` -> one drill's.
 *
 * Environment: AWS_REGION, ACCOUNT_ID. AWS: rds:DescribeDBInstances, rds:DescribeDBClusters,
 * rds:DeleteDBInstance / rds:DeleteDBCluster on drill-tagged resources only.
 * Output {@link CleanupResult}. Errors: InvalidEnvironment, InvalidInput, AWS errors by name.
 */
import { createClients } from '../../functions/shared/clients/factory.js';
import { rds } from '../../functions/shared/clients/rds.js';
import { lazyHandler, makeHandler, type HandlerDeps, type LambdaHandler } from '../../functions/shared/handler.js';
import { deleteDrill, sweep, type CleanupResult } from './cleanup.js';
import { envSchema, inputSchema } from '../../contracts/functions/cleanup-drill.js';

export type { HandlerDeps } from '../../functions/shared/handler.js';
/** Environment and event schemas: cleanup-drill's contract (contracts/functions/cleanup-drill.ts). */
export { envSchema, inputSchema };

/** Builds the cleanup-drill handler. */
export function createHandler(deps: HandlerDeps<'rds'>): LambdaHandler<CleanupResult> {
  return makeHandler({
    name: 'cleanup-drill',
    deps,
    envSchema,
    inputSchema,
    run: async (input, { clients }) => ('sweep' in input ? sweep(clients.rds()) : deleteDrill(clients.rds(), input.database, input.drillId)),
  });
}

/** The Lambda entry point (built on first invocation; importing this module has no side effects). */
export const handler = lazyHandler(() =>
  createHandler({ env: process.env, clients: createClients({ rds }, { region: process.env.AWS_REGION }), now: () => new Date() }),
);
