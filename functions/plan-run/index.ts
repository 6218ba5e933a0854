/**
 * plan-run Lambda, two modes:
 * - plan (`{ input, runId }`): validates a BackupRun execution input against the configured and
 *   (optionally) tag-discovered databases, writes the plan to the run ledger (issue 12,
 *   `plans/<runId>/`, functions/shared/ledger.ts `writePlan`) and returns {@link PlanRunResult}: the
 *   indices the Map iterates over and counts, a few bytes per database in BackupRun's state.
 * - item (`{ runId, index }`): reads item `index` of that plan (one chunk object) and returns it,
 *   the {@link PlannedDatabase} that is the DatabaseBackup child's input.
 *
 * Environment: AWS_REGION, ACCOUNT_ID,
 * - `DATABASES_FILE`: name of a file at the root of the function's bundle (`$LAMBDA_TASK_ROOT/<name>`,
 *   read once at cold start) holding the JSON array of `{ identifier, kind, export? }` (`export`
 *   absent = false); may be `[]` only when DISCOVERY_TAGS is set. The stack writes it (any fleet
 *   size; the 4 KB environment would hold ~55 databases).
 *   Or `DATABASES`: the same JSON inline (tests, small fleets); exactly one of the two.
 * - `DISCOVERY_TAGS` (optional): JSON object `{ "<tag key>": "<tag value>", ... }`; a DB instance
 *   (not a cluster member) or DB cluster carrying every pair is backed up too. Absent = no discovery.
 * - `SOURCE_RETENTION` (optional): JSON retention policy of the source copies (`retention.source`);
 *   with it, plan-run checks the manual snapshot quotas of this account and Region before the run
 *   ({@link checkManualSnapshotQuotas}: rds:DescribeAccountAttributes) and fails fast with
 *   ManualSnapshotQuotaTooLow. Absent = no check.
 * - `MAP_CONCURRENCY` (optional): JSON `{ max, min, instance, cluster }`, the bounds of BackupRun's Map
 *   concurrency plan-run chooses per run (./order.ts `mapConcurrency`); absent = 50 whatever the fleet.
 * - `DISCOVERY_EXPORT` (optional): `'true'` | `'false'` (default false), `export` of discovered databases.
 * - `LEDGER_BUCKET`: the run ledger bucket (infra/constructs/run-ledger.ts).
 * Input {@link PlanRunEvent} or {@link PlanItemEvent} (unknown keys rejected), output {@link PlanRunResult} or {@link PlannedDatabase}.
 * AWS (source account/Region): rds:DescribeDBInstances, rds:DescribeDBClusters,
 * rds:ListTagsForResource (discovery), rds:DescribeDBSnapshots, rds:DescribeDBClusterSnapshots
 * (database of a `sourceSnapshotArn`); s3:PutObject and s3:GetObject on `<ledger>/plans/*`.
 * Errors: PlanItemNotFound (item mode), S3 errors by name, ManualSnapshotQuotaTooLow, InvalidEnvironment (also: DATABASES_FILE unreadable, both or neither variable), InvalidInput, UnknownDatabase, SnapshotNotFound; SDK errors keep their names.
 */
import * as z from 'zod/mini';
import { createClients } from '../../functions/shared/clients/factory.js';
import { rds } from '../../functions/shared/clients/rds.js';
import { s3 } from '../../functions/shared/clients/s3.js';
import type { PlanItemEvent, PlannedDatabase, PlanRunEvent, PlanRunResult } from '../../contracts/shapes.js';
import { baseEnvShape, dbIdentifierSchema, jsonEnv, regionSchema } from '../../functions/shared/env.js';
import { readPlanItem, writePlan } from '../../functions/shared/ledger.js';
import { lazyHandler, makeHandler, type HandlerDeps, type LambdaHandler } from '../../functions/shared/handler.js';
import { resolveDatabasesFile as resolveBundledDatabases } from '../../functions/shared/databases-file.js';
import { databaseKindSchema } from '../../contracts/schemas.js';
import { environment, inputSchema } from '../../contracts/functions/plan-run.js';
import { planRun, type ConfiguredDatabase } from './plan.js';
import { checkManualSnapshotQuotas, readManualSnapshotQuotas } from './quota.js';

export type { HandlerDeps } from '../../functions/shared/handler.js';
/** Event schema: plan-run's contract (contracts/functions/plan-run.ts). */
export { inputSchema };

/** One `DATABASES` item; `export` absent = false (never export by accident). */
const configuredDatabaseSchema = z.pipe(
  z.object({
    identifier: dbIdentifierSchema,
    kind: databaseKindSchema,
    export: z.optional(z.boolean()),
    optionGroups: z.optional(z.record(regionSchema, z.string().check(z.minLength(1), z.maxLength(255)))),
  }),
  z.transform(
    (d: { identifier: string; kind: 'instance' | 'cluster'; export?: boolean | undefined; optionGroups?: Record<string, string> | undefined }): ConfiguredDatabase => ({
      identifier: d.identifier,
      kind: d.kind,
      export: d.export ?? false,
      ...(d.optionGroups !== undefined && { optionGroups: d.optionGroups }),
    }),
  ),
);

const envShape = z.object({
  ...baseEnvShape,
  DATABASES: jsonEnv(
    z.array(configuredDatabaseSchema).check(
      z.refine((dbs: ConfiguredDatabase[]) => new Set(dbs.map((d) => d.identifier.toLowerCase())).size === dbs.length, 'identifiers must be unique'),
    ),
  ),
  // The deployed variables (plan-run's contract, contracts/functions/plan-run.ts) but DATABASES_FILE, read into DATABASES above.
  DISCOVERY_TAGS: environment.DISCOVERY_TAGS,
  DISCOVERY_EXPORT: environment.DISCOVERY_EXPORT,
  CHECK_SHAREABLE: environment.CHECK_SHAREABLE,
  MAP_CONCURRENCY: environment.MAP_CONCURRENCY,
  SOURCE_RETENTION: environment.SOURCE_RETENTION,
  LEDGER_BUCKET: environment.LEDGER_BUCKET,
});

/** Environment of plan-run; DATABASES may be empty only with DISCOVERY_TAGS. */
export const envSchema = envShape.check(
  z.superRefine((env: z.infer<typeof envShape>, ctx) => {
    if (env.DATABASES.length === 0 && env.DISCOVERY_TAGS === undefined) {
      ctx.issues.push({ code: 'custom', path: ['DATABASES'], input: env.DATABASES, message: 'must configure at least one database (or set DISCOVERY_TAGS)' });
    }
  }),
);

/**
 * The environment with `DATABASES` filled from `DATABASES_FILE` (functions/shared/databases-file.ts).
 * @throws InvalidEnvironment when both variables are set, the name is not a plain file
 *   name, LAMBDA_TASK_ROOT is missing, or the file cannot be read.
 */
export function resolveDatabasesFile(env: Record<string, string | undefined>): Record<string, string | undefined> {
  return resolveBundledDatabases(env, 'plan-run');
}

/**
 * Builds the plan-run handler. See {@link planRun} for the rules.
 * @throws InvalidEnvironment (first invocation), InvalidInput, UnknownDatabase, SnapshotNotFound.
 */
export function createHandler(deps: HandlerDeps<'rds' | 's3'>): LambdaHandler<PlanRunResult | PlannedDatabase> {
  // Read the file on the first invocation (not at import), so a missing file fails the invocation
  // with InvalidEnvironment like any other bad variable.
  let inner: LambdaHandler<PlanRunResult | PlannedDatabase> | undefined;
  return (event, context) => {
    inner ??= createInnerHandler({ ...deps, env: resolveDatabasesFile(deps.env) });
    return inner(event, context);
  };
}

function createInnerHandler(deps: HandlerDeps<'rds' | 's3'>): LambdaHandler<PlanRunResult | PlannedDatabase> {
  return makeHandler({
    name: 'plan-run',
    deps,
    envSchema,
    inputSchema,
    run: async (event, { config, clients, logger, metrics }): Promise<PlanRunResult | PlannedDatabase> => {
      if (!('input' in event)) return readPlanItem(clients.s3(), config.LEDGER_BUCKET, event.runId, event.index);
      const input = event;
      const rds = clients.rds({ region: config.AWS_REGION });
      const out = await planRun(
        { ...input.input, runId: input.runId },
        {
          configured: config.DATABASES,
          ...(config.DISCOVERY_TAGS !== undefined && { discoveryTags: config.DISCOVERY_TAGS }),
          discoveryExport: config.DISCOVERY_EXPORT,
          checkShareable: config.CHECK_SHAREABLE,
          ...(config.MAP_CONCURRENCY !== undefined && { mapConcurrency: config.MAP_CONCURRENCY }),
          accountId: config.ACCOUNT_ID,
          region: config.AWS_REGION,
        },
        { rds, warn: (m) => logger.warn(m) },
      );
      if (config.SOURCE_RETENTION !== undefined) {
        // The source account keeps copies of every configured and every discovered database, whatever
        // this run plans (an event run plans one): count them all.
        const discovered = new Set(out.discovered.map((id) => id.toLowerCase()));
        const all = [...config.DATABASES, ...out.databases.map((d) => d.database).filter((d) => discovered.has(d.identifier.toLowerCase()))];
        const checks = checkManualSnapshotQuotas({
          accountId: config.ACCOUNT_ID,
          region: config.AWS_REGION,
          instances: all.filter((d) => d.kind === 'instance').length,
          clusters: all.filter((d) => d.kind === 'cluster').length,
          policy: config.SOURCE_RETENTION,
          quotas: await readManualSnapshotQuotas(rds),
          policyName: 'retention.source',
        });
        for (const c of checks) logger.info('manual snapshot quota', { ...c });
      }
      metrics.count('DatabasesPlanned', out.count);
      metrics.count('DatabasesDiscovered', out.discovered.length);
      metrics.count('DatabasesSkipped', out.skipped.length);
      for (const s of out.skipped) logger.info('skipped', { identifier: s.identifier, reason: s.reason });
      // Issue 12: the plan goes to the run ledger; BackupRun's state gets indices and counts only.
      const chunks = await writePlan(clients.s3(), config.LEDGER_BUCKET, out);
      return {
        runId: out.runId,
        trigger: out.trigger,
        count: out.count,
        chunks,
        items: Array.from({ length: out.count }, (_, i) => i),
        skipped: out.skipped.length,
        discovered: out.discovered.length,
        concurrency: out.concurrency,
      };
    },
  });
}

/** The Lambda entry point (built on first invocation; importing this module has no side effects). */
export const handler = lazyHandler(() =>
  createHandler({ env: process.env, clients: createClients({ rds, s3 }, { region: process.env.AWS_REGION }), now: () => new Date() }),
);
