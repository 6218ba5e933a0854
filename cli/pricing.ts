/**
 * The AWS prices `rsv cost` uses: one table, each price with its unit, the Regions it applies to and
 * the AWS pricing page it comes from (docs/aws-behaviour.md §24). On-demand list prices in USD, as of
 * the page read on 2026-12-01; no free tier is subtracted (the estimate is an upper bound for small
 * fleets) and no volume tier applies at these volumes.
 *
 * `confirmed` says how the figure was read: `page` = in the text of the AWS pricing page itself;
 * `quoted` = AWS's page renders its table by script, the figure is the one third-party guides quote
 * from it (named in `note`), check it on the page before relying on it.
 *
 * A Region missing from `usdByRegion` is not priced: {@link priceOf} throws `PriceNotKnown`, naming
 * the page to read and this file to add it to.
 */

export interface Price {
  readonly id: PriceId;
  readonly service: string;
  /** What is billed. */
  readonly item: string;
  /** The unit the price is per, e.g. `GiB-month`. */
  readonly unit: string;
  /** USD per unit, per Region. */
  readonly usdByRegion: Readonly<Record<string, number>>;
  /** The AWS pricing page. */
  readonly source: string;
  readonly confirmed: 'page' | 'quoted';
  readonly note?: string;
}

export type PriceId =
  | 'rds-backup-storage'
  | 'aurora-backup-storage'
  | 'rds-inter-region-transfer'
  | 'rds-snapshot-export'
  | 'aurora-snapshot-export'
  | 'kms-key-month'
  | 'kms-requests'
  | 'sfn-transitions'
  | 'lambda-requests'
  | 'lambda-arm-duration'
  | 'logs-ingestion'
  | 'logs-storage';

const US = (usd: number) => ({ 'us-east-1': usd, 'us-east-2': usd, 'us-west-2': usd });

/** The table. */
export const PRICES: readonly Price[] = [
  {
    id: 'rds-backup-storage',
    service: 'Amazon RDS',
    item: 'backup storage (DB snapshots, automated and manual) of RDS DB instances',
    unit: 'GiB-month',
    usdByRegion: US(0.095),
    source: 'https://aws.amazon.com/rds/postgresql/pricing/',
    confirmed: 'quoted',
    note: 'quoted from aws.amazon.com/rds/pricing by usage.ai and druva.com; the same for MySQL, MariaDB and PostgreSQL',
  },
  {
    id: 'aurora-backup-storage',
    service: 'Amazon Aurora',
    item: 'backup storage (DB cluster snapshots) of Aurora DB clusters',
    unit: 'GiB-month',
    usdByRegion: US(0.021),
    source: 'https://aws.amazon.com/rds/aurora/pricing/',
    confirmed: 'quoted',
  },
  {
    id: 'rds-inter-region-transfer',
    service: 'Amazon RDS',
    item: 'data transfer out to another AWS Region (a cross-Region snapshot copy), priced in the source Region',
    unit: 'GB',
    usdByRegion: US(0.02),
    source: 'https://aws.amazon.com/rds/pricing/',
    confirmed: 'quoted',
    note: 'the RDS user guide says copying a DB snapshot out of the source Region incurs RDS data transfer charges (docs.aws.amazon.com/AmazonRDS/latest/UserGuide/USER_CopySnapshot.html); figure as in the AWS Architecture Blog "Exploring Data Transfer Costs for AWS Managed Databases" (us-east-1 to us-west-2)',
  },
  {
    id: 'rds-snapshot-export',
    service: 'Amazon RDS',
    item: 'snapshot export to Amazon S3, per GB of snapshot size',
    unit: 'GB of snapshot',
    usdByRegion: US(0.01),
    source: 'https://aws.amazon.com/rds/postgresql/pricing/',
    confirmed: 'quoted',
  },
  {
    id: 'aurora-snapshot-export',
    service: 'Amazon Aurora',
    item: 'snapshot export to Amazon S3, per GB of snapshot size',
    unit: 'GB of snapshot',
    usdByRegion: US(0.01),
    source: 'https://aws.amazon.com/rds/aurora/pricing/',
    confirmed: 'quoted',
  },
  {
    id: 'kms-key-month',
    service: 'AWS KMS',
    item: 'customer managed KMS key (each rotation adds a backing key billed the same)',
    unit: 'key-month',
    usdByRegion: US(1),
    source: 'https://aws.amazon.com/kms/pricing/',
    confirmed: 'page',
  },
  {
    id: 'kms-requests',
    service: 'AWS KMS',
    item: 'symmetric key API requests (RDS calls on a copy: CreateGrant, Decrypt, GenerateDataKey...)',
    unit: '10,000 requests',
    usdByRegion: US(0.03),
    source: 'https://aws.amazon.com/kms/pricing/',
    confirmed: 'quoted',
    note: 'quoted by wring.co and factualminds.com; the page text read shows the 20,000 free requests a month',
  },
  {
    id: 'sfn-transitions',
    service: 'AWS Step Functions',
    item: 'Standard workflow state transitions, retries included',
    unit: '1,000 state transitions',
    usdByRegion: US(0.025),
    source: 'https://aws.amazon.com/step-functions/pricing/',
    confirmed: 'page',
  },
  {
    id: 'lambda-requests',
    service: 'AWS Lambda',
    item: 'requests',
    unit: '1M requests',
    usdByRegion: US(0.2),
    source: 'https://aws.amazon.com/lambda/pricing/',
    confirmed: 'quoted',
    note: 'quoted by cloudchipr.com and other guides from the page',
  },
  {
    id: 'lambda-arm-duration',
    service: 'AWS Lambda',
    item: 'duration on Arm (the functions are arm64), first 7.5 billion GB-seconds a month',
    unit: 'GB-second',
    usdByRegion: US(0.0000133334),
    source: 'https://aws.amazon.com/lambda/pricing/',
    confirmed: 'quoted',
    note: 'quoted by cloudchipr.com from the page',
  },
  {
    id: 'logs-ingestion',
    service: 'Amazon CloudWatch',
    item: 'Logs ingestion (standard log class)',
    unit: 'GB',
    usdByRegion: US(0.5),
    source: 'https://aws.amazon.com/cloudwatch/pricing/',
    confirmed: 'quoted',
    note: 'quoted by factualminds.com and cloudburn.io from the page',
  },
  {
    id: 'logs-storage',
    service: 'Amazon CloudWatch',
    item: 'Logs archive storage',
    unit: 'GB-month',
    usdByRegion: US(0.03),
    source: 'https://aws.amazon.com/cloudwatch/pricing/',
    confirmed: 'quoted',
  },
];

/** Thrown when the table has no price for a Region. */
export class PriceNotKnown extends Error {
  constructor(readonly priceId: PriceId, readonly region: string, source: string) {
    super(`no ${priceId} price for ${region} in cli/pricing.ts: read it on ${source} and add "${region}" to its usdByRegion`);
    this.name = 'PriceNotKnown';
  }
}

/** The price of `id` in `region`. @throws PriceNotKnown */
export function priceOf(id: PriceId, region: string): { usd: number; price: Price } {
  const price = PRICES.find((p) => p.id === id);
  if (!price) throw new Error(`unknown price ${id}`);
  const usd = price.usdByRegion[region];
  if (usd === undefined) throw new PriceNotKnown(id, region, price.source);
  return { usd, price };
}
