/**
 * record-evidence Lambda (issue 9): one JSON evidence record per database per drill (see evidence.ts).
 *
 * Environment: AWS_REGION, ACCOUNT_ID, `EVIDENCE_BUCKET` (bucket name), `EVIDENCE_PREFIX` (e.g. `drills`).
 * AWS: s3:PutObject on `<bucket>/<prefix>/*`; kms:GenerateDataKey on the bucket's key.
 * Input {@link RecordEvidenceInput}, output {@link EvidenceSummary}.
 * Errors: InvalidEnvironment, InvalidInput, AWS errors by name.
 */
import { createClients } from '../../functions/shared/clients/factory.js';
import { s3 } from '../../functions/shared/clients/s3.js';
import { createMetrics, lazyHandler, makeHandler, type HandlerDeps, type LambdaHandler } from '../../functions/shared/handler.js';
import { recordDrillMetrics } from './drill-metrics.js';
import { recordEvidence, type EvidenceSummary } from './evidence.js';
import { envSchema, inputSchema } from '../../contracts/functions/record-evidence.js';

export type { HandlerDeps } from '../../functions/shared/handler.js';
/** Environment and event schemas: record-evidence's contract (contracts/functions/record-evidence.ts). */
export { envSchema, inputSchema };

/** Builds the record-evidence handler; the drill metrics (drill-metrics.ts) come from its own Powertools Metrics. */
export function createHandler(deps: HandlerDeps<'s3'>): LambdaHandler<EvidenceSummary> {
  const drillMetrics = createMetrics('record-evidence', deps.env);
  return makeHandler({
    name: 'record-evidence',
    deps,
    envSchema,
    inputSchema,
    run: async (input, { clients, config, now }) => {
      const summary = await recordEvidence(clients.s3(), { bucket: config.EVIDENCE_BUCKET, prefix: config.EVIDENCE_PREFIX }, input, now());
      recordDrillMetrics(drillMetrics, summary);
      return summary;
    },
  });
}

/** The Lambda entry point (built on first invocation; importing this module has no side effects). */
export const handler = lazyHandler(() =>
  createHandler({ env: process.env, clients: createClients({ s3 }, { region: process.env.AWS_REGION }), now: () => new Date() }),
);
