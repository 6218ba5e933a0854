/**
 * The bounds of BackupRun's Map concurrency (issue 12), computed at synth from the config and passed
 * to plan-run as `MAP_CONCURRENCY` (contracts/functions/plan-run.ts {@link MapConcurrencySettings});
 * plan-run chooses each run's concurrency within them (functions/plan-run/order.ts `mapConcurrency`)
 * and BackupRun's Distributed Map reads it with `MaxConcurrencyPath` (docs/aws-behaviour.md §36).
 *
 * The copy slot table holds the copy limits, so the Map's concurrency only decides how well the slots
 * are kept busy and how many children wait in the slot queues (3 state transitions a round). A
 * database's copies run one after another; the slowest step (a cross-Region copy, with a DR Region)
 * is the bottleneck, and to keep its slots busy the children must also cover the copies in progress
 * before it: per slot of a kind, the copy steps' times in a row over the slowest step's time
 * ({@link childrenPerSlot}).
 */
import type { MapConcurrencySettings } from '../contracts/functions/plan-run';
import type { DrCopyMode } from '../contracts/rules';

/**
 * How much longer a cross-Region snapshot copy takes than a copy in the same Region, for the same
 * snapshot. An assumption, not an AWS figure: AWS says only that cross-Region copies "can take hours"
 * and may be queued (docs/aws-behaviour.md §11); the sandbox's copy model uses 1.5
 * (sandbox/simulator/copy-model.ts). A wrong ratio costs a few idle slots or a few more waiters,
 * never a copy limit (the slot table holds those).
 */
export const CROSS_REGION_COPY_TIME_RATIO = 1.5;

/**
 * The fewest children the Map runs at once while that many databases are planned (unless
 * `concurrency.maxDatabasesInParallel` is lower): BackupRun's execution timeout counts waves of this
 * many (statemachines/timeouts.ts), and 50 was the fixed MaxConcurrency before the plan chose it, so
 * no configuration's timeout grew.
 */
export const MIN_MAP_CONCURRENCY = 50;

/**
 * Children per copy slot that keep the slowest copy step's slots busy: the copy steps' times in a row
 * over the slowest one's (same-Region copy 1, cross-Region {@link CROSS_REGION_COPY_TIME_RATIO}):
 * vault only 2 (source, vault); two-hop DR (1 + 1 + 1.5) / 1.5 = 2.33; single-step DR (the DR copy
 * from the source beside the vault copy) (1 + 1.5) / 1.5 = 1.67.
 */
export function childrenPerSlot(drRegions: number, drCopyMode: DrCopyMode): number {
  if (drRegions === 0) return 2;
  const r = CROSS_REGION_COPY_TIME_RATIO;
  return drCopyMode === 'two-hop' ? (2 + r) / r : (1 + r) / r;
}

/** What {@link mapConcurrencySettings} needs from the config. */
export interface MapConcurrencyInputs {
  /** `concurrency.maxDatabasesInParallel`: the upper bound (1-200). */
  readonly maxDatabasesInParallel: number;
  /** `concurrency.copySlots`: DB snapshot and DB cluster snapshot copies per destination. */
  readonly slots: { readonly instance: number; readonly cluster: number };
  /** `vault.drRegions.length`. */
  readonly drRegions: number;
  /** `vault.drCopyMode`. */
  readonly drCopyMode: DrCopyMode;
}

/**
 * plan-run's `MAP_CONCURRENCY`: `max` the configured bound, `min` = min(max, {@link MIN_MAP_CONCURRENCY}),
 * per kind floor(slots x {@link childrenPerSlot}), at least 1 (20 / 5 slots, two-hop DR: 46 / 11).
 * Rounded down: a child too many waits in a slot queue (3 state transitions a round), a child too
 * few leaves a fraction of a slot idle now and then (bench/schedule-sim.ts: 1,000 databases 1.066x
 * at 57 children, 1.050x at 59, with 0.69 and 0.80 refused slot asks per database).
 */
export function mapConcurrencySettings(i: MapConcurrencyInputs): MapConcurrencySettings {
  const perSlot = childrenPerSlot(i.drRegions, i.drCopyMode);
  return {
    max: i.maxDatabasesInParallel,
    min: Math.min(i.maxDatabasesInParallel, MIN_MAP_CONCURRENCY),
    instance: Math.max(1, Math.floor(i.slots.instance * perSlot + 1e-9)),
    cluster: Math.max(1, Math.floor(i.slots.cluster * perSlot + 1e-9)),
  };
}
