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
 * 7. deletes every other managed, available snapshot older than `maxAgeDays` (strictly).
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
