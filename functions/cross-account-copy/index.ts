/**
 * cross-account-copy Lambda: copies a snapshot by ARN into the vault: the shared source copy into
 * the vault Region (vault copy) or a DR Region (single-step DR copy), or the vault copy into a DR
 * Region (two-hop DR copy). The RDS client is in the destination Region (docs/aws-behaviour.md §8).
 *
 * Environment: AWS_REGION, ACCOUNT_ID,
 * - `VAULT_ACCOUNT_ID`: the vault account (= ACCOUNT_ID in same-account mode);
 * - `VAULT_REGION`: the primary vault Region (not read: every input names its `destinationRegion`);
 * - `VAULT_KMS_KEY_ALIAS`: `alias/<deploymentName>`, the alias of the vault key in the vault Region
 *   and in every DR Region; the key used is `arn:<partition>:kms:<destinationRegion>:<VAULT_ACCOUNT_ID>:alias/<name>`;
 * - `VAULT_ROLE_ARN` + `VAULT_EXTERNAL_ID`: both set = cross-account mode (assume the vault role,
 *   whose account must be VAULT_ACCOUNT_ID != ACCOUNT_ID); both absent = same-account mode
 *   (VAULT_ACCOUNT_ID = ACCOUNT_ID; the function copies with its own credentials, no STS call);
 * - `COPY_SLOT_TABLE`, `COPY_SLOT_LIMITS`, `COPY_SLOT_LEASE_SECONDS`: the copy slot table of the source
 *   account (functions/shared/copy-slots.ts; absent = none), written with the function's own role.
 * Input {@link CrossAccountCopyInput}, output {@link CrossAccountCopyOutput}.
 * Errors: InvalidEnvironment, InvalidInput, VaultRoleNotAssumable, UnencryptedClusterNotSupported,
 * KmsKeyNotAccessible, SnapshotQuotaExceeded, SnapshotNotFound, SnapshotIdentifierConflict, SnapshotCopyFailed,
 * CopySlotsBusy (slot table or RDS: every slot of the destination held).
 */
import { dynamodb } from '../../functions/shared/clients/dynamodb.js';
import { createClients } from '../../functions/shared/clients/factory.js';
import { rds } from '../../functions/shared/clients/rds.js';
import { sts } from '../../functions/shared/clients/sts.js';
import type { CrossAccountCopyInput, CrossAccountCopyOutput } from '../../contracts/shapes.js';
import { lazyHandler, makeHandler, type HandlerDeps, type LambdaHandler } from '../../functions/shared/handler.js';
import { rdsForAccount } from '../../functions/shared/vault-role.js';
import { slotHooksFrom as slotsFor } from '../../functions/shared/copy-slots.js';
import { copyToVault } from './vault-copy.js';
import { envSchema, inputSchema } from '../../contracts/functions/cross-account-copy.js';

export type { HandlerDeps } from '../../functions/shared/handler.js';
/** Environment and event schemas: cross-account-copy's contract (contracts/functions/cross-account-copy.ts). */
export { envSchema, inputSchema };
export { vaultKeyAliasArn } from './vault-copy.js';

/** Builds the cross-account-copy handler; see {@link copyToVault}. */
export function createHandler(deps: HandlerDeps<'rds' | 'sts' | 'dynamodb'>): LambdaHandler<CrossAccountCopyOutput> {
  return makeHandler({
    name: 'cross-account-copy',
    deps,
    envSchema,
    inputSchema,
    run: async (input, { config, clients, now, metrics }) => {
      const startedAt = now();
      const region = input.destinationRegion;
      // The copy is made in the vault account: the vault role (cross-account mode) or own credentials (same-account mode); contracts/vault-access.ts.
      const rds = await rdsForAccount(clients, config, 'copy', { accountId: config.VAULT_ACCOUNT_ID, region, field: 'VAULT_ACCOUNT_ID' });
      // A slot-table refusal throws CopySlotWait (caught by the state machine into the step's slot wait;
      // handler.ts logs it as a normal outcome and counts CopySlotWaits).
      const out = await copyToVault(
        rds,
        input,
        { vaultAccountId: config.VAULT_ACCOUNT_ID, vaultKmsKeyAlias: config.VAULT_KMS_KEY_ALIAS },
        startedAt,
        // The slot table is in this (the source) account: the function's own credentials, never the vault role.
        slotsFor(config, clients, startedAt),
      );
      metrics.count(out.created ? 'VaultCopiesStarted' : 'VaultCopiesReused');
      return out;
    },
  });
}

/** The Lambda entry point (built on first invocation; importing this module has no side effects). */
export const handler = lazyHandler(() =>
  createHandler({ env: process.env, clients: createClients({ rds, sts, dynamodb }, { region: process.env.AWS_REGION }), now: () => new Date() }),
);
