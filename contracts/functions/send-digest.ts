/**
 * send-digest's contract (functions/send-digest): environment and input. The DailyDigest state machine
 * (statemachines/daily-digest.ts) invokes it once a day. Output: DigestOutput (functions/send-digest/digest.ts).
 */
import * as z from 'zod/mini';
import { baseEnvShape } from '../rules.js';
import { environment as notifyEnvironment } from './notify.js';

/** The variables the stack sets: notify's topic and RPO, and the run ledger's bucket. */
export const environment = {
  TOPIC_ARN: notifyEnvironment.TOPIC_ARN,
  RPO_HOURS: notifyEnvironment.RPO_HOURS,
  LEDGER_BUCKET: notifyEnvironment.LEDGER_BUCKET,
};

/** Environment of send-digest as the handler validates it. */
export const envSchema = z.object({ ...baseEnvShape, ...environment });

/** Event schema: `{ input: { day?: 'yyyy-mm-dd' }, time: <ISO-8601 UTC> }` (day omitted: the UTC day before `time`). */
export const inputSchema = z.object({
  /** The execution input. */
  input: z.object({ day: z.optional(z.string().check(z.regex(/^\d{4}-\d\d-\d\d$/, 'must be a UTC day yyyy-mm-dd'))) }),
  /** The execution's start time. */
  time: z.string().check(z.refine((t: string) => !Number.isNaN(Date.parse(t)), 'must be an ISO-8601 time')),
});

/** send-digest's input. */
export type SendDigestInput = z.infer<typeof inputSchema>;
