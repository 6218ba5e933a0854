/**
 * check-recovery-points Lambda (issue 9): recovery point age per database in its account and
 * Region, as the `RecoveryPointAge` metric and a report (see check.ts). Runs as the first step of
 * VaultRetention in every vault Region (primary and DR).
 *
 * Environment: AWS_REGION, ACCOUNT_ID (and POWERTOOLS_METRICS_NAMESPACE / _DISABLED).
 * AWS: rds:DescribeDBSnapshots, rds:DescribeDBClusterSnapshots.
 * Input `{ databases: [{ identifier, kind, rpoHours }] }`, output
 * `{ recoveryPoints: RecoveryPointStatus[], stale: string[], missing: string[] }`.
 * Errors: InvalidEnvironment, InvalidInput, AWS errors by name.
 */
import { createClients } from '../../functions/shared/clients/factory.js';
import { rds } from '../../functions/shared/clients/rds.js';
import { createMetrics, lazyHandler, makeHandler, type HandlerDeps, type LambdaHandler } from '../../functions/shared/handler.js';
import { checkRecoveryPoints, type RecoveryPointStatus } from './check.js';
import { envSchema, inputSchema } from '../../contracts/functions/check-recovery-points.js';

export type { HandlerDeps } from '../../functions/shared/handler.js';
/** Environment and event schemas: check-recovery-points's contract (contracts/functions/check-recovery-points.ts). */
export { envSchema, inputSchema };
export { checkRecoveryPoints, RECOVERY_POINT_AGE_METRIC } from './check.js';

/** Output of check-recovery-points. */
export interface CheckRecoveryPointsOutput {
  readonly recoveryPoints: RecoveryPointStatus[];
  /** Databases whose newest available copy is older than their objective. */
  readonly stale: string[];
  /** Databases with no available copy here. */
  readonly missing: string[];
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
      const recoveryPoints = await checkRecoveryPoints(clients.rds(), { databases: input.databases, region: config.AWS_REGION }, now(), metrics);
      return {
        recoveryPoints,
        stale: recoveryPoints.filter((r) => r.status === 'RecoveryPointStale').map((r) => r.database),
        missing: recoveryPoints.filter((r) => r.status === 'NoRecoveryPoint').map((r) => r.database),
      };
    },
  });
}

/** The Lambda entry point (built on first invocation; importing this module has no side effects). */
export const handler = lazyHandler(() =>
  createHandler({ env: process.env, clients: createClients({ rds }, { region: process.env.AWS_REGION }), now: () => new Date() }),
);
