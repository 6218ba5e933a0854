/**
 * retention-sweep Lambda: applies the retention policy to one database's managed copies in the
 * account and Region it runs in (source account, or the vault account for vault retention); or,
 * given `{ listDatabases: { configured } }`, lists the databases a retention run covers there
 * (see inventory.ts); or, given `{ sweepRemoved: { configured, policy } }` (source account, end of
 * BackupRun), sweeps the databases with managed copies that are not configured ({@link sweepRemovedDatabases}).
 *
 * Environment: AWS_REGION, ACCOUNT_ID; in the source stack `DATABASES_FILE`, the bundled file of
 * configured databases (functions/shared/databases-file.ts, read at the first invocation), which
 * `sweepRemoved` uses when its input gives no `configured` (BackupRun's Task input stays O(1), issue 12).
 * Input {@link RetentionSweepInput} (unknown top-level keys rejected: a misspelt `dryRun` must not
 * silently delete) -> {@link RetentionSweepOutput}, or {@link ListManagedDatabasesInput} ->
 * {@link ListManagedDatabasesOutput}, or {@link SweepRemovedDatabasesInput} -> {@link SweepRemovedDatabasesOutput}.
 * Errors: InvalidEnvironment (also: DATABASES_FILE unreadable), InvalidInput (also: `sweepRemoved`
 * without `configured` in a function without DATABASES_FILE: nothing is swept); AWS errors unchanged.
 */
import { createClients } from '../../functions/shared/clients/factory.js';
import { rds } from '../../functions/shared/clients/rds.js';
import { FOREIGN_KEY_COPIES_METRIC } from '../../contracts/names.js';
import type { ListManagedDatabasesOutput, RetentionSweepOutput, SweepRemovedDatabasesOutput } from '../../contracts/shapes.js';
import { resolveDatabasesFile } from '../../functions/shared/databases-file.js';
import { InvalidInput } from '../../contracts/errors.js';
import { lazyHandler, makeHandler, type HandlerDeps, type LambdaHandler } from '../../functions/shared/handler.js';
import { listManagedDatabases } from './inventory.js';
import { envSchema, inputSchema, listInputSchema, policySchema, sweepInputSchema, sweepRemovedInputSchema } from '../../contracts/functions/retention-sweep.js';
import { sweep, sweepRemovedDatabases } from './sweep.js';

export type { HandlerDeps } from '../../functions/shared/handler.js';
export { decideRetention } from './policy.js';

// Environment, retention policy and event schemas: retention-sweep's contract (contracts/functions/retention-sweep.ts).
export { envSchema, inputSchema, listInputSchema, policySchema, sweepInputSchema, sweepRemovedInputSchema };

/**
 * Builds the retention-sweep handler; see {@link sweep} and {@link decideRetention}. The bundled
 * databases file (DATABASES_FILE) is read at the first invocation, so a missing file fails that
 * invocation with InvalidEnvironment (and deletes nothing).
 */
export function createHandler(deps: HandlerDeps<'rds'>): LambdaHandler<RetentionSweepOutput | ListManagedDatabasesOutput | SweepRemovedDatabasesOutput> {
  let inner: LambdaHandler<RetentionSweepOutput | ListManagedDatabasesOutput | SweepRemovedDatabasesOutput> | undefined;
  return (event, context) => {
    inner ??= createInnerHandler({ ...deps, env: resolveDatabasesFile(deps.env, 'retention-sweep') });
    return inner(event, context);
  };
}

function createInnerHandler(deps: HandlerDeps<'rds'>): LambdaHandler<RetentionSweepOutput | ListManagedDatabasesOutput | SweepRemovedDatabasesOutput> {
  return makeHandler({
    name: 'retention-sweep',
    deps,
    envSchema,
    inputSchema,
    run: async (input, { config, clients, now, metrics }): Promise<RetentionSweepOutput | ListManagedDatabasesOutput | SweepRemovedDatabasesOutput> => {
      if ('listDatabases' in input) {
        return { databases: await listManagedDatabases(clients.rds({ region: config.AWS_REGION }), input.listDatabases.configured) };
      }
      if ('sweepRemoved' in input) {
        // Fail closed: without the configured list every database with copies would look removed.
        const configured = input.sweepRemoved.configured ?? config.DATABASES;
        if (configured === undefined) throw new InvalidInput('sweepRemoved.configured: required when the function has no DATABASES_FILE (the configured databases bundled by the source stack)');
        const out = await sweepRemovedDatabases(clients.rds({ region: config.AWS_REGION }), { ...input.sweepRemoved, configured }, { accountId: config.ACCOUNT_ID, region: config.AWS_REGION }, now());
        if (!out.dryRun) metrics.count('SnapshotsDeleted', out.deletedCount);
        return out;
      }
      const out = await sweep(clients.rds({ region: config.AWS_REGION }), input, { accountId: config.ACCOUNT_ID, region: config.AWS_REGION }, now());
      if (!out.dryRun) metrics.count('SnapshotsDeleted', out.deleted.length);
      // Vault retention: copies under a key the vault does not own (alarmed, infra/constructs/vault-guard.ts).
      if (input.provenanceAccounts !== undefined) metrics.count(FOREIGN_KEY_COPIES_METRIC, out.foreignKeyCopies?.length ?? 0);
      return out;
    },
  });
}

/** The Lambda entry point (built on first invocation; importing this module has no side effects). */
export const handler = lazyHandler(() =>
  createHandler({ env: process.env, clients: createClients({ rds }, { region: process.env.AWS_REGION }), now: () => new Date() }),
);
