/**
 * check-recovery-points' contract (functions/check-recovery-points): environment, input and output.
 * VaultRetention's first step (statemachines/vault-retention.ts).
 */
import * as z from 'zod/mini';
import { baseEnvShape, nonEmpty } from '../rules.js';

/** Nothing beyond the common variables: it reads its own account and Region. */
export const environment = {};

/** Environment of check-recovery-points as the handler validates it. */
export const envSchema = z.object({ ...baseEnvShape, ...environment });

/** Event schema: the databases and their recovery point objectives (hours). */
export const inputSchema = z.object({
  databases: z.array(z.object({ identifier: nonEmpty, kind: z.enum(['instance', 'cluster']), rpoHours: z.number().check(z.positive()) })),
});

/** check-recovery-points' input. */
export type CheckRecoveryPointsInput = z.infer<typeof inputSchema>;

/** One database's recovery point in this Region. Times ISO-8601 UTC, ages and objectives in hours. */
export interface RecoveryPointStatus {
  readonly database: string;
  readonly kind: 'instance' | 'cluster';
  readonly region: string;
  readonly status: 'OK' | 'RecoveryPointStale' | 'NoRecoveryPoint';
  readonly objectiveHours: number;
  readonly newestCopyArn?: string;
  readonly recoveryPointTime?: string;
  readonly ageHours?: number;
}

/**
 * At most this many per-database records in the output (those not OK first). VaultRetention keeps
 * the output in its state (256 KiB, docs/aws-behaviour.md §18a): a record is up to ~330 bytes, so
 * 1,000 of them (~300 KB) failed the execution before the sweep; every database's age is in its
 * `RecoveryPointAge` metric whatever the fleet's size.
 */
export const RECOVERY_POINT_RECORDS_LIMIT = 50;
/** At most this many names in each of `stale` and `missing` (their counts are always whole). */
export const RECOVERY_POINT_NAMES_LIMIT = 100;

/**
 * check-recovery-points' output: bounded (at most ~30 KB) whatever the number of databases.
 * - `checked`: databases checked; `staleCount` / `missingCount`: how many have a newest available
 *   copy older than their objective / no available copy here.
 * - `stale`, `missing`: their names, in input order, the first {@link RECOVERY_POINT_NAMES_LIMIT} of each.
 * - `recoveryPoints`: per-database records, the first {@link RECOVERY_POINT_RECORDS_LIMIT}: those not
 *   OK, then the OK ones, each in input order; `recoveryPointsOmitted`: how many were left out.
 */
export interface CheckRecoveryPointsOutput {
  readonly checked: number;
  readonly recoveryPoints: RecoveryPointStatus[];
  readonly recoveryPointsOmitted: number;
  readonly stale: string[];
  readonly staleCount: number;
  readonly missing: string[];
  readonly missingCount: number;
}
