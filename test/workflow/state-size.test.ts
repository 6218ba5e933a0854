/**
 * BackupRun's state stays small whatever the fleet size (docs/aws-behaviour.md §18a: 256 KiB per
 * state input/output; issue 12: the project's budget is 64 KiB, a quarter of it). The plan is in the
 * run ledger (`plans/<runId>/`), each database's result too (`runs/<runId>/`, functions/shared/ledger.ts);
 * BackupRun's state holds, per database, only its index in `$.plan.items` (a few bytes); the
 * Distributed Map gathers `{}` per database (3 bytes), which ResultPath null drops.
 *
 * The real machines run a 20-database fleet (2 failing) under the strict runner's 64 KiB budget
 * (any larger state fails the run with Sandbox.PayloadBudgetExceeded). A 1,000-database run takes
 * too long for `npm test`, so the bound for N databases is computed from this run: every BackupRun
 * payload (state and task input/output, the Map Run's children included) is captured, checked to hold
 * no list longer than notify's bounded one (MAX_LISTED_DATABASES) but `$.plan.items` and the Map's
 * gathered `[{},...]`, and its size for N databases is its size here plus what those grow by (the
 * JSON of [0..N-1] against [0..19], 3 bytes a database) plus, for the bounded
 * lists and identifiers, their worst case (63-character identifiers).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_LISTED_DATABASES } from '../../contracts/shapes';
import type { LocalEnvironment } from '../../sandbox/harness/index';
import { type DemoDatabaseSpec, DEMO_FLEET, DISCOVERED_DATABASE } from '../../sandbox/harness/index';
import { type ExecutionRecord, payloadBudgetFindings, payloadBytes, STATE_PAYLOAD_BUDGET_BYTES } from '../../sandbox/harness/index';
import { fleetEnvironment } from './helpers';

/** Small tag-discovered DB instances (20 GiB, default key) beside the example fleet. */
const extra = (n: number): DemoDatabaseSpec[] =>
  Array.from({ length: n }, (_, i) => ({ ...DISCOVERED_DATABASE, identifier: `fleet-db-${String(i + 1).padStart(3, '0')}`, allocatedStorageGiB: 20 }));
/** Discovered Aurora clusters that are unencrypted: RDS cannot encrypt a cluster snapshot on copy, so they fail (named error). */
const failing = (n: number): DemoDatabaseSpec[] =>
  Array.from({ length: n }, (_, i) => ({ ...DISCOVERED_DATABASE, identifier: `plain-aurora-${i + 1}`, kind: 'cluster', engine: 'aurora-mysql', encryption: 'unencrypted' }));

/** Bytes of `$.plan.items` for n databases: `[0,1,...,n-1]`. */
const itemsBytes = (n: number) => JSON.stringify(Array.from({ length: n }, (_, i) => i)).length;
/**
 * Bytes of the Distributed Map's result for n databases, `[{},{},...]`: Step Functions gathers every
 * child's output (docs/aws-behaviour.md §29; each child ends with `{}`) before ResultPath null drops it.
 */
const mapResultBytes = (n: number) => JSON.stringify(Array.from({ length: n }, () => ({}))).length;
const MAP_RESULT = 'BackupDatabases task result';
/** The longest DB instance identifier (63 characters) and DB cluster identifier (63). */
const MAX_ID = 63;

/** Longest array and widest object in a JSON value, `$.plan.items` left out. */
function shape(v: unknown, path = '$'): { longestArray: number; widestObject: number; at: string } {
  let out = { longestArray: 0, widestObject: 0, at: '' };
  const visit = (x: unknown, p: string) => {
    if (Array.isArray(x)) {
      if (p.endsWith('.plan.items') || p === MAP_RESULT) return;
      if (x.length > out.longestArray) out = { ...out, longestArray: x.length, at: p };
      x.forEach((y, i) => visit(y, `${p}[${i}]`));
    } else if (x !== null && typeof x === 'object') {
      const keys = Object.keys(x);
      if (keys.length > out.widestObject) out = { ...out, widestObject: keys.length };
      for (const k of keys) visit((x as Record<string, unknown>)[k], `${p}.${k}`);
    }
  };
  visit(v, path);
  return out;
}

describe('BackupRun state size (run ledger, issue 12)', () => {
  let env: LocalEnvironment;
  let run: ExecutionRecord;
  /** Every payload of the BackupRun execution (not its children): where and what. */
  const payloads: Array<{ where: string; value: unknown; bytes: number }> = [];
  let notifyInput: Record<string, unknown> | undefined;
  const fleet = [...DEMO_FLEET, ...extra(14), ...failing(2)];

  beforeAll(async () => {
    env = await fleetEnvironment({ fleet, payloadBudgetBytes: STATE_PAYLOAD_BUDGET_BYTES });
    // 20 databases keep more manual snapshots than AWS's default 100 (plan-run checks it): raised, as the quota would be.
    env.sandbox.rds.setQuota(env.config.source.accountId, env.config.source.region, { manualDbSnapshots: 1000, manualDbClusterSnapshots: 1000 });
    const runner = env.runner as unknown as { checkPayload: (live: { record: ExecutionRecord }, value: unknown, where: string) => void };
    const check = runner.checkPayload.bind(runner);
    runner.checkPayload = (live, value, where) => {
      if (live.record.stateMachineName.includes('BackupRun')) payloads.push({ where, value: structuredClone(value), bytes: payloadBytes(value) });
      check(live, value, where);
    };
    const invoke = env.runner.invokeLambda.bind(env.runner);
    env.runner.invokeLambda = async (fn: string, payload: unknown) => {
      if (/Notify/.test(fn)) notifyInput = payload as Record<string, unknown>;
      return invoke(fn, payload);
    };
    run = await env.startBackupRun({});
  });
  afterAll(() => env?.dispose());

  /**
   * Upper bound of BackupRun's largest payload for n databases: each payload here, plus what
   * `$.plan.items` grows by where it holds it, plus the worst case of the bounded parts (identifiers
   * up to 63 characters: the at most MAX_LISTED_DATABASES failed ones notify returns, and one plan item).
   */
  const boundFor = (n: number) => {
    const worstIds = (MAX_LISTED_DATABASES + 1) * (MAX_ID + 3);
    const grows = (p: (typeof payloads)[number]) =>
      (JSON.stringify(p.value).includes('"items":[') ? itemsBytes(n) - itemsBytes(fleet.length) : 0) + (p.where === MAP_RESULT ? mapResultBytes(n) - mapResultBytes(fleet.length) : 0);
    return Math.max(...payloads.map((p) => p.bytes + grows(p))) + worstIds;
  };

  it('runs the fleet under the strict 64 KiB budget, every execution (children included) within it', () => {
    expect(run.children).toHaveLength(fleet.length);
    expect(run.children.filter((c) => c.status === 'FAILED')).toHaveLength(2);
    expect(run.error).toBe('BackupRunFailed'); // failed after notifying, not with Sandbox.PayloadBudgetExceeded
    expect(run.cause).toMatch(/^2 of 20 databases failed: \["plain-aurora-1","plain-aurora-2"\]/);
    expect(payloadBudgetFindings([run])).toEqual([]);
    expect(payloads.length).toBeGreaterThan(fleet.length * 3); // every state of every iteration was seen
  });

  it('keeps no per-database list in the state but the plan indices and the {} the Map gathers per child, Notify gets the run and its plan size only', () => {
    for (const p of payloads) {
      // The Map's gathered result is the other per-database list: one `{}` per child, checked below.
      const s = shape(p.value, p.where === MAP_RESULT ? MAP_RESULT : '$');
      expect(s.longestArray, `${p.where}: array at ${s.at}`).toBeLessThanOrEqual(MAX_LISTED_DATABASES);
      expect(s.widestObject, p.where).toBeLessThanOrEqual(MAX_LISTED_DATABASES);
    }
    // The plan indices are the only list, exactly [0..19], and the child inputs are the full plan items, read from the ledger.
    const items = payloads.map((p) => (p.value as { plan?: { items?: unknown } } | null)?.plan?.items).find(Array.isArray);
    expect(items).toEqual(Array.from({ length: fleet.length }, (_, i) => i));
    expect(run.children.map((c) => (c.input as { database: { identifier: string } }).database.identifier).sort()).toEqual(fleet.map((d) => d.identifier).sort());
    expect(notifyInput).toEqual({ runId: run.name, trigger: 'manual', chunks: 1 });
    // The children start in plan order (longest copy first, issue 12) although each iteration reads its item first.
    const ledger = env.sandbox.s3.listBuckets().find((b) => env.sandbox.s3.listObjects(b.name, `plans/${run.name}/`).length > 0)!;
    const plan = (JSON.parse(env.sandbox.s3.listObjects(ledger.name, `plans/${run.name}/items-00000.json`)[0]!.body) as { items: Array<{ database: { identifier: string } }> }).items;
    expect(run.children.map((c) => (c.input as { database: { identifier: string } }).database.identifier)).toEqual(plan.map((p) => p.database.identifier));
    expect(payloads.some((p) => JSON.stringify(p.value).includes('"results"'))).toBe(false);
    const gathered = payloads.filter((p) => p.where === MAP_RESULT);
    expect(gathered).toHaveLength(1);
    expect(gathered[0]!.value).toEqual(Array.from({ length: fleet.length }, () => ({})));
  });

  it(`bounds the state for 1,000 and 10,000 databases within the budget (${STATE_PAYLOAD_BUDGET_BYTES} bytes)`, () => {
    const b1000 = boundFor(1000);
    const b10000 = boundFor(10_000);
    // Printed so the numbers are in the test log.
    console.info(`BackupRun state: largest ${run.maxPayloadBytes} B at ${run.maxPayloadAt} for ${fleet.length} databases; bound 1,000: ${b1000} B, 10,000: ${b10000} B (budget ${STATE_PAYLOAD_BUDGET_BYTES})`);
    expect(boundFor(fleet.length)).toBeGreaterThanOrEqual(run.maxPayloadBytes);
    expect(b1000).toBeLessThanOrEqual(STATE_PAYLOAD_BUDGET_BYTES);
    expect(b10000).toBeLessThanOrEqual(STATE_PAYLOAD_BUDGET_BYTES);
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
