/**
 * notify Lambda: publishes one SNS message summarising a BackupRun: per database the source copy,
 * the vault copy, every DR-Region copy (Region, ARN, duration) and the S3 export (URI, status,
 * duration), or the error of a failed database. BackupRun sends each database's fixed-bound
 * `summary` (DatabaseSummary); a full DatabaseBackup `output` is still read.
 *
 * Environment: AWS_REGION, ACCOUNT_ID, TOPIC_ARN (SNS topic ARN).
 * Input {@link NotifyInput}, output {@link NotifyOutput}. The event is read leniently below
 * `results[i].database`/`status` (a report with `n/a` beats no report); each SUCCEEDED `output`
 * and each FAILED `error`/`cause` is read defensively.
 * Errors: InvalidEnvironment, InvalidInput; SNS errors keep their names (e.g. AuthorizationError).
 */
import * as z from 'zod/mini';
import { createClients } from '../../functions/shared/clients/factory.js';
import { sns } from '../../functions/shared/clients/sns.js';
import type { NotifyInput, NotifyOutput } from '../../functions/shared/contracts.js';
import { baseEnvShape } from '../../functions/shared/env.js';
import { lazyHandler, makeHandler, type HandlerDeps, type LambdaHandler } from '../../functions/shared/handler.js';
import { runIdSchema } from '../../functions/shared/schemas.js';
import { notify } from './report.js';

export type { HandlerDeps } from '../../functions/shared/handler.js';

/** Environment of notify. */
export const envSchema = z.object({
  ...baseEnvShape,
  TOPIC_ARN: z.string().check(z.regex(/^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[\w-]{1,256}(\.fifo)?$/, 'must be an SNS topic ARN')),
  /** Issue 9: recovery point objective in hours (default 26); older recovery points are reported RecoveryPointStale. */
  RPO_HOURS: z.optional(z.string().check(z.regex(/^\d+(\.\d+)?$/, 'must be a number of hours'))),
});

const asText = (v: unknown): string | undefined => (v === undefined || v === null ? undefined : typeof v === 'string' ? v : JSON.stringify(v));

/** Event schema. */
export const inputSchema = z.object({
  runId: runIdSchema,
  results: z.array(
    z.object({
      database: z.object({ identifier: z.string().check(z.minLength(1)), kind: z.string() }),
      status: z.string(),
      summary: z.optional(z.unknown()),
      output: z.optional(z.unknown()),
      error: z.optional(z.unknown()),
      cause: z.optional(z.unknown()),
    }),
  ),
});

/** Builds the notify handler; see {@link notify}. */
export function createHandler(deps: HandlerDeps<'sns'>): LambdaHandler<NotifyOutput> {
  return makeHandler({
    name: 'notify',
    deps,
    envSchema,
    inputSchema,
    run: async (input, { config, clients, metrics, now }) => {
      const normalized = {
        runId: input.runId,
        results: input.results.map((r) => ({ ...r, error: asText(r.error), cause: asText(r.cause) })),
      } as unknown as NotifyInput;
      const region = config.TOPIC_ARN.split(':')[3] ?? config.AWS_REGION;
      const source = { partition: config.TOPIC_ARN.split(':')[1] ?? 'aws', accountId: config.ACCOUNT_ID, region: config.AWS_REGION };
      const out = await notify(clients.sns({ region }), config.TOPIC_ARN, normalized, source, { now: now(), rpoHours: Number(config.RPO_HOURS ?? 26) });
      metrics.count('DatabasesSucceeded', out.succeeded);
      metrics.count('DatabasesFailed', out.failed);
      metrics.count('RecoveryPointsStale', out.staleDatabases?.length ?? 0);
      return out;
    },
  });
}

/** The Lambda entry point (built on first invocation; importing this module has no side effects). */
export const handler = lazyHandler(() =>
  createHandler({ env: process.env, clients: createClients({ sns }, { region: process.env.AWS_REGION }), now: () => new Date() }),
);
