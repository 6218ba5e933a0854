/** Issue 9: the pure parts of the drill functions: check evaluation, rotation, recovery point times, evidence. */
import { describe, expect, it } from 'vitest';
import { evaluate, driverFor } from '../../functions/validate-restore/index';
import { needsVaultInventory, planDrill } from '../../functions/plan-drill/index';
import { newestAvailable, timeFromCopyIdentifier } from '../../functions/shared/recovery-points';
import { drillResourceNames } from '../../contracts/drill';
import { buildRecord, checksFromFailure } from '../../functions/record-evidence/evidence';

const SNAP = '2026-11-20T03:00:00.000Z';

describe('validate-restore evaluate', () => {
  it('minRows / nonEmpty count rows; equals compares the first column as text; maxAgeHours measures from the snapshot time', () => {
    expect(evaluate({ name: 'a', sql: 'q', expect: { minRows: 2 } }, [{ x: 1 }], SNAP)).toMatchObject({ passed: false, actual: { rows: 1 } });
    expect(evaluate({ name: 'a', sql: 'q', expect: { nonEmpty: true } }, [], SNAP)).toMatchObject({ passed: false, actual: { rows: 0 } });
    expect(evaluate({ name: 'a', sql: 'q', expect: { equals: 1 } }, [{ count: '1' }], SNAP)).toMatchObject({ passed: true, actual: { value: '1' } });
    expect(evaluate({ name: 'a', sql: 'q', expect: { equals: 'EUR' } }, [{ c: 'USD' }], SNAP)).toMatchObject({ passed: false, actual: { value: 'USD' } });
    expect(evaluate({ name: 'a', sql: 'q', expect: { equals: 1 } }, [], SNAP)).toMatchObject({ passed: false, actual: { value: null } });
    expect(evaluate({ name: 'a', sql: 'q', expect: { maxAgeHours: 26 } }, [{ m: new Date('2026-11-18T23:00:00Z') }], SNAP)).toMatchObject({ passed: false, actual: { ageHours: 28 } });
    expect(evaluate({ name: 'a', sql: 'q', expect: { maxAgeHours: 26 } }, [{ m: '2026-11-20T01:00:00Z' }], SNAP)).toMatchObject({ passed: true, actual: { ageHours: 2 } });
    expect(evaluate({ name: 'a', sql: 'q', expect: { maxAgeHours: 26 } }, [{ m: null }], SNAP)).toMatchObject({ passed: false, actual: { newest: null } });
  });

  it('picks the driver by engine; Oracle and SQL Server get none', () => {
    expect(['postgres', 'aurora-postgresql', 'mysql', 'mariadb', 'aurora-mysql', 'oracle-ee', 'sqlserver-se'].map(driverFor)).toEqual(['pg', 'pg', 'mysql2', 'mysql2', 'mysql2', 'none', 'none']);
  });
});

describe('plan-drill', () => {
  const configured = ['a', 'b', 'c', 'd', 'e'].map((identifier) => ({ identifier, kind: 'instance' as const, checks: [] }));
  it('rotates a sample of N by ISO week so every database comes round', () => {
    const seen = new Set<string>();
    for (let week = 0; week < 3; week++) {
      const plan = planDrill({ configured, requested: [], subset: false, sampleSize: 2 }, new Date(Date.UTC(2026, 10, 16 + 7 * week, 12)));
      expect(plan.databases).toHaveLength(2);
      for (const d of plan.databases) seen.add(d.identifier);
    }
    expect([...seen].sort()).toEqual(['a', 'b', 'c', 'd', 'e']);
  });
  it('drills exactly the requested subset, and rejects an unknown one by name', () => {
    expect(planDrill({ configured, requested: ['C', 'a'], subset: true, sampleSize: 2 }, new Date()).databases.map((d) => d.identifier)).toEqual(['c', 'a']);
    expect(() => planDrill({ configured, requested: ['zz'], subset: true, sampleSize: 0 }, new Date())).toThrowError(expect.objectContaining({ name: 'UnknownDatabase' }));
  });
  // As listManagedDatabases returns them: the configured first, then the others with managed vault copies.
  const managed = [...configured.map(({ identifier, kind }) => ({ identifier, kind })), { identifier: 'analytics-db', kind: 'instance' as const }, { identifier: 'old-aurora', kind: 'cluster' as const }];
  it('a scheduled run drills the configured databases and those with managed vault copies that are not configured (no checks), rotating over all of them', () => {
    const checked = configured.map((d) => (d.identifier === 'a' ? { ...d, checks: [{ name: 'x', sql: 'SELECT 1', expect: { equals: 1 } }] } : d));
    const all = planDrill({ configured: checked, requested: [], subset: false, sampleSize: 0 }, new Date(), managed).databases;
    expect(all.map((d) => [d.identifier, d.kind, d.checks.length, d.discovered ?? false])).toEqual([
      ['a', 'instance', 1, false], ['b', 'instance', 0, false], ['c', 'instance', 0, false], ['d', 'instance', 0, false], ['e', 'instance', 0, false],
      ['analytics-db', 'instance', 0, true], ['old-aurora', 'cluster', 0, true],
    ]);
    const seen = new Set<string>();
    for (let week = 0; week < 3; week++) {
      const plan = planDrill({ configured, requested: [], subset: false, sampleSize: 3 }, new Date(Date.UTC(2026, 10, 16 + 7 * week, 12)), managed);
      expect(plan.databases).toHaveLength(3);
      for (const d of plan.databases) seen.add(d.identifier);
    }
    expect(seen).toEqual(new Set(['a', 'b', 'c', 'd', 'e', 'analytics-db', 'old-aurora']));
    expect(needsVaultInventory({ configured, requested: [], subset: false, sampleSize: 0 })).toBe(true);
  });
  it('a manual start may name a database with managed vault copies; one with none still fails UnknownDatabase', () => {
    const input = { configured, requested: ['Analytics-DB', 'b'], subset: true, sampleSize: 0 };
    expect(needsVaultInventory(input)).toBe(true);
    expect(needsVaultInventory({ ...input, requested: ['b'] })).toBe(false);
    expect(planDrill(input, new Date(), managed).databases).toEqual([{ identifier: 'analytics-db', kind: 'instance', checks: [], discovered: true }, configured[1]]);
    expect(() => planDrill({ ...input, requested: ['analytics-db', 'gone-db'] }, new Date(), managed)).toThrowError(
      expect.objectContaining({ name: 'UnknownDatabase', message: expect.stringMatching(/: gone-db\. Known: .*analytics-db/) }),
    );
  });
});

describe('recovery points and drill names', () => {
  it('reads the source time of a DB cluster snapshot copy from its identifier, never the copy time', () => {
    expect(timeFromCopyIdentifier('rsv-catalog-aurora-202611200300')?.toISOString()).toBe(SNAP);
    expect(timeFromCopyIdentifier('manual-202611200300')).toBeUndefined();
  });
  it('newest available ignores creating copies and copies with no known time', () => {
    const p = (identifier: string, status: string, recoveryPointTime?: string) => ({ kind: 'instance' as const, identifier, arn: identifier, status, encrypted: true, ...(recoveryPointTime ? { recoveryPointTime } : {}) });
    expect(newestAvailable([p('old', 'available', '2026-11-18T03:00:00.000Z'), p('new', 'creating', '2026-11-20T03:00:00.000Z'), p('x', 'available')])?.identifier).toBe('old');
  });
  it('drill identifiers are valid DB identifiers (<= 63 chars, no trailing hyphen, no --)', () => {
    const long = drillResourceNames({ identifier: `a${'-b'.repeat(40)}`, kind: 'cluster' }, 'exec-1');
    for (const id of [long.instanceIdentifier, long.clusterIdentifier!]) {
      expect(id.length).toBeLessThanOrEqual(63);
      expect(id).toMatch(/^rsv-drill-[0-9a-f]{8}-[a-z0-9]+(-[a-z0-9]+)*$/);
    }
  });
});

describe('evidence record', () => {
  it('keeps every check result of a RestoreCheckFailed and marks cleanup not done when it failed', () => {
    const results = [{ name: 'n', sql: 'SELECT 1', expect: { nonEmpty: true }, passed: false, actual: { rows: 0 } }];
    const cause = JSON.stringify({ errorType: 'RestoreCheckFailed', errorMessage: `1 of 1 restore checks failed for db: ... Results: ${JSON.stringify(results)}` });
    expect(checksFromFailure(JSON.parse(cause).errorMessage)).toEqual(results);
    const record = buildRecord({ drill: { drillId: 'd', database: { identifier: 'db', kind: 'instance' }, failure: { Error: 'RestoreCheckFailed', Cause: cause }, cleanupError: { Error: 'AccessDenied', Cause: 'x' } } }, new Date(SNAP));
    expect(record).toMatchObject({ outcome: 'FAILED', checks: results, cleanup: { done: false, error: 'AccessDenied: x' }, rtoSeconds: null });
  });
});
