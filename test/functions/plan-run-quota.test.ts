/**
 * Issue 12 item 4: the manual snapshot quota planned before it bites (functions/plan-run/quota.ts).
 * The per-database need is checked against the real retention decision, replayed day by day.
 */
import { describe, expect, it } from 'vitest';
import { checkManualSnapshotQuotas, copiesKeptPerDatabase, type ManualSnapshotQuotas } from '../../functions/plan-run/quota.js';
import { decideRetention, type RetentionCandidate } from '../../functions/retention-sweep/policy.js';
import type { RetentionPolicy } from '../../contracts/shapes.js';

/** Most copies of one database that exist at once (the new copy included, before its sweep) over `days` daily runs. */
function peakCopies(policy: RetentionPolicy, days: number): number {
  let held: RetentionCandidate[] = [];
  let peak = 0;
  const start = Date.parse('2026-01-01T05:00:00Z');
  for (let d = 0; d < days; d++) {
    const t = new Date(start + d * 86_400_000).toISOString();
    held.push({ identifier: `c${d}`, arn: `arn:aws:rds:us-east-1:111111111111:snapshot:c${d}`, createTime: t, copyTime: t, status: 'available', managed: true, vaulted: true });
    peak = Math.max(peak, held.length);
    const { delete: del } = decideRetention({ snapshots: held, policy, now: new Date(Date.parse(t) + 3_600_000), protectIdentifier: `c${d}` });
    const gone = new Set(del.map((x) => x.identifier));
    held = held.filter((s) => !gone.has(s.identifier));
  }
  return peak;
}

const POLICIES: Array<[string, RetentionPolicy]> = [
  ['example source (keepLast 2, maxAge 7)', { keepLast: 2, maxAgeDays: 7, minAgeDays: 1 }],
  ['example vault (keepLast 14, maxAge 35)', { keepLast: 14, maxAgeDays: 35, minAgeDays: 7 }],
  ['keepLast above maxAge', { keepLast: 20, maxAgeDays: 3, minAgeDays: 0 }],
  ['GFS 7/4/12/3', { keepLast: 7, maxAgeDays: 35, minAgeDays: 1, gfs: { daily: 7, weekly: 4, monthly: 12, yearly: 3 } }],
];

describe('copiesKeptPerDatabase', () => {
  it.each(POLICIES)('%s: never above what decideRetention really keeps with daily copies, and close to it', (_name, policy) => {
    const peak = peakCopies(policy, 800);
    const planned = copiesKeptPerDatabase(policy);
    // A lower bound: planning more than retention keeps would fail runs that fit.
    expect(planned).toBeLessThanOrEqual(peak);
    // And a useful one: within 3 copies (GFS period boundaries) of the real peak.
    expect(peak - planned).toBeLessThanOrEqual(3);
  });
});

describe('checkManualSnapshotQuotas', () => {
  const quotas = (instancesMax: number, clustersMax: number): ManualSnapshotQuotas => ({
    ManualSnapshots: { used: 12, max: instancesMax },
    ManualClusterSnapshots: { used: 3, max: clustersMax },
  });
  const base = { accountId: '111111111111', region: 'us-east-1', policy: { keepLast: 2, maxAgeDays: 7, minAgeDays: 1 }, policyName: 'retention.source' };

  it('passes when each quota holds what the policy keeps, reporting both checks', () => {
    const checks = checkManualSnapshotQuotas({ ...base, instances: 12, clusters: 3, quotas: quotas(96, 24) });
    expect(checks.map((c) => [c.quotaName, c.needed, c.max])).toEqual([
      ['ManualSnapshots', 96, 96],
      ['ManualClusterSnapshots', 24, 24],
    ]);
  });

  it('fails with ManualSnapshotQuotaTooLow naming the short quota, account, Region and the value to request; a kind with no database is not checked', () => {
    let err: Error | undefined;
    try {
      checkManualSnapshotQuotas({ ...base, instances: 100, clusters: 0, quotas: quotas(100, 0) });
    } catch (e) {
      err = e as Error;
    }
    expect(err?.name).toBe('ManualSnapshotQuotaTooLow');
    expect(err?.message).toContain('RDS quota ManualSnapshots ("Manual DB instance snapshots") of account 111111111111 in Region us-east-1 is 100 (12 used)');
    expect(err?.message).toContain('request at least 800');
    expect(err?.message).not.toContain('ManualClusterSnapshots');
    expect(() => checkManualSnapshotQuotas({ ...base, instances: 1, clusters: 4, quotas: quotas(100, 31) })).toThrow(/ManualClusterSnapshots[^;]*; retention.source keeps at least 8 copies of each of 4 DB clusters, 32 in all: request at least 32/);
  });
});
