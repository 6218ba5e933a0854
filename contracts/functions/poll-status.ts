/**
 * poll-status' contract (functions/poll-status): environment and input. Invoked by DatabaseBackup's
 * copy poll loops. Output: PollStatusOutput (contracts/shapes.ts).
 */
import * as z from 'zod/mini';
import { slotTableEnv } from '../copy-slots.js';
import { accountIdSchema, baseEnvShape, bothOrNeither, vaultModeCheck } from '../rules.js';
import { snapshotRefSchema } from '../schemas.js';
import type { PollStatusInput, PollStatusOutput } from '../shapes.js';
import { vaultRoleEnvShape } from './vault-role-env.js';

export type { PollStatusInput, PollStatusOutput };

/** The variables the stack sets for poll-status. */
export const environment = {
  /** The vault account (the source account in same-account mode). */
  VAULT_ACCOUNT_ID: accountIdSchema,
  ...vaultRoleEnvShape,
  /** The copy slot table, whose holder it releases once the copy is available, failed or gone. */
  COPY_SLOT_TABLE: z.optional(slotTableEnv),
};

const envShape = z.object({ ...baseEnvShape, ...environment });
type Env = z.infer<typeof envShape>;

/** Environment as the handler validates it (role and external ID both or neither; see vaultModeCheck). */
export const envSchema = envShape.check(bothOrNeither<Env>('VAULT_ROLE_ARN', 'VAULT_EXTERNAL_ID'), vaultModeCheck<Env>());

/** Event schema. */
export const inputSchema: z.ZodMiniType<PollStatusInput> = z.object({
  snapshot: snapshotRefSchema,
  attempt: z.number().check(z.int(), z.gte(0)),
  copyStartedAt: z.iso.datetime(),
  previous: z.optional(z.object({ elapsedSeconds: z.number().check(z.gte(0)), percentProgress: z.number().check(z.gte(0), z.lte(100)) })),
  maxWaitSeconds: z.optional(z.number().check(z.gt(0))),
});
