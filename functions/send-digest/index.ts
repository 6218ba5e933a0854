/**
 * send-digest Lambda (issue 12): the daily digest of event-started backups (see digest.ts), run once
 * a day by the DailyDigest state machine (statemachines/daily-digest.ts).
 *
 * Environment: AWS_REGION, ACCOUNT_ID, TOPIC_ARN, RPO_HOURS (default 26), LEDGER_BUCKET.
 * AWS: s3:ListBucket (prefix `daily/`) and s3:GetObject on `daily/*` of the run ledger; sns:Publish on the topic.
 * Input `{ input: { day?: 'yyyy-mm-dd' }, time: <ISO-8601 UTC> }` (day omitted: the UTC day before `time`).
 * Output {@link DigestOutput}.
 * Errors: InvalidEnvironment, InvalidInput, LedgerRecordInvalid; S3 and SNS errors by name.
 */
import { createClients } from '../../functions/shared/clients/factory.js';
import { s3 } from '../../functions/shared/clients/s3.js';
import { sns } from '../../functions/shared/clients/sns.js';
import { lazyHandler, makeHandler, type HandlerDeps, type LambdaHandler } from '../../functions/shared/handler.js';
import { previousUtcDay, sendDigest, type DigestOutput } from './digest.js';
import { envSchema, inputSchema } from '../../contracts/functions/send-digest.js';

export type { HandlerDeps } from '../../functions/shared/handler.js';
/** Environment and event schemas: send-digest's contract (contracts/functions/send-digest.ts). */
export { envSchema, inputSchema };

/** Builds the send-digest handler. */
export function createHandler(deps: HandlerDeps<'s3' | 'sns'>): LambdaHandler<DigestOutput> {
  return makeHandler({
    name: 'send-digest',
    deps,
    envSchema,
    inputSchema,
    run: async (input, { config, clients, metrics, now }) => {
      const day = input.input.day ?? previousUtcDay(new Date(input.time));
      const region = config.TOPIC_ARN.split(':')[3] ?? config.AWS_REGION;
      const out = await sendDigest(
        { s3: clients.s3(), sns: clients.sns({ region }) },
        { bucket: config.LEDGER_BUCKET, topicArn: config.TOPIC_ARN },
        day,
        { now: now(), rpoHours: Number(config.RPO_HOURS ?? 26) },
      );
      metrics.count('DigestRecords', out.records);
      return out;
    },
  });
}

/** The Lambda entry point (built on first invocation; importing this module has no side effects). */
export const handler = lazyHandler(() =>
  createHandler({ env: process.env, clients: createClients({ s3, sns }, { region: process.env.AWS_REGION }), now: () => new Date() }),
);
