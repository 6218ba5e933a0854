/**
 * `rsv evidence --month YYYY-MM [--out dir]`: an auditor's report of one calendar month (UTC), per
 * configured database: the daily recovery points in the vault (and each DR Region), the KMS key
 * that encrypts them, the retention policy, the restore drills and their RTO, and every failed
 * backup with how it ended. Markdown on stdout (JSON with `--json`); `--out` writes both
 * (`evidence-YYYY-MM.md`, `evidence-YYYY-MM.json`) and prints their paths.
 *
 * Where each part comes from (docs/operating.md, "Evidence for auditors"):
 * - recovery points: the vault's manual snapshots of the database (`rsv-*` copies) in the vault
 *   Region and each DR Region, by `OriginalSnapshotCreateTime` (the source snapshot's time, kept by
 *   every copy, docs/aws-behaviour.md §13; DB cluster snapshots: the time in our copy identifier).
 *   What retention has already deleted is not there: run the report early the next month.
 * - runs and failures: the run ledger (issue 12, cli/ledger.ts): one record per database per run,
 *   kept 400 days. ListObjectsV2 of `runs/` and `plans/` (keys and LastModified, docs/aws-behaviour.md
 *   §39: a run's plan is written when it starts), then GetObject of the records of the runs started
 *   in the month, as Step Functions would place them (a run without a plan object: by the record's
 *   `recordedAt`, the end of that database's backup). `DEFERRED` (an event run
 *   left the database to the scheduled run) is listed, never a failure. How a failure ended: the
 *   first later SUCCEEDED of that database, from the records read or, failing that, its later
 *   records in write order. Step Functions (ListExecutions, GetExecutionHistory) is the fallback for
 *   runs the ledger has no complete record of, only while it keeps them (90 days after an execution
 *   closes, docs/aws-behaviour.md §24), and for everything when the ledger cannot be read; the
 *   report's `sources` says which was used.
 * - drills: the records restore drills write to the vault's evidence bucket
 *   (`drills/<database>/<yyyy-mm-dd>/<drill>.json`, functions/record-evidence/evidence.ts).
 *
 * Exit code: 0 when every database has a vault recovery point for each day since the first run of
 * the month seen (up to yesterday) and every failure was followed by a success; 1 otherwise, and
 * for a month with no run (no evidence); 2 when the vault account cannot be read (pass --vault-profile).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { DescribeKeyCommand } from '@aws-sdk/client-kms';
import { ListExecutionsCommand } from '@aws-sdk/client-sfn';
import { deploymentNames } from '../../infra/constructs/names';
import { type Backend, vaultAccountOf } from '../backend';
import { type DrillEvidence, readDrillRecords } from '../drills';
import type { Output } from '../render';

export type { DrillEvidence } from '../drills';
import { listLedgerObjects, PLANS_PREFIX, readPlanHead, readRecord, readRecords, RUNS_PREFIX, type LedgerObject, type LedgerRecord } from '../../functions/shared/ledger';
import { LEDGER_EXPIRE_DAYS } from '../../contracts/names';
import { databaseOfKey, ledgerAccess, runIdOfKey } from '../ledger';
import { type DatabaseRunStatus, describeCause, manualSnapshots, readRun, type SnapshotRow } from '../runs';

/** `2026-11` as year and month (1-12), or undefined. */
export function parseMonth(text: string): { year: number; month: number } | undefined {
  const m = /^(\d{4})-(0[1-9]|1[0-2])$/.exec(text);
  return m ? { year: Number(m[1]), month: Number(m[2]) } : undefined;
}

export interface FailureEvidence {
  readonly run: string;
  /** ISO-8601 UTC. */
  readonly startDate: string;
  readonly status: string;
  readonly error: string;
  readonly message: string;
  /** `recovered by <run> at <time>` or `not recovered as of <now>`. */
  readonly ended: string;
  readonly recovered: boolean;
}

export interface DatabaseEvidence {
  readonly identifier: string;
  readonly kind: 'instance' | 'cluster';
  /** Per Region (vault Region first): the UTC days of the month with a recovery point, and the copies. */
  readonly regions: ReadonlyArray<{
    readonly region: string;
    readonly days: readonly string[];
    readonly missingDays: readonly string[];
    readonly copies: ReadonlyArray<{ identifier: string; recoveryPoint: string; kmsKeyId?: string }>;
  }>;
  /** Distinct KMS keys of the month's vault copies. */
  readonly kmsKeys: readonly string[];
  /**
   * The database's result in each run of the month (`status` SUCCEEDED, FAILED, TIMED_OUT, ABORTED,
   * RUNNING or DEFERRED: an event run left it to the scheduled run, not a failure), and where it was read.
   */
  readonly runs: ReadonlyArray<{ run: string; startDate: string; status: string; copy?: string; error?: string; source: 'ledger' | 'step-functions' }>;
  readonly failures: readonly FailureEvidence[];
  readonly drills: readonly DrillEvidence[];
}

export interface EvidenceReport {
  readonly month: string;
  /** ISO-8601 UTC. */
  readonly generatedAt: string;
  readonly deploymentName: string;
  readonly vaultAccount: string;
  readonly vaultRegions: readonly string[];
  /** The vault key alias and the key it names in the vault Region. */
  readonly vaultKey: { alias: string; arn?: string };
  readonly retention: unknown;
  /** Days expected to have a recovery point: from the first run seen in the month to the month's end or now. */
  readonly expectedDays: readonly string[];
  readonly sources: readonly string[];
  readonly notes: readonly string[];
  readonly databases: readonly DatabaseEvidence[];
  readonly ok: boolean;
}

export interface EvidenceOptions {
  readonly json: boolean;
  readonly month: { year: number; month: number };
  readonly outDir?: string;
  /** The evidence bucket's name (else found by listing the vault account's buckets). */
  readonly evidenceBucket?: string;
}
// The run ledger bucket: `--ledger-bucket` sets Backend.ledgerBucket (cli/main.ts), else cli/ledger.ts finds it.

const day = (iso: string) => iso.slice(0, 10);

/** Builds the report (reads only). @throws VaultNotReadable when the CLI has no vault credentials */
export async function buildEvidence(backend: Backend, m: { year: number; month: number }, evidenceBucket?: string): Promise<EvidenceReport> {
  const { config } = backend;
  const names = deploymentNames(config.deploymentName);
  const label = `${m.year}-${String(m.month).padStart(2, '0')}`;
  const start = new Date(Date.UTC(m.year, m.month - 1, 1));
  const end = new Date(Date.UTC(m.year, m.month, 1));
  const now = backend.now();
  const vaultAccount = vaultAccountOf(config);
  const vaultRegions = [config.vault.region, ...config.vault.drRegions];
  const notes: string[] = [];
  if (!backend.rds(vaultAccount, config.vault.region)) throw new VaultNotReadable(vaultAccount);

  // Runs and each database's result: the run ledger first, Step Functions for runs it has no record of.
  const results = await monthResults(backend, start, end, now, notes);
  const monthRows = results.rows.filter((r) => r.at >= start.toISOString() && r.at < end.toISOString());
  if (start.getTime() > now.getTime()) notes.push(`${label} has not started yet (now ${now.toISOString()}).`);

  // Days expected: from the first run of the month (the deployment may be younger than the month)
  // to the month's last day, or yesterday (UTC) while the month runs: today's copy may still be copying.
  const firstRun = [...monthRows.map((r) => r.at), ...results.runStarts.filter((t) => t >= start.toISOString() && t < end.toISOString())].sort()[0];
  const expectedDays: string[] = [];
  if (firstRun) {
    const last = Math.min(end.getTime() - 1, Date.parse(`${day(now.toISOString())}T00:00:00.000Z`) - 1);
    for (let t = Date.parse(`${day(firstRun)}T00:00:00.000Z`); t <= last; t += 86_400_000) expectedDays.push(new Date(t).toISOString().slice(0, 10));
  } else {
    notes.push(`No BackupRun started in ${label} (${backend.mode === 'local' ? 'the local world replays the demo\'s runs of 2026-11-20 to 2026-11-22: try --month 2026-11' : `deployed later, or older than the run ledger keeps (${LEDGER_EXPIRE_DAYS} days)`}); recovery points are listed as found.`);
  }

  if (backend.mode === 'local' && config.restoreDrill) notes.push('Local world: the restore drill covers only the databases whose drill has no SQL checks (restore and RTO); npm run demo runs the SQL checks against real database servers.');

  // Vault key alias.
  let vaultKeyArn: string | undefined;
  try {
    vaultKeyArn = (await backend.kms(vaultAccount, config.vault.region)?.send(new DescribeKeyCommand({ KeyId: names.vaultKeyAlias })))?.KeyMetadata?.Arn;
  } catch (err) {
    notes.push(`vault key alias ${names.vaultKeyAlias}: ${(err as Error).name} (rsv preflight checks it)`);
  }

  // Drill records.
  const drillsOf = (await readDrillRecords(backend, { databases: config.databases.map((d) => d.identifier), month: label, ...(evidenceBucket ? { bucket: evidenceBucket } : {}) }, notes)) ?? new Map<string, DrillEvidence[]>();

  const databases: DatabaseEvidence[] = [];
  for (const db of config.databases) {
    const regions: DatabaseEvidence['regions'][number][] = [];
    for (const region of vaultRegions) {
      const rds = backend.rds(vaultAccount, region);
      if (!rds) continue;
      const rows: SnapshotRow[] = (await manualSnapshots(rds, db.identifier, db.kind)).filter(
        (s) => s.identifier.startsWith('rsv-') && s.status === 'available' && s.recoveryPoint && s.recoveryPoint >= start.toISOString() && s.recoveryPoint < end.toISOString(),
      );
      rows.sort((a, b) => (a.recoveryPoint ?? '').localeCompare(b.recoveryPoint ?? ''));
      const days = [...new Set(rows.map((r) => day(r.recoveryPoint ?? '')))];
      regions.push({
        region,
        days,
        missingDays: expectedDays.filter((d) => !days.includes(d)),
        copies: rows.map((r) => ({ identifier: r.identifier, recoveryPoint: r.recoveryPoint ?? '', ...(r.kmsKeyId ? { kmsKeyId: r.kmsKeyId } : {}) })),
      });
    }
    const mine = monthRows.filter((r) => r.identifier === db.identifier);
    const failures: FailureEvidence[] = [];
    for (const d of mine.filter((x) => FAILED.includes(x.status))) {
      // The first success of this database that ended after the failure (DEFERRED is neither).
      const next = await results.successAfter(db.identifier, d.end);
      failures.push({
        run: d.run,
        startDate: d.startDate,
        status: d.status,
        error: d.error ?? d.status,
        message: d.cause ?? '',
        ended: next ? `recovered by ${next.run} at ${next.end} (${next.copy ?? 'copy'})` : `not recovered as of ${now.toISOString()}`,
        recovered: next !== undefined,
      });
    }
    databases.push({
      identifier: db.identifier,
      kind: db.kind,
      regions,
      kmsKeys: [...new Set((regions[0]?.copies ?? []).map((c) => c.kmsKeyId).filter((k): k is string => k !== undefined))],
      runs: mine.map((d) => ({ run: d.run, startDate: d.startDate, status: d.status, ...(d.copy ? { copy: d.copy } : {}), ...(d.error ? { error: d.error } : {}), source: d.source })),
      failures,
      drills: drillsOf.get(db.identifier) ?? [],
    });
  }
  const ok = expectedDays.length > 0 && databases.every((d) => (d.regions[0]?.missingDays.length ?? 0) === 0 && d.failures.every((f) => f.recovered));
  return {
    month: label,
    generatedAt: now.toISOString(),
    deploymentName: config.deploymentName,
    vaultAccount,
    vaultRegions,
    vaultKey: { alias: names.vaultKeyAlias, ...(vaultKeyArn ? { arn: vaultKeyArn } : {}) },
    retention: config.retention.vault,
    expectedDays,
    sources: [
      `recovery points: manual snapshots rsv-* in account ${vaultAccount}, ${vaultRegions.join(', ')} (DescribeDBSnapshots / DescribeDBClusterSnapshots)`,
      results.source,
      'drills: restore drill records in the vault evidence bucket (drills/<database>/<date>/<drill>.json)',
    ],
    notes,
    databases,
    ok,
  };
}

/** Days Step Functions keeps a closed execution (docs/aws-behaviour.md §24). */
const SFN_DAYS = 90;
/** A record is written (PutObject) seconds after its `recordedAt`: how far past the month its LastModified may be. */
const WRITE_SLACK_MS = 3600_000;
const FAILED: readonly string[] = ['FAILED', 'TIMED_OUT', 'ABORTED'];

/** One database's result in one run, from either source. Times ISO-8601 UTC. */
interface ResultRow {
  readonly run: string;
  readonly identifier: string;
  readonly status: DatabaseRunStatus;
  /** When the database's backup started (ledger: the source copy's start, else the record's time). */
  readonly startDate: string;
  /** What places the row in a month: the run's start (Step Functions; ledger: its plan's write time, else the record's `recordedAt`). */
  readonly at: string;
  /** When the database's backup ended (`recordedAt`; the child's stop), for "recovered by". */
  readonly end: string;
  readonly copy?: string;
  readonly error?: string;
  readonly cause?: string;
  readonly source: 'ledger' | 'step-functions';
}

/** A row from a record; `runStart` (the run's plan time) places it in a month, else its `recordedAt`. */
function rowOfRecord(r: LedgerRecord, runStart: string | undefined): ResultRow {
  return {
    run: r.runId,
    identifier: r.database.identifier,
    status: r.status,
    startDate: r.output?.sourceCopy?.startedAt ?? runStart ?? r.recordedAt,
    at: runStart ?? r.recordedAt,
    end: r.recordedAt,
    ...(r.status === 'SUCCEEDED' && r.summary?.copy ? { copy: r.summary.copy } : {}),
    ...(r.status === 'FAILED' && r.error ? { error: r.error.name, cause: describeCause(r.error.cause) } : {}),
    source: 'ledger',
  };
}

/**
 * The month's per-database results, and a way to find how a failure ended:
 * - the run ledger (cli/ledger.ts): ListObjectsV2 of `runs/` (every record's key and LastModified,
 *   1,000 a page) and of `plans/` (when each run's plan was written: the run's start), then GetObject
 *   of the records of the runs started in the month (a run without a plan: records written from the
 *   month's start to an hour past its end, placed by `recordedAt`);
 * - Step Functions, only for runs the ledger has no record of, or not every record of (an aborted or
 *   timed-out run: fewer records than its plan head's `count`), and only while it keeps them (a month
 *   that ended within 90 days, docs/aws-behaviour.md §24): ListExecutions back to the month's start,
 *   and `readRun` of each such run;
 * - `successAfter`: the first SUCCEEDED of a database ending after a time: the rows read, else that
 *   database's later ledger records (GetObject in LastModified order until one succeeded).
 */
async function monthResults(
  backend: Backend,
  start: Date,
  end: Date,
  now: Date,
  notes: string[],
): Promise<{ rows: ResultRow[]; runStarts: string[]; source: string; successAfter: (identifier: string, after: string) => Promise<ResultRow | undefined> }> {
  const names = deploymentNames(backend.config.deploymentName);
  const rows: ResultRow[] = [];
  const runStarts: string[] = [];
  const access = await ledgerAccess(backend);
  let keys: LedgerObject[] | undefined;
  let ledgerWhy = '';
  if ('bucket' in access) {
    try {
      keys = await listLedgerObjects(access.s3, access.bucket, RUNS_PREFIX);
    } catch (err) {
      ledgerWhy = `${(err as Error).name}: ${(err as Error).message}; the profile needs s3:ListBucket and s3:GetObject on the ledger bucket (docs/operating.md)`;
    }
  } else ledgerWhy = access.why;
  if (ledgerWhy) notes.push(`The run ledger could not be read (${ledgerWhy}): runs and failures come from Step Functions only, which keeps closed executions ${SFN_DAYS} days (docs/aws-behaviour.md §24).`);
  const read = new Set<string>();
  const recordsPerRun = new Map<string, number>();
  for (const k of keys ?? []) {
    const run = runIdOfKey(k.key);
    if (run !== undefined) recordsPerRun.set(run, (recordsPerRun.get(run) ?? 0) + 1);
  }
  // When each run started: plan-run writes `plans/<runId>/plan.json` first thing in the run.
  const runStart = new Map<string, string>();
  if (keys && 'bucket' in access) {
    try {
      for (const k of await listLedgerObjects(access.s3, access.bucket, PLANS_PREFIX)) {
        const [, run, file] = k.key.split('/');
        if (run && file === 'plan.json') runStart.set(run, k.lastModified.toISOString());
      }
    } catch {
      // Without plan times records are placed by their recordedAt (a reader allowed runs/ only).
    }
    const inMonth = (t: number) => t >= start.getTime() && t < end.getTime();
    const window = keys
      .filter((k) => {
        const planned = runStart.get(runIdOfKey(k.key) ?? '');
        return planned !== undefined ? inMonth(Date.parse(planned)) : k.lastModified.getTime() >= start.getTime() && k.lastModified.getTime() < end.getTime() + WRITE_SLACK_MS;
      })
      .map((k) => k.key);
    for (const r of await readRecords(access.s3, access.bucket, window)) rows.push(rowOfRecord(r, runStart.get(r.runId)));
    for (const k of window) read.add(k);
  }

  // Step Functions: runs the ledger cannot answer for, while Step Functions still keeps them.
  const incomplete = new Set<string>();
  let fromSfn = 0;
  if (now.getTime() - end.getTime() <= SFN_DAYS * 86_400_000) {
    let nextToken: string | undefined;
    listing: do {
      const page = await backend.sfn.send(new ListExecutionsCommand({ stateMachineArn: backend.arns.backupRun, maxResults: 1000, nextToken }));
      for (const e of page.executions ?? []) {
        // Newest first (API_ListExecutions): the first run older than the month ends the listing.
        if ((e.startDate?.getTime() ?? 0) < start.getTime()) break listing;
        const name = e.name ?? '';
        runStarts.push(e.startDate?.toISOString() ?? '');
        const recorded = recordsPerRun.get(name) ?? 0;
        if (recorded > 0 && keys && 'bucket' in access) {
          if (e.status === 'SUCCEEDED' || e.status === 'RUNNING') continue;
          // Aborted, timed out or failed: complete when every planned database has a record.
          const planned = await readPlanHead(access.s3, access.bucket, name).then((h) => h.count, () => Number.POSITIVE_INFINITY);
          if (recorded >= planned) continue;
          incomplete.add(name);
        }
        const view = await readRun(backend, e.executionArn ?? '', { stepFunctionsOnly: true });
        fromSfn++;
        for (const d of view.databases) {
          rows.push({
            run: view.name,
            identifier: d.identifier,
            status: d.status,
            startDate: d.startDate,
            at: view.startDate,
            end: d.stopDate ?? view.startDate,
            ...(d.copy ? { copy: d.copy } : {}),
            ...(d.error ? { error: d.error } : {}),
            ...(d.cause ? { cause: d.cause } : {}),
            source: 'step-functions',
          });
        }
      }
      nextToken = page.nextToken;
    } while (nextToken);
  }
  // A run read from Step Functions replaces its partial ledger records.
  const kept = rows.filter((r) => !(r.source === 'ledger' && incomplete.has(r.run)));
  kept.sort((a, b) => a.at.localeCompare(b.at) || a.identifier.localeCompare(b.identifier));

  const successAfter = async (identifier: string, after: string): Promise<ResultRow | undefined> => {
    const done = kept.filter((r) => r.identifier === identifier && r.status === 'SUCCEEDED' && r.end > after).sort((a, b) => a.end.localeCompare(b.end))[0];
    if (done || !keys || !('bucket' in access)) return done;
    // Later records of this database only, oldest first, until one succeeded.
    const later = keys
      .filter((k) => !read.has(k.key) && databaseOfKey(k.key) === identifier && k.lastModified.toISOString() >= after)
      .sort((a, b) => a.lastModified.getTime() - b.lastModified.getTime());
    for (const k of later) {
      const r = await readRecord(access.s3, access.bucket, k.key);
      read.add(k.key);
      if (r.status === 'SUCCEEDED' && r.recordedAt > after) return rowOfRecord(r, runStart.get(r.runId));
    }
    return undefined;
  };

  const ledgerRuns = new Set(kept.filter((r) => r.source === 'ledger').map((r) => r.run)).size;
  const sfnSource = `Step Functions executions of ${names.backupRunStateMachine} and ${names.databaseBackupStateMachine}`;
  const source =
    keys && 'bucket' in access
      ? `runs and failures: the run ledger s3://${access.bucket}/${RUNS_PREFIX} (${ledgerRuns} run(s) of the month, records kept ${LEDGER_EXPIRE_DAYS} days); ${
          fromSfn > 0 ? `${sfnSource} for the ${fromSfn} run(s) the ledger has no complete record of (fallback)` : 'Step Functions only as a fallback, not needed for this month'
        }`
      : `runs and failures: ${sfnSource} (the run ledger could not be read: fallback, ${SFN_DAYS} days of executions)`;
  return { rows: kept, runStarts, source, successAfter };
}

/** Thrown when the vault account cannot be read. */
export class VaultNotReadable extends Error {
  constructor(account: string) {
    super(`no credentials for the vault account ${account}: pass --vault-profile <profile of ${account}> (the report reads its snapshots and evidence bucket)`);
    this.name = 'VaultNotReadable';
  }
}

/** The report as Markdown. */
export function evidenceMarkdown(r: EvidenceReport): string {
  const md: string[] = [];
  const dur = (s: number | undefined) => (s === undefined ? '-' : `${Math.floor(s / 60)}m ${String(Math.round(s % 60)).padStart(2, '0')}s`);
  const ret = r.retention as { keepLast: number; maxAgeDays: number; minAgeDays: number; gfs?: Record<string, number> };
  md.push(`# Backup evidence ${r.month}: ${r.deploymentName}`, '');
  md.push(`Generated ${r.generatedAt}. Vault account ${r.vaultAccount}, Regions ${r.vaultRegions.join(', ')}.`, '');
  md.push(`- Vault KMS key: ${r.vaultKey.alias}${r.vaultKey.arn ? ` (${r.vaultKey.arn})` : ''}`);
  md.push(`- Vault retention: keep the newest ${ret.keepLast} copies and every copy younger than ${ret.maxAgeDays} days; none deleted before ${ret.minAgeDays} days${ret.gfs ? `; GFS ${JSON.stringify(ret.gfs)}` : ''}`);
  md.push(`- Days expected to have a recovery point: ${r.expectedDays.length ? `${r.expectedDays[0]} to ${r.expectedDays.at(-1)} (${r.expectedDays.length} days, from the first run of the month)` : 'none'}`);
  md.push(`- Result: ${r.ok ? 'every database has a vault recovery point for every expected day, and every failure was followed by a success' : 'GAPS or unrecovered failures: see below'}`, '');
  md.push('Sources:', ...r.sources.map((s) => `- ${s}`), '');
  if (r.notes.length) md.push('Notes:', ...r.notes.map((n) => `- ${n}`), '');
  md.push('## Summary', '', '| database | days with a vault recovery point | missing days | runs | failures (unrecovered) | drills (passed) | last RTO |', '|---|---|---|---|---|---|---|');
  for (const d of r.databases) {
    const v = d.regions[0];
    const last = d.drills.at(-1);
    md.push(`| ${d.identifier} | ${v?.days.length ?? 0}/${r.expectedDays.length} | ${v?.missingDays.join(', ') || 'none'} | ${d.runs.length} | ${d.failures.length} (${d.failures.filter((f) => !f.recovered).length}) | ${d.drills.length} (${d.drills.filter((x) => x.result === 'PASSED').length}) | ${dur(last?.rtoSeconds)} |`);
  }
  for (const d of r.databases) {
    md.push('', `## ${d.identifier} (${d.kind === 'cluster' ? 'Aurora DB cluster' : 'DB instance'})`, '');
    md.push(`KMS key of the vault copies: ${d.kmsKeys.join(', ') || '-'}`, '');
    md.push('| Region | days covered | missing days | copies |', '|---|---|---|---|');
    for (const g of d.regions) md.push(`| ${g.region} | ${g.days.length} | ${g.missingDays.join(', ') || 'none'} | ${g.copies.map((c) => `${c.identifier} (${c.recoveryPoint})`).join('<br>') || '-'} |`);
    md.push('', 'Runs:', '');
    if (d.runs.length === 0) md.push('- none this month');
    for (const x of d.runs) md.push(`- ${x.startDate} ${x.run}: ${x.status}${x.copy ? ` -> ${x.copy}` : ''}${x.error ? ` (${x.error})` : ''}`);
    if (d.failures.length) {
      md.push('', 'Failures and how they ended:', '');
      for (const f of d.failures) md.push(`- ${f.startDate} ${f.run}: ${f.status} ${f.error}${f.message ? `: ${f.message}` : ''}. Ended: ${f.ended}`);
    }
    md.push('', 'Restore drills:', '');
    if (d.drills.length === 0) md.push('- none this month');
    for (const x of d.drills) md.push(`- ${x.restoreStartedAt ?? ''} ${x.drillId}: ${x.result}, RTO ${dur(x.rtoSeconds)}, recovery point ${x.rpoHoursAtDrill ?? '-'} h old, checks ${x.checksPassed}/${x.checksTotal}${x.failure ? `, ${x.failure}` : ''} (${x.record})`);
  }
  return `${md.join('\n')}\n`;
}

/**
 * `rsv evidence --month YYYY-MM`: the auditor's report of one UTC month per configured database
 * (Markdown, or JSON with `--json`; both files with `--out`). Runs and failures come from the run
 * ledger (400 days; Step Functions as a fallback, 90 days, docs/aws-behaviour.md §24), drills from the
 * evidence bucket.
 * @returns exit code: 0 every expected day has a vault recovery point and every failure recovered; 1 a gap, an unrecovered failure or a month without runs; 2 bad `--month` or an unreadable vault (`VaultNotReadable`)
 */
export async function evidenceCommand(backend: Backend, o: EvidenceOptions, output: Output): Promise<number> {
  let report: EvidenceReport;
  try {
    report = await buildEvidence(backend, o.month, o.evidenceBucket);
  } catch (err) {
    if ((err as Error).name !== 'VaultNotReadable') throw err;
    output.err(`rsv evidence: ${(err as Error).message}\n`);
    return 2;
  }
  const markdown = evidenceMarkdown(report);
  const json = `${JSON.stringify(report, null, 2)}\n`;
  if (o.outDir) {
    mkdirSync(o.outDir, { recursive: true });
    const base = path.join(o.outDir, `evidence-${report.month}`);
    writeFileSync(`${base}.md`, markdown);
    writeFileSync(`${base}.json`, json);
    output.out(o.json ? `${JSON.stringify({ markdown: `${base}.md`, json: `${base}.json`, ok: report.ok })}\n` : `Wrote ${base}.md and ${base}.json (${report.ok ? 'no gaps' : 'gaps or unrecovered failures: see the report'}).\n`);
  } else {
    output.out(o.json ? json : markdown);
  }
  return report.ok ? 0 : 1;
}
