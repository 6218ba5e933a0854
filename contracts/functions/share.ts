/**
 * share's contract (functions/share): environment and input. Cross-account mode only (DatabaseBackup).
 * Output: ShareOutput (contracts/shapes.ts).
 */
import * as z from 'zod/mini';
import { accountIdSchema, baseEnvShape } from '../rules.js';
import { snapshotRefSchema } from '../schemas.js';
import type { ShareInput, ShareOutput } from '../shapes.js';

export type { ShareInput, ShareOutput };

/** The variables the stack sets for share. */
export const environment = {
  /** The account added to the copy's `restore` attribute. */
  VAULT_ACCOUNT_ID: accountIdSchema,
};

/** Environment as the handler validates it. */
export const envSchema = z.object({ ...baseEnvShape, ...environment });

/** Event schema. */
export const inputSchema: z.ZodMiniType<ShareInput> = z.object({ snapshot: snapshotRefSchema });
