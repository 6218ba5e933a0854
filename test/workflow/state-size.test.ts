/**
 * BackupRun's state stays small whatever the fleet size (docs/aws-behaviour.md §18a: 256 KiB per
 * state input/output; issue 12: the project's budget is 64 KiB, a quarter of it). Each database's
 * result lives in the run ledger (functions/shared/ledger.ts); BackupRun's state holds, per
 * database, only its plan item (the child's input) and a fixed-size status `{ database, status, error? }`.
 *
 * The real machines run a 20-database fleet (2 failing) under the strict runner's 64 KiB budget
 * (any larger state fails the run with Sandbox.PayloadBudgetExceeded). A 100- or 1,000-database run
 * takes too long for `npm test` (the bench measures 100 and 500), so the bound for N databases is
 * computed from this run: its largest state plus, per further database, the largest plan item and
 * the largest status item seen (each with its comma). Both items are fixed-size per database (no
 * lists, no causes), so the bound is linear in N and exact up to the identifiers' lengths.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalEnvironment } from '../../sandbox/environment';
import { type DemoDatabaseSpec, DEMO_FLEET, DISCOVERED_DATABASE } from '../../sandbox/fleet';
import { type ExecutionRecord, payloadBudgetFindings, payloadBytes, STATE_PAYLOAD_BUDGET_BYTES } from '../../sandbox/runner';
import { fleetEnvironment } from './helpers';

/** Small tag-discovered DB instances (20 GiB, default key) beside the example fleet. */
const extra = (n: number): DemoDatabaseSpec[] =>
  Array.from({ length: n }, (_, i) => ({ ...DISCOVERED_DATABASE, identifier: `fleet-db-${String(i + 1).padStart(3, '0')}`, allocatedStorageGiB: 20 }));
/** Discovered Aurora clusters that are unencrypted: RDS cannot encrypt a cluster snapshot on copy, so they fail (named error). */
const failing = (n: number): DemoDatabaseSpec[] =>
  Array.from({ length: n }, (_, i) => ({ ...DISCOVERED_DATABASE, identifier: `plain-aurora-${i + 1}`, kind: 'cluster', engine: 'aurora-mysql', encryption: 'unencrypted' }));

describe('BackupRun state size (run ledger, issue 12)', () => {
  let env: LocalEnvironment;
  let run: ExecutionRecord;
  /** BackupRun's `$.results` as its Notify step received it (a failed run has no execution output). */
  let results: Array<Record<string, unknown>> = [];
  const fleet = [...DEMO_FLEET, ...extra(14), ...failing(2)];

  beforeAll(async () => {
    env = await fleetEnvironment({ fleet, payloadBudgetBytes: STATE_PAYLOAD_BUDGET_BYTES });
    // 20 databases keep more manual snapshots than AWS's default 100 (plan-run checks it): raised, as the quota would be.
    env.sandbox.rds.setQuota(env.config.source.accountId, env.config.source.region, { manualDbSnapshots: 1000, manualDbClusterSnapshots: 1000 });
    const invoke = env.runner.invokeLambda.bind(env.runner);
    env.runner.invokeLambda = async (fn: string, payload: unknown) => {
      if (/Notify/.test(fn)) results = (payload as { results: Array<Record<string, unknown>> }).results;
      return invoke(fn, payload);
    };
    run = await env.startBackupRun({});
  });
  afterAll(() => env?.dispose());

  /** Bytes BackupRun's state grows by per database: the largest plan item (child input) and status item, each with a comma. */
  const perDatabase = () => {
    const plan = Math.max(...run.children.map((c) => payloadBytes(c.input)));
    const status = Math.max(...results.map((r) => payloadBytes(r)));
    return { plan: plan + 1, status: status + 1 };
  };
  const boundFor = (n: number) => run.maxPayloadBytes + (n - fleet.length) * (perDatabase().plan + perDatabase().status);

  it('runs the fleet under the strict 64 KiB budget, every execution (children included) within it', () => {
    expect(run.children).toHaveLength(fleet.length);
    expect(run.children.filter((c) => c.status === 'FAILED')).toHaveLength(2);
    expect(run.error).toBe('BackupRunFailed'); // failed after notifying, not with Sandbox.PayloadBudgetExceeded
    expect(payloadBudgetFindings([run])).toEqual([]);
  });

  it('keeps per database only a fixed-size status: no copies, ARNs, causes or retention decisions', () => {
    expect(results).toHaveLength(fleet.length);
    for (const r of results) {
      expect(Object.keys(r).sort()).toEqual(r.status === 'FAILED' ? ['database', 'error', 'status'] : ['database', 'status']);
      expect(typeof r.database).toBe('string');
    }
    expect(results.find((r) => r.database === 'plain-aurora-1')).toEqual({ database: 'plain-aurora-1', status: 'FAILED', error: 'UnencryptedClusterNotSupported' });
    // The status item is ~50 bytes plus the identifier and error name; the rest is the plan item.
    expect(perDatabase().status).toBeLessThanOrEqual(120);
  });

  it(`bounds the state for 100 databases within the budget (${STATE_PAYLOAD_BUDGET_BYTES} bytes), and says where 1,000 lands`, () => {
    const { plan, status } = perDatabase();
    const b100 = boundFor(100);
    const b1000 = boundFor(1000);
    const maxFleet = fleet.length + Math.floor((STATE_PAYLOAD_BUDGET_BYTES - run.maxPayloadBytes) / (plan + status));
    // Printed so the numbers are in the test log: the plan items are what is left of O(N) in the state.
    console.info(`BackupRun state: largest ${run.maxPayloadBytes} B at ${run.maxPayloadAt} for ${fleet.length} databases; per database ${plan} B plan item + ${status} B status; bound 100: ${b100} B, 1,000: ${b1000} B; budget holds ${maxFleet} databases`);
    expect(b100).toBeLessThanOrEqual(STATE_PAYLOAD_BUDGET_BYTES);
    expect(maxFleet).toBeGreaterThanOrEqual(250);
  });

  it('still names every failed database and why, and what the vault, DR copies and export did (read from the run ledger)', () => {
    const note = env.sandbox.sns.messages.filter((m) => m.topicArn.includes(env.config.source.accountId)).at(-1);
    expect(note?.subject).toMatch(new RegExp(`${fleet.length - 2}/${fleet.length} databases backed up, 2 FAILED`));
    for (const f of failing(2)) expect(note?.message).toMatch(new RegExp(`${f.identifier}[\\s\\S]*UnencryptedClusterNotSupported`));
    const orders = note?.message.split('\n\n').find((s) => s.includes('[OK] orders-db')) ?? '';
    expect(orders).toMatch(/vault copy: +arn:aws:rds:us-east-1:222222222222:snapshot:rsv-orders-db-\d{12}/);
    expect(orders).toMatch(/us-west-2: arn:aws:rds:us-west-2:222222222222:snapshot:rsv-orders-db-\d{12}/);
    expect(orders).toMatch(/export: +s3:\/\/\S+\/exports\/orders-db\/\d{4}-\d\d-\d\d\/rsv-orders-db-\d{12}\/ \(COMPLETE\)/);
  });

  it('every database has its record in the run ledger: results and causes outside the state', () => {
    const ledger = env.sandbox.s3.listBuckets().find((b) => env.sandbox.s3.listObjects(b.name, `runs/${run.name}/`).length > 0)!;
    const records = env.sandbox.s3.listObjects(ledger.name, `runs/${run.name}/`).map((o) => JSON.parse(o.body) as Record<string, any>);
    expect(records.map((r) => r.database.identifier).sort()).toEqual(fleet.map((d) => d.identifier).sort());
    const orders = records.find((r) => r.database.identifier === 'orders-db')!;
    expect(orders).toMatchObject({ schemaVersion: 1, runId: run.name, status: 'SUCCEEDED' });
    expect(orders.output.vaultCopy.snapshot.arn).toMatch(/^arn:aws:rds:us-east-1:222222222222:snapshot:rsv-orders-db-\d{12}$/);
    expect(Array.isArray(orders.output.sourceRetention.kept)).toBe(true);
    const plain = records.find((r) => r.database.identifier === 'plain-aurora-1')!;
    expect(plain.status).toBe('FAILED');
    expect(plain.error.name).toBe('UnencryptedClusterNotSupported');
    expect(plain.error.cause).toContain('UnencryptedClusterNotSupported');
  });
});
