/**
 * cross-account-copy's contract (functions/cross-account-copy): environment and input. Invoked by
 * DatabaseBackup for the vault copy and each DR copy. Output: CrossAccountCopyOutput (contracts/shapes.ts).
 */
import * as z from 'zod/mini';
import { slotEnvShape } from '../copy-slots.js';
import { accountIdSchema, baseEnvShape, bothOrNeither, kmsAliasNameSchema, regionSchema, vaultModeCheck } from '../rules.js';
import { databaseRefSchema, runIdSchema, snapshotRefSchema } from '../schemas.js';
import type { CrossAccountCopyInput, CrossAccountCopyOutput } from '../shapes.js';
import { vaultRoleEnvShape } from './vault-role-env.js';

export type { CrossAccountCopyInput, CrossAccountCopyOutput };

/** The variables the stack sets for cross-account-copy. */
export const environment = {
  /** The vault account (= ACCOUNT_ID in same-account mode). */
  VAULT_ACCOUNT_ID: accountIdSchema,
  /**
   * The primary vault Region. Validated but not read since issue 11 (every input names its
   * `destinationRegion`); still set by the stack so the templates did not change: drop it together.
   */
  VAULT_REGION: regionSchema,
  /** `alias/<deploymentName>`: the vault key's alias in the vault Region and every DR Region. */
  VAULT_KMS_KEY_ALIAS: kmsAliasNameSchema,
  ...vaultRoleEnvShape,
  ...slotEnvShape,
};

const envShape = z.object({ ...baseEnvShape, ...environment });
type Env = z.infer<typeof envShape>;

/** Environment as the handler validates it. */
export const envSchema = envShape.check(bothOrNeither<Env>('VAULT_ROLE_ARN', 'VAULT_EXTERNAL_ID'), vaultModeCheck<Env>());

/** Event schema. */
export const inputSchema: z.ZodMiniType<CrossAccountCopyInput> = z.object({
  database: databaseRefSchema,
  runId: runIdSchema,
  snapshot: snapshotRefSchema,
  destinationRegion: regionSchema,
  optionGroups: z.optional(z.record(regionSchema, z.string().check(z.minLength(1), z.maxLength(255)))),
});
