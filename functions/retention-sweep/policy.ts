/**
 * The retention decision, as a pure function so that its safety invariants can be property-tested.
 * Ages are in days (1 day = 86,400 s) counted from SnapshotCreateTime.
 */
import type { RetentionDecision, RetentionPolicy } from '../shared/contracts.js';

/** A snapshot as the policy sees it. */
export interface RetentionCandidate {
  readonly identifier: string;
  readonly arn: string;
  /** SnapshotCreateTime, ISO-8601 UTC; absent or unparsable = age unknown (always kept). */
  readonly createTime?: string;
  /** RDS status; only `available` snapshots are ever deleted. */
  readonly status: string;
  /** Whether it carries `rds-snapshot-vault:managed=true`; unmanaged snapshots are never deleted. */
  readonly managed: boolean;
}

/** Input of {@link decideRetention}. */
export interface RetentionInput {
  readonly snapshots: readonly RetentionCandidate[];
  readonly policy: RetentionPolicy;
  readonly now: Date;
  /** This run's copy: unless it is listed as `available`, nothing is deleted. */
  readonly protectIdentifier?: string;
}

/** Output of {@link decideRetention}: every input snapshot appears exactly once, in keep or delete. */
export interface RetentionResult {
  readonly keep: RetentionDecision[];
  readonly delete: RetentionDecision[];
}

const DAY_MS = 86_400_000;

/** A GFS period kind and how many of the most recent periods of that kind keep a copy. */
type GfsKind = 'daily' | 'weekly' | 'monthly' | 'yearly';
const GFS_KINDS: readonly GfsKind[] = ['daily', 'weekly', 'monthly', 'yearly'];

/**
 * The period a UTC instant falls in, as a sequence number (consecutive periods differ by 1) and a
 * label for reasons: UTC day `2026-11-20`, ISO-8601 week `2026-W47` (weeks start on Monday; week 1
 * holds the year's first Thursday), calendar month `2026-11`, year `2026`.
 * Source: https://en.wikipedia.org/wiki/ISO_week_date
 */
export function gfsPeriod(kind: GfsKind, tMs: number): { readonly index: number; readonly label: string } {
  const d = new Date(tMs);
  const day = Math.floor(tMs / DAY_MS);
  const year = d.getUTCFullYear();
  const month = d.getUTCMonth();
  switch (kind) {
    case 'daily':
      return { index: day, label: d.toISOString().slice(0, 10) };
    case 'weekly': {
      // 1970-01-01 was a Thursday, so Monday-based week n runs from day 7n - 3 and its Thursday is day 7n.
      const index = Math.floor((day + 3) / 7);
      // The ISO week-year is the year of that week's Thursday.
      const thursday = new Date(index * 7 * DAY_MS);
      const isoYear = thursday.getUTCFullYear();
      const week = Math.floor((thursday.getTime() - Date.UTC(isoYear, 0, 1)) / DAY_MS / 7) + 1;
      return { index, label: `${isoYear}-W${String(week).padStart(2, '0')}` };
    }
    case 'monthly':
      return { index: year * 12 + month, label: `${year}-${String(month + 1).padStart(2, '0')}` };
    case 'yearly':
      return { index: year, label: `${year}` };
  }
}

/**
 * Grandfather-father-son selection: for each kind with a count N > 0, the periods
 * `period(now) - N + 1 ... period(now)` (the current period and the N - 1 before it, UTC calendar
 * periods, whether or not a copy exists in each) keep their newest copy among `ranked`; copies
 * sharing that newest SnapshotCreateTime are all kept (order independence).
 * @param ranked available managed copies with a known time
 * @returns identifier -> reason, e.g. `GFS: newest copy of day 2026-11-20, week 2026-W47`
 */
function gfsKeep(
  ranked: ReadonlyArray<{ identifier: string; t: number }>,
  gfs: NonNullable<RetentionPolicy['gfs']>,
  nowMs: number,
): Map<string, string> {
  const why = new Map<string, string[]>();
  for (const kind of GFS_KINDS) {
    const count = Math.floor(gfs[kind] ?? 0);
    if (!(count > 0)) continue;
    const current = gfsPeriod(kind, nowMs).index;
    const newest = new Map<number, { t: number; label: string }>();
    for (const s of ranked) {
      const p = gfsPeriod(kind, s.t);
      if (p.index > current || p.index <= current - count) continue;
      const best = newest.get(p.index);
      if (best === undefined || s.t > best.t) newest.set(p.index, { t: s.t, label: p.label });
    }
    const noun = { daily: 'day', weekly: 'week', monthly: 'month', yearly: 'year' }[kind];
    for (const s of ranked) {
      const p = gfsPeriod(kind, s.t);
      const best = newest.get(p.index);
      if (best !== undefined && best.t === s.t && p.index <= current && p.index > current - count) {
        const list = why.get(s.identifier) ?? [];
        list.push(`${noun} ${best.label}`);
        why.set(s.identifier, list);
      }
    }
  }
  const out = new Map<string, string>();
  for (const [id, list] of why) out.set(id, `GFS: newest copy of ${list.join(', ')}`);
  return out;
}

const fmtDays = (d: number): string => `${Math.round(d * 10) / 10}`;

/**
 * Decides which snapshots to keep and which to delete. Pure and deterministic.
 *
 * Guarantees (property-tested in test/functions/retention-sweep.test.ts):
 * 1. never deletes a snapshot without the managed tag;
 * 2. never deletes the newest `available` managed copy (even with keepLast 0);
 * 3. keeps at least `keepLast` available managed copies when that many exist (the newest ones);
 * 4. never deletes anything younger than `minAgeDays` (or of unknown age), even if a policy
 *    has minAgeDays > maxAgeDays;
 * 5. never deletes a snapshot that is not `available`;
 * 6. if `protectIdentifier` is given and not listed as `available`, deletes nothing;
 * 7. with `policy.gfs`, keeps the newest available copy of each of the last N UTC days, ISO weeks,
 *    calendar months and years ({@link gfsPeriod}; the current period counts as the first), even
 *    past `maxAgeDays`;
 * 8. deletes every other managed, available snapshot older than `maxAgeDays` (strictly).
 *
 * Copies with the same SnapshotCreateTime as the keepLast-th newest are all kept, so the result
 * does not depend on input order.
 */
export function decideRetention(input: RetentionInput): RetentionResult {
  const { policy, protectIdentifier } = input;
  const nowMs = input.now.getTime();
  const keep: RetentionDecision[] = [];
  const del: RetentionDecision[] = [];
  const decision = (s: RetentionCandidate, reason: string): RetentionDecision => ({
    identifier: s.identifier,
    arn: s.arn,
    ...(s.createTime !== undefined && { createTime: s.createTime }),
    reason,
  });
  const timeOf = (s: RetentionCandidate): number | undefined => {
    if (s.createTime === undefined) return undefined;
    const t = Date.parse(s.createTime);
    return Number.isFinite(t) ? t : undefined;
  };

  const protectOk =
    protectIdentifier === undefined || input.snapshots.some((s) => s.identifier === protectIdentifier && s.status === 'available');

  // Rank the available managed copies with a known time, newest first.
  const keepCount = Math.max(1, Math.floor(policy.keepLast));
  const ranked = input.snapshots
    .filter((s) => s.managed && s.status === 'available' && timeOf(s) !== undefined)
    .sort((a, b) => (timeOf(b) as number) - (timeOf(a) as number));
  // Keep everything at least as new as the keepCount-th newest (ties at the cut-off are all kept).
  const cutoffCandidate = ranked[Math.min(keepCount, ranked.length) - 1];
  const cutoff = cutoffCandidate === undefined ? Infinity : (timeOf(cutoffCandidate) as number);
  const gfs = policy.gfs === undefined ? new Map<string, string>() : gfsKeep(ranked.map((s) => ({ identifier: s.identifier, t: timeOf(s) as number })), policy.gfs, nowMs);
  const newestReason =
    policy.keepLast >= 1 ? `newest ${keepCount} kept (keepLast=${policy.keepLast})` : 'newest available copy is always kept';

  for (const s of input.snapshots) {
    const t = timeOf(s);
    if (!s.managed) {
      keep.push(decision(s, 'not tagged rds-snapshot-vault:managed=true; never deleted'));
    } else if (!protectOk) {
      keep.push(decision(s, `this run's copy ${protectIdentifier} is not listed as available, so nothing is deleted`));
    } else if (s.status !== 'available') {
      keep.push(decision(s, `status is ${s.status}; only available copies are deleted`));
    } else if (t === undefined) {
      keep.push(decision(s, 'SnapshotCreateTime unknown; age cannot be checked'));
    } else if (t >= cutoff) {
      keep.push(decision(s, newestReason));
    } else if (gfs.has(s.identifier)) {
      keep.push(decision(s, gfs.get(s.identifier) as string));
    } else {
      const ageDays = (nowMs - t) / DAY_MS;
      if (!(ageDays >= policy.minAgeDays)) {
        keep.push(decision(s, `younger than ${policy.minAgeDays} days (minAgeDays; age ${fmtDays(ageDays)} days)`));
      } else if (ageDays > policy.maxAgeDays) {
        del.push(decision(s, `older than ${policy.maxAgeDays} days (age ${fmtDays(ageDays)} days)`));
      } else {
        keep.push(decision(s, `not older than ${policy.maxAgeDays} days (maxAgeDays; age ${fmtDays(ageDays)} days)`));
      }
    }
  }
  return { keep, delete: del };
}
