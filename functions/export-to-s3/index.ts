/**
 * export-to-s3 Lambda: starts the export (Apache Parquet) of the run's manual copy to the export
 * bucket with StartExportTask, or reuses the task a previous attempt started.
 *
 * Environment: AWS_REGION, ACCOUNT_ID,
 * - `EXPORT_BUCKET`: bucket name, in AWS_REGION (the snapshot's Region);
 * - `EXPORT_PREFIX`: key prefix, e.g. `exports` (no colon; leading/trailing slashes are dropped);
 * - `EXPORT_ROLE_ARN`: the role RDS assumes to write (trusted by export.rds.amazonaws.com);
 * - `EXPORT_KMS_KEY_ARN`: KMS key ARN in ACCOUNT_ID and AWS_REGION that encrypts the export;
 * - `COPY_SLOT_TABLE`, `COPY_SLOT_LIMITS`, `COPY_SLOT_LEASE_SECONDS`: the copy slot table (functions/shared/copy-slots.ts; absent = none).
 * AWS: rds:StartExportTask, rds:DescribeExportTasks, iam:PassRole on EXPORT_ROLE_ARN
 * (iam:PassedToService export.rds.amazonaws.com), kms:CreateGrant + kms:DescribeKey on the key.
 * Input {@link ExportToS3Input}, output {@link ExportToS3Output}.
 * Errors: InvalidEnvironment, InvalidInput, SnapshotNotAvailable, SnapshotNotFound,
 * ExportTaskIdentifierConflict, ExportTaskLimitReached (retry with long backoff), ExportConfigurationInvalid.
 */
import { dynamodb } from '../../functions/shared/clients/dynamodb.js';
import { createClients } from '../../functions/shared/clients/factory.js';
import { rds } from '../../functions/shared/clients/rds.js';
import type { ExportToS3Output } from '../../contracts/shapes.js';
import { lazyHandler, makeHandler, type HandlerDeps, type LambdaHandler } from '../../functions/shared/handler.js';
import { slotHooksFrom as slotsFor } from '../../functions/shared/copy-slots.js';
import { exportToS3 } from './export.js';
import { envSchema, inputSchema } from '../../contracts/functions/export-to-s3.js';

export type { HandlerDeps } from '../../functions/shared/handler.js';
/** Environment and event schemas: export-to-s3's contract (contracts/functions/export-to-s3.ts). */
export { envSchema, inputSchema };
export { exportTaskIdentifier } from '../../functions/shared/exports.js';

/** Builds the export-to-s3 handler; see {@link exportToS3}. */
export function createHandler(deps: HandlerDeps<'rds' | 'dynamodb'>): LambdaHandler<ExportToS3Output> {
  return makeHandler({
    name: 'export-to-s3',
    deps,
    envSchema,
    inputSchema,
    run: async (input, { config, clients, now, metrics }) => {
      const at = now();
      const out = await exportToS3(
        clients.rds({ region: config.AWS_REGION }),
        input,
        {
          accountId: config.ACCOUNT_ID,
          region: config.AWS_REGION,
          bucket: config.EXPORT_BUCKET,
          prefix: config.EXPORT_PREFIX,
          roleArn: config.EXPORT_ROLE_ARN,
          kmsKeyArn: config.EXPORT_KMS_KEY_ARN,
        },
        at,
        slotsFor(config, clients, at),
      );
      metrics.count(out.created ? 'ExportTasksStarted' : 'ExportTasksReused');
      return out;
    },
  });
}

/** The Lambda entry point (built on first invocation; importing this module has no side effects). */
export const handler = lazyHandler(() =>
  createHandler({ env: process.env, clients: createClients({ rds, dynamodb }, { region: process.env.AWS_REGION }), now: () => new Date() }),
);
