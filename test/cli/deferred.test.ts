/**
 * Issue 12: `rsv watch` / `rsv start --wait` results and `rsv history` never call a database that an
 * event-started run deferred to the scheduled run a failure (cli/commands/runs.ts).
 */
import { describe, expect, it } from 'vitest';
import { resultText } from '../../cli/commands/runs';
import type { Output } from '../../cli/render';
import type { DatabaseRun, RunView } from '../../cli/runs';

const output: Output = { out: () => undefined, err: () => undefined, tty: false };
const db = (identifier: string, extra: Partial<DatabaseRun>): DatabaseRun => ({
  identifier,
  kind: 'instance',
  executionArn: `arn:aws:states:us-east-1:111111111111:execution:rds-snapshot-vault-DatabaseBackup:${identifier}`,
  status: 'SUCCEEDED',
  startDate: '2026-11-20T03:00:00.000Z',
  stopDate: '2026-11-20T03:05:00.000Z',
  copies: [],
  ...extra,
});
const view = (databases: DatabaseRun[]): RunView => ({
  executionArn: 'arn:aws:states:us-east-1:111111111111:execution:rds-snapshot-vault-BackupRun:event-x',
  name: 'event-x',
  status: 'SUCCEEDED',
  startDate: '2026-11-20T03:00:00.000Z',
  stopDate: '2026-11-20T03:05:00.000Z',
  input: {},
  databases,
});

describe('rsv: a deferred database', () => {
  it('shows DEFERRED with its reason, not an error, and no pointer to the error guide', () => {
    const text = resultText(view([db('late-db', { status: 'DEFERRED', reason: 'Deferred to the scheduled run: place 300 of 700 ...' })]), output);
    expect(text).toMatch(/late-db\s+DEFERRED\s+5m 00s\s+deferred to the scheduled run: Deferred to the scheduled run: place 300 of 700/);
    expect(text).not.toMatch(/FAILED|What each error means/);
    expect(text).toContain('the daily scheduled run backs the database up');
  });
  it('a failed database beside it still points to the error guide', () => {
    const text = resultText(view([db('late-db', { status: 'DEFERRED', reason: 'r' }), db('bad-db', { status: 'FAILED', error: 'KmsKeyNotAccessible', cause: 'fix the key policy' })]), output);
    expect(text).toMatch(/bad-db\s+FAILED\s+5m 00s\s+KmsKeyNotAccessible: fix the key policy/);
    expect(text).toContain('What each error means and what to do: docs/operating.md');
  });
});
