/**
 * create-copy Lambda: copies the newest automated (or a given) DB snapshot / DB cluster snapshot
 * to a manual, customer-managed-key encrypted, tagged copy in the same account and Region.
 *
 * Environment: AWS_REGION, ACCOUNT_ID, SOURCE_KMS_KEY_ARN (KMS key ARN in ACCOUNT_ID/AWS_REGION), and the
 * copy slot table `COPY_SLOT_TABLE`, `COPY_SLOT_LIMITS`, `COPY_SLOT_LEASE_SECONDS` (functions/shared/copy-slots.ts;
 * absent = no slot table). AWS: dynamodb:GetItem/UpdateItem on that table.
 * Input {@link CreateCopyInput}, output {@link CreateCopyOutput}.
 * Errors: InvalidEnvironment, InvalidInput, DatabaseNotFound, NoAutomatedSnapshot, SnapshotNotFound,
 * SnapshotNotAvailable, UnencryptedClusterNotSupported, KmsKeyNotAccessible, SnapshotQuotaExceeded,
 * SnapshotIdentifierConflict, SnapshotCopyFailed, CopySlotsBusy (RDS: every copy slot held), CopySlotWait / CopySlotWaitTooLong (slot table),
 * CopySlotsDeferred (event runs only: no slot expected within the bound, functions/shared/copy-slots.ts); AWS errors (e.g. ThrottlingException) keep their names.
 */
import { dynamodb } from '../../functions/shared/clients/dynamodb.js';
import { createClients } from '../../functions/shared/clients/factory.js';
import { rds } from '../../functions/shared/clients/rds.js';
import type { CreateCopyOutput } from '../../contracts/shapes.js';
import { lazyHandler, makeHandler, type HandlerDeps, type LambdaHandler } from '../../functions/shared/handler.js';
import { slotHooksFrom as slotsFor } from '../../functions/shared/copy-slots.js';
import { createCopy } from './copy.js';
import { envSchema, inputSchema } from '../../contracts/functions/create-copy.js';

export type { HandlerDeps } from '../../functions/shared/handler.js';
/** Environment and event schemas: create-copy's contract (contracts/functions/create-copy.ts). */
export { envSchema, inputSchema };

/** Builds the create-copy handler; see {@link createCopy}. */
export function createHandler(deps: HandlerDeps<'rds' | 'dynamodb'>): LambdaHandler<CreateCopyOutput> {
  return makeHandler({
    name: 'create-copy',
    deps,
    envSchema,
    inputSchema,
    run: async (input, { config, clients, now, metrics }) => {
      const startedAt = now();
      // A slot-table refusal throws CopySlotWait (caught by the state machine into the step's slot wait;
      // handler.ts logs it as a normal outcome and counts CopySlotWaits).
      const out = await createCopy(
        clients.rds({ region: config.AWS_REGION }),
        input,
        { accountId: config.ACCOUNT_ID, region: config.AWS_REGION, kmsKeyArn: config.SOURCE_KMS_KEY_ARN },
        startedAt,
        // Issue 12: an event-started run defers a copy that cannot expect a slot within the bound (CopySlotsDeferred).
        slotsFor(config, clients, startedAt, { deferWhenLate: input.trigger === 'event' }),
      );
      metrics.count(out.created ? 'CopiesStarted' : 'CopiesReused');
      return out;
    },
  });
}

/** The Lambda entry point (built on first invocation; importing this module has no side effects). */
export const handler = lazyHandler(() =>
  createHandler({ env: process.env, clients: createClients({ rds, dynamodb }, { region: process.env.AWS_REGION }), now: () => new Date() }),
);
