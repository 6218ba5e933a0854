/**
 * check-recovery-points Lambda (issue 9): recovery point age per database in its account and
 * Region, as the `RecoveryPointAge` metric and a report (see check.ts). Runs as the first step of
 * VaultRetention in every vault Region (primary and DR).
 *
 * Environment: AWS_REGION, ACCOUNT_ID (and POWERTOOLS_METRICS_NAMESPACE / _DISABLED).
 * AWS: rds:DescribeDBSnapshots, rds:DescribeDBClusterSnapshots.
 * Input `{ databases: [{ identifier, kind, rpoHours }] }`; output CheckRecoveryPointsOutput
 * (contracts/functions/check-recovery-points.ts), bounded whatever the number of databases.
 * Errors: InvalidEnvironment, InvalidInput, AWS errors by name.
 */
import { createClients } from '../../functions/shared/clients/factory.js';
import { rds } from '../../functions/shared/clients/rds.js';
import { createMetrics, lazyHandler, makeHandler, type HandlerDeps, type LambdaHandler } from '../../functions/shared/handler.js';
import { checkRecoveryPoints, type RecoveryPointStatus } from './check.js';
import { envSchema, inputSchema, RECOVERY_POINT_NAMES_LIMIT, RECOVERY_POINT_RECORDS_LIMIT, type CheckRecoveryPointsOutput } from '../../contracts/functions/check-recovery-points.js';

export type { HandlerDeps } from '../../functions/shared/handler.js';
/** Environment and event schemas: check-recovery-points's contract (contracts/functions/check-recovery-points.ts). */
export { envSchema, inputSchema };
export { checkRecoveryPoints, RECOVERY_POINT_AGE_METRIC } from './check.js';

export type { CheckRecoveryPointsOutput };

/**
 * The output for `statuses` (input order): counts, the first names of the stale and missing
 * databases, and the first records (not OK first); see {@link CheckRecoveryPointsOutput}.
 */
export function boundedOutput(statuses: readonly RecoveryPointStatus[]): CheckRecoveryPointsOutput {
  const stale = statuses.filter((r) => r.status === 'RecoveryPointStale').map((r) => r.database);
  const missing = statuses.filter((r) => r.status === 'NoRecoveryPoint').map((r) => r.database);
  const records = [...statuses.filter((r) => r.status !== 'OK'), ...statuses.filter((r) => r.status === 'OK')].slice(0, RECOVERY_POINT_RECORDS_LIMIT);
  return {
    checked: statuses.length,
    recoveryPoints: records,
    recoveryPointsOmitted: statuses.length - records.length,
    stale: stale.slice(0, RECOVERY_POINT_NAMES_LIMIT),
    staleCount: stale.length,
    missing: missing.slice(0, RECOVERY_POINT_NAMES_LIMIT),
    missingCount: missing.length,
  };
}

/** Builds the handler. Its own Powertools Metrics (one EMF document per database, dimensions Database and Region). */
export function createHandler(deps: HandlerDeps<'rds'>): LambdaHandler<CheckRecoveryPointsOutput> {
  const metrics = createMetrics('check-recovery-points', deps.env);
  return makeHandler({
    name: 'check-recovery-points',
    deps,
    envSchema,
    inputSchema,
    run: async (input, { clients, config, now }) => {
      return boundedOutput(await checkRecoveryPoints(clients.rds(), { databases: input.databases, region: config.AWS_REGION }, now(), metrics));
    },
  });
}

/** The Lambda entry point (built on first invocation; importing this module has no side effects). */
export const handler = lazyHandler(() =>
  createHandler({ env: process.env, clients: createClients({ rds }, { region: process.env.AWS_REGION }), now: () => new Date() }),
);
