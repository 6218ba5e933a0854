/**
 * notify domain logic: one plain-text SNS message summarising a BackupRun.
 * Source: https://docs.aws.amazon.com/sns/latest/api/API_Publish.html (Subject: ASCII, no line
 * breaks or control characters, fewer than 100 characters; Message: at most 256 KB).
 */
import { PublishCommand, type SNSClient } from '@aws-sdk/client-sns';
import type { DatabaseSummary, NotifyOutput } from '../../contracts/shapes.js';

export type { DatabaseSummary };

/** Longest Subject we send (SNS requires fewer than 100 characters). */
export const MAX_SUBJECT_LENGTH = 99;
/** Longest Message we send, in UTF-8 bytes (SNS limit 262,144). */
export const MAX_MESSAGE_BYTES = 250_000;

const PREFIX = 'rds-snapshot-vault: ';

/**
 * One database result as notify reads it: SUCCEEDED, DEFERRED (issue 12: `error` the deferral's
 * name, `cause` its reason) or FAILED (any other status), plus whatever else is there (read defensively).
 */
export interface ResultLike {
  readonly database: { readonly identifier: string; readonly kind: string };
  readonly status: string;
  /** BackupRun's fixed-bound summary ({@link DatabaseSummary}); older callers send the whole `output`. */
  readonly summary?: unknown;
  readonly output?: unknown;
  readonly error?: string;
  readonly cause?: string;
}

/** Makes `text` a legal SNS Subject fragment: ASCII printable only, whitespace runs collapsed. */
function asciiLine(text: string): string {
  return text
    .replace(/\s+/g, ' ')
    .replace(/[^\x20-\x7e]/g, '?')
    .trim();
}

/**
 * The Subject: `rds-snapshot-vault: 3/4 databases backed up, 1 FAILED (orders-db)`,
 * `rds-snapshot-vault: 4/4 databases backed up`, or (issue 12, databases an event-started run
 * deferred to the scheduled run: neither backed up nor failed)
 * `rds-snapshot-vault: 2/4 databases backed up, 1 FAILED (orders-db), 1 DEFERRED`. Always ASCII, one
 * line, at most {@link MAX_SUBJECT_LENGTH} characters: failed names are dropped into `+N more` when
 * too long (the counts alone fit, up to a million databases).
 * @param total databases of the run; `failedNames` the failed ones; `deferred` how many were deferred (default 0)
 */
export function buildSubject(total: number, failedNames: readonly string[], deferred = 0): string {
  const ok = total - failedNames.length - deferred;
  const head = `${PREFIX}${ok}/${total} databases backed up`;
  const tail = deferred > 0 ? `, ${deferred} DEFERRED` : '';
  if (failedNames.length === 0) return asciiLine(`${head}${tail}`).slice(0, MAX_SUBJECT_LENGTH);
  const base = `${head}, ${failedNames.length} FAILED`;
  const names = failedNames.map(asciiLine);
  for (let shown = names.length; shown >= 1; shown--) {
    const more = names.length - shown;
    const candidate = `${base} (${names.slice(0, shown).join(', ')}${more > 0 ? `, +${more} more` : ''})${tail}`;
    if (candidate.length <= MAX_SUBJECT_LENGTH) return asciiLine(candidate);
  }
  const bare = asciiLine(`${base}${tail}`);
  return bare.length <= MAX_SUBJECT_LENGTH ? bare : `${bare.slice(0, MAX_SUBJECT_LENGTH - 3)}...`;
}

/** Error name and message extracted from a Step Functions failure. */
export interface FailureSummary {
  readonly errorType: string;
  readonly errorMessage: string;
}

function tryJson(text: string): unknown {
  const t = text.trim();
  if (!t.startsWith('{') && !t.startsWith('[') && !t.startsWith('"')) return undefined;
  try {
    return JSON.parse(t) as unknown;
  } catch {
    return undefined;
  }
}

const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);

/**
 * Digs the real error out of a Step Functions `Error`/`Cause` pair. The cause may be:
 * the DescribeExecution JSON of a failed child execution (`{"error","cause",...}` or
 * `{"Error","Cause",...}`, whose cause
 * is again a cause), the Lambda cause JSON `{"errorType","errorMessage","trace"}`, a JSON string,
 * or plain text, at any level. Never throws.
 */
export function summarizeFailure(error: string | undefined, cause: string | undefined): FailureSummary {
  let errorType = str(error) ?? 'UnknownError';
  let current: unknown = cause;
  for (let depth = 0; depth < 6; depth++) {
    if (typeof current === 'string') {
      const parsed = tryJson(current);
      if (parsed === undefined) return { errorType, errorMessage: current.trim() || '(no message)' };
      current = parsed;
      continue;
    }
    if (current && typeof current === 'object' && !Array.isArray(current)) {
      const o = current as Record<string, unknown>;
      if (str(o.errorType) || str(o.errorMessage)) {
        return { errorType: str(o.errorType) ?? errorType, errorMessage: str(o.errorMessage) ?? '(no message)' };
      }
      // DescribeExecution uses `error`/`cause`; the startExecution.sync task cause may capitalise them
      // like its other fields (`ExecutionArn`, `Status`): accept both.
      const childError = str(o.error) ?? str(o.Error);
      const childCause = 'cause' in o ? o.cause : o.Cause;
      if (childError || 'cause' in o || 'Cause' in o) {
        errorType = childError ?? errorType;
        if (childCause === undefined || childCause === null) return { errorType, errorMessage: '(no message)' };
        current = childCause;
        continue;
      }
      return { errorType, errorMessage: JSON.stringify(o) };
    }
    break;
  }
  return { errorType, errorMessage: current === undefined || current === null ? '(no message)' : JSON.stringify(current) };
}

/** `42 min`, `1.5 h`, or `unknown` from two ISO-8601 timestamps. */
export function formatDuration(fromIso: unknown, toIso: unknown): string {
  if (typeof fromIso !== 'string' || typeof toIso !== 'string') return 'unknown';
  const ms = Date.parse(toIso) - Date.parse(fromIso);
  if (!Number.isFinite(ms) || ms < 0) return 'unknown';
  const minutes = ms / 60_000;
  if (minutes < 1) return '< 1 min';
  if (minutes < 90) return `${Math.round(minutes)} min`;
  return `${(Math.round((minutes / 60) * 10) / 10).toFixed(1)} h`;
}

/** Safe property path read. */
function at(o: unknown, ...path: string[]): unknown {
  let cur = o;
  for (const k of path) {
    if (!cur || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string, unknown>)[k];
  }
  return cur;
}

const text = (v: unknown): string => (typeof v === 'string' && v !== '' ? v : typeof v === 'number' || typeof v === 'boolean' ? String(v) : 'n/a');
const count = (v: unknown): string => (Array.isArray(v) ? String(v.length) : 'n/a');

/** Issue 9: what decides `[OK]` vs `[STALE]` (absent: no recovery point check). */
export interface RecoveryPointPolicy {
  readonly now: Date;
  /** Hours. */
  readonly rpoHours: number;
}

/**
 * Issue 9: the recovery point this backup produced is the source snapshot it copied (an automated
 * snapshot: its SnapshotCreateTime is the original time). Its age is taken when the backup picked
 * it (`sourceCopy.startedAt`; else `policy.now`), so a long copy finishing late is not stale, but a
 * backup that reused an old snapshot (stopped database, automated backups stopped) is
 * `RecoveryPointStale` with that age, never OK.
 * @returns the age in hours when stale, else undefined
 */
export function staleRecoveryPointHours(r: ResultLike, policy: RecoveryPointPolicy | undefined): number | undefined {
  const ageSeconds = at(r.summary, 'recoveryPointAgeSeconds');
  if (policy && typeof ageSeconds === 'number' && Number.isFinite(ageSeconds)) {
    const h = Math.round((ageSeconds / 3600) * 100) / 100;
    return h > policy.rpoHours ? h : undefined;
  }
  const t = at(r.output, 'sourceCopy', 'sourceSnapshot', 'createTime');
  if (!policy || typeof t !== 'string' || Number.isNaN(Date.parse(t))) return undefined;
  const picked = at(r.output, 'sourceCopy', 'startedAt');
  const ref = typeof picked === 'string' && !Number.isNaN(Date.parse(picked)) ? Date.parse(picked) : policy.now.getTime();
  const hours = Math.round(((ref - Date.parse(t)) / 3_600_000) * 100) / 100;
  return hours > policy.rpoHours ? hours : undefined;
}

function succeededLines(r: ResultLike, policy?: RecoveryPointPolicy): string[] {
  const o = r.output;
  const stale = staleRecoveryPointHours(r, policy);
  const lines =
    stale === undefined
      ? [`[OK] ${r.database.identifier} (${r.database.kind})`]
      : [
          `[STALE] ${r.database.identifier} (${r.database.kind}): RecoveryPointStale: the newest recovery point (${text(at(o, 'sourceCopy', 'sourceSnapshot', 'createTime'))}) was ${stale} h old when this backup started, ` +
            `objective ${policy!.rpoHours} h (is the database stopped, or are its automated backups off?)`,
        ];
  const srcCreated = at(o, 'sourceCopy', 'created');
  const vaultCreated = at(o, 'vaultCopy', 'created');
  lines.push(
    `  source copy: ${text(at(o, 'sourceCopy', 'snapshot', 'arn'))}${srcCreated === false ? ' (existing copy reused)' : ''}`,
    `    from ${text(at(o, 'sourceCopy', 'sourceSnapshot', 'arn'))}`,
    `    ready after ${formatDuration(at(o, 'sourceCopy', 'startedAt'), at(o, 'sourceCopyReady', 'checkedAt'))}`,
    `  shared with vault: ${at(o, 'share', 'alreadyShared') === true ? 'already shared' : at(o, 'share') ? 'yes' : 'n/a'}`,
    `  vault copy:  ${text(at(o, 'vaultCopy', 'snapshot', 'arn'))}${vaultCreated === false ? ' (existing copy reused)' : ''}`,
    `    ready after ${formatDuration(at(o, 'vaultCopy', 'startedAt'), at(o, 'vaultCopyReady', 'checkedAt'))}`,
  );
  lines.push(...drCopyLines(o), ...exportLines(o));
  const ret = at(o, 'sourceRetention');
  if (ret) {
    lines.push(
      `  retention (account ${text(at(ret, 'accountId'))}, ${text(at(ret, 'region'))}${at(ret, 'dryRun') === true ? ', dry run' : ''}): ` +
        `kept ${count(at(ret, 'kept'))}, deleted ${count(at(ret, 'deleted'))}`,
    );
  }
  return lines;
}

/**
 * `DR copies:` then one line per DR Region: `<region>: <arn>[ (existing copy reused)], ready after <duration>`;
 * `DR copies: none` when `drCopies` is empty; nothing when the field is absent (older outputs).
 */
function drCopyLines(o: unknown): string[] {
  const dr = at(o, 'drCopies');
  if (!Array.isArray(dr)) return [];
  if (dr.length === 0) return ['  DR copies:   none'];
  return [
    '  DR copies:',
    ...dr.map((d: unknown) => {
      const reused = at(d, 'copy', 'created') === false ? ' (existing copy reused)' : '';
      return (
        `    ${text(at(d, 'region'))}: ${text(at(d, 'copy', 'snapshot', 'arn'))}${reused}, ` +
        `ready after ${formatDuration(at(d, 'copy', 'startedAt'), at(d, 'ready', 'checkedAt'))}`
      );
    }),
  ];
}

/**
 * `export: <s3 uri> (<status>)[ (existing export task reused)], done after <duration>`; `export: not exported`
 * when `export` is null; nothing when the field is absent (older outputs).
 */
function exportLines(o: unknown): string[] {
  if (!o || typeof o !== 'object' || !('export' in o)) return [];
  const e = at(o, 'export');
  if (e === null || e === undefined) return ['  export:      not exported'];
  const status = at(e, 'ready', 'status') ?? at(e, 'task', 'exportTask', 'status');
  const reused = at(e, 'task', 'created') === false ? ' (existing export task reused)' : '';
  return [
    `  export:      ${text(at(e, 'ready', 'exportTask', 's3Uri') ?? at(e, 'task', 'exportTask', 's3Uri'))} (${text(status)})${reused}`,
    `    done after ${formatDuration(at(e, 'task', 'startedAt'), at(e, 'ready', 'checkedAt'))}`,
  ];
}

/** Where the source copies are (the notify function's own account and Region), to name their ARNs. */
export interface SourceLocation {
  readonly partition: string;
  readonly accountId: string;
  readonly region: string;
}

/** `< 1 min`, `42 min`, `2.5 h`, or `unknown`, from seconds. */
export function formatSeconds(seconds: unknown): string {
  if (typeof seconds !== 'number' || !Number.isFinite(seconds) || seconds < 0) return 'unknown';
  return formatDuration(new Date(0).toISOString(), new Date(seconds * 1000).toISOString());
}

/**
 * Lines for a database from its {@link DatabaseSummary} (what BackupRun keeps): the copy identifier
 * is the same in every account and Region, so the source and DR ARNs are derived from it.
 */
function summaryLines(r: ResultLike, source: SourceLocation | undefined, policy?: RecoveryPointPolicy): string[] {
  const s = r.summary;
  const stale = staleRecoveryPointHours(r, policy);
  const lines =
    stale === undefined
      ? [`[OK] ${r.database.identifier} (${r.database.kind})`]
      : [
          `[STALE] ${r.database.identifier} (${r.database.kind}): RecoveryPointStale: the newest recovery point was ${stale} h old when this backup started, ` +
            `objective ${policy!.rpoHours} h (is the database stopped, or are its automated backups off?)`,
        ];
  const reused = (created: unknown) => (created === false ? ' (existing copy reused)' : '');
  const resource = r.database.kind === 'cluster' ? 'cluster-snapshot' : 'snapshot';
  const copy = text(at(s, 'copy'));
  const sourceArn = source ? `arn:${source.partition}:rds:${source.region}:${source.accountId}:${resource}:${copy}` : copy;
  const vaultArn = at(s, 'vault', 'arn');
  const vaultAccount = typeof vaultArn === 'string' ? vaultArn.split(':')[4] : undefined;
  lines.push(
    `  source copy: ${sourceArn}${reused(at(s, 'source', 'created'))}`,
    `    ready after ${formatSeconds(at(s, 'source', 'seconds'))}`,
    `  shared with vault: ${source && vaultAccount && vaultAccount !== source.accountId ? 'yes' : 'n/a'}`,
    `  vault copy:  ${text(vaultArn)}${reused(at(s, 'vault', 'created'))}`,
    `    ready after ${formatSeconds(at(s, 'vault', 'seconds'))}`,
  );
  const dr = at(s, 'dr');
  if (Array.isArray(dr)) {
    if (dr.length === 0) lines.push('  DR copies:   none');
    else {
      lines.push('  DR copies:');
      for (const d of dr) {
        const region = text(at(d, 'region'));
        const arn = typeof vaultArn === 'string' ? vaultArn.split(':').map((p, i) => (i === 3 ? region : p)).join(':') : copy;
        lines.push(`    ${region}: ${arn}${reused(at(d, 'created'))}, ready after ${formatSeconds(at(d, 'seconds'))}`);
      }
    }
  }
  const e = at(s, 'export');
  if (e === null || e === undefined) lines.push('  export:      not exported');
  else {
    lines.push(
      `  export:      ${text(at(e, 's3Uri'))} (${text(at(e, 'status'))})${at(e, 'created') === false ? ' (existing export task reused)' : ''}`,
      `    done after ${formatSeconds(at(e, 'seconds'))}`,
    );
  }
  lines.push(`  retention (source): kept ${text(at(s, 'retention', 'kept'))}, deleted ${text(at(s, 'retention', 'deleted'))}`);
  return lines;
}

/**
 * Issue 12: a database an event-started run deferred to the scheduled run (a `DEFERRED` run ledger
 * record, read by ledger-results.ts: `error` the deferral's name, `cause` its reason): no copy was
 * made by this run, and nothing failed.
 */
function deferredLines(r: ResultLike): string[] {
  return [
    `[DEFERRED] ${r.database.identifier} (${r.database.kind}): deferred to the scheduled run, no copy made by this run`,
    `  reason: ${r.error ?? 'CopySlotsDeferred'}: ${(r.cause ?? '').replace(/\s+/g, ' ').trim().slice(0, 4000) || '(no reason recorded)'}`,
  ];
}

function failedLines(r: ResultLike): string[] {
  const f = summarizeFailure(r.error, r.cause);
  const lines = [`[FAILED] ${r.database.identifier} (${r.database.kind})`, `  error: ${f.errorType}`, `  message: ${f.errorMessage.slice(0, 4000)}`];
  if (r.error && r.error !== f.errorType) lines.push(`  (Step Functions error: ${r.error})`);
  return lines;
}

/** A result's place in the report: failed first, then deferred, then backed up (stale ones among these). */
export function outcomeOf(r: Pick<ResultLike, 'status'>): 'FAILED' | 'DEFERRED' | 'SUCCEEDED' {
  return r.status === 'SUCCEEDED' || r.status === 'DEFERRED' ? r.status : 'FAILED';
}
const ORDER = { FAILED: 0, DEFERRED: 1, SUCCEEDED: 2 } as const;

/**
 * Subject, body and counts for a run. Each result is backed up (`SUCCEEDED`), deferred to the
 * scheduled run (`DEFERRED`, issue 12: counted apart, never as backed up nor as failed), or failed
 * (any other status). `succeeded + failedDatabases.length + deferredDatabases.length` is the number
 * of results.
 */
export function buildReport(
  input: { runId: string; results: readonly ResultLike[] },
  source?: SourceLocation,
  policy?: RecoveryPointPolicy,
): {
  subject: string;
  body: string;
  succeeded: number;
  failedDatabases: string[];
  deferredDatabases: string[];
  staleDatabases: string[];
} {
  const results = input.results as readonly ResultLike[];
  const failedDatabases = results.filter((r) => outcomeOf(r) === 'FAILED').map((r) => r.database.identifier);
  const deferredDatabases = results.filter((r) => outcomeOf(r) === 'DEFERRED').map((r) => r.database.identifier);
  const staleDatabases = results.filter((r) => r.status === 'SUCCEEDED' && staleRecoveryPointHours(r, policy) !== undefined).map((r) => r.database.identifier);
  const succeeded = results.length - failedDatabases.length - deferredDatabases.length;
  let subject = buildSubject(results.length, failedDatabases, deferredDatabases.length);
  const staleNote = staleDatabases.length > 0 ? `, ${staleDatabases.length} STALE` : '';
  if (staleNote && subject.length + staleNote.length <= MAX_SUBJECT_LENGTH) subject += staleNote;
  const sections = [...results]
    .sort((a, b) => ORDER[outcomeOf(a)] - ORDER[outcomeOf(b)])
    .map((r) => {
      const outcome = outcomeOf(r);
      if (outcome === 'FAILED') return failedLines(r).join('\n');
      if (outcome === 'DEFERRED') return deferredLines(r).join('\n');
      return (r.summary !== undefined ? summaryLines(r, source, policy) : succeededLines(r, policy)).join('\n');
    });
  const summary =
    `${succeeded}/${results.length} databases backed up` +
    (failedDatabases.length > 0 ? `, ${failedDatabases.length} FAILED (${failedDatabases.join(', ')})` : '') +
    (deferredDatabases.length > 0 ? `, ${deferredDatabases.length} DEFERRED to the scheduled run (${deferredDatabases.join(', ')})` : '') +
    (staleDatabases.length > 0 ? `, ${staleDatabases.length} RecoveryPointStale (${staleDatabases.join(', ')})` : '');
  let body = [`rds-snapshot-vault run ${input.runId}`, summary, '', ...sections.flatMap((s) => [s, ''])].join('\n');
  if (Buffer.byteLength(body, 'utf8') > MAX_MESSAGE_BYTES) {
    body = `${Buffer.from(body, 'utf8').subarray(0, MAX_MESSAGE_BYTES).toString('utf8')}\n... (truncated)`;
  }
  return { subject, body, succeeded, failedDatabases, deferredDatabases, staleDatabases };
}

/**
 * Publishes the run report to `topicArn` (one message).
 * @param sns client in the topic's Region.
 * @throws the SNS error unchanged (its name, e.g. `AuthorizationError`, `NotFound`), so the state machine decides.
 */
export async function notify(
  sns: SNSClient,
  topicArn: string,
  input: { runId: string; results: readonly ResultLike[] },
  source?: SourceLocation,
  policy?: RecoveryPointPolicy,
): Promise<NotifyOutput & { staleDatabases?: string[] }> {
  const report = buildReport(input, source, policy);
  const out = await sns.send(new PublishCommand({ TopicArn: topicArn, Subject: report.subject, Message: report.body }));
  if (!out.MessageId) throw new Error('SNS Publish returned no MessageId');
  return {
    published: true,
    subject: report.subject,
    succeeded: report.succeeded,
    failed: report.failedDatabases.length,
    failedDatabases: report.failedDatabases,
    deferred: report.deferredDatabases.length,
    ...(report.staleDatabases.length > 0 ? { staleDatabases: report.staleDatabases } : {}),
    messageId: out.MessageId,
  };
}
