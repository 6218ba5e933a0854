/**
 * poll-export's contract (functions/poll-export): environment. Invoked by DatabaseBackup's export loop.
 */
import * as z from 'zod/mini';
import { slotTableEnv } from '../copy-slots.js';
import { baseEnvShape } from '../rules.js';

/** The variables the stack sets for poll-export. */
export const environment = {
  /** The copy slot table whose export holders it releases. */
  COPY_SLOT_TABLE: z.optional(slotTableEnv),
};

/** Environment as the handler validates it. */
export const envSchema = z.object({ ...baseEnvShape, ...environment });
