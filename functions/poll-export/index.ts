/**
 * poll-export Lambda: reports an export task's status and the next wait (300-3600 s) for the
 * ExportToS3 wait loop.
 *
 * Environment: AWS_REGION, ACCOUNT_ID, `COPY_SLOT_TABLE` (optional: the copy slot table, whose export holder it
 * releases once the task is complete, failed or gone). AWS: rds:DescribeExportTasks (in the task's Region),
 * dynamodb:GetItem/UpdateItem on the table.
 * Input {@link PollExportInput}, output {@link PollExportOutput}.
 * Errors: InvalidEnvironment, InvalidInput, ExportTaskNotFound, ExportTaskFailed, ExportTaskIdentifierConflict.
 */
import { dynamodb } from '../../functions/shared/clients/dynamodb.js';
import { createClients } from '../../functions/shared/clients/factory.js';
import { rds } from '../../functions/shared/clients/rds.js';
import type { PollExportOutput } from '../../contracts/shapes.js';
import { lazyHandler, makeHandler, type HandlerDeps, type LambdaHandler } from '../../functions/shared/handler.js';
import { releaseWhenFinished, slotReleaseFrom } from '../../functions/shared/copy-slots.js';
import { pollExport } from './poll.js';
import { envSchema, exportTaskRefSchema, inputSchema } from '../../contracts/functions/poll-export.js';

export type { HandlerDeps } from '../../functions/shared/handler.js';
/** Environment and event schemas: poll-export's contract (contracts/functions/poll-export.ts). */
export { envSchema, exportTaskRefSchema, inputSchema };
export { MAX_EXPORT_POLL_SECONDS, MIN_EXPORT_POLL_SECONDS, nextExportPollSeconds } from './poll.js';

/** Builds the poll-export handler; see {@link pollExport}. */
export function createHandler(deps: HandlerDeps<'rds' | 'dynamodb'>): LambdaHandler<PollExportOutput> {
  return makeHandler({
    name: 'poll-export',
    deps,
    envSchema,
    inputSchema,
    run: async (input, { config, clients, now }) => {
      // Issue 12: a task seen complete, failed or gone gives its export slot back (functions/shared/copy-slots.ts).
      const at = now();
      const release = slotReleaseFrom(config, clients, { accountId: config.ACCOUNT_ID, region: input.exportTask.region, kind: 'export', holder: input.exportTask.identifier }, at);
      return releaseWhenFinished(release, ['ExportTaskFailed', 'ExportTaskNotFound'], () => pollExport(clients.rds({ region: input.exportTask.region }), input, at));
    },
  });
}

/** The Lambda entry point (built on first invocation; importing this module has no side effects). */
export const handler = lazyHandler(() =>
  createHandler({ env: process.env, clients: createClients({ rds, dynamodb }, { region: process.env.AWS_REGION }), now: () => new Date() }),
);
