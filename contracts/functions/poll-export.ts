/**
 * poll-export's contract (functions/poll-export): environment. Invoked by DatabaseBackup's export loop.
 */
import * as z from 'zod/mini';
import { slotTableEnv } from '../copy-slots.js';
import { baseEnvShape, nonEmpty, regionSchema } from '../rules.js';
import { snapshotArnSchema } from '../schemas.js';
import type { ExportTaskRef, PollExportInput, PollExportOutput } from '../shapes.js';

export type { PollExportInput, PollExportOutput };

/** The variables the stack sets for poll-export. */
export const environment = {
  /** The copy slot table whose export holders it releases. */
  COPY_SLOT_TABLE: z.optional(slotTableEnv),
};

/** Environment as the handler validates it. */
export const envSchema = z.object({ ...baseEnvShape, ...environment });

/** {@link ExportTaskRef} (unknown keys stripped). */
export const exportTaskRefSchema: z.ZodMiniType<ExportTaskRef> = z.object({
  identifier: nonEmpty,
  sourceArn: snapshotArnSchema,
  region: regionSchema,
  s3Bucket: nonEmpty,
  s3Prefix: z.string(),
  s3Uri: nonEmpty,
  status: z.string(),
});

/** Event schema. */
export const inputSchema: z.ZodMiniType<PollExportInput> = z.object({
  exportTask: exportTaskRefSchema,
  attempt: z.number().check(z.int(), z.gte(0)),
});
