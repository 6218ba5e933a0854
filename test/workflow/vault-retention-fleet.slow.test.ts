/**
 * VaultRetention over 1,000 databases with 63-character identifiers (RDS's longest): the state must hold the fleet's
 * recovery point check, its list to sweep and then its results within 256 KiB (docs/aws-behaviour.md
 * §18a; the runner fails any state over it, as AWS does). Before this test, 1,000 databases failed the
 * execution at CheckRecoveryPoints (~300 KB of per-database records) and, with identifiers this long,
 * would have failed again at the sweep's results. The vault copies are seeded directly (two managed
 * copies of each database, named as the copy step names them; half the fleet's newest copy is
 * older than its objective); the run is a dry run.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TAGS, type DatabaseRef } from '../../contracts/shapes';
import { copyIdentifier } from '../../functions/shared/snapshots';
import { createLocalEnvironment, type ExecutionRecord, type LocalEnvironment } from '../../sandbox/harness/index';
import { configWith } from './helpers';

const N = 1000;
const ID_LENGTH = 63;

describe(`VaultRetention over ${N} databases (${ID_LENGTH}-character identifiers)`, () => {
  let env: LocalEnvironment;
  let run: ExecutionRecord;
  let dbs: DatabaseRef[];
  let checkCalls: number;
  beforeAll(async () => {
    dbs = Array.from({ length: N }, (_, i) => {
      const id = `fleet-${String(i).padStart(4, '0')}-`;
      return { identifier: id.padEnd(ID_LENGTH, 'x'), kind: i % 5 === 4 ? 'cluster' : 'instance' };
    });
    const config = configWith((c) => {
      c.databases = dbs.map((d) => ({ ...d }));
      c.discovery = undefined;
    });
    env = await createLocalEnvironment({ config, recordCallInputs: false });
    const vault = config.vault.accountId!;
    const region = config.vault.region;
    env.sandbox.rds.setQuota(vault, region, { manualDbSnapshots: 100_000, manualDbClusterSnapshots: 100_000 });
    for (const [i, db] of dbs.entries()) {
      const spec = { accountId: vault, region, identifier: db.identifier, allocatedStorageGiB: 20, storageEncrypted: false };
      if (db.kind === 'instance') env.sandbox.rds.createDbInstance({ ...spec, engine: 'postgres' });
      else env.sandbox.rds.createDbCluster({ ...spec, engine: 'aurora-postgresql' });
      // Even databases' newest copy is two days old at the sandbox's clock (2026-11-20 05:00Z): stale.
      for (const day of i % 2 === 0 ? [1, 18] : [1, 20]) {
        env.sandbox.rds.createManualSnapshot({
          accountId: vault,
          region,
          dbIdentifier: db.identifier,
          kind: db.kind,
          identifier: copyIdentifier(db.identifier, new Date(Date.UTC(2026, 10, day, 4)), db.kind),
          at: new Date(Date.UTC(2026, 10, day, 4)),
          tags: { [TAGS.MANAGED]: 'true', [TAGS.DATABASE]: db.identifier },
        });
      }
    }
    const before = env.sandbox.calls.length;
    run = await env.startVaultRetention({ dryRun: true }, 'vault-retention-fleet');
    const check = env.vault.functions.find((f) => f.entry.includes('check-recovery-points'))!;
    checkCalls = env.sandbox.calls.slice(before).filter((c) => c.principalArn === check.roleArn).length;
  }, 600_000);
  afterAll(() => env?.dispose());

  it('succeeds, every state within 256 KiB, and sweeps every database', () => {
    expect(run.status, `${run.error} ${run.cause}`).toBe('SUCCEEDED');
    expect(run.maxPayloadBytes).toBeLessThanOrEqual(256 * 1024);
    const out = run.output as { summary: { total: number; failed: number }; results: Array<{ database: DatabaseRef; status: string; kept: number; deleted: number }> };
    expect(out.summary).toMatchObject({ total: N, failed: 0 });
    expect(new Set(out.results.map((r) => r.database.identifier))).toEqual(new Set(dbs.map((d) => d.identifier)));
    // Counts, not lists of names: the results stay small whatever each sweep decides. (The seeded
    // copies have no copy source RDS records, so the provenance check makes none a candidate.)
    expect(out.results.every((r) => r.status === 'SUCCEEDED' && Number.isInteger(r.kept) && Number.isInteger(r.deleted))).toBe(true);
  });

  it('its definition, which carries the configured list twice, stays far within the 1 MB a state machine definition may have', () => {
    const sm = env.vault.stateMachines.find((m) => m.kind === 'VaultRetention')!;
    const bytes = Buffer.byteLength(JSON.stringify(sm.definition), 'utf8');
    expect(bytes).toBeGreaterThan(2 * N * ID_LENGTH);
    expect(bytes).toBeLessThan(512 * 1024);
  });

  it('checks the recovery points of all of them in a bounded output, with few RDS calls', () => {
    const rp = (run.output as { recoveryPoints: { checked: number; staleCount: number; missingCount: number; stale: string[]; recoveryPoints: unknown[]; recoveryPointsOmitted: number } }).recoveryPoints;
    expect(rp).toMatchObject({ checked: N, staleCount: N / 2, missingCount: 0, stale: dbs.filter((_, i) => i % 2 === 0).slice(0, 100).map((d) => d.identifier) });
    expect(rp.recoveryPoints.length + rp.recoveryPointsOmitted).toBe(N);
    // One listing of the Region per kind, 100 snapshots a page (a listing per database made 1,000 or
    // more calls, past the 300 RDS allows in a burst, docs/aws-behaviour.md §40).
    const snapshots = env.sandbox.rds.listSnapshots(env.config.vault.accountId!, env.config.vault.region);
    const pages = (kind: string) => Math.ceil(snapshots.filter((s) => s.kind === kind && s.snapshotType === 'manual').length / 100);
    expect(checkCalls).toBe(pages('instance') + pages('cluster'));
    expect(checkCalls).toBeLessThan(300);
  });
});
