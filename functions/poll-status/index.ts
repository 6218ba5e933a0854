/**
 * poll-status Lambda: reports a snapshot copy's status and the next wait. The snapshot is described
 * in its own Region (source, vault or DR Region). Snapshots of the vault account are described
 * through the vault role, in a session limited to describing by a session policy
 * ({@link DESCRIBE_ONLY_SESSION_POLICY}), when the vault is another account; snapshots of this account (the source
 * account, and the vault in same-account mode) with the Lambda's own role.
 *
 * Environment: AWS_REGION, ACCOUNT_ID, VAULT_ACCOUNT_ID, and `VAULT_ROLE_ARN` + `VAULT_EXTERNAL_ID`
 * (both set in cross-account mode; both absent in same-account mode, where VAULT_ACCOUNT_ID = ACCOUNT_ID);
 * `COPY_SLOT_TABLE` (optional): the copy slot table, whose holder it releases once the copy is available,
 * failed or gone (own credentials, dynamodb:GetItem/UpdateItem).
 * Input {@link PollStatusInput}, output {@link PollStatusOutput}.
 * Errors: InvalidEnvironment, InvalidInput, SnapshotNotFound, SnapshotCopyFailed, VaultRoleNotAssumable.
 */
import * as z from 'zod/mini';
import { dynamodb } from '../../functions/shared/clients/dynamodb.js';
import { createClients } from '../../functions/shared/clients/factory.js';
import { rds } from '../../functions/shared/clients/rds.js';
import { sts } from '../../functions/shared/clients/sts.js';
import type { PollStatusInput, PollStatusOutput } from '../../functions/shared/contracts.js';
import { accountIdSchema, baseEnvShape, bothOrNeither, nonEmpty, roleArnSchema, vaultModeCheck } from '../../functions/shared/env.js';
import { InvalidInput } from '../../functions/shared/errors.js';
import { createMetrics, lazyHandler, makeHandler, type HandlerDeps, type LambdaHandler } from '../../functions/shared/handler.js';
import { snapshotRefSchema } from '../../functions/shared/schemas.js';
import { assumeVaultRole, DESCRIBE_ONLY_SESSION_POLICY } from '../../functions/shared/vault-role.js';
import { copiesInProgressGauge } from './in-flight.js';
import { releaseWhenFinished, slotReleaseFrom, slotTableEnv } from '../../functions/shared/copy-slots.js';
import { pollStatus } from './poll.js';

export type { HandlerDeps } from '../../functions/shared/handler.js';
export { nextPollSeconds } from './poll.js';

const envShape = z.object({
  ...baseEnvShape,
  VAULT_ACCOUNT_ID: accountIdSchema,
  VAULT_ROLE_ARN: z.optional(roleArnSchema),
  VAULT_EXTERNAL_ID: z.optional(nonEmpty),
  COPY_SLOT_TABLE: z.optional(slotTableEnv),
});
type Env = z.infer<typeof envShape>;

/** Environment of poll-status (role and external ID both or neither; see vaultModeCheck). */
export const envSchema = envShape.check(bothOrNeither<Env>('VAULT_ROLE_ARN', 'VAULT_EXTERNAL_ID'), vaultModeCheck<Env>());

/** Event schema. */
export const inputSchema: z.ZodMiniType<PollStatusInput> = z.object({
  snapshot: snapshotRefSchema,
  attempt: z.number().check(z.int(), z.gte(0)),
  copyStartedAt: z.iso.datetime(),
  previous: z.optional(z.object({ elapsedSeconds: z.number().check(z.gte(0)), percentProgress: z.number().check(z.gte(0), z.lte(100)) })),
  maxWaitSeconds: z.optional(z.number().check(z.gt(0))),
});

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
      let rds;
      if (accountId === config.ACCOUNT_ID) {
        rds = clients.rds({ region });
      } else if (accountId === config.VAULT_ACCOUNT_ID && config.VAULT_ROLE_ARN !== undefined && config.VAULT_EXTERNAL_ID !== undefined) {
        rds = await assumeVaultRole(clients, {
          roleArn: config.VAULT_ROLE_ARN,
          externalId: config.VAULT_EXTERNAL_ID,
          sessionName: 'rds-snapshot-vault-poll-status',
          region,
          stsRegion: config.AWS_REGION,
          // Describe only: this session can never copy or tag in the vault (docs/security.md).
          sessionPolicy: DESCRIBE_ONLY_SESSION_POLICY,
        });
      } else {
        throw new InvalidInput(
          `snapshot.accountId: ${accountId} is neither this account (${config.ACCOUNT_ID}) nor the vault account (${config.VAULT_ACCOUNT_ID})`,
        );
      }
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
