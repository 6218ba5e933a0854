/**
 * validate-restore Lambda (issue 9; runs in the drill VPC): connects to a restored drill database
 * with `pg` / `mysql2` and the master user secret, and runs the database's checks.
 *
 * Environment: AWS_REGION, ACCOUNT_ID, `DB_TLS` (`verify`: TLS with certificate verification, the
 * RDS CA from NODE_EXTRA_CA_CERTS; `off`: plain TCP, only for the local sandbox's servers).
 * AWS: secretsmanager:GetSecretValue on the restored database's RDS-managed secret.
 * Input {@link ValidateRestoreInput}, output {@link ValidationResult}.
 * Errors: InvalidEnvironment, InvalidInput, RestoreCheckFailed, MasterSecretUnusable,
 * ResourceNotFoundException / AccessDeniedException (Secrets Manager), ECONNREFUSED / ETIMEDOUT.
 */
import { createClients } from '../../functions/shared/clients/factory.js';
import { secretsManager } from '../../functions/shared/clients/secrets-manager.js';
import { type ValidationResult } from '../../contracts/drill.js';
import { lazyHandler, makeHandler, type HandlerDeps, type LambdaHandler } from '../../functions/shared/handler.js';
import { validateRestore, type SessionOpener, type ValidateRestoreInput } from './validate.js';
import { envSchema, inputSchema } from '../../contracts/functions/validate-restore.js';

export type { HandlerDeps } from '../../functions/shared/handler.js';
/** Environment schema: validate-restore's contract (contracts/functions/validate-restore.ts). */
export { envSchema, inputSchema };
export { driverFor, evaluate } from './validate.js';


/** Builds the validate-restore handler; `open` replaces the real drivers in unit tests. */
export function createHandler(deps: HandlerDeps<'secretsManager'>, open?: SessionOpener): LambdaHandler<ValidationResult> {
  return makeHandler({
    name: 'validate-restore',
    deps,
    envSchema,
    inputSchema,
    run: async (input, { clients, config }) => validateRestore(clients.secretsManager(), input, { tls: config.DB_TLS === 'verify', ...(open ? { open } : {}) }),
  });
}

/** The Lambda entry point (built on first invocation; importing this module has no side effects). */
export const handler = lazyHandler(() =>
  createHandler({ env: process.env, clients: createClients({ secretsManager }, { region: process.env.AWS_REGION }), now: () => new Date() }),
);
