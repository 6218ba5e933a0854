/**
 * The retention decision, as a pure function so that its safety invariants can be property-tested.
 *
 * It rests only on facts a compromised source account cannot forge (docs/security.md, "Retention
 * poisoning"): ages, ranking and GFS periods use the copy's **recovery point time**
 * (`OriginalSnapshotCreateTime`, set by RDS on the original snapshot and kept through every copy,
 * docs/aws-behaviour.md §13), never the copy's own SnapshotCreateTime, which is fresh on every copy.
 * `keepLast` and GFS count **recovery-point days** (UTC days with at least one timely copy), not
 * copies, so any number of extra copies of one day counts once. A copy is *timely* when RDS made it
 * within {@link TIMELY_COPY_HOURS} of its recovery point (copy SnapshotCreateTime minus
 * OriginalSnapshotCreateTime): a copy made today of an old snapshot never counts, so it can never
 * push a genuine older copy out of keepLast or GFS. Every copy of a kept day is kept.
 * Ages are in days (1 day = 86,400 s).
 */
import type { RetentionDecision, RetentionPolicy } from '../../contracts/shapes.js';

/**
 * A copy counts toward keepLast and GFS only if RDS made it at most this many hours after its
 * recovery point (our copies: the source copy within minutes, the vault and DR copies within the
 * copy time of the chain, about 36 h for a 4 TiB two-hop chain). A copy of an older snapshot made
 * later (a backfill run, or a source-account principal copying old snapshots into the vault) is
 * kept or deleted by its age alone and never ranks.
 */
export const TIMELY_COPY_HOURS = 48;

/** A snapshot as the policy sees it. */
export interface RetentionCandidate {
  readonly identifier: string;
  readonly arn: string;
  /**
   * Recovery point time: OriginalSnapshotCreateTime, ISO-8601 UTC (set by RDS, kept through
   * copies); absent or unparsable = age unknown (always kept, never ranks).
   */
  readonly createTime?: string;
  /**
   * When RDS made this copy: its own SnapshotCreateTime, ISO-8601 UTC (absent while it is not
   * `available`, docs/aws-behaviour.md §13). Absent = not timely (never ranks).
   */
  readonly copyTime?: string;
  /** RDS status; only `available` snapshots are ever deleted. */
  readonly status: string;
  /** Whether it carries `rds-snapshot-vault:managed=true`; unmanaged snapshots are never deleted. */
  readonly managed: boolean;
  /**
   * Whether this copy may count toward keepLast and GFS at all (default true). Vault retention sets
   * false for a copy encrypted under a KMS key of another account: whoever controls that key (the
   * source account) can disable it and make the copy unusable, so it is no recovery point the vault
   * can vouch for. It is still kept or deleted by its age.
   */
  readonly countable?: boolean;
  /**
   * Source retention only: whether this copy is known to be safe in the vault (its vault copy, and
   * each configured DR copy, was `available`; tag `rds-snapshot-vault:vaulted=true`). With
   * `requireVaulted`, a copy without it is never deleted.
   */
  readonly vaulted?: boolean;
}

/** Input of {@link decideRetention}. */
export interface RetentionInput {
  readonly snapshots: readonly RetentionCandidate[];
  readonly policy: RetentionPolicy;
  readonly now: Date;
  /** This run's copy: unless it is listed as `available`, nothing is deleted. */
  readonly protectIdentifier?: string;
  /** Source retention: never delete a copy whose `vaulted` is not true (it never reached the vault). */
  readonly requireVaulted?: boolean;
  /**
   * Source retention of a database no longer configured: never delete its newest available copy
   * whose `vaulted` is true (by recovery point time; every copy of that time), however old. Such a
   * database gets no new copies, so without this the policy would in time delete every vaulted
   * source copy while unvaulted ones stay.
   */
  readonly keepNewestVaulted?: boolean;
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
 * Grandfather-father-son selection over recovery-point days: for each kind with a count N > 0, the
 * periods `period(now) - N + 1 ... period(now)` (the current period and the N - 1 before it, UTC
 * calendar periods, whether or not a copy exists in each) each keep their newest counted day; every
 * copy of a kept day is kept. A burst of copies, or copies of old snapshots made later, cannot
 * displace a period's day: only a newer *timely* day of the same period can.
 * @param countedDays UTC day indexes (days since 1970-01-01) holding at least one timely copy
 * @returns day index -> reason, e.g. `GFS: newest recovery-point day of week 2026-W47`
 */
function gfsKeepDays(countedDays: ReadonlySet<number>, gfs: NonNullable<RetentionPolicy['gfs']>, nowMs: number): Map<number, string> {
  const why = new Map<number, string[]>();
  for (const kind of GFS_KINDS) {
    const count = Math.floor(gfs[kind] ?? 0);
    if (!(count > 0)) continue;
    const current = gfsPeriod(kind, nowMs).index;
    const newest = new Map<number, { day: number; label: string }>();
    for (const day of countedDays) {
      const p = gfsPeriod(kind, day * DAY_MS);
      if (p.index > current || p.index <= current - count) continue;
      const best = newest.get(p.index);
      if (best === undefined || day > best.day) newest.set(p.index, { day, label: p.label });
    }
    const noun = { daily: 'day', weekly: 'week', monthly: 'month', yearly: 'year' }[kind];
    for (const { day, label } of newest.values()) {
      const list = why.get(day) ?? [];
      list.push(`${noun} ${label}`);
      why.set(day, list);
    }
  }
  const out = new Map<number, string>();
  for (const [day, list] of why) out.set(day, `GFS: newest recovery-point day of ${list.join(', ')}`);
  return out;
}

const fmtDays = (d: number): string => `${Math.round(d * 10) / 10}`;
const dayLabel = (day: number): string => new Date(day * DAY_MS).toISOString().slice(0, 10);

/**
 * Decides which snapshots to keep and which to delete. Pure and deterministic.
 *
 * Terms: `t` = recovery point time (`createTime`, OriginalSnapshotCreateTime); a copy's *day* is
 * the UTC day of `t`; a *counted day* is a day with at least one available managed copy that is
 * timely ({@link TIMELY_COPY_HOURS}) and countable.
 *
 * Guarantees (property-tested in test/functions/retention-sweep.test.ts and, against a source-
 * account adversary, test/functions/retention-adversary.test.ts):
 * 1. never deletes a snapshot without the managed tag;
 * 2. never deletes the newest available managed copy (by `t`, even with keepLast 0);
 * 3. keeps every copy of the newest `keepLast` counted days (at least the newest one);
 * 4. never deletes anything younger than `minAgeDays` (or of unknown age), even if a policy
 *    has minAgeDays > maxAgeDays;
 * 5. never deletes a snapshot that is not `available`;
 * 6. if `protectIdentifier` is given and not listed as `available`, deletes nothing;
 * 7. with `policy.gfs`, keeps every copy of the newest counted day of each of the last N UTC days,
 *    ISO weeks, calendar months and years ({@link gfsPeriod}; the current period counts as the
 *    first), even past `maxAgeDays`;
 * 8. with `requireVaulted`, never deletes a copy that is not marked `vaulted`; with
 *    `keepNewestVaulted`, never deletes the newest available copy marked `vaulted`;
 * 9. deletes every other managed, available snapshot older than `maxAgeDays` (strictly);
 * 10. adding copies whose days are already counted, or copies that are not timely, never turns a
 *    kept copy into a deleted one (what a source-account principal can add, docs/security.md).
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
  const parse = (v: string | undefined): number | undefined => {
    if (v === undefined) return undefined;
    const t = Date.parse(v);
    return Number.isFinite(t) ? t : undefined;
  };
  const timeOf = (s: RetentionCandidate): number | undefined => parse(s.createTime);
  const dayOf = (t: number): number => Math.floor(t / DAY_MS);

  const protectOk =
    protectIdentifier === undefined || input.snapshots.some((s) => s.identifier === protectIdentifier && s.status === 'available');

  const candidates = input.snapshots.filter((s) => s.managed && s.status === 'available' && timeOf(s) !== undefined);
  // Counted days: UTC days of timely copies.
  const counted = new Set<number>();
  for (const s of candidates) {
    const t = timeOf(s) as number;
    const copied = parse(s.copyTime);
    if (s.countable !== false && copied !== undefined && copied >= t && copied - t <= TIMELY_COPY_HOURS * 3_600_000) counted.add(dayOf(t));
  }
  const keepCount = Math.max(1, Math.floor(policy.keepLast));
  const keptDays = new Set([...counted].sort((a, b) => b - a).slice(0, keepCount));
  const newestTime = candidates.reduce((m, s) => Math.max(m, timeOf(s) as number), Number.NEGATIVE_INFINITY);
  const newestVaultedTime = candidates.filter((s) => s.vaulted === true).reduce((m, s) => Math.max(m, timeOf(s) as number), Number.NEGATIVE_INFINITY);
  const gfs = policy.gfs === undefined ? new Map<number, string>() : gfsKeepDays(counted, policy.gfs, nowMs);
  const keepReason = (day: number) =>
    policy.keepLast >= 1
      ? `recovery-point day ${dayLabel(day)} is among the newest ${keepCount} counted days (keepLast=${policy.keepLast})`
      : `recovery-point day ${dayLabel(day)} is the newest counted day, always kept`;

  for (const s of input.snapshots) {
    const t = timeOf(s);
    if (!s.managed) {
      keep.push(decision(s, 'not tagged rds-snapshot-vault:managed=true; never deleted'));
    } else if (!protectOk) {
      keep.push(decision(s, `this run's copy ${protectIdentifier} is not listed as available, so nothing is deleted`));
    } else if (s.status !== 'available') {
      keep.push(decision(s, `status is ${s.status}; only available copies are deleted`));
    } else if (t === undefined) {
      keep.push(decision(s, 'recovery point time (OriginalSnapshotCreateTime) unknown; age cannot be checked'));
    } else if (input.requireVaulted && s.vaulted !== true) {
      keep.push(decision(s, 'not yet safe in the vault (no rds-snapshot-vault:vaulted tag); kept until its vault copy is available'));
    } else if (t === newestTime) {
      keep.push(decision(s, 'newest available copy is always kept'));
    } else if (input.keepNewestVaulted && s.vaulted === true && t === newestVaultedTime) {
      keep.push(decision(s, 'newest copy that reached the vault of a database no longer configured; always kept'));
    } else if (keptDays.has(dayOf(t))) {
      keep.push(decision(s, keepReason(dayOf(t))));
    } else if (gfs.has(dayOf(t))) {
      keep.push(decision(s, gfs.get(dayOf(t)) as string));
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
