/**
 * record-evidence's contract (functions/record-evidence): environment. Invoked by RestoreDrill.
 */
import * as z from 'zod/mini';
import { baseEnvShape, bucketNameSchema, nonEmpty } from '../rules.js';

/** The variables the stack sets for record-evidence. */
export const environment = {
  /** Evidence bucket name. */
  EVIDENCE_BUCKET: bucketNameSchema,
  /** Key prefix, e.g. `drills`. */
  EVIDENCE_PREFIX: nonEmpty,
};

/** Environment as the handler validates it. */
export const envSchema = z.object({ ...baseEnvShape, ...environment });
