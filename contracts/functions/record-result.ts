/**
 * record-result's contract (functions/record-result): environment. DatabaseBackup's last step on both paths.
 */
import * as z from 'zod/mini';
import { baseEnvShape, bucketNameSchema } from '../rules.js';

/** The variables the stack sets for record-result. */
export const environment = {
  /** Issue 12: the run ledger bucket it writes each database's record to. */
  LEDGER_BUCKET: bucketNameSchema,
};

/** Environment as the handler validates it. */
export const envSchema = z.object({ ...baseEnvShape, ...environment });
