/**
 * Reading BackupRun executions and their per-database DatabaseBackup children through the Step
 * Functions API (the same calls against AWS and `--local`), plus the copy progress RDS reports.
 *
 * A finished run's per-database results come from the run ledger (issue 12, cli/ledger.ts): one
 * ListObjectsV2 of `runs/<runId>/` and a GetObject per record, whatever the fleet size. Step Functions
 * stays the source for which runs exist, for RUNNING runs (their live steps and copies) and for a
 * finished run the ledger cannot answer for whole (no bucket, or fewer records than planned).
 *
 * Children are found as Step Functions records them: each `states:startExecution.sync:2` Task writes a
 * `TaskSubmitted` event whose output holds the child's `ExecutionArn`
 * (https://docs.aws.amazon.com/step-functions/latest/dg/connect-stepfunctions.html).
 */
import type { RDSClient } from '@aws-sdk/client-rds';
import { DescribeExecutionCommand, GetExecutionHistoryCommand, ListExecutionsCommand, type HistoryEvent } from '@aws-sdk/client-sfn';
import { type Backend, vaultAccountOf } from './backend';
import { timeFromCopyIdentifier } from '../functions/shared/recovery-points';
import { listSnapshots } from '../functions/shared/snapshots';
import { type LedgerRecord, recordKey } from '../functions/shared/ledger';
import { completeRunRecords } from './ledger';
import { BACKUP_END_STATES } from '../contracts/states';

export type RunStatus = 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'TIMED_OUT' | 'ABORTED' | 'PENDING_REDRIVE';
/**
 * A database's result in a run: its child execution's status, or `DEFERRED` (issue 12) when the child
 * succeeded by deferring the database to the scheduled run (`DeferredToScheduledRun`: an event-started
 * run with no copy slot in sight; no copy made, not a failure).
 */
export type DatabaseRunStatus = RunStatus | 'DEFERRED';

/** A copy RDS reports as `creating`, with its progress (0-100). */
export interface CopyInFlight {
  /** `source`, `vault`, or the DR Region name. */
  readonly where: string;
  readonly snapshotIdentifier: string;
  readonly percent: number;
}

/** One database of a run: its DatabaseBackup child execution, or its run ledger record. */
export interface DatabaseRun {
  readonly identifier: string;
  readonly kind: string;
  /** The DatabaseBackup child execution (read from Step Functions); absent when read from the ledger. */
  readonly executionArn?: string;
  /** `s3://<ledger bucket>/runs/<runId>/<database>.json` when read from the run ledger. */
  readonly record?: string;
  readonly status: DatabaseRunStatus;
  /**
   * ISO-8601 UTC. From the ledger: when the source copy was started (SUCCEEDED), else the run's start.
   */
  readonly startDate: string;
  /** ISO-8601 UTC. From the ledger: the record's `recordedAt` (the end of the database's backup). */
  readonly stopDate?: string;
  /** DEFERRED: why (the queue, the expected turn, the destination and kind), from the child's output. */
  readonly reason?: string;
  /** The state the child is in (RUNNING) or ended in. */
  readonly step?: string;
  /** Copies of this database RDS reports as `creating` (RUNNING children in a copy step only). */
  readonly copies: readonly CopyInFlight[];
  readonly error?: string;
  readonly cause?: string;
  /** The copy identifier from the child's summary (SUCCEEDED). */
  readonly copy?: string;
}

/** A BackupRun execution and its databases. */
export interface RunView {
  readonly executionArn: string;
  readonly name: string;
  readonly status: RunStatus;
  readonly startDate: string;
  readonly stopDate?: string;
  readonly input: unknown;
  readonly error?: string;
  readonly cause?: string;
  /**
   * Where `databases` was read: `ledger` (the run ledger's records of a finished run) or
   * `step-functions` (the DatabaseBackup child executions).
   */
  readonly resultsFrom?: 'ledger' | 'step-functions';
  readonly databases: readonly DatabaseRun[];
}

/** Every event of an execution's history, oldest first (pages of 1000). */
export async function fullHistory(backend: Backend, executionArn: string): Promise<HistoryEvent[]> {
  const events: HistoryEvent[] = [];
  let nextToken: string | undefined;
  do {
    const page = await backend.sfn.send(new GetExecutionHistoryCommand({ executionArn, maxResults: 1000, nextToken }));
    events.push(...(page.events ?? []));
    nextToken = page.nextToken;
  } while (nextToken);
  return events;
}

/** The child executions a run started with `startExecution.sync`, from its TaskSubmitted events. */
export function childExecutionArns(events: readonly HistoryEvent[]): string[] {
  const arns: string[] = [];
  for (const e of events) {
    const d = e.taskSubmittedEventDetails;
    if (e.type !== 'TaskSubmitted' || d?.resourceType !== 'states' || !d.resource?.startsWith('startExecution')) continue;
    try {
      const arn = (JSON.parse(d.output ?? '{}') as { ExecutionArn?: string }).ExecutionArn;
      if (arn && !arns.includes(arn)) arns.push(arn);
    } catch {
      // Not JSON: not a child we can follow.
    }
  }
  return arns;
}

/** The Map Runs a run started (its Distributed Map states), from its MapRunStarted events. */
export function mapRunArns(events: readonly HistoryEvent[]): string[] {
  return events.flatMap((e) => (e.type === 'MapRunStarted' && e.mapRunStartedEventDetails?.mapRunArn ? [e.mapRunStartedEventDetails.mapRunArn] : []));
}

/**
 * The executions a run started: `children` with `startExecution.sync` (its DatabaseBackup executions),
 * whether from its own history or, for BackupRun's Distributed Map (docs/aws-behaviour.md §29), from
 * the histories of its Map Runs' child workflow executions (`mapRunChildren`, listed by
 * `ListExecutions({ mapRunArn })`), in the order those histories give.
 */
export async function runChildren(backend: Backend, runHistory: readonly HistoryEvent[]): Promise<{ children: string[]; mapRunChildren: string[]; mapRunHistories: HistoryEvent[][] }> {
  const children = childExecutionArns(runHistory);
  const mapRunChildren: string[] = [];
  const mapRunHistories: HistoryEvent[][] = [];
  for (const mapRunArn of mapRunArns(runHistory)) {
    for (const mapChild of (await mapRunExecutionArns(backend, mapRunArn)).reverse()) {
      const history = await fullHistory(backend, mapChild);
      mapRunChildren.push(mapChild);
      mapRunHistories.push(history);
      for (const arn of childExecutionArns(history)) if (!children.includes(arn)) children.push(arn);
    }
  }
  return { children, mapRunChildren, mapRunHistories };
}

/** Every child workflow execution of a Map Run (ListExecutions with `mapRunArn`, pages of 1000). */
async function mapRunExecutionArns(backend: Backend, mapRunArn: string): Promise<string[]> {
  const arns: string[] = [];
  let nextToken: string | undefined;
  do {
    const page = await backend.sfn.send(new ListExecutionsCommand({ mapRunArn, maxResults: 1000, nextToken }));
    arns.push(...(page.executions ?? []).flatMap((e) => (e.executionArn ? [e.executionArn] : [])));
    nextToken = page.nextToken;
  } while (nextToken);
  return arns;
}

const iso = (d: Date | undefined) => (d ? d.toISOString() : undefined);

/**
 * Reads a run and each of its databases. A finished run's databases come from the run ledger when
 * it holds a record of every planned database (cli/ledger.ts `completeRunRecords`: 1 DescribeExecution,
 * 1 ListObjectsV2 per 1,000 records, 1 + one GetObject per record); otherwise, and for a RUNNING run,
 * from its DatabaseBackup child executions (GetExecutionHistory of the run and of each Map Run child,
 * DescribeExecution of each DatabaseBackup child). With `progress`, also the state each running
 * child is in and the copies RDS reports as `creating` for it. `stepFunctionsOnly` skips the ledger.
 * @throws ExecutionDoesNotExist (SDK) when the ARN names no execution; LedgerRecordInvalid (a ledger object that is not a record)
 */
export async function readRun(backend: Backend, executionArn: string, opts: { progress?: boolean; stepFunctionsOnly?: boolean } = {}): Promise<RunView> {
  const run = await backend.sfn.send(new DescribeExecutionCommand({ executionArn }));
  const status = (run.status ?? 'RUNNING') as RunStatus;
  const name = run.name ?? executionArn.split(':').pop() ?? executionArn;
  const startDate = iso(run.startDate) ?? '';
  const head = {
    executionArn,
    name,
    status,
    startDate,
    ...(run.stopDate ? { stopDate: iso(run.stopDate) } : {}),
    input: parseJson(run.input),
    ...(run.error ? { error: run.error } : {}),
    ...(run.cause ? { cause: run.cause } : {}),
  };
  if (status !== 'RUNNING' && !opts.stepFunctionsOnly) {
    const ledger = await completeRunRecords(backend, name);
    if (ledger) {
      const databases = ledger.records.map((r) => databaseRunOfRecord(r, startDate, `s3://${ledger.bucket}/${recordKey(r.runId, r.database.identifier)}`));
      databases.sort((a, b) => a.startDate.localeCompare(b.startDate) || a.identifier.localeCompare(b.identifier));
      return { ...head, resultsFrom: 'ledger', databases };
    }
  }
  const { children } = await runChildren(backend, await fullHistory(backend, executionArn));
  const databases: DatabaseRun[] = [];
  for (const arn of children) databases.push(await readDatabaseRun(backend, arn, opts.progress === true));
  // In start order, as the run started them (the Map Run's children are listed newest first).
  databases.sort((a, b) => a.startDate.localeCompare(b.startDate));
  return { ...head, resultsFrom: 'step-functions', databases };
}

/**
 * A database's result from its ledger record (functions/shared/ledger.ts `LedgerRecord`): status,
 * copy (SUCCEEDED), error name and cause (FAILED), reason (DEFERRED); `startDate` the source copy's
 * `startedAt` when the record has it, else `runStart`; `stopDate` the record's `recordedAt`; `step` the terminal state of that status.
 */
export function databaseRunOfRecord(r: LedgerRecord, runStart: string, record: string): DatabaseRun {
  return {
    identifier: r.database.identifier,
    kind: r.database.kind ?? 'instance',
    record,
    status: r.status,
    startDate: r.output?.sourceCopy?.startedAt ?? runStart,
    stopDate: r.recordedAt,
    // The state DatabaseBackup ends in after writing a record of that status (contracts/states.ts).
    step: BACKUP_END_STATES[r.status],
    copies: [],
    ...(r.status === 'SUCCEEDED' && r.summary?.copy ? { copy: r.summary.copy } : {}),
    ...(r.status === 'FAILED' && r.error ? { error: r.error.name, cause: describeCause(r.error.cause) } : {}),
    ...(r.status === 'DEFERRED' && r.deferral ? { reason: r.deferral.reason } : {}),
  };
}

async function readDatabaseRun(backend: Backend, executionArn: string, progress: boolean): Promise<DatabaseRun> {
  const child = await backend.sfn.send(new DescribeExecutionCommand({ executionArn }));
  const input = parseJson(child.input) as { database?: { identifier?: string; kind?: string } } | undefined;
  const identifier = input?.database?.identifier ?? '?';
  const kind = input?.database?.kind ?? 'instance';
  const status = (child.status ?? 'RUNNING') as RunStatus;
  let step: string | undefined;
  let copies: CopyInFlight[] = [];
  if (progress || status !== 'SUCCEEDED') {
    const recent = await backend.sfn.send(new GetExecutionHistoryCommand({ executionArn, reverseOrder: true, maxResults: 50 }));
    step = recent.events?.find((e) => e.stateEnteredEventDetails?.name)?.stateEnteredEventDetails?.name;
  }
  if (progress && status === 'RUNNING' && step && /Copy|Copies/.test(step)) copies = await copiesInFlight(backend, identifier, kind, step);
  const output = parseJson(child.output) as { summary?: { copy?: string }; status?: string; reason?: string } | undefined;
  // Issue 12: DeferredToScheduledRun's output (DatabaseBackupDeferredOutput): succeeded without a copy.
  const deferred = status === 'SUCCEEDED' && output?.status === 'DEFERRED';
  return {
    identifier,
    kind,
    executionArn,
    status: deferred ? 'DEFERRED' : status,
    ...(deferred && { reason: describeCause(output?.reason ?? '') }),
    startDate: iso(child.startDate) ?? '',
    ...(child.stopDate ? { stopDate: iso(child.stopDate) } : {}),
    ...(step ? { step } : {}),
    copies,
    ...(child.error ? { error: child.error } : {}),
    ...(child.cause ? { cause: describeCause(child.cause) } : {}),
    ...(output?.summary?.copy ? { copy: output.summary.copy } : {}),
  };
}

/**
 * The database's copies RDS reports as `creating`: in the source Region during the source copy
 * steps, else in the vault Region and each DR Region (where the CLI has vault credentials).
 * Reads DescribeDBSnapshots / DescribeDBClusterSnapshots (manual, by DB identifier); a copy keeps the
 * DB identifier of its source (https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_DBSnapshot.html).
 */
export async function copiesInFlight(backend: Backend, identifier: string, kind: string, step: string): Promise<CopyInFlight[]> {
  const { config } = backend;
  const places: Array<{ where: string; accountId: string; region: string }> = /Source|CreateCopy/.test(step)
    ? [{ where: 'source', accountId: config.source.accountId, region: config.source.region }]
    : [
        { where: 'vault', accountId: vaultAccountOf(config), region: config.vault.region },
        ...config.vault.drRegions.map((r) => ({ where: r, accountId: vaultAccountOf(config), region: r })),
      ];
  const found: CopyInFlight[] = [];
  for (const place of places) {
    const rds = backend.rds(place.accountId, place.region);
    if (!rds) continue;
    for (const s of await manualSnapshots(rds, identifier, kind)) {
      if (s.status === 'creating' && s.identifier.startsWith('rsv-')) found.push({ where: place.where, snapshotIdentifier: s.identifier, percent: s.percent });
    }
  }
  return found;
}

/** A manual DB snapshot or DB cluster snapshot, as the CLI reads it. */
export interface SnapshotRow {
  readonly identifier: string;
  readonly arn: string;
  readonly dbIdentifier: string;
  readonly kind: 'instance' | 'cluster';
  readonly status: string;
  readonly percent: number;
  /** When the database's original snapshot was taken (ISO-8601 UTC): the recovery point. */
  readonly recoveryPoint?: string;
  readonly kmsKeyId?: string;
  /** Engine (`postgres`, `aurora-postgresql`, ...). */
  readonly engine?: string;
  readonly tags: ReadonlyArray<{ Key?: string; Value?: string }>;
}

/**
 * Manual snapshots in the client's account and Region, of one DB (`dbIdentifier`) or all, every page.
 * The recovery point of a DB snapshot is `OriginalSnapshotCreateTime`, which every copy keeps
 * (docs/aws-behaviour.md §13). A DB cluster snapshot has no such field (API_DBClusterSnapshot), and its
 * `SnapshotCreateTime` is the copy's own time, which would overstate freshness: its recovery point is
 * read from our copy identifier `rsv-<db>-<yyyymmddhhmm>` (the source snapshot's time, UTC,
 * functions/shared/snapshots.ts `copyIdentifier`), and is unknown for other snapshots.
 */
export async function manualSnapshots(rds: RDSClient, dbIdentifier: string | undefined, kind: string): Promise<SnapshotRow[]> {
  const dbKind = kind === 'cluster' ? 'cluster' : 'instance';
  const records = await listSnapshots(rds, dbIdentifier ? { kind: dbKind, identifier: dbIdentifier } : { kind: dbKind }, 'manual');
  return records.map((r) => ({
    identifier: r.identifier,
    arn: r.arn,
    dbIdentifier: r.dbIdentifier ?? '',
    kind: r.kind,
    status: r.status,
    percent: r.percentProgress ?? 0,
    recoveryPoint: r.originalCreateTime?.toISOString() ?? stampOf(r.identifier),
    ...(r.kmsKeyId ? { kmsKeyId: r.kmsKeyId } : {}),
    ...(r.engine ? { engine: r.engine } : {}),
    tags: r.tags ?? [],
  }));
}

/** The source snapshot time a copy identifier ends with (`-yyyymmddhhmm`), ISO-8601 UTC (functions/shared/recovery-points.ts). */
export function stampOf(identifier: string): string | undefined {
  return timeFromCopyIdentifier(identifier)?.toISOString();
}

function parseJson(text: string | undefined): unknown {
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/** A Lambda error cause `{"errorType","errorMessage",...}` as its message; other causes unchanged. */
export function describeCause(cause: string): string {
  try {
    const c = JSON.parse(cause) as { errorMessage?: string; Cause?: string; cause?: string };
    if (typeof c.errorMessage === 'string') return c.errorMessage;
    const inner = c.Cause ?? c.cause;
    if (typeof inner === 'string') return describeCause(inner);
  } catch {
    // plain text
  }
  return cause;
}
