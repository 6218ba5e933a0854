/**
 * `rsv start`, `rsv watch`, `rsv history`: start BackupRun, follow a run live per database, list
 * past runs and their per-database results. Exit codes: 0 the run succeeded, 1 it failed, timed out
 * or was aborted (or, without `--wait`, 0 once started).
 */
import { ListExecutionsCommand, StartExecutionCommand } from '@aws-sdk/client-sfn';
import type { Backend } from '../backend';
import { formatDuration, type Output, secondsBetween, shortTime, style, table } from '../render';
import { type DatabaseRun, readRun, type RunView } from '../runs';

export interface StartOptions {
  readonly databases: readonly string[];
  readonly wait: boolean;
  readonly name?: string;
  readonly json: boolean;
  /** Seconds between polls while waiting. */
  readonly intervalSeconds: number;
}

/** Execution name for a run started by the CLI: `rsv-<yyyymmddThhmmss>` (UTC), within the 80-character rule. */
export function cliExecutionName(now: Date): string {
  return `rsv-${now.toISOString().slice(0, 19).replace(/[-:]/g, '')}`;
}

/**
 * `rsv start [--db ...] [--wait]`: starts BackupRun (named `rsv-<yyyymmddThhmmss>`, UTC) for every
 * database or the ones named; with `--wait`, live progress per database until it ends.
 * @returns exit code: 0 started (or, waiting, succeeded); 1 the run did not succeed; 2 it could not be started
 */
export async function startCommand(backend: Backend, o: StartOptions, output: Output): Promise<number> {
  const unknown = o.databases.filter((d) => !backend.config.databases.some((c) => c.identifier === d));
  if (unknown.length > 0) {
    // Tag-discovered databases are not in the config; BackupRun refuses them by name (UnknownDatabase).
    output.err(`rsv start: ${unknown.join(', ')} ${unknown.length === 1 ? 'is' : 'are'} not in the config's databases (${backend.config.databases.map((d) => d.identifier).join(', ')}). Add ${unknown.length === 1 ? 'it' : 'them'} to "databases" and redeploy, or start without --db (tag-discovered databases are backed up by every full run).\n`);
    return 2;
  }
  const input = o.databases.length > 0 ? { databases: [...o.databases] } : {};
  const name = o.name ?? cliExecutionName(backend.now());
  const started = await backend.sfn.send(new StartExecutionCommand({ stateMachineArn: backend.arns.backupRun, name, input: JSON.stringify(input) }));
  const arn = started.executionArn ?? '';
  if (!o.wait) {
    if (o.json) output.out(`${JSON.stringify({ executionArn: arn, name, startDate: started.startDate?.toISOString(), input })}\n`);
    else if (backend.mode === 'local') output.out(`Started ${name}\n  ${arn}\nThe local sandbox lives only as long as this command: use rsv start --local --wait to see the run through.\n`);
    else output.out(`Started ${name}\n  ${arn}\nFollow it with: rsv watch ${name}\n`);
    return 0;
  }
  if (!o.json) output.out(`Started ${name} (${arn})\n`);
  return follow(backend, arn, o, output);
}

export interface WatchOptions {
  readonly json: boolean;
  readonly intervalSeconds: number;
}

/** An execution name of BackupRun, or a full execution ARN. */
export function executionArnOf(backend: Backend, nameOrArn: string): string {
  if (nameOrArn.startsWith('arn:')) return nameOrArn;
  return backend.arns.backupRun.replace(':stateMachine:', ':execution:') + `:${nameOrArn}`;
}

/**
 * `rsv watch <execution>`: live progress of a BackupRun execution (name or ARN) until it ends, then
 * the result per database.
 * @returns exit code: 0 succeeded; 1 any other end
 */
export async function watchCommand(backend: Backend, execution: string, o: WatchOptions, output: Output): Promise<number> {
  return follow(backend, executionArnOf(backend, execution), o, output);
}

/**
 * Polls the run until it ends, showing per database the step, the copies in flight with their
 * percentage and an ETA, and the elapsed time; then the result table. On a terminal the block is
 * redrawn in place; otherwise a line is printed whenever a database changes step or status.
 */
export async function follow(backend: Backend, executionArn: string, o: WatchOptions, output: Output): Promise<number> {
  const seen = new Map<string, string>();
  const firstSeen = new Map<string, { atMs: number; percent: number }>();
  let drawn = 0;
  let view: RunView;
  for (;;) {
    view = await readRun(backend, executionArn, { progress: !o.json });
    const now = backend.now();
    if (!o.json) {
      const rows = view.databases.map((d) => progressRow(d, now, firstSeen));
      const nameWidth = Math.max(0, ...view.databases.map((d) => d.identifier.length));
      if (output.tty) {
        const block = `${view.name}  ${view.status}  ${formatDuration(secondsBetween(view.startDate, view.stopDate ?? now))}\n${table(['DATABASE', 'STATUS', 'STEP', 'COPY', 'ELAPSED', 'ETA'], rows)}\n`;
        if (drawn > 0) output.out(`\x1b[${drawn}F\x1b[0J`);
        output.out(block);
        drawn = block.split('\n').length - 1;
      } else {
        for (const [i, d] of view.databases.entries()) {
          const row = rows[i] ?? [];
          // A line per change of step or status, and as each copy passes a quarter of its progress.
          const key = `${d.status} ${d.step ?? ''} ${d.copies.map((c) => `${c.where}:${Math.floor(c.percent / 25)}`).join(',')}`;
          if (seen.get(d.identifier) === key) continue;
          seen.set(d.identifier, key);
          const eta = row[5] && row[5] !== '-' ? `  ETA ${row[5]}` : '';
          // Columns padded (database, status, step) so the lines of a run read as a table.
          const [db = '', status = '', step = '', copy = '-'] = row;
          const cells = [db.padEnd(nameWidth), status.padEnd(9), step.padEnd(STEP_WIDTH), copy === '-' ? '' : copy];
          output.out(`[${shortTime(now.toISOString())} ${`+${formatDuration(secondsBetween(view.startDate, now))}`.padStart(8)}] ${cells.join('  ').trimEnd()}${eta}\n`);
        }
      }
    }
    if (view.status !== 'RUNNING') break;
    await backend.sleep(o.intervalSeconds);
  }
  if (o.json) output.out(`${JSON.stringify(view, null, 2)}\n`);
  else output.out(`\n${resultText(view, output)}\n`);
  return view.status === 'SUCCEEDED' ? 0 : 1;
}

/** Width of the step column of the progress lines (the longest DatabaseBackup state names). */
const STEP_WIDTH = 17;

function progressRow(d: DatabaseRun, now: Date, firstSeen: Map<string, { atMs: number; percent: number }>): string[] {
  const copies = d.copies.map((c) => `${c.where} ${c.percent}%`).join(', ');
  let eta = '';
  for (const c of d.copies) {
    const key = `${c.where}/${c.snapshotIdentifier}`;
    const first = firstSeen.get(key);
    if (!first) firstSeen.set(key, { atMs: now.getTime(), percent: c.percent });
    else if (c.percent > first.percent) {
      const seconds = ((now.getTime() - first.atMs) / 1000) * ((100 - c.percent) / (c.percent - first.percent));
      eta = formatDuration(Math.max(seconds, 0));
    }
  }
  return [d.identifier, d.status, d.step ?? '-', copies || '-', formatDuration(secondsBetween(d.startDate, d.stopDate ?? now)), eta || '-'];
}

/** The per-database result of a finished run, with the error of each failed database. */
export function resultText(view: RunView, output: Output): string {
  const verdict = view.status === 'SUCCEEDED' ? style(output, 'green', view.status) : style(output, 'red', view.status);
  const lines = [`${view.name}: ${verdict} in ${formatDuration(secondsBetween(view.startDate, view.stopDate ?? view.startDate))}, ${view.databases.length} database(s)`];
  if (view.databases.length > 0) {
    lines.push(
      table(
        ['DATABASE', 'RESULT', 'TOOK', 'COPY / ERROR'],
        view.databases.map((d) => [d.identifier, d.status, formatDuration(secondsBetween(d.startDate, d.stopDate ?? d.startDate)), databaseResult(d)]),
      ),
    );
  }
  if (view.status !== 'SUCCEEDED' && view.databases.length === 0) lines.push(`  ${view.error ?? ''}: ${view.cause ?? ''}`);
  if (view.databases.some((d) => d.status !== 'SUCCEEDED' && d.status !== 'DEFERRED')) lines.push('What each error means and what to do: docs/operating.md');
  if (view.databases.some((d) => d.status === 'DEFERRED')) lines.push('DEFERRED: no copy made by this event-started run; the daily scheduled run backs the database up (docs/operating.md, CopySlotsDeferred).');
  return lines.join('\n');
}

/** The COPY / ERROR cell of a database: its copy, `deferred to the scheduled run: <reason>` (issue 12), or its error and cause. */
function databaseResult(d: DatabaseRun): string {
  if (d.status === 'SUCCEEDED') return d.copy ?? '';
  if (d.status === 'DEFERRED') return `deferred to the scheduled run: ${d.reason ?? ''}`;
  return `${d.error ?? ''}: ${d.cause ?? ''}`;
}

export interface HistoryOptions {
  readonly databases: readonly string[];
  /** ISO-8601 UTC: runs started at or after it. */
  readonly since: Date;
  readonly json: boolean;
}

/** Parses `--since`: an ISO-8601 date/time or a duration back from now (`36h`, `7d`). */
export function parseSince(text: string, now: Date): Date | undefined {
  const m = /^(\d+)([hd])$/.exec(text);
  if (m) return new Date(now.getTime() - Number(m[1]) * (m[2] === 'h' ? 3600_000 : 86_400_000));
  const t = Date.parse(text);
  return Number.isNaN(t) ? undefined : new Date(t);
}

/**
 * `rsv history`: BackupRun executions started since `since`, newest first, with each database's
 * result. Which runs exist: Step Functions (ListExecutions, newest first,
 * https://docs.aws.amazon.com/step-functions/latest/apireference/API_ListExecutions.html). A finished
 * run's results: the run ledger (cli/runs.ts `readRun`: one DescribeExecution, one ListObjectsV2 per
 * 1,000 records, the plan head and one GetObject per record); a RUNNING run, or one the ledger cannot
 * answer for whole, from its DatabaseBackup child executions. `--json` gives each run's `resultsFrom`.
 * @returns exit code 0 (also when no run matched)
 */
export async function historyCommand(backend: Backend, o: HistoryOptions, output: Output): Promise<number> {
  const runs: RunView[] = [];
  let nextToken: string | undefined;
  listing: do {
    const page = await backend.sfn.send(new ListExecutionsCommand({ stateMachineArn: backend.arns.backupRun, maxResults: 100, nextToken }));
    for (const e of page.executions ?? []) {
      // Newest first (API_ListExecutions): the first older run ends the listing.
      if ((e.startDate?.getTime() ?? 0) < o.since.getTime()) break listing;
      const view = await readRun(backend, e.executionArn ?? '');
      if (o.databases.length > 0 && !view.databases.some((d) => o.databases.includes(d.identifier))) continue;
      runs.push(o.databases.length > 0 ? { ...view, databases: view.databases.filter((d) => o.databases.includes(d.identifier)) } : view);
    }
    nextToken = page.nextToken;
  } while (nextToken);
  if (o.json) {
    output.out(`${JSON.stringify({ since: o.since.toISOString(), runs }, null, 2)}\n`);
    return 0;
  }
  if (runs.length === 0) {
    output.out(`No BackupRun since ${shortTime(o.since.toISOString())}${o.databases.length ? ` for ${o.databases.join(', ')}` : ''}. Start one with: rsv start --wait\n`);
    return 0;
  }
  const rows: string[][] = [];
  for (const r of runs) {
    if (r.databases.length === 0) rows.push([shortTime(r.startDate), r.name, '-', r.status, formatDuration(secondsBetween(r.startDate, r.stopDate ?? backend.now())), r.error ? `${r.error}` : '']);
    for (const d of r.databases) {
      const what = d.status === 'RUNNING' ? `in ${d.step ?? '?'}` : databaseResult(d);
      rows.push([shortTime(r.startDate), r.name, d.identifier, d.status, formatDuration(secondsBetween(d.startDate, d.stopDate ?? backend.now())), what]);
    }
  }
  output.out(`${table(['STARTED', 'RUN', 'DATABASE', 'RESULT', 'TOOK', 'COPY / ERROR'], rows)}\n`);
  const fromHistory = runs.filter((r) => r.status !== 'RUNNING' && r.resultsFrom === 'step-functions').map((r) => r.name);
  if (fromHistory.length > 0) output.err(ledgerFallbackNote(fromHistory));
  return 0;
}

/**
 * The note `rsv history` prints (stderr) when finished runs were read from Step Functions instead of
 * the run ledger: their results then vanish with the execution history after 90 days
 * (docs/aws-behaviour.md §24), and each database costs two Step Functions calls.
 */
export function ledgerFallbackNote(runNames: readonly string[]): string {
  const shown = runNames.slice(0, 5).join(', ') + (runNames.length > 5 ? ` and ${runNames.length - 5} more` : '');
  return (
    `Note: ${runNames.length} finished run(s) (${shown}) were read from Step Functions history, not the run ledger: ` +
    'the ledger bucket was not found or does not hold a record of every planned database (a run stopped mid-way). ' +
    'Pass --ledger-bucket <name> if the bucket was not found; Step Functions keeps a closed execution 90 days.\n'
  );
}
