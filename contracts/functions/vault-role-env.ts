/**
 * The vault role variables of poll-status and cross-account-copy: `VAULT_ROLE_ARN` +
 * `VAULT_EXTERNAL_ID`, both set in cross-account mode, both absent in same-account mode
 * (contracts/vault-access.ts decides from them).
 */
import * as z from 'zod/mini';
import { nonEmpty, roleArnSchema } from '../rules.js';

/** The two variables (each optional here; {@link VaultRoleEnvironment} and bothOrNeither require both or neither). */
export const vaultRoleEnvShape = {
  VAULT_ROLE_ARN: z.optional(roleArnSchema),
  VAULT_EXTERNAL_ID: z.optional(nonEmpty),
};

/** What the stack sets: both variables, or neither. */
export type VaultRoleEnvironment =
  | { readonly VAULT_ROLE_ARN: string; readonly VAULT_EXTERNAL_ID: string }
  | { readonly VAULT_ROLE_ARN?: never; readonly VAULT_EXTERNAL_ID?: never };
