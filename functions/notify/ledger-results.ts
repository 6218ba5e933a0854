/**
 * Issue 12: turns BackupRun's fixed-size statuses plus the run's records in the run ledger
 * (functions/shared/ledger.ts) into the per-database results the report is built from.
 */
import type { DatabaseStatus, PlannedDatabase } from '../../contracts/shapes.js';
import type { LedgerRecord } from '../../functions/shared/ledger.js';
import type { ResultLike } from './report.js';

/** Cause reported for a failed database that has no ledger record. */
export const NO_RECORD_CAUSE =
  'No run ledger record: the DatabaseBackup execution ended before it could record its result (timed out, aborted, or stopped by a Step Functions limit). See its execution history.';

/**
 * One result per status, in BackupRun's order: SUCCEEDED with the record's `summary` and `output`;
 * DEFERRED (issue 12, a DEFERRED record: an event-started run left the database to the scheduled run)
 * with the deferral's name and reason;
 * FAILED with the record's error name and cause, or (no record) the status's error name and
 * {@link NO_RECORD_CAUSE}. A SUCCEEDED status without a record is reported FAILED `LedgerRecordMissing`
 * (the child records before it succeeds, so the record was lost): never an unexplained OK.
 */
export function resultsFromLedger(statuses: readonly DatabaseStatus[], records: readonly LedgerRecord[]): ResultLike[] {
  const byDatabase = new Map(records.map((r) => [r.database.identifier, r]));
  return statuses.map((s): ResultLike => {
    const r = byDatabase.get(s.database);
    const database = r?.database ?? { identifier: s.database, kind: 'n/a' };
    if (!r) {
      return s.status === 'SUCCEEDED'
        ? { database, status: 'FAILED', error: 'LedgerRecordMissing', cause: 'The database succeeded but its run ledger record is missing (deleted or expired?).' }
        : { database, status: 'FAILED', error: s.error ?? 'UnknownError', cause: NO_RECORD_CAUSE };
    }
    if (s.status === 'SUCCEEDED' && r.status === 'SUCCEEDED') return { database, status: 'SUCCEEDED', summary: r.summary, output: r.output };
    // Issue 12: an event-started run left the database to the scheduled run: neither OK nor failed.
    if (r.status === 'DEFERRED') return { database, status: 'DEFERRED', error: r.deferral?.name ?? 'CopySlotsDeferred', cause: r.deferral?.reason ?? '' };
    return { database, status: 'FAILED', error: r.error?.name ?? s.error ?? 'UnknownError', cause: r.error?.cause ?? NO_RECORD_CAUSE };
  });
}

/**
 * Issue 12: one result per planned database, in plan order, from the run's records alone. A planned
 * database without a record (its iteration failed to start the child, or the child ended before it
 * could record: timed out, aborted) is FAILED `LedgerRecordMissing` with {@link NO_RECORD_CAUSE}:
 * every database of the plan is reported, recorded or not.
 */
export function resultsFromPlan(planned: readonly PlannedDatabase[], records: readonly LedgerRecord[]): ResultLike[] {
  const byDatabase = new Map(records.map((r) => [r.database.identifier, r]));
  const statuses = planned.map((p): DatabaseStatus => {
    const r = byDatabase.get(p.database.identifier);
    if (!r) return { database: p.database.identifier, status: 'FAILED', error: 'LedgerRecordMissing' };
    // A DEFERRED record (issue 12) is passed on as such by resultsFromLedger, whatever the status says.
    return { database: p.database.identifier, status: r.status === 'SUCCEEDED' ? 'SUCCEEDED' : 'FAILED', ...(r.error && { error: r.error.name }) };
  });
  return resultsFromLedger(statuses, records).map((r, i) => (r.database.kind === 'n/a' ? { ...r, database: planned[i]!.database } : r));
}
