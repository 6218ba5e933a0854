/**
 * Human-readable views of local executions: a timeline per database (virtual times), the path a
 * state machine took as a Mermaid flowchart, and the snapshot inventory of an account.
 */
import type { ExecutionRecord, HistoryEvent } from '../harness/index';
import { BACKUP_END_STATES, BACKUP_STEPS, pollState, readyChoice, type PollLoop } from '../../contracts/states';

/** Seconds between two ISO-8601 instants. */
export function secondsBetween(fromIso: string, toIso: string): number {
  return (Date.parse(toIso) - Date.parse(fromIso)) / 1000;
}

/** `3h 05m`, `12m 30s`, `45s` for a number of seconds. */
export function formatDuration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = s % 60;
  if (h > 0) return `${h}h ${String(m).padStart(2, '0')}m`;
  if (m > 0) return `${m}m ${String(sec).padStart(2, '0')}s`;
  return `${sec}s`;
}

/** `2026-11-20 05:00:00Z` */
export function shortTime(iso: string): string {
  return iso.replace('T', ' ').replace(/\.\d{3}Z$/, 'Z');
}

/** One line of a database timeline. */
export interface TimelineEntry {
  readonly at: string;
  readonly state: string;
  readonly note: string;
}

const entered = (events: readonly HistoryEvent[]) => events.filter((e) => e.type === 'StateEntered' && e.state);

/**
 * The milestones of a DatabaseBackup execution: first entry into each step, the loops collapsed
 * into one line with their poll count, and how the execution ended.
 */
export function databaseTimeline(exec: ExecutionRecord): TimelineEntry[] {
  const out: TimelineEntry[] = [];
  const ev = entered(exec.events);
  const polls = (loop: PollLoop) => ev.filter((e) => e.state === pollState(loop)).length;
  const first = (state: string) => ev.find((e) => e.state === state);
  const last = (state: string) => [...ev].reverse().find((e) => e.state === state);
  // [state, note, whether it is a wait loop's Choice (its last entry is the look that saw the copy ready)]
  const steps: Array<[string, string, boolean?]> = [
    [BACKUP_STEPS.createCopy, 'copy newest automated snapshot under the source KMS key'],
    [readyChoice('SourceCopy'), `source copy available after ${polls('SourceCopy')} polls`, true],
    [BACKUP_STEPS.shareWithVault, 'share with the vault account'],
    [BACKUP_STEPS.copyToVault, 'copy into the vault Region under the vault KMS key'],
    [BACKUP_STEPS.exportToS3, 'export to S3 started (Parquet)'],
    [readyChoice('VaultCopy'), `vault copy available after ${polls('VaultCopy')} polls`, true],
    [BACKUP_STEPS.copyToDrRegion, 'copy into the DR Region(s)'],
    [readyChoice('DrCopy'), `DR copies available after ${polls('DrCopy')} polls`, true],
    [readyChoice('Export'), `export complete after ${polls('Export')} polls`, true],
    [BACKUP_STEPS.sweepSourceRetention, 'source retention sweep'],
    [BACKUP_END_STATES.SUCCEEDED, 'done'],
  ];
  for (const [state, note, loop] of steps) {
    const e = loop === true ? last(state) : first(state);
    if (e) out.push({ at: e.at, state, note });
  }
  out.sort((a, b) => Date.parse(a.at) - Date.parse(b.at));
  if (exec.status === 'FAILED') {
    const failedAt = exec.stopDate ?? exec.startDate;
    out.push({ at: failedAt, state: BACKUP_END_STATES.FAILED, note: `${exec.error}: ${describeCause(exec.cause)}` });
  } else if (exec.status === 'TIMED_OUT' || exec.status === 'ABORTED') {
    out.push({ at: exec.stopDate ?? exec.startDate, state: exec.status, note: describeCause(exec.cause) });
  }
  return out;
}

/** The readable message inside a Lambda or Step Functions cause (which may be nested JSON). */
export function describeCause(cause: string | undefined): string {
  if (!cause) return '';
  let cur: unknown = cause;
  for (let i = 0; i < 4 && typeof cur === 'string'; i++) {
    try {
      const parsed = JSON.parse(cur) as Record<string, unknown>;
      if (parsed && typeof parsed === 'object') {
        cur = parsed.errorMessage ?? parsed.Cause ?? parsed.cause ?? parsed.message ?? JSON.stringify(parsed);
        if (cur === undefined) break;
        continue;
      }
    } catch {
      break;
    }
    break;
  }
  return String(cur);
}

/**
 * The path an execution took as a Mermaid flowchart: each state entered once is a node, each
 * observed transition an edge labelled with how often it was taken (loops show as `x12`).
 */
export function mermaidPath(exec: ExecutionRecord, opts: { title?: string } = {}): string {
  const ev = entered(exec.events).filter((e) => e.index === undefined);
  const nodeId = (s: string) => s.replace(/[^A-Za-z0-9]/g, '_');
  const edges = new Map<string, number>();
  const nodes: string[] = [];
  let prev: string | undefined;
  for (const e of ev) {
    const s = e.state as string;
    if (!nodes.includes(s)) nodes.push(s);
    if (prev) edges.set(`${prev}->${s}`, (edges.get(`${prev}->${s}`) ?? 0) + 1);
    prev = s;
  }
  const lines = ['flowchart TD'];
  if (opts.title) lines.push(`  %% ${opts.title}`);
  lines.push(`  start((start)) --> ${nodeId(nodes[0] ?? 'none')}`);
  for (const n of nodes) {
    const type = ev.find((e) => e.state === n)?.stateType;
    const shape = type === 'Choice' ? `{${n}}` : type === 'Wait' ? `[/${n}/]` : `[${n}]`;
    lines.push(`  ${nodeId(n)}${shape}`);
  }
  for (const [k, count] of edges) {
    const [a, b] = k.split('->') as [string, string];
    lines.push(`  ${nodeId(a)} -->${count > 1 ? `|x${count}|` : ''} ${nodeId(b)}`);
  }
  const end = exec.status === 'SUCCEEDED' ? 'succeeded' : exec.status === 'FAILED' ? `failed: ${exec.error ?? ''}` : exec.status.toLowerCase().replace('_', ' ');
  if (prev) lines.push(`  ${nodeId(prev)} --> finish(("${end.replace(/"/g, "'")}"))`);
  return lines.join('\n');
}

/** A snapshot row for inventory tables (the sandbox's listSnapshots view, narrowed). */
export interface InventoryRow {
  readonly identifier: string;
  readonly kind: string;
  readonly snapshotType: string;
  readonly status: string;
  readonly encrypted: boolean;
  readonly kmsKeyId?: string;
  readonly sizeGiB: number;
  readonly createTime: string;
  readonly tags: Record<string, string>;
  readonly sharedWith: readonly string[];
}

/** Fixed-width text table of an inventory, sorted by identifier. */
export function inventoryTable(rows: readonly InventoryRow[], keyAliases: ReadonlyMap<string, string> = new Map()): string {
  const header = ['snapshot', 'type', 'status', 'size', 'created (UTC)', 'KMS key', 'shared with'];
  const body = [...rows]
    .sort((a, b) => a.identifier.localeCompare(b.identifier))
    .map((r) => [
      r.identifier,
      `${r.snapshotType} ${r.kind === 'cluster' ? 'cluster ' : ''}snapshot`,
      r.status,
      `${r.sizeGiB} GiB`,
      shortTime(r.createTime),
      r.encrypted ? (keyAliases.get(r.kmsKeyId ?? '') ?? shortKey(r.kmsKeyId)) : 'unencrypted',
      r.sharedWith.join(',') || '-',
    ]);
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((row) => (row[i] ?? '').length)));
  const fmt = (row: string[]) => row.map((c, i) => c.padEnd(widths[i] ?? 0)).join('  ').trimEnd();
  return [fmt(header), fmt(widths.map((w) => '-'.repeat(w))), ...body.map(fmt)].join('\n');
}

function shortKey(arn: string | undefined): string {
  if (!arn) return '-';
  const id = arn.split('/').pop() ?? arn;
  return `key/${id.slice(0, 8)}`;
}
