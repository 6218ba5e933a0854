/**
 * poll-status Lambda: reports a snapshot copy's status and the next wait. The snapshot is described
 * in its own Region (source, vault or DR Region). Snapshots of the vault account are described
 * through the vault role, in a session limited to describing by a session policy
 * (DESCRIBE_ONLY_SESSION_POLICY, contracts/vault-access.ts), when the vault is another account; snapshots of this account (the source
 * account, and the vault in same-account mode) with the Lambda's own role.
 *
 * Environment: AWS_REGION, ACCOUNT_ID, VAULT_ACCOUNT_ID, and `VAULT_ROLE_ARN` + `VAULT_EXTERNAL_ID`
 * (both set in cross-account mode; both absent in same-account mode, where VAULT_ACCOUNT_ID = ACCOUNT_ID);
 * `COPY_SLOT_TABLE` (optional): the copy slot table, whose holder it releases once the copy is available,
 * failed or gone (own credentials, dynamodb:GetItem/UpdateItem).
 * Input {@link PollStatusInput}, output {@link PollStatusOutput}.
 * Errors: InvalidEnvironment, InvalidInput, SnapshotNotFound, SnapshotCopyFailed, VaultRoleNotAssumable.
 */
import { dynamodb } from '../../functions/shared/clients/dynamodb.js';
import { createClients } from '../../functions/shared/clients/factory.js';
import { rds } from '../../functions/shared/clients/rds.js';
import { sts } from '../../functions/shared/clients/sts.js';
import type { PollStatusInput, PollStatusOutput } from '../../contracts/shapes.js';
import { createMetrics, lazyHandler, makeHandler, type HandlerDeps, type LambdaHandler } from '../../functions/shared/handler.js';
import { rdsForAccount } from '../../functions/shared/vault-role.js';
import { copiesInProgressGauge } from './in-flight.js';
import { releaseWhenFinished, slotReleaseFrom } from '../../functions/shared/copy-slots.js';
import { pollStatus } from './poll.js';
import { envSchema, inputSchema } from '../../contracts/functions/poll-status.js';

export type { HandlerDeps } from '../../functions/shared/handler.js';
/** Environment and event schemas: poll-status's contract (contracts/functions/poll-status.ts). */
export { envSchema, inputSchema };
export { nextPollSeconds } from './poll.js';

/**
 * Builds the poll-status handler; see {@link pollStatus}. A copy not yet available also gets the
 * copies-in-progress gauge (in-flight.ts) from its own Powertools Metrics, after each write to the copy slot table.
 */
export function createHandler(deps: HandlerDeps<'rds' | 'sts' | 'dynamodb'>): LambdaHandler<PollStatusOutput> {
  const inProgress = copiesInProgressGauge(createMetrics('poll-status', deps.env));
  return makeHandler({
    name: 'poll-status',
    deps,
    envSchema,
    inputSchema,
    run: async (input, { config, clients, now }) => {
      const { accountId, region } = input.snapshot;
      // Own credentials for this account; the vault role in a describe-only session for the vault (contracts/vault-access.ts).
      const rds = await rdsForAccount(clients, config, 'describe', { accountId, region, field: 'snapshot.accountId' });
      // Issue 12: a copy seen available, failed or gone gives its copy slot back (functions/shared/copy-slots.ts).
      const at = now();
      const release = slotReleaseFrom(config, clients, { accountId, region, kind: input.snapshot.kind, holder: input.snapshot.identifier }, at, inProgress);
      return releaseWhenFinished(release, ['SnapshotCopyFailed', 'SnapshotNotFound'], () => pollStatus(rds, input, at));
    },
  });
}

/** The Lambda entry point (built on first invocation; importing this module has no side effects). */
export const handler = lazyHandler(() =>
  createHandler({ env: process.env, clients: createClients({ rds, sts, dynamodb }, { region: process.env.AWS_REGION }), now: () => new Date() }),
);
