/**
 * The manual snapshot quota, planned before it bites (issue 12 item 4).
 *
 * RDS allows 100 manual DB snapshots and 100 manual DB cluster snapshots per account and Region by
 * default (docs/aws-behaviour.md §12); a copy past the quota fails with SnapshotQuotaExceeded halfway
 * through a run. What the retention policy keeps is known before the run: {@link copiesKeptPerDatabase}
 * copies of each database in each account and Region holding its copies. Plan-run compares that with
 * the quota RDS reports (`DescribeAccountAttributes`, quota names `ManualSnapshots` and
 * `ManualClusterSnapshots`) and fails fast with {@link ManualSnapshotQuotaTooLow}, naming the quota
 * and the value to request.
 * Sources: https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_DescribeAccountAttributes.html,
 * https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_AccountQuota.html
 */
import { DescribeAccountAttributesCommand, type RDSClient } from '@aws-sdk/client-rds';
import type { RetentionPolicy } from '../../contracts/shapes.js';
import { ManualSnapshotQuotaTooLow } from '../../contracts/errors.js';

/** AWS's AccountQuotaName per snapshot kind. */
export const MANUAL_SNAPSHOT_QUOTA_NAMES = { instance: 'ManualSnapshots', cluster: 'ManualClusterSnapshots' } as const;
export type ManualSnapshotQuotaName = (typeof MANUAL_SNAPSHOT_QUOTA_NAMES)[keyof typeof MANUAL_SNAPSHOT_QUOTA_NAMES];

/** The quota's name in the Service Quotas console, for the message. */
const CONSOLE_NAMES: Record<ManualSnapshotQuotaName, string> = {
  ManualSnapshots: 'Manual DB instance snapshots',
  ManualClusterSnapshots: 'Manual DB cluster snapshots',
};

/**
 * Copies of one database that `policy` keeps in one account and Region in steady state, with one
 * timely copy a day (the daily schedule), plus the run's new copy, which exists before the sweep
 * that may delete the oldest. A lower bound of what retention needs (more runs a day only add):
 * - every copy of the newest `keepLast` days, and every copy not older than `maxAgeDays` (ceil)
 *   or younger than `minAgeDays`: max of the three day counts, at least 1;
 * - GFS: `daily` days, and the `weekly`/`monthly`/`yearly` periods that reach past that window
 *   (each such period keeps one more day; one period per kind is assumed to overlap the window).
 * @returns a whole number >= 2
 */
export function copiesKeptPerDatabase(policy: RetentionPolicy): number {
  const days = Math.max(1, Math.floor(policy.keepLast), Math.ceil(policy.maxAgeDays), Math.ceil(policy.minAgeDays), Math.floor(policy.gfs?.daily ?? 0));
  const beyond = (count: number | undefined, periodDays: number) => Math.max(0, Math.floor(count ?? 0) - Math.ceil(days / periodDays) - 1);
  const gfs = beyond(policy.gfs?.weekly, 7) + beyond(policy.gfs?.monthly, 31) + beyond(policy.gfs?.yearly, 366);
  return days + gfs + 1;
}

/** What one account and Region needs of one manual snapshot quota, and what RDS reports. */
export interface QuotaCheck {
  readonly accountId: string;
  readonly region: string;
  readonly quotaName: ManualSnapshotQuotaName;
  /** Databases of that kind whose copies live there. */
  readonly databases: number;
  readonly perDatabase: number;
  /** databases x perDatabase. */
  readonly needed: number;
  /** RDS's `Used` and `Max`. */
  readonly used: number;
  readonly max: number;
}

/** `Used`/`Max` per quota name, as DescribeAccountAttributes reports them for the client's account and Region. */
export type ManualSnapshotQuotas = Record<ManualSnapshotQuotaName, { readonly used: number; readonly max: number }>;

/**
 * Reads the two manual snapshot quotas with `rds` (a client in the account and Region to check).
 * @throws InvalidInput-free: a quota RDS does not list is treated as unlimited (`max` Infinity), so
 *   a partition that lacks it never blocks a run. SDK errors (AccessDenied) keep their names.
 */
export async function readManualSnapshotQuotas(rds: RDSClient): Promise<ManualSnapshotQuotas> {
  const out = await rds.send(new DescribeAccountAttributesCommand({}));
  const find = (name: ManualSnapshotQuotaName) => {
    const q = (out.AccountQuotas ?? []).find((a) => a.AccountQuotaName === name);
    return { used: Number(q?.Used ?? 0), max: q?.Max === undefined ? Number.POSITIVE_INFINITY : Number(q.Max) };
  };
  return { ManualSnapshots: find('ManualSnapshots'), ManualClusterSnapshots: find('ManualClusterSnapshots') };
}

/**
 * Compares what `policy` needs for `instances` DB instances and `clusters` DB clusters in one account
 * and Region with `quotas`. Pure.
 * @returns one check per quota with databases > 0
 * @throws ManualSnapshotQuotaTooLow listing every quota whose `max` is below `needed`, with the
 *   account, Region, quota (API and console name), the need and the value to request.
 */
export function checkManualSnapshotQuotas(p: {
  accountId: string;
  region: string;
  instances: number;
  clusters: number;
  policy: RetentionPolicy;
  quotas: ManualSnapshotQuotas;
  /** Which retention this is, for the message (`retention.source`). */
  policyName: string;
}): QuotaCheck[] {
  const perDatabase = copiesKeptPerDatabase(p.policy);
  const checks: QuotaCheck[] = (
    [
      ['ManualSnapshots', p.instances],
      ['ManualClusterSnapshots', p.clusters],
    ] as const
  )
    .filter(([, n]) => n > 0)
    .map(([quotaName, databases]) => ({
      accountId: p.accountId,
      region: p.region,
      quotaName,
      databases,
      perDatabase,
      needed: databases * perDatabase,
      used: p.quotas[quotaName].used,
      max: p.quotas[quotaName].max,
    }));
  const short = checks.filter((c) => c.needed > c.max);
  if (short.length > 0) {
    throw new ManualSnapshotQuotaTooLow(
      short
        .map(
          (c) =>
            `RDS quota ${c.quotaName} ("${CONSOLE_NAMES[c.quotaName]}") of account ${c.accountId} in Region ${c.region} is ${c.max} (${c.used} used); ` +
            `${p.policyName} keeps at least ${c.perDatabase} copies of each of ${c.databases} ${c.quotaName === 'ManualSnapshots' ? 'DB instances' : 'DB clusters'}, ` +
            `${c.needed} in all: request at least ${c.needed} in Service Quotas (Amazon RDS) before the run`,
        )
        .join('. ') + '. Or back up fewer databases per account and Region, or keep fewer copies.',
    );
  }
  return checks;
}
