/**
 * The copy slot table's contract (issue 12; the table itself: functions/shared/copy-slots.ts,
 * infra/constructs/copy-slot-table.ts): the slot kinds, AWS's limits and the environment variables
 * of the functions that acquire or release slots.
 */
import * as z from 'zod/mini';
import { jsonEnv } from './rules.js';

/** What a slot is for: a DB snapshot copy, a DB cluster snapshot copy, or an export task. */
export type SlotKind = 'instance' | 'cluster' | 'export';

/** Slots per destination: copies per account and Region by kind, export tasks per account. */
export interface SlotLimits {
  readonly instance: number;
  readonly cluster: number;
  readonly export: number;
}

/** AWS's limits (docs/aws-behaviour.md §11, §16): 20 DB snapshot copies, 5 DB cluster snapshot copies, 5 export tasks. */
export const AWS_SLOT_LIMITS: SlotLimits = { instance: 20, cluster: 5, export: 5 };

/** `COPY_SLOT_LIMITS`: JSON `{ "instance": 1-20, "cluster": 1-5, "export": 1-5 }`. */
export const slotLimitsEnv = jsonEnv(
  z.object({
    instance: z.number().check(z.int(), z.gte(1), z.lte(AWS_SLOT_LIMITS.instance)),
    cluster: z.number().check(z.int(), z.gte(1), z.lte(AWS_SLOT_LIMITS.cluster)),
    export: z.number().check(z.int(), z.gte(1), z.lte(AWS_SLOT_LIMITS.export)),
  }),
);

/** `COPY_SLOT_TABLE`: DynamoDB table name (3-255 letters, digits, `_`, `-`, `.`). */
export const slotTableEnv = z.string().check(z.regex(/^[A-Za-z0-9_.-]{3,255}$/, 'must be a DynamoDB table name'));

/** `COPY_SLOT_LEASE_SECONDS`: a whole number of seconds, 1 hour to 7 days. */
export const slotLeaseEnv = z.pipe(
  z.string().check(z.regex(/^\d+$/, 'must be a whole number of seconds')),
  z.pipe(z.transform((s: string) => Number(s)), z.number().check(z.gte(3600), z.lte(7 * 86_400))),
);

/** zod shape of the slot variables (all optional; see {@link slotSettingsFrom}). */
export const slotEnvShape = {
  COPY_SLOT_TABLE: z.optional(slotTableEnv),
  COPY_SLOT_LIMITS: z.optional(slotLimitsEnv),
  COPY_SLOT_LEASE_SECONDS: z.optional(slotLeaseEnv),
};

/**
 * Longest a copy step waits for a slot, seconds (20 h): once a refused requester has waited this long
 * (`waitedSeconds`, since its first refusal), the copy function throws `CopySlotWaitTooLong`
 * instead of `CopySlotWait` (functions/shared/copy-slots.ts). Longer than the longest copy ahead of a waiter (a 4 TiB
 * cross-Region copy: ~15 h). statemachines/timeouts.ts sizes the execution timeouts from it.
 */
export const COPY_SLOT_WAIT_MAX_SECONDS = 20 * 3600;

/**
 * Longest a copy step waits for a slot in a queue that moves, seconds (40 h). Past
 * {@link COPY_SLOT_WAIT_MAX_SECONDS} a waiter fails only when no holder of its slot group was released
 * for {@link COPY_SLOT_WAIT_MAX_SECONDS} either (the destination is stuck: copies of another tool, or
 * copies that never finish); a waiter merely late in a long queue that keeps moving (a fleet of 1,000
 * with 5 DB cluster snapshot copies per destination) goes on waiting, up to this bound, which
 * statemachines/timeouts.ts counts in the execution timeouts. Twice the stuck bound: two generations
 * of the longest copies (4 TiB cross-Region, ~15 h) ahead, and then some.
 */
export const COPY_SLOT_WAIT_MOVING_MAX_SECONDS = 40 * 3600;
