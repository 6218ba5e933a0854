/**
 * `rsv cost [--days 30] [--daily-change 5]`: what the deployment costs over `days` days (default 30,
 * one month), from the config, the database sizes and the transitions the workflow really takes.
 * Every line carries its price, unit, Region and the AWS pricing page (cli/pricing.ts,
 * docs/aws-behaviour.md §24). Exit code 0; 2 when a database cannot be sized or a Region has no price.
 *
 * The model (docs/cost.md explains each choice):
 * - Sizes: `AllocatedStorage` of each configured database (DescribeDBInstances / DescribeDBClusters,
 *   GiB). A snapshot is billed on the data it holds, which is at most the allocated storage, so every
 *   storage and transfer line is an upper bound. Tag-discovered databases are not counted.
 * - Copies kept: {@link copiesKeptPerDatabase} of the retention policy (the steady-state count
 *   plan-run plans the quota with), `retention.source` in the source Region, `retention.vault` in the
 *   vault Region and each DR Region; one run a day.
 * - Source Region copies are incremental: each is a copy of the automated snapshot under the same
 *   stack key while the previous copy still exists, so after the first full copy each adds only the
 *   day's changed data (`--daily-change`, percent of the size, default 5: an assumption, measure
 *   yours). Vault and DR copies are full: they are copies of a snapshot copy (the shared source copy,
 *   or the vault copy), and "when you copy a source snapshot that is a snapshot copy itself, the new
 *   copy isn't incremental" (RDS user guide, Incremental snapshot copying; docs/aws-behaviour.md §24).
 *   So each vault and DR copy is billed at the database's full size. Aurora is modelled the same way
 *   (unconfirmed for cluster snapshots: the stricter reading).
 * - The free backup storage RDS gives (up to the provisioned storage, per Region) is not subtracted:
 *   the automated backups use it already, and the vault account has no databases to earn it.
 * - Transfer: every cross-Region copy moves the full snapshot (a full copy), priced in the Region it
 *   leaves. A cross-account copy inside one Region has no transfer charge.
 * - Step Functions and Lambda: transitions and Lambda invocations per database per run, measured from
 *   the newest succeeded BackupRun in the last `days` days (its DatabaseBackup executions' histories:
 *   `*StateEntered` events, `TaskStateEntered` are Lambda invocations), or, with no such run, the
 *   figure measured on the sandbox ({@link SANDBOX_WORKFLOW}). The history shows no retries, so a run
 *   that retried is slightly under-counted.
 * - KMS: the customer managed keys the stacks create (source key, notification topic keys, export
 *   key, evidence key, a vault key per vault and DR Region), and {@link KMS_REQUESTS_PER_COPY} requests per copy.
 * - Not priced: restore drill DB instance hours, S3 storage of exports and evidence, free tiers.
 */
import { DescribeDBClustersCommand, DescribeDBInstancesCommand } from '@aws-sdk/client-rds';
import { ListExecutionsCommand } from '@aws-sdk/client-sfn';
import { copiesKeptPerDatabase } from '../../functions/plan-run/quota.js';
import { exportsEnabled, type VaultConfig } from '../../infra/config/schema';
import type { Backend } from '../backend';
import { type PriceId, priceOf } from '../pricing';
import { type Output, table } from '../render';
import { fullHistory, runChildren } from '../runs';

/** What a database weighs in the model. */
export interface CostDatabase {
  readonly identifier: string;
  readonly kind: 'instance' | 'cluster';
  /** AllocatedStorage, GiB. */
  readonly sizeGiB: number;
  readonly export: boolean;
}

/** Per database and run: what Step Functions and Lambda bill. */
export interface WorkflowFigures {
  /** State transitions of one DatabaseBackup execution (mean over the run's databases), plus its share of BackupRun's own. */
  readonly transitionsPerDatabase: number;
  /** Lambda invocations of one DatabaseBackup execution (its Task states), plus its share of BackupRun's. */
  readonly lambdaInvocationsPerDatabase: number;
  /** Where the figures come from. */
  readonly basis: string;
}

/**
 * Measured on the sandbox (test/cli/reports.test.ts measures a run again and fails if this is 25% off): one
 * BackupRun of 3 DB instances (20, 200 and 500 GiB), cross-account, one DR Region, two-hop, no export:
 * 55 transitions and 16 Lambda invocations per database (2026-12-01, after polling by progress estimate). Larger databases poll longer.
 */
export const SANDBOX_WORKFLOW: WorkflowFigures = { transitionsPerDatabase: 55, lambdaInvocationsPerDatabase: 16, basis: 'measured on the sandbox (no run in the period to measure)' };

/** Assumptions, each overridable where the command has an option. */
export interface CostAssumptions {
  /** Days priced (storage prorated over a 30-day month). */
  readonly days: number;
  /** Fraction of a database's size changed per day (incremental source copies). */
  readonly dailyChange: number;
}
export const KMS_REQUESTS_PER_COPY = 10;
/** Mean Lambda duration (s) and memory (GB, the 256 MB default of infra/constructs/vault-function.ts). */
export const LAMBDA_SECONDS = 1;
export const LAMBDA_MEMORY_GB = 0.25;
/** Log bytes per Lambda invocation (START/END/REPORT lines and the function's own JSON lines). */
export const LOG_BYTES_PER_INVOCATION = 2048;
/** Log groups keep a year (vault-function.ts): steady state holds 12 months of ingestion. */
export const LOG_MONTHS_KEPT = 12;
const MONTH_DAYS = 30;
const GB_PER_GIB = 1.073741824;

export interface CostLine {
  readonly id: string;
  readonly what: string;
  readonly region: string;
  readonly quantity: number;
  readonly unit: string;
  readonly usdPerUnit: number;
  readonly usd: number;
  readonly source: string;
  /** How the quantity was worked out. */
  readonly basis: string;
}

export interface CostReport {
  readonly days: number;
  readonly databases: readonly CostDatabase[];
  readonly workflow: WorkflowFigures;
  readonly assumptions: CostAssumptions & { kmsRequestsPerCopy: number; lambdaSeconds: number; lambdaMemoryGB: number; logBytesPerInvocation: number };
  readonly lines: readonly CostLine[];
  readonly totalUsd: number;
}

const round = (n: number, digits = 4) => Math.round(n * 10 ** digits) / 10 ** digits;

/**
 * The cost of `days` days. Pure: the figures tests check by hand.
 * @throws PriceNotKnown when a Region of the config has no price in cli/pricing.ts
 */
export function estimateCost(config: VaultConfig, databases: readonly CostDatabase[], workflow: WorkflowFigures, a: CostAssumptions): CostReport {
  const lines: CostLine[] = [];
  const months = a.days / MONTH_DAYS;
  const runs = a.days; // one run a day
  const add = (id: string, priceId: PriceId, region: string, quantity: number, what: string, basis: string, perUnit = 1) => {
    if (quantity <= 0) return;
    const { usd, price } = priceOf(priceId, region);
    lines.push({ id, what, region, quantity: round(quantity, 6), unit: price.unit, usdPerUnit: usd, usd: round((quantity / perUnit) * usd, 2), source: price.source, basis });
  };
  const src = config.source.region;
  const vaultRegion = config.vault.region;
  const drRegions = config.vault.drRegions;
  const keptSource = copiesKeptPerDatabase(config.retention.source);
  const keptVault = copiesKeptPerDatabase(config.retention.vault);

  for (const kind of ['instance', 'cluster'] as const) {
    const dbs = databases.filter((d) => d.kind === kind);
    if (dbs.length === 0) continue;
    const size = dbs.reduce((s, d) => s + d.sizeGiB, 0);
    const priceId: PriceId = kind === 'cluster' ? 'aurora-backup-storage' : 'rds-backup-storage';
    const label = kind === 'cluster' ? 'DB cluster snapshots' : 'DB snapshots';
    const incremental = size * (1 + (keptSource - 1) * a.dailyChange);
    add(`storage-source-${kind}`, priceId, src, incremental * months, `${label}: source copies (incremental)`, `${size} GiB x (1 full + ${keptSource - 1} x ${a.dailyChange * 100}% daily change) x ${round(months)} month`);
    add(`storage-vault-${kind}`, priceId, vaultRegion, size * keptVault * months, `${label}: vault copies (full)`, `${size} GiB x ${keptVault} full copies x ${round(months)} month`);
    for (const r of drRegions) add(`storage-dr-${r}-${kind}`, priceId, r, size * keptVault * months, `${label}: DR copies in ${r} (full)`, `${size} GiB x ${keptVault} full copies x ${round(months)} month`);
  }

  // Cross-Region copies: each moves the whole snapshot, priced in the Region it leaves.
  const total = databases.reduce((s, d) => s + d.sizeGiB, 0);
  const hops: Array<[string, string]> = [];
  if (vaultRegion !== src) hops.push([src, vaultRegion]);
  for (const r of drRegions) {
    const from = config.vault.drCopyMode === 'single-step' ? src : vaultRegion;
    if (from !== r) hops.push([from, r]);
  }
  for (const [from, to] of hops) add(`transfer-${from}-${to}`, 'rds-inter-region-transfer', from, total * GB_PER_GIB * runs, `cross-Region copies ${from} -> ${to}`, `${total} GiB (${round(total * GB_PER_GIB, 1)} GB) x ${runs} runs`);

  // KMS keys the stacks create, per Region.
  const keys = new Map<string, number>();
  const bump = (r: string, n: number) => keys.set(r, (keys.get(r) ?? 0) + n);
  bump(src, 2 + (exportsEnabled(config) ? 1 : 0)); // source key, topic key (+ export key)
  bump(vaultRegion, 2 + (config.restoreDrill ? 1 : 0)); // vault key, topic key (+ evidence key)
  for (const r of drRegions) bump(r, 2); // vault key, topic key
  for (const [r, n] of keys) add(`kms-keys-${r}`, 'kms-key-month', r, n * months, 'customer managed KMS keys', `${n} keys x ${round(months)} month (source/vault key, notification topic key${r === src && exportsEnabled(config) ? ', export key' : ''}${r === vaultRegion && config.restoreDrill ? ', evidence key' : ''})`);
  const copiesPerRun = databases.length * (1 + 1 + drRegions.length);
  add('kms-requests', 'kms-requests', src, copiesPerRun * runs * KMS_REQUESTS_PER_COPY, 'KMS requests by RDS copies', `${copiesPerRun} copies a run x ${runs} runs x ${KMS_REQUESTS_PER_COPY} requests (assumed)`, 10_000);

  // Workflow.
  const transitions = workflow.transitionsPerDatabase * databases.length * runs;
  add('sfn-transitions', 'sfn-transitions', src, transitions, 'Step Functions state transitions', `${workflow.transitionsPerDatabase} per database x ${databases.length} databases x ${runs} runs (${workflow.basis})`, 1000);
  const invocations = workflow.lambdaInvocationsPerDatabase * databases.length * runs;
  add('lambda-requests', 'lambda-requests', src, invocations, 'Lambda invocations', `${workflow.lambdaInvocationsPerDatabase} per database x ${databases.length} databases x ${runs} runs`, 1_000_000);
  add('lambda-duration', 'lambda-arm-duration', src, invocations * LAMBDA_SECONDS * LAMBDA_MEMORY_GB, 'Lambda duration (arm64)', `${invocations} invocations x ${LAMBDA_SECONDS} s x ${LAMBDA_MEMORY_GB} GB (assumed)`);
  const logGB = (invocations * LOG_BYTES_PER_INVOCATION) / 1e9;
  add('logs-ingestion', 'logs-ingestion', src, logGB, 'CloudWatch Logs ingestion', `${invocations} invocations x ${LOG_BYTES_PER_INVOCATION} bytes (assumed)`);
  add('logs-storage', 'logs-storage', src, (logGB / Math.max(months, 1e-9)) * LOG_MONTHS_KEPT * months, 'CloudWatch Logs storage (steady state, 1-year retention)', `${round(logGB / months, 6)} GB a month x ${LOG_MONTHS_KEPT} months kept x ${round(months)} month`);

  // Exports: the run's source copy, per GB of snapshot.
  for (const kind of ['instance', 'cluster'] as const) {
    const exported = databases.filter((d) => d.export && d.kind === kind).reduce((s, d) => s + d.sizeGiB, 0);
    add(`export-${kind}`, kind === 'cluster' ? 'aurora-snapshot-export' : 'rds-snapshot-export', src, exported * GB_PER_GIB * runs, `snapshot exports to S3 (${kind === 'cluster' ? 'Aurora' : 'RDS'})`, `${exported} GiB (${round(exported * GB_PER_GIB, 1)} GB) x ${runs} runs`);
  }

  return {
    days: a.days,
    databases,
    workflow,
    assumptions: { ...a, kmsRequestsPerCopy: KMS_REQUESTS_PER_COPY, lambdaSeconds: LAMBDA_SECONDS, lambdaMemoryGB: LAMBDA_MEMORY_GB, logBytesPerInvocation: LOG_BYTES_PER_INVOCATION },
    lines,
    totalUsd: round(lines.reduce((s, l) => s + l.usd, 0), 2),
  };
}

/** Thrown when a configured database cannot be sized. */
export class DatabaseNotSized extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DatabaseNotSized';
  }
}

/**
 * AllocatedStorage (GiB) of each configured database, from the source account.
 * @throws DatabaseNotSized naming the database and what to do
 */
export async function databaseSizes(backend: Backend): Promise<CostDatabase[]> {
  const { config } = backend;
  const rds = backend.rds(config.source.accountId, config.source.region);
  if (!rds) throw new DatabaseNotSized('no RDS client for the source account');
  const out: CostDatabase[] = [];
  for (const db of config.databases) {
    let size: number | undefined;
    try {
      size =
        db.kind === 'cluster'
          ? (await rds.send(new DescribeDBClustersCommand({ DBClusterIdentifier: db.identifier }))).DBClusters?.[0]?.AllocatedStorage
          : (await rds.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: db.identifier }))).DBInstances?.[0]?.AllocatedStorage;
    } catch (err) {
      const e = err as Error;
      throw new DatabaseNotSized(`${db.identifier}: ${e.name}: ${e.message}. Check "identifier"/"kind" in the config (rsv preflight), or the source credentials (rds:DescribeDBInstances, rds:DescribeDBClusters).`);
    }
    if (size === undefined) throw new DatabaseNotSized(`${db.identifier}: RDS reports no AllocatedStorage. Run rsv preflight.`);
    out.push({ identifier: db.identifier, kind: db.kind, sizeGiB: size, export: db.export || false });
  }
  return out;
}

/**
 * Transitions and Lambda invocations per database of the newest succeeded BackupRun started since
 * `since`, from its execution history and its DatabaseBackup children's; undefined when there is none.
 */
export async function measureWorkflow(backend: Backend, since: Date): Promise<WorkflowFigures | undefined> {
  const page = await backend.sfn.send(new ListExecutionsCommand({ stateMachineArn: backend.arns.backupRun, statusFilter: 'SUCCEEDED', maxResults: 20 }));
  const run = (page.executions ?? []).find((e) => e.startDate && e.startDate.getTime() >= since.getTime() && e.executionArn);
  if (!run?.executionArn) return undefined;
  const parent = await fullHistory(backend, run.executionArn);
  // The DatabaseBackup children, and the Distributed Map's child workflow executions whose states are billed too.
  const { children, mapRunHistories } = await runChildren(backend, parent);
  if (children.length === 0) return undefined;
  const count = (events: ReadonlyArray<{ type?: string }>) => ({
    transitions: events.filter((e) => e.type?.endsWith('StateEntered')).length,
    lambda: events.filter((e) => e.type === 'TaskStateEntered').length,
  });
  const own = [parent, ...mapRunHistories].map(count).reduce((a, b) => ({ transitions: a.transitions + b.transitions, lambda: a.lambda + b.lambda }));
  // BackupRun's Task states (its own and its Map Run children's) are Lambda (plan-run, notify, ReadPlanItem) but one startExecution.sync per database.
  let transitions = own.transitions;
  let lambda = own.lambda - children.length;
  for (const arn of children) {
    const c = count(await fullHistory(backend, arn));
    transitions += c.transitions;
    lambda += c.lambda;
  }
  return {
    transitionsPerDatabase: Math.round(transitions / children.length),
    lambdaInvocationsPerDatabase: Math.round(lambda / children.length),
    basis: `measured from ${run.name} (${children.length} databases)`,
  };
}

export interface CostOptions {
  readonly json: boolean;
  readonly days: number;
  readonly dailyChange: number;
}

/**
 * `rsv cost`: prices `o.days` days (storage prorated over a 30-day month) of the configured fleet at
 * its RDS sizes (GiB) and prints the priced lines (or, with `--json`, the {@link CostReport}).
 * Prices and their pages: cli/pricing.ts, docs/aws-behaviour.md §24.
 * @returns exit code: 0 priced; 2 when a database cannot be sized (`DatabaseNotSized`) or a Region has no price (`PriceNotKnown`), with what to do
 */
export async function costCommand(backend: Backend, o: CostOptions, output: Output): Promise<number> {
  let databases: CostDatabase[];
  try {
    databases = await databaseSizes(backend);
  } catch (err) {
    if ((err as Error).name !== 'DatabaseNotSized') throw err;
    output.err(`rsv cost: cannot size ${(err as Error).message}\n`);
    return 2;
  }
  const since = new Date(backend.now().getTime() - o.days * 86_400_000);
  const workflow = (await measureWorkflow(backend, since)) ?? SANDBOX_WORKFLOW;
  let report: CostReport;
  try {
    report = estimateCost(backend.config, databases, workflow, { days: o.days, dailyChange: o.dailyChange });
  } catch (err) {
    if ((err as Error).name !== 'PriceNotKnown') throw err;
    output.err(`rsv cost: ${(err as Error).message}\n`);
    return 2;
  }
  if (o.json) {
    output.out(`${JSON.stringify(report, null, 2)}\n`);
    return 0;
  }
  output.out(renderCost(report));
  return 0;
}

/** The report as the command prints it. */
export function renderCost(report: CostReport): string {
  const { databases } = report;
  let text = '';
  const output = { out: (t: string) => void (text += t) };
  const money = (n: number) => `$${n.toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 })}`;
  const size = databases.reduce((s, d) => s + d.sizeGiB, 0);
  output.out(`Cost of ${report.days} days for ${databases.length} databases (${size} GiB allocated), one run a day; USD, on-demand list prices (docs/cost.md):\n\n`);
  output.out(
    `${table(
      ['ITEM', 'REGION', 'QUANTITY', 'PRICE', 'COST'],
      report.lines.map((l) => [l.what, l.region, `${l.quantity.toLocaleString('en-US')} ${quantityUnit(l.unit)}`, `${money4(l.usdPerUnit)} / ${l.unit}`, money(l.usd)]),
    )}\n`,
  );
  output.out(`\nTotal: ${money(report.totalUsd)} for ${report.days} days.\n\nHow each quantity was worked out:\n`);
  for (const l of report.lines) output.out(`  ${l.what} (${l.region}): ${l.basis}\n`);
  output.out(`\nPrices: ${[...new Set(report.lines.map((l) => l.source))].join(', ')} (cli/pricing.ts, docs/aws-behaviour.md §24).\nNot priced: restore drill instance hours, S3 storage of exports and evidence, free tiers.\n`);
  return text;
}

const quantityUnit = (unit: string) => unit.replace(/^(1,000|10,000|1M) /, '');
const money4 = (n: number) => (n >= 0.01 ? `$${n.toFixed(3).replace(/0$/, '')}` : `$${n}`);
