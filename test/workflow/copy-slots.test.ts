/**
 * Issue 12 item 2: one concurrency authority for copies across every execution. 16 databases take
 * their automated snapshots at once, so RDS's events start 16 BackupRun executions at once (each
 * with its DatabaseBackup child); with the copy slot table limited to 4 DB snapshot copies per
 * destination, copies requested and not yet finished never exceed 4 per destination account and
 * Region, RDS never refuses a copy for its own limit, and every database still succeeds.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { slotKey } from '../../functions/shared/copy-slots';
import type { LocalEnvironment } from '../../sandbox/environment';
import { type DemoDatabaseSpec, seedFleet, takeAutomatedSnapshots } from '../../sandbox/fleet';
import type { ExecutionRecord } from '../../sandbox/runner';
import { createLocalEnvironment } from '../../sandbox/environment';
import { configWith } from './helpers';

const LIMIT = 4;
const fleet: DemoDatabaseSpec[] = Array.from({ length: 16 }, (_, i) => ({
  identifier: `slot-db-${String(i + 1).padStart(2, '0')}`,
  kind: 'instance',
  engine: 'postgres',
  allocatedStorageGiB: 20 + 10 * i,
  encryption: 'default-key',
}));

/** Most intervals [start, end) open at once. */
function maxOverlap(intervals: ReadonlyArray<readonly [number, number]>): number {
  const points = intervals.flatMap(([s, e]) => [[s, 1] as const, [e, -1] as const]).sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  let cur = 0;
  let max = 0;
  for (const [, d] of points) max = Math.max(max, (cur += d));
  return max;
}

describe('copy slot table across 16 event-started runs at once', () => {
  let env: LocalEnvironment;
  let runs: ExecutionRecord[];

  beforeAll(async () => {
    const config = configWith((c) => {
      c.databases = fleet.map((d) => ({ identifier: d.identifier, kind: d.kind }));
      delete c.discovery;
      delete c.restoreDrill;
      c.vault.drRegions = [];
      c.events = { enabled: true };
      c.concurrency = { copySlots: { dbSnapshotCopies: LIMIT } };
    });
    env = await createLocalEnvironment({ config });
    // Retention keeps more than AWS's default 100 manual snapshots for 30 databases (plan-run checks it): raised, as the quota would be.
    const raise = { manualDbSnapshots: 1000 };
    env.sandbox.rds.setQuota(config.source.accountId, config.source.region, raise);
    env.sandbox.rds.setQuota(config.vault.accountId!, config.vault.region, raise);
    seedFleet(env, fleet);
    takeAutomatedSnapshots(env, fleet, { emitEvents: true });
    runs = await env.waitForEventRuns();
  }, 120_000);
  afterAll(() => env?.dispose());

  it(`never has more than ${LIMIT} DB snapshot copies in progress per destination, and every database succeeds`, () => {
    expect(runs).toHaveLength(fleet.length);
    for (const r of runs) expect(r.status, `${r.name}: ${r.error} ${r.cause}`).toBe('SUCCEEDED');
    const endMs = env.clock.nowMs();
    const log = env.sandbox.rds.copyLog();
    const destinations = new Map<string, Array<readonly [number, number]>>();
    for (const c of log) {
      const k = `${c.accountId}/${c.region}/${c.kind}`;
      destinations.set(k, [...(destinations.get(k) ?? []), [c.requestedAtMs, c.endedAtMs ?? endMs] as const]);
    }
    const { source, vault } = env.config;
    expect([...destinations.keys()].sort()).toEqual([`${source.accountId}/${source.region}/instance`, `${vault.accountId}/${vault.region}/instance`]);
    for (const [k, intervals] of destinations) {
      expect(intervals, k).toHaveLength(fleet.length);
      // At the limit (the runs really competed), never above it.
      expect(maxOverlap(intervals), k).toBe(LIMIT);
    }
  });

  it('holds the limit itself: runs waited with CopySlotsBusy, RDS never refused a copy, and every slot was given back', () => {
    const children = runs.flatMap((r) => r.children);
    expect(children.flatMap((c) => c.events).filter((e) => e.error === 'CopySlotsBusy').length).toBeGreaterThan(0);
    expect(env.sandbox.calls.filter((c) => c.operation.startsWith('CopyDB') && c.errorName === 'SnapshotQuotaExceededFault')).toEqual([]);
    const table = tableArn(env);
    for (const dest of [
      { accountId: env.config.source.accountId, region: env.config.source.region },
      { accountId: env.config.vault.accountId!, region: env.config.vault.region },
    ]) {
      const item = env.sandbox.dynamodb.peekItem(table, slotKey({ ...dest, kind: 'instance' }));
      expect(item, JSON.stringify(dest)).toBeDefined();
      expect(item?.holders).toEqual({ M: {} });
    }
  });
});

/** The copy slot table's ARN, as deployed from the source stack. */
function tableArn(env: LocalEnvironment): string {
  const arn = [...env.source.physical.values()].map((p) => String(p.attributes.Arn ?? '')).find((a) => a.includes(':dynamodb:'));
  if (!arn) throw new Error('no DynamoDB table in the source stack');
  return arn;
}
