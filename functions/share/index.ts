/**
 * share Lambda: shares a manual snapshot copy with the vault account (`restore` attribute).
 *
 * Environment: AWS_REGION, ACCOUNT_ID, VAULT_ACCOUNT_ID.
 * Input {@link ShareInput}, output {@link ShareOutput}.
 * Errors: InvalidEnvironment, InvalidInput, SnapshotNotShareable, ShareLimitExceeded, SnapshotNotFound.
 */
import { createClients } from '../../functions/shared/clients/factory.js';
import { rds } from '../../functions/shared/clients/rds.js';
import type { ShareInput, ShareOutput } from '../../contracts/shapes.js';
import { InvalidInput } from '../../contracts/errors.js';
import { lazyHandler, makeHandler, type HandlerDeps, type LambdaHandler } from '../../functions/shared/handler.js';
import { shareSnapshot } from './share.js';
import { envSchema, inputSchema } from '../../contracts/functions/share.js';

export type { HandlerDeps } from '../../functions/shared/handler.js';
/** Environment and event schemas: share's contract (contracts/functions/share.ts). */
export { envSchema, inputSchema };

/** Builds the share handler; see {@link shareSnapshot}. */
export function createHandler(deps: HandlerDeps<'rds'>): LambdaHandler<ShareOutput> {
  return makeHandler({
    name: 'share',
    deps,
    envSchema,
    inputSchema,
    run: async (input, { config, clients }) => {
      const { accountId, region } = input.snapshot;
      if (accountId !== config.ACCOUNT_ID) {
        throw new InvalidInput(`snapshot.accountId: ${accountId} is not this account (${config.ACCOUNT_ID}); only snapshots of this account can be shared here`);
      }
      return shareSnapshot(clients.rds({ region }), input, config.VAULT_ACCOUNT_ID);
    },
  });
}

/** The Lambda entry point (built on first invocation; importing this module has no side effects). */
export const handler = lazyHandler(() =>
  createHandler({ env: process.env, clients: createClients({ rds }, { region: process.env.AWS_REGION }), now: () => new Date() }),
);
