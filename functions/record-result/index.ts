/**
 * record-result Lambda (issue 12): one JSON record per database per run in the run ledger (see
 * record.ts and functions/shared/ledger.ts).
 *
 * Environment: AWS_REGION, ACCOUNT_ID, `LEDGER_BUCKET` (bucket name).
 * AWS: s3:PutObject on `<bucket>/runs/*` and `<bucket>/daily/*` (SSE-S3 bucket: no KMS permission).
 * Input {@link RecordResultInput}, output {@link RecordResultOutput}.
 * Errors: InvalidEnvironment, InvalidInput, S3 errors by name.
 */
import { createClients } from '../../functions/shared/clients/factory.js';
import { s3 } from '../../functions/shared/clients/s3.js';
import { lazyHandler, makeHandler, type HandlerDeps, type LambdaHandler } from '../../functions/shared/handler.js';
import { recordResult, type RecordResultInput, type RecordResultOutput } from './record.js';
import { envSchema, inputSchema } from '../../contracts/functions/record-result.js';

export type { HandlerDeps } from '../../functions/shared/handler.js';
/** Environment and event schemas: record-result's contract (contracts/functions/record-result.ts). */
export { envSchema, inputSchema };

/** Builds the record-result handler. */
export function createHandler(deps: HandlerDeps<'s3'>): LambdaHandler<RecordResultOutput> {
  return makeHandler({
    name: 'record-result',
    deps,
    envSchema,
    inputSchema,
    run: async (input, { clients, config, now, metrics }) => {
      const out = await recordResult(clients.s3(), config.LEDGER_BUCKET, input, now());
      metrics.count(out.status === 'SUCCEEDED' ? 'LedgerRecordsSucceeded' : out.status === 'DEFERRED' ? 'LedgerRecordsDeferred' : 'LedgerRecordsFailed');
      return out;
    },
  });
}

/** The Lambda entry point (built on first invocation; importing this module has no side effects). */
export const handler = lazyHandler(() =>
  createHandler({ env: process.env, clients: createClients({ s3 }, { region: process.env.AWS_REGION }), now: () => new Date() }),
);
