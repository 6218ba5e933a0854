/**
 * cross-account-copy Lambda: assumes the vault role and copies the shared source copy into the
 * vault account (optionally into another Region in the same call).
 *
 * Environment: AWS_REGION, ACCOUNT_ID, VAULT_ACCOUNT_ID, VAULT_REGION, VAULT_ROLE_ARN,
 * VAULT_EXTERNAL_ID, VAULT_KMS_KEY_ID (key ARN or alias ARN in VAULT_ACCOUNT_ID/VAULT_REGION).
 * Input {@link CrossAccountCopyInput}, output {@link CrossAccountCopyOutput}.
 * Errors: InvalidEnvironment, InvalidInput, VaultRoleNotAssumable, UnencryptedClusterNotSupported,
 * KmsKeyNotAccessible, SnapshotQuotaExceeded, SnapshotNotFound, SnapshotIdentifierConflict, SnapshotCopyFailed.
 */
import * as z from 'zod/mini';
import { createClientFactory } from '../shared/clients.js';
import type { CrossAccountCopyInput, CrossAccountCopyOutput } from '../shared/contracts.js';
import { accountIdSchema, baseEnvShape, kmsKeyArnSchema, kmsKeyLocatedIn, nonEmpty, regionSchema, roleArnSchema } from '../shared/env.js';
import { lazyHandler, makeHandler, type HandlerDeps, type LambdaHandler } from '../shared/handler.js';
import { databaseRefSchema, runIdSchema, snapshotRefSchema } from '../shared/schemas.js';
import { assumeVaultRole } from '../shared/vault-role.js';
import { copyToVault } from './vault-copy.js';

export type { HandlerDeps } from '../shared/handler.js';

const envShape = z.object({
  ...baseEnvShape,
  VAULT_ACCOUNT_ID: accountIdSchema,
  VAULT_REGION: regionSchema,
  VAULT_ROLE_ARN: roleArnSchema,
  VAULT_EXTERNAL_ID: nonEmpty,
  VAULT_KMS_KEY_ID: kmsKeyArnSchema,
});

/** Environment of cross-account-copy; VAULT_KMS_KEY_ID must be in VAULT_ACCOUNT_ID and VAULT_REGION. */
export const envSchema = envShape.check(kmsKeyLocatedIn<z.infer<typeof envShape>>('VAULT_KMS_KEY_ID', 'VAULT_ACCOUNT_ID', 'VAULT_REGION'));

/** Event schema. */
export const inputSchema: z.ZodMiniType<CrossAccountCopyInput> = z.object({
  database: databaseRefSchema,
  runId: runIdSchema,
  snapshot: snapshotRefSchema,
});

/** Builds the cross-account-copy handler; see {@link copyToVault}. */
export function createHandler(deps: HandlerDeps): LambdaHandler<CrossAccountCopyOutput> {
  return makeHandler({
    name: 'cross-account-copy',
    deps,
    envSchema,
    inputSchema,
    run: async (input, { config, clients, now, metrics }) => {
      const startedAt = now();
      const vaultRds = await assumeVaultRole(clients, {
        roleArn: config.VAULT_ROLE_ARN,
        externalId: config.VAULT_EXTERNAL_ID,
        sessionName: 'rds-snapshot-vault-cross-account-copy',
        region: config.VAULT_REGION,
        stsRegion: config.AWS_REGION,
      });
      const out = await copyToVault(
        vaultRds,
        input,
        { vaultAccountId: config.VAULT_ACCOUNT_ID, vaultRegion: config.VAULT_REGION, vaultKmsKeyId: config.VAULT_KMS_KEY_ID },
        startedAt,
      );
      metrics.count(out.created ? 'VaultCopiesStarted' : 'VaultCopiesReused');
      return out;
    },
  });
}

/** The Lambda entry point (built on first invocation; importing this module has no side effects). */
export const handler = lazyHandler(() =>
  createHandler({ env: process.env, clients: createClientFactory({ region: process.env.AWS_REGION }), now: () => new Date() }),
);
