/**
 * validate-restore's contract (functions/validate-restore): environment. Invoked by RestoreDrill.
 */
import * as z from 'zod/mini';
import { drillDatabaseSchema, pollSchema, targetSchema, type DrillDatabase, type DrillTarget, type RestorePoll } from '../drill.js';
import { baseEnvShape } from '../rules.js';

/** The variables the stack sets for validate-restore. */
export const environment = {
  /** `verify` (TLS to the restored database, certificate checked against the RDS CAs) or `off` (local sandbox only). */
  DB_TLS: z.enum(['verify', 'off']),
  /**
   * `/var/runtime/ca-cert.pem`: Lambda's bundle with the Amazon RDS CAs, not loaded by default since
   * Node.js 20 (https://docs.aws.amazon.com/lambda/latest/dg/lambda-nodejs.html). Read by Node, not by the handler.
   */
  NODE_EXTRA_CA_CERTS: z.optional(z.string()),
};

/** Environment as the handler validates it. */
export const envSchema = z.object({ ...baseEnvShape, ...environment });

/** Input of validate-restore. */
export interface ValidateRestoreInput {
  readonly database: DrillDatabase;
  readonly target: DrillTarget;
  readonly poll: RestorePoll;
}

/** Event schema ({@link ValidateRestoreInput}). */
export const inputSchema: z.ZodMiniType<ValidateRestoreInput> = z.object({ database: drillDatabaseSchema, target: targetSchema, poll: pollSchema });
