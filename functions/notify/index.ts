/**
 * notify Lambda: publishes one SNS message summarising a BackupRun: per database the source copy,
 * the vault copy, every DR-Region copy (Region, ARN, duration) and the S3 export (URI, status,
 * duration), or the error of a failed database. BackupRun sends only a fixed-size status per
 * database; the detail is read from the run's records in the run ledger (issue 12,
 * functions/shared/ledger.ts, ledger-results.ts). An event-started run whose database succeeded
 * publishes nothing (`published: false`): it goes into the daily digest (functions/send-digest); so
 * does one whose database was deferred to the scheduled run (issue 12, a `DEFERRED` record).
 *
 * Environment: AWS_REGION, ACCOUNT_ID, TOPIC_ARN (SNS topic ARN), RPO_HOURS, LEDGER_BUCKET.
 * AWS: s3:ListBucket (prefix `runs/`) and s3:GetObject on `runs/*` and `plans/*` of the ledger; sns:Publish.
 * Output: the counts (succeeded, failed, deferred: a DEFERRED database is neither) and at most
 * MAX_LISTED_DATABASES identifiers (failed, stale): bounded whatever the fleet size.
 * Metrics: DatabasesSucceeded, DatabasesFailed, DatabasesDeferred (contracts/names.ts), RecoveryPointsStale.
 * Input, output and environment: contracts/functions/notify.ts (NotifyInput, NotifyOutput).
 * Errors: InvalidEnvironment, InvalidInput, LedgerRecordInvalid; S3 and SNS errors keep their names (e.g. AuthorizationError).
 */
import { createClients } from '../../functions/shared/clients/factory.js';
import { s3 } from '../../functions/shared/clients/s3.js';
import { sns } from '../../functions/shared/clients/sns.js';
import { MAX_LISTED_DATABASES } from '../../contracts/shapes.js';
import { DATABASES_DEFERRED_METRIC } from '../../contracts/names.js';
import { envSchema, inputSchema, type NotifyOutput } from '../../contracts/functions/notify.js';
import { readPlan, readRun } from '../../functions/shared/ledger.js';
import { lazyHandler, makeHandler, type HandlerDeps, type LambdaHandler } from '../../functions/shared/handler.js';
import { resultsFromLedger, resultsFromPlan } from './ledger-results.js';
import { notify, outcomeOf } from './report.js';

export type { HandlerDeps } from '../../functions/shared/handler.js';

// Environment and event schemas: notify's contract (contracts/functions/notify.ts).
export { envSchema, inputSchema };

/** Builds the notify handler; see {@link notify}. */
export function createHandler(deps: HandlerDeps<'s3' | 'sns'>): LambdaHandler<NotifyOutput> {
  return makeHandler({
    name: 'notify',
    deps,
    envSchema,
    inputSchema,
    run: async (input, { config, clients, metrics, now }) => {
      const records = await readRun(clients.s3(), config.LEDGER_BUCKET, input.runId);
      const results =
        input.chunks !== undefined
          ? resultsFromPlan(await readPlan(clients.s3(), config.LEDGER_BUCKET, input.runId, input.chunks), records)
          : resultsFromLedger(input.results ?? [], records);
      // Issue 12: a DEFERRED database (an event-started run left it to the scheduled run) is neither OK nor failed.
      const deferred = results.filter((r) => outcomeOf(r) === 'DEFERRED').length;
      const failed = results.filter((r) => outcomeOf(r) === 'FAILED').map((r) => r.database.identifier);
      metrics.count('DatabasesSucceeded', results.length - failed.length - deferred);
      metrics.count('DatabasesFailed', failed.length);
      metrics.count(DATABASES_DEFERRED_METRIC, deferred);
      // Issue 12: an event run (one database) that succeeded, or was deferred, goes into the daily digest (send-digest), not its own message.
      if (input.trigger === 'event' && failed.length === 0) {
        return { published: false, subject: '', messageId: '', succeeded: results.length - deferred, failed: 0, failedDatabases: [], deferred };
      }
      const region = config.TOPIC_ARN.split(':')[3] ?? config.AWS_REGION;
      const source = { partition: config.TOPIC_ARN.split(':')[1] ?? 'aws', accountId: config.ACCOUNT_ID, region: config.AWS_REGION };
      const out = await notify(clients.sns({ region }), config.TOPIC_ARN, { runId: input.runId, results }, source, { now: now(), rpoHours: Number(config.RPO_HOURS ?? 26) });
      metrics.count('RecoveryPointsStale', out.staleDatabases?.length ?? 0);
      // Issue 12: the output goes into BackupRun's state: lists bounded (the message names them all; deferred ones by count only).
      return {
        ...out,
        failedDatabases: out.failedDatabases.slice(0, MAX_LISTED_DATABASES),
        ...(out.staleDatabases !== undefined && { staleDatabases: out.staleDatabases.slice(0, MAX_LISTED_DATABASES) }),
      };
    },
  });
}

/** The Lambda entry point (built on first invocation; importing this module has no side effects). */
export const handler = lazyHandler(() =>
  createHandler({ env: process.env, clients: createClients({ s3, sns }, { region: process.env.AWS_REGION }), now: () => new Date() }),
);
