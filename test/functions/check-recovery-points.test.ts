/**
 * check-recovery-points at fleet size: the copies of every database come from one listing of the
 * Region's manual snapshots per kind (calls grow with the snapshots, not with the databases; RDS
 * allows 300 requests in a burst, then 12 a second, docs/aws-behaviour.md §40), the same copies the
 * per-database listing finds; and the output stays small whatever the number of databases
 * (VaultRetention keeps it in its 256 KiB state: 1,000 per-database records were ~300 KB).
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { listRecoveryPoints, listRecoveryPointsOf, recoveryPointsKey } from '../../functions/shared/recovery-points';
import { boundedOutput } from '../../functions/check-recovery-points/index';
import { RECOVERY_POINT_NAMES_LIMIT, RECOVERY_POINT_RECORDS_LIMIT, type RecoveryPointStatus } from '../../contracts/functions/check-recovery-points';
import { TAGS, type DatabaseRef } from '../../contracts/shapes';
import { newWorld, R1, root, VAULT, type World } from '../sandbox/helpers';

const DESCRIBES = new Set(['DescribeDBSnapshots', 'DescribeDBClusterSnapshots']);

describe('listRecoveryPointsOf: one listing per kind for the whole fleet', () => {
  let w: World;
  beforeEach(() => {
    w = newWorld();
    w.sandbox.rds.setQuota(VAULT, R1, { manualDbSnapshots: 100_000, manualDbClusterSnapshots: 100_000 });
  });
  afterEach(() => w.sandbox.uninstall());

  /**
   * `n` databases in the vault Region (every fifth a DB cluster), database i with i % 4 managed copies,
   * and beside them copies that are not managed copies of a listed database: no managed tag, the
   * next database's tag on this one's snapshot, no `rsv-` prefix, and copies of a database that is not asked about.
   */
  function seed(n: number): DatabaseRef[] {
    const dbs: DatabaseRef[] = Array.from({ length: n }, (_, i) => ({ identifier: `fleet-db-${String(i).padStart(4, '0')}`, kind: i % 5 === 4 ? 'cluster' : 'instance' }));
    const create = (db: DatabaseRef) =>
      db.kind === 'instance'
        ? w.sandbox.rds.createDbInstance({ accountId: VAULT, region: R1, identifier: db.identifier, engine: 'postgres', allocatedStorageGiB: 20, storageEncrypted: false })
        : w.sandbox.rds.createDbCluster({ accountId: VAULT, region: R1, identifier: db.identifier, engine: 'aurora-postgresql', allocatedStorageGiB: 20, storageEncrypted: false });
    const snap = (db: DatabaseRef, identifier: string, tags: Record<string, string>, day: number) =>
      w.sandbox.rds.createManualSnapshot({ accountId: VAULT, region: R1, dbIdentifier: db.identifier, kind: db.kind, identifier, at: new Date(Date.UTC(2026, 10, day, 4)), tags });
    const other: DatabaseRef = { identifier: 'not-asked-db', kind: 'instance' };
    for (const db of [...dbs, other]) create(db);
    for (const [i, db] of dbs.entries()) {
      for (let c = 0; c < i % 4; c++) snap(db, `rsv-${db.identifier}-2026111${c}0400`, { [TAGS.MANAGED]: 'true', [TAGS.DATABASE]: db.identifier }, 10 + c);
      if (i % 7 === 0) snap(db, `rsv-${db.identifier}-202611050400`, { [TAGS.DATABASE]: db.identifier }, 5);
      // Tagged as the next database's copy, but a snapshot of this one: neither database's copy.
      if (i % 11 === 0) snap(db, `rsv-${db.identifier}-202611060400`, { [TAGS.MANAGED]: 'true', [TAGS.DATABASE]: dbs[(i + 1) % n]!.identifier }, 6);
      if (i % 13 === 0) snap(db, `manual-${db.identifier}`, { [TAGS.MANAGED]: 'true', [TAGS.DATABASE]: db.identifier }, 7);
    }
    snap(other, 'rsv-not-asked-db-202611100400', { [TAGS.MANAGED]: 'true', [TAGS.DATABASE]: other.identifier }, 10);
    return dbs;
  }

  const describeCalls = (from: number) => w.sandbox.calls.slice(from).filter((c) => DESCRIBES.has(c.operation));

  it('finds, for each of 250 databases, exactly the copies a listing filtered by that database finds', async () => {
    const dbs = seed(250);
    const rds = w.rds(root(VAULT));
    const all = await listRecoveryPointsOf(rds, dbs);
    expect([...all.keys()].sort()).toEqual(dbs.map(recoveryPointsKey).sort());
    const byId = (ps: ReadonlyArray<{ identifier: string }>) => [...ps].sort((a, b) => a.identifier.localeCompare(b.identifier));
    let copies = 0;
    for (const db of dbs) {
      const one = await listRecoveryPoints(rds, db);
      expect(byId(all.get(recoveryPointsKey(db))!), db.identifier).toEqual(byId(one));
      copies += one.length;
    }
    // The seed's managed copies, i % 4 per database, and nothing else.
    expect(copies).toBe(dbs.reduce((s, _, i) => s + (i % 4), 0));
  });

  it('makes one call per 100 manual snapshots of each kind, not one per database (250 databases: within the 300-request burst)', async () => {
    const dbs = seed(250);
    const before = w.sandbox.calls.length;
    await listRecoveryPointsOf(w.rds(root(VAULT)), dbs);
    const calls = describeCalls(before);
    const snapshots = w.sandbox.rds.listSnapshots(VAULT, R1).filter((s) => s.snapshotType === 'manual');
    const pages = (kind: string) => Math.max(1, Math.ceil(snapshots.filter((s) => s.kind === kind).length / 100));
    expect(calls.filter((c) => c.operation === 'DescribeDBSnapshots')).toHaveLength(pages('instance'));
    expect(calls.filter((c) => c.operation === 'DescribeDBClusterSnapshots')).toHaveLength(pages('cluster'));
    expect(calls.length).toBeLessThan(dbs.length / 10);
    // The per-database listing it replaces: at least one call per database.
    const perDb = w.sandbox.calls.length;
    for (const db of dbs) await listRecoveryPoints(w.rds(root(VAULT)), db);
    expect(describeCalls(perDb).length).toBeGreaterThanOrEqual(dbs.length);
  });

  it('lists only the kinds asked about (no DB cluster snapshot listing for DB instances alone)', async () => {
    const dbs = seed(10).filter((d) => d.kind === 'instance');
    const before = w.sandbox.calls.length;
    await listRecoveryPointsOf(w.rds(root(VAULT)), dbs);
    expect(describeCalls(before).map((c) => c.operation)).toEqual(['DescribeDBSnapshots']);
  });
});

describe('check-recovery-points output: bounded whatever the number of databases', () => {
  const status = (i: number, s: RecoveryPointStatus['status'], nameLength = 63): RecoveryPointStatus => {
    const database = `db-${String(i).padStart(4, '0')}-`.padEnd(nameLength, 'x');
    const base = { database, kind: 'instance' as const, region: 'eu-west-1', status: s, objectiveHours: 26 };
    return s === 'NoRecoveryPoint'
      ? base
      : { ...base, newestCopyArn: `arn:aws:rds:eu-west-1:222222222222:snapshot:rsv-${database}-202611200400`, recoveryPointTime: '2026-11-20T04:00:00.000Z', ageHours: s === 'OK' ? 20 : 50.25 };
  };

  it('1,000 databases with the longest identifiers, every one stale or missing: at most 40 KB, the counts whole, the names and records capped', () => {
    const statuses = Array.from({ length: 1000 }, (_, i) => status(i, i % 2 === 0 ? 'RecoveryPointStale' : 'NoRecoveryPoint'));
    const full = JSON.stringify({ recoveryPoints: statuses }).length;
    expect(full).toBeGreaterThan(262_144);
    const out = boundedOutput(statuses);
    expect(JSON.stringify(out).length).toBeLessThan(40_000);
    expect([out.checked, out.staleCount, out.missingCount, out.recoveryPointsOmitted]).toEqual([1000, 500, 500, 1000 - RECOVERY_POINT_RECORDS_LIMIT]);
    expect(out.stale).toEqual(statuses.filter((s) => s.status === 'RecoveryPointStale').slice(0, RECOVERY_POINT_NAMES_LIMIT).map((s) => s.database));
    expect(out.missing).toEqual(statuses.filter((s) => s.status === 'NoRecoveryPoint').slice(0, RECOVERY_POINT_NAMES_LIMIT).map((s) => s.database));
    expect(out.recoveryPoints).toEqual(statuses.slice(0, RECOVERY_POINT_RECORDS_LIMIT));
  });

  it('records: the databases that are not OK first, then the OK ones, each in input order; a small fleet keeps them all', () => {
    const statuses = [status(0, 'OK', 10), status(1, 'RecoveryPointStale', 10), status(2, 'OK', 10), status(3, 'NoRecoveryPoint', 10)];
    const out = boundedOutput(statuses);
    expect(out.recoveryPoints.map((r) => r.database)).toEqual([1, 3, 0, 2].map((i) => statuses[i]!.database));
    expect([out.checked, out.recoveryPointsOmitted, out.staleCount, out.missingCount]).toEqual([4, 0, 1, 1]);
    const many = Array.from({ length: 120 }, (_, i) => status(i, i === 90 ? 'NoRecoveryPoint' : 'OK', 10));
    const capped = boundedOutput(many);
    expect(capped.recoveryPoints[0]!.database).toBe(many[90]!.database);
    expect(capped.recoveryPoints.slice(1).map((r) => r.database)).toEqual(many.slice(0, RECOVERY_POINT_RECORDS_LIMIT - 1).map((r) => r.database));
  });
});
