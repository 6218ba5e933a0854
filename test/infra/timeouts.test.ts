/**
 * Bounds and timeouts agree (statemachines/timeouts.ts): each execution timeout is above the
 * longest path the loops' own named bounds allow, and a config that cannot fit Step Functions'
 * one-year maximum fails at synth with a clear error naming the config fields.
 */
import { MIN_MAP_CONCURRENCY } from '../../statemachines/map-concurrency';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { stackBindings } from '../../sandbox/harness/index';
import { FIRST_POLL_SECONDS, nextPollSeconds } from '../../functions/poll-status/poll';
import {
  COPY_SLOT_WAIT_BUDGET_SECONDS,
  COPY_SLOT_WAIT_MAX_SECONDS,
  COPY_SLOT_WAIT_MOVING_MAX_SECONDS,
  COPY_SLOTS_BUSY_RETRY,
  DEFAULT_MAX_POLLS,
  MAX_SNAPSHOT_POLL_SECONDS,
  COPY_SLOTS_BUSY_RETRY_BUDGET_SECONDS,
  copySlotLeaseSeconds,
  MAX_EXECUTION_SECONDS,
  retryBudgetSeconds,
  workflowTimeouts,
  type TimeoutInputs,
} from '../../statemachines/timeouts';
import { configWith, synth } from './helpers';

const base: TimeoutInputs = { maxWaitSeconds: 48 * 3600, maxPolls: 500, maxExportPolls: 200, drRegions: 1, drCopyMode: 'two-hop', exports: true, fleetSize: 4, maxConcurrency: 4 };

describe('workflowTimeouts', () => {
  it('leaves room for every wait in a row, at the longest maxWaitHours, in both DR modes', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 72 }), fc.constantFrom('two-hop' as const, 'single-step' as const), fc.integer({ min: 0, max: 3 }), fc.boolean(), (hours, drCopyMode, drRegions, exports) => {
        const t = workflowTimeouts({ ...base, maxWaitSeconds: hours * 3600, drCopyMode, drRegions, exports });
        const waits = 1 + (drRegions > 0 && drCopyMode === 'two-hop' ? 2 : 1); // source, vault, (two-hop) DR
        // Each wait may run to its elapsed bound plus one back-off poll interval (30 min); each copy may wait for a
        // slot of the table to its bound plus one aimed wait (4 h + jitter), and retry RDS's own refusal.
        const longestCopyPath = waits * (hours * 3600 + 1800 + COPY_SLOT_WAIT_MAX_SECONDS + 4 * 3600 + 15 + COPY_SLOTS_BUSY_RETRY_BUDGET_SECONDS);
        return t.databaseBackupSeconds > longestCopyPath && t.backupRunSeconds >= t.databaseBackupSeconds;
      }),
      { numRuns: 300 },
    );
    // The case of the issue: three waits of 72 h do not fit 7 days.
    expect(workflowTimeouts({ ...base, maxWaitSeconds: 72 * 3600 }).databaseBackupSeconds).toBeGreaterThan(3 * 72 * 3600);
    expect(3 * 72 * 3600).toBeGreaterThan(7 * 86_400);
  });

  it("poll-status's rule ends every copy loop by its elapsed bound, at most 30 min past it and before the poll-count bound, whatever the copy does", () => {
    // A copy that stalls at p% after `stallAt` seconds of steady progress toward `copySeconds` (p = 0: queued for ever).
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 72 }), fc.integer({ min: 300, max: 400_000 }), fc.integer({ min: 0, max: 400_000 }), (hours, copySeconds, stallAt) => {
        const maxWaitSeconds = hours * 3600;
        const progressAt = (t: number) => Math.min(99, Math.floor((100 * Math.min(t, stallAt)) / copySeconds));
        let t = FIRST_POLL_SECONDS;
        let previous = { elapsedSeconds: 0, percentProgress: 0 };
        let polls = 0;
        for (;;) {
          const p = progressAt(t);
          polls++;
          // The loop's Choice: the count bound, then the elapsed bound (database-backup.ts pollLoop).
          if (polls >= DEFAULT_MAX_POLLS || t > maxWaitSeconds) break;
          const wait = nextPollSeconds({ percentProgress: p, elapsedSeconds: t, previous, maxWaitSeconds });
          previous = { elapsedSeconds: t, percentProgress: p };
          t += wait;
        }
        return t > maxWaitSeconds && t <= maxWaitSeconds + MAX_SNAPSHOT_POLL_SECONDS && polls < DEFAULT_MAX_POLLS;
      }),
      { numRuns: 300 },
    );
  });

  it("sizes BackupRun in waves of the fleet's concurrency", () => {
    const one = workflowTimeouts({ ...base, fleetSize: 4, maxConcurrency: 4 });
    const five = workflowTimeouts({ ...base, fleetSize: 20, maxConcurrency: 4 });
    expect(five.backupRunSeconds - one.backupRunSeconds).toBe(4 * (one.databaseBackupSeconds + 3600));
  });

  it('counts the slot wait (40 h in a moving queue + one aimed wait) and the backstop CopySlotsBusy retry of RDS refusals (2 min x1.5, at most 30 min apart, 8 tries)', () => {
    expect(COPY_SLOTS_BUSY_RETRY.errors).toEqual(['CopySlotsBusy']);
    // 120 + 180 + 270 + 405 + 607.5 + 911.25 + 1366.875 (7 tries below the cap), then 5 x 1800
    expect(retryBudgetSeconds(COPY_SLOTS_BUSY_RETRY)).toBe(Math.round(120 + 180 + 270 + 405 + 607.5 + 911.25 + 1366.875 + 1 * 1800));
    // The moving-queue bound (40 h), one aimed wait past it (at most 4 h + jitter) and the last ask.
    // Larger than the ~27.6 h of the Retry it replaced; the test below checks the fleets still fit a year.
    expect(COPY_SLOT_WAIT_MOVING_MAX_SECONDS).toBeGreaterThanOrEqual(COPY_SLOT_WAIT_MAX_SECONDS);
    expect(COPY_SLOT_WAIT_BUDGET_SECONDS).toBe(40 * 3600 + 4 * 3600 + 15 + 3600);
    // A waiter may queue behind the longest copy (4 TiB cross-Region: 300 s + 13.5 s/GiB, sandbox/simulator/copy-model.ts).
    expect(COPY_SLOT_WAIT_MAX_SECONDS).toBeGreaterThan(300 + 13.5 * 4096);
  });

  it('fits a listed fleet of 1,000 with two-hop DR and exports in one year at the default Map concurrency (the slot table limits the copies)', () => {
    const t = workflowTimeouts({ ...base, fleetSize: 1000 + 100, maxConcurrency: 50 });
    expect(t.backupRunSeconds).toBeLessThanOrEqual(MAX_EXECUTION_SECONDS);
    // Even at the longest maxWaitHours.
    expect(workflowTimeouts({ ...base, maxWaitSeconds: 72 * 3600, fleetSize: 1100, maxConcurrency: 50 }).backupRunSeconds).toBeLessThanOrEqual(MAX_EXECUTION_SECONDS);
    // The old Map bound of 5 children at a time could not: 220 waves.
    expect(() => workflowTimeouts({ ...base, fleetSize: 1100, maxConcurrency: 5 })).toThrow(expect.objectContaining({ name: 'ExecutionTimeoutTooLong' }));
  });

  it('leases a copy slot longer than the longest wait for a copy, so a live copy never loses its slot', () => {
    for (const hours of [1, 48, 72]) {
      const lease = copySlotLeaseSeconds(hours * 3600);
      // A copy's wait loop ends by SnapshotCopyTimedOut after maxWaitHours + one poll (export: + one export poll).
      expect(lease).toBeGreaterThan(hours * 3600 + 3600);
      expect(lease).toBeLessThanOrEqual(7 * 86_400);
    }
  });

  it('fails at synth, naming the config fields, when the bounds cannot fit one year', () => {
    const t = () => workflowTimeouts({ ...base, maxWaitSeconds: 72 * 3600, fleetSize: 104, maxConcurrency: 1 });
    expect(t).toThrow(expect.objectContaining({ name: 'ExecutionTimeoutTooLong' }));
    expect(t).toThrow(/polling\.maxWaitHours.*concurrency\.maxDatabasesInParallel/s);
    const config = configWith({ polling: { maxWaitHours: 72 }, concurrency: { maxDatabasesInParallel: 1 } }); // 4 configured + 100 discovered
    expect(() => synth(config)).toThrow(/ExecutionTimeoutTooLong|one year/);
  });

  it('renders the computed timeouts into the synthesized state machines, each within one year', () => {
    const { config, source, sourceStack } = synth();
    const expected = workflowTimeouts({
      ...base,
      maxWaitSeconds: config.polling.maxWaitHours * 3600,
      drRegions: config.vault.drRegions.length,
      drCopyMode: config.vault.drCopyMode,
      fleetSize: config.databases.length + 100,
      // Issue 12: plan-run never runs fewer children than min(maxDatabasesInParallel, 50) while that many
      // databases are planned (functions/plan-run/order.ts mapConcurrency), so the waves are counted with that.
      maxConcurrency: Math.min(config.concurrency.maxDatabasesInParallel, MIN_MAP_CONCURRENCY),
    });
    // The DailyDigest workflow (issue 12) has its own fixed 15-minute timeout, not computed from the waits.
    const kinds = stackBindings(sourceStack).stateMachines;
    const computed = Object.entries(source.findResources('AWS::StepFunctions::StateMachine')).filter(([id]) => kinds.get(id) !== 'DailyDigest').map(([, r]) => r);
    const timeouts = computed.map((r) => {
      const def = (r as { Properties: { DefinitionString: unknown } }).Properties.DefinitionString;
      const text = JSON.stringify(def);
      return Number(/\\"TimeoutSeconds\\":(\d+)/.exec(text)?.[1]);
    });
    expect(timeouts.sort((a, b) => a - b)).toEqual([expected.databaseBackupSeconds, expected.backupRunSeconds]);
    for (const t of timeouts) expect(t).toBeLessThanOrEqual(MAX_EXECUTION_SECONDS);
  });
});
