/**
 * share Lambda: shares a manual snapshot copy with the vault account (`restore` attribute).
 *
 * Environment: AWS_REGION, ACCOUNT_ID, VAULT_ACCOUNT_ID.
 * Input {@link ShareInput}, output {@link ShareOutput}.
 * Errors: InvalidEnvironment, InvalidInput, SnapshotNotShareable, ShareLimitExceeded, SnapshotNotFound.
 */
import * as z from 'zod/mini';
import { createClients } from '../../functions/shared/clients/factory.js';
import { rds } from '../../functions/shared/clients/rds.js';
import type { ShareInput, ShareOutput } from '../../functions/shared/contracts.js';
import { accountIdSchema, baseEnvShape } from '../../functions/shared/env.js';
import { InvalidInput } from '../../functions/shared/errors.js';
import { lazyHandler, makeHandler, type HandlerDeps, type LambdaHandler } from '../../functions/shared/handler.js';
import { snapshotRefSchema } from '../../functions/shared/schemas.js';
import { shareSnapshot } from './share.js';

export type { HandlerDeps } from '../../functions/shared/handler.js';

/** Environment of share. */
export const envSchema = z.object({ ...baseEnvShape, VAULT_ACCOUNT_ID: accountIdSchema });

/** Event schema. */
export const inputSchema: z.ZodMiniType<ShareInput> = z.object({ snapshot: snapshotRefSchema });

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
