/**
 * poll-status Lambda: reports a snapshot copy's status and the next wait. Snapshots in the vault
 * account are described through the vault role; all others with the Lambda's own role.
 *
 * Environment: AWS_REGION, ACCOUNT_ID, VAULT_ACCOUNT_ID, VAULT_ROLE_ARN, VAULT_EXTERNAL_ID.
 * Input {@link PollStatusInput}, output {@link PollStatusOutput}.
 * Errors: InvalidEnvironment, InvalidInput, SnapshotNotFound, SnapshotCopyFailed, VaultRoleNotAssumable.
 */
import * as z from 'zod/mini';
import { createClientFactory } from '../shared/clients.js';
import type { PollStatusInput, PollStatusOutput } from '../shared/contracts.js';
import { accountIdSchema, baseEnvShape, nonEmpty, roleArnSchema } from '../shared/env.js';
import { InvalidInput } from '../shared/errors.js';
import { lazyHandler, makeHandler, type HandlerDeps, type LambdaHandler } from '../shared/handler.js';
import { snapshotRefSchema } from '../shared/schemas.js';
import { assumeVaultRole } from '../shared/vault-role.js';
import { pollStatus } from './poll.js';

export type { HandlerDeps } from '../shared/handler.js';
export { nextPollSeconds } from './poll.js';

/** Environment of poll-status. */
export const envSchema = z.object({
  ...baseEnvShape,
  VAULT_ACCOUNT_ID: accountIdSchema,
  VAULT_ROLE_ARN: roleArnSchema,
  VAULT_EXTERNAL_ID: nonEmpty,
});

/** Event schema. */
export const inputSchema: z.ZodMiniType<PollStatusInput> = z.object({
  snapshot: snapshotRefSchema,
  attempt: z.number().check(z.int(), z.gte(0)),
});

/** Builds the poll-status handler; see {@link pollStatus}. */
export function createHandler(deps: HandlerDeps): LambdaHandler<PollStatusOutput> {
  return makeHandler({
    name: 'poll-status',
    deps,
    envSchema,
    inputSchema,
    run: async (input, { config, clients, now }) => {
      const { accountId, region } = input.snapshot;
      let rds;
      if (accountId === config.ACCOUNT_ID) {
        rds = clients.rds({ region });
      } else if (accountId === config.VAULT_ACCOUNT_ID) {
        rds = await assumeVaultRole(clients, {
          roleArn: config.VAULT_ROLE_ARN,
          externalId: config.VAULT_EXTERNAL_ID,
          sessionName: 'rds-snapshot-vault-poll-status',
          region,
          stsRegion: config.AWS_REGION,
        });
      } else {
        throw new InvalidInput(
          `snapshot.accountId: ${accountId} is neither this account (${config.ACCOUNT_ID}) nor the vault account (${config.VAULT_ACCOUNT_ID})`,
        );
      }
      return pollStatus(rds, input, now());
    },
  });
}

/** The Lambda entry point (built on first invocation; importing this module has no side effects). */
export const handler = lazyHandler(() =>
  createHandler({ env: process.env, clients: createClientFactory({ region: process.env.AWS_REGION }), now: () => new Date() }),
);
