/**
 * export-to-s3's contract (functions/export-to-s3): environment. Input/output: ExportToS3Input,
 * ExportToS3Output (contracts/shapes.ts).
 */
import * as z from 'zod/mini';
import { slotEnvShape } from '../copy-slots.js';
import { baseEnvShape, bucketNameSchema, exportPrefixSchema, kmsKeyArnSchema, kmsKeyLocatedIn, roleArnSchema } from '../rules.js';
import { databaseRefSchema, runIdSchema, snapshotRefSchema } from '../schemas.js';
import type { ExportToS3Input, ExportToS3Output } from '../shapes.js';

export type { ExportToS3Input, ExportToS3Output };

/** The variables the stack sets for export-to-s3. */
export const environment = {
  /** The export bucket's name. */
  EXPORT_BUCKET: bucketNameSchema,
  /** Key prefix, e.g. `exports` (the one export prefix rule, contracts/rules.ts). */
  EXPORT_PREFIX: exportPrefixSchema,
  /** The role RDS assumes to write the export. */
  EXPORT_ROLE_ARN: roleArnSchema,
  /** The key the export is encrypted with (this account and Region). */
  EXPORT_KMS_KEY_ARN: kmsKeyArnSchema,
  ...slotEnvShape,
};

const envShape = z.object({ ...baseEnvShape, ...environment });

/** Environment as the handler validates it; the key must be in ACCOUNT_ID and AWS_REGION. */
export const envSchema = envShape.check(kmsKeyLocatedIn<z.infer<typeof envShape>>('EXPORT_KMS_KEY_ARN', 'ACCOUNT_ID', 'AWS_REGION'));

/** Event schema. */
export const inputSchema: z.ZodMiniType<ExportToS3Input> = z.object({
  database: databaseRefSchema,
  runId: runIdSchema,
  snapshot: snapshotRefSchema,
});
