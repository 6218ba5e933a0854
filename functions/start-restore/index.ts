/**
 * start-restore Lambda (issue 9): the RDS-changing steps of a restore drill (see restore.ts):
 * `{ action: 'restore', database, settings, drillId }` -> {@link DrillTarget};
 * `{ action: 'create-instance', target, settings, drillId }` -> `{ created }`;
 * `{ action: 'set-password', target }` -> `{ secretArn? }`.
 *
 * Environment: AWS_REGION, ACCOUNT_ID. AWS: rds:DescribeDBSnapshots/DescribeDBClusterSnapshots,
 * rds:RestoreDBInstanceFromDBSnapshot/RestoreDBClusterFromSnapshot/CreateDBInstance/AddTagsToResource
 * (drill-tagged only), rds:ModifyDBInstance/ModifyDBCluster (drill-tagged only),
 * secretsmanager:CreateSecret/TagResource (RDS-managed secrets), the vault KMS key via RDS.
 * Errors: InvalidEnvironment, InvalidInput, NoRecoveryPoint, AWS errors by name.
 */
import { createClients } from '../../functions/shared/clients/factory.js';
import { rds } from '../../functions/shared/clients/rds.js';
import { type DrillTarget } from '../../contracts/drill.js';
import { lazyHandler, makeHandler, type HandlerDeps, type LambdaHandler } from '../../functions/shared/handler.js';
import { createClusterInstance, setMasterPassword, startRestore } from './restore.js';
import { envSchema, inputSchema } from '../../contracts/functions/start-restore.js';

export type { HandlerDeps } from '../../functions/shared/handler.js';
/** Environment and event schemas: start-restore's contract (contracts/functions/start-restore.ts). */
export { envSchema, inputSchema };

/** Output: the target (`restore`), `{ created }` or `{ secretArn? }`. */
export type StartRestoreOutput = DrillTarget | { created: boolean } | { secretArn?: string };

/** Builds the start-restore handler. */
export function createHandler(deps: HandlerDeps<'rds'>): LambdaHandler<StartRestoreOutput> {
  return makeHandler({
    name: 'start-restore',
    deps,
    envSchema,
    inputSchema,
    run: async (input, { clients, now }) => {
      const rds = clients.rds();
      if (input.action === 'restore') return startRestore(rds, input, now());
      if (input.action === 'create-instance') return createClusterInstance(rds, input);
      return setMasterPassword(rds, input.target);
    },
  });
}

/** The Lambda entry point (built on first invocation; importing this module has no side effects). */
export const handler = lazyHandler(() =>
  createHandler({ env: process.env, clients: createClients({ rds }, { region: process.env.AWS_REGION }), now: () => new Date() }),
);
