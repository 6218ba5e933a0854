/**
 * cross-account-copy Lambda: copies a snapshot by ARN into the vault: the shared source copy into
 * the vault Region (vault copy) or a DR Region (single-step DR copy), or the vault copy into a DR
 * Region (two-hop DR copy). The RDS client is in the destination Region (docs/aws-behaviour.md §8).
 *
 * Environment: AWS_REGION, ACCOUNT_ID,
 * - `VAULT_ACCOUNT_ID`: the vault account (= ACCOUNT_ID in same-account mode);
 * - `VAULT_REGION`: default destination Region;
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
import * as z from 'zod/mini';
import { dynamodb } from '../../functions/shared/clients/dynamodb.js';
import { createClients } from '../../functions/shared/clients/factory.js';
import { rds } from '../../functions/shared/clients/rds.js';
import { sts } from '../../functions/shared/clients/sts.js';
import type { CrossAccountCopyInput, CrossAccountCopyOutput } from '../../functions/shared/contracts.js';
import { accountIdSchema, baseEnvShape, bothOrNeither, kmsAliasNameSchema, nonEmpty, regionSchema, roleArnSchema, vaultModeCheck } from '../../functions/shared/env.js';
import { lazyHandler, makeHandler, type HandlerDeps, type LambdaHandler } from '../../functions/shared/handler.js';
import { databaseRefSchema, runIdSchema, snapshotRefSchema } from '../../functions/shared/schemas.js';
import { assumeVaultRole } from '../../functions/shared/vault-role.js';
import { slotHooksFrom as slotsFor, slotEnvShape } from '../../functions/shared/copy-slots.js';
import { copyToVault } from './vault-copy.js';

export type { HandlerDeps } from '../../functions/shared/handler.js';
export { vaultKeyAliasArn } from './vault-copy.js';

const envShape = z.object({
  ...baseEnvShape,
  VAULT_ACCOUNT_ID: accountIdSchema,
  VAULT_REGION: regionSchema,
  VAULT_KMS_KEY_ALIAS: kmsAliasNameSchema,
  VAULT_ROLE_ARN: z.optional(roleArnSchema),
  VAULT_EXTERNAL_ID: z.optional(nonEmpty),
  ...slotEnvShape,
});
type Env = z.infer<typeof envShape>;

/** Environment of cross-account-copy. */
export const envSchema = envShape.check(bothOrNeither<Env>('VAULT_ROLE_ARN', 'VAULT_EXTERNAL_ID'), vaultModeCheck<Env>());

/** Event schema. */
export const inputSchema: z.ZodMiniType<CrossAccountCopyInput> = z.object({
  database: databaseRefSchema,
  runId: runIdSchema,
  snapshot: snapshotRefSchema,
  destinationRegion: z.optional(regionSchema),
  optionGroups: z.optional(z.record(regionSchema, z.string().check(z.minLength(1), z.maxLength(255)))),
});

/** Builds the cross-account-copy handler; see {@link copyToVault}. */
export function createHandler(deps: HandlerDeps<'rds' | 'sts' | 'dynamodb'>): LambdaHandler<CrossAccountCopyOutput> {
  return makeHandler({
    name: 'cross-account-copy',
    deps,
    envSchema,
    inputSchema,
    run: async (input, { config, clients, now, metrics }) => {
      const startedAt = now();
      const region = input.destinationRegion ?? config.VAULT_REGION;
      const rds =
        config.VAULT_ROLE_ARN !== undefined && config.VAULT_EXTERNAL_ID !== undefined
          ? await assumeVaultRole(clients, {
              roleArn: config.VAULT_ROLE_ARN,
              externalId: config.VAULT_EXTERNAL_ID,
              sessionName: 'rds-snapshot-vault-cross-account-copy',
              region,
              stsRegion: config.AWS_REGION,
            })
          : clients.rds({ region });
      // A slot-table refusal throws CopySlotWait (caught by the state machine into the step's slot wait;
      // handler.ts logs it as a normal outcome and counts CopySlotWaits).
      const out = await copyToVault(
        rds,
        input,
        { vaultAccountId: config.VAULT_ACCOUNT_ID, vaultRegion: config.VAULT_REGION, vaultKmsKeyAlias: config.VAULT_KMS_KEY_ALIAS },
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
