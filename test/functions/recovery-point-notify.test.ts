/**
 * Issue 9, source side: a backup that reused an old snapshot (stopped database, automated backups
 * off) is reported as RecoveryPointStale with its age in the BackupRun notification, never as OK.
 */
import { describe, expect, it } from 'vitest';
import { buildReport } from '../../functions/notify/report';

/** A SUCCEEDED result as BackupRun hands it to notify (the DatabaseSummary of DatabaseBackup's output). */
const result = (identifier: string, sourceTime: string, startedAt = '2026-11-23T05:00:00.000Z') => ({
  // What create-copy reports: the recovery point's age when the backup picked it.
  database: { identifier, kind: 'instance' as const },
  status: 'SUCCEEDED' as const,
  summary: {
    copy: `rsv-${identifier}-202611200300`,
    source: { created: true, seconds: 300 },
    vault: { arn: `arn:aws:rds:us-east-1:222222222222:snapshot:rsv-${identifier}-202611200300`, created: true, seconds: 300 },
    dr: [],
    export: null,
    retention: { kept: 1, deleted: 0 },
    recoveryPointAgeSeconds: Math.floor((Date.parse(startedAt) - Date.parse(sourceTime)) / 1000),
  },
});
const SOURCE = { partition: 'aws', accountId: '111111111111', region: 'us-east-1' };

describe('notify: recovery point age', () => {
  const now = new Date('2026-11-23T05:00:00.000Z');
  it('marks a database whose copied snapshot is older than rpoHours [STALE] with the age, in the body, summary and subject', () => {
    const report = buildReport({ runId: 'run-1', results: [result('fresh-db', '2026-11-23T03:00:00.000Z'), result('stopped-db', '2026-11-20T03:00:00.000Z')] }, SOURCE, { now, rpoHours: 26 });
    expect(report.staleDatabases).toEqual(['stopped-db']);
    expect(report.body).toContain('[OK] fresh-db (instance)');
    expect(report.body).not.toContain('[OK] stopped-db');
    expect(report.body).toContain('[STALE] stopped-db (instance): RecoveryPointStale: the newest recovery point was 74 h old when this backup started, objective 26 h');
    expect(report.body).toContain('2/2 databases backed up, 1 RecoveryPointStale (stopped-db)');
    expect(report.subject).toBe('rds-snapshot-vault: 2/2 databases backed up, 1 STALE');
  });
  it('measures the age when the backup picked the snapshot: a long copy reported late is not stale, an old snapshot picked is', () => {
    const late = buildReport({ runId: 'r', results: [result('big-db', '2026-11-21T03:00:00.000Z', '2026-11-21T03:05:00.000Z')] }, SOURCE, { now, rpoHours: 26 });
    expect(late.staleDatabases).toEqual([]);
    const reused = buildReport({ runId: 'r', results: [result('stopped-db', '2026-11-20T03:00:00.000Z', '2026-11-22T05:00:00.000Z')] }, SOURCE, { now, rpoHours: 26 });
    expect(reused.body).toContain('was 50 h old when this backup started');
  });

  it('at exactly the objective it is still OK', () => {
    const report = buildReport({ runId: 'run-1', results: [result('db', '2026-11-22T03:00:00.000Z')] }, SOURCE, { now, rpoHours: 26 });
    expect(report.staleDatabases).toEqual([]);
    expect(report.body).toContain('[OK] db (instance)');
  });
});
