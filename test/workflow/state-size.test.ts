/**
 * BackupRun's state stays small whatever the fleet size (docs/aws-behaviour.md §18a: 256 KiB per
 * state input/output, checked by the strict local runner): each database adds a small, bounded
 * summary, so a fleet of 100 keeps every state at or below 64 KiB. A 100-database run takes too
 * long for `npm test` (bench measures it); this test runs a smaller fleet with some failures and
 * holds the largest state to 64 KiB / 100 per database, which extrapolates linearly to 100.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalEnvironment } from '../../sandbox/environment';
import { type DemoDatabaseSpec, DEMO_FLEET, DISCOVERED_DATABASE } from '../../sandbox/fleet';
import type { ExecutionRecord } from '../../sandbox/runner';
import { fleetEnvironment } from './helpers';

/** Small tag-discovered DB instances (20 GiB, default key) beside the example fleet. */
const extra = (n: number): DemoDatabaseSpec[] =>
  Array.from({ length: n }, (_, i) => ({ ...DISCOVERED_DATABASE, identifier: `fleet-db-${String(i + 1).padStart(3, '0')}`, allocatedStorageGiB: 20 }));
/** Discovered Aurora clusters that are unencrypted: RDS cannot encrypt a cluster snapshot on copy, so they fail (named error). */
const failing = (n: number): DemoDatabaseSpec[] =>
  Array.from({ length: n }, (_, i) => ({ ...DISCOVERED_DATABASE, identifier: `plain-aurora-${i + 1}`, kind: 'cluster', engine: 'aurora-mysql', encryption: 'unencrypted' }));

const BUDGET_FOR_100 = 64 * 1024;

describe('BackupRun state size', () => {
  let env: LocalEnvironment;
  let run: ExecutionRecord;
  const fleet = [...DEMO_FLEET, ...extra(14), ...failing(2)];

  beforeAll(async () => {
    env = await fleetEnvironment({ fleet });
    // 20 databases keep more manual snapshots than AWS's default 100 (plan-run checks it): raised, as the quota would be.
    env.sandbox.rds.setQuota(env.config.source.accountId, env.config.source.region, { manualDbSnapshots: 1000, manualDbClusterSnapshots: 1000 });
    run = await env.startBackupRun({});
  });
  afterAll(() => env?.dispose());

  it(`keeps every state of the run within ${BUDGET_FOR_100} bytes for 100 databases (${fleet.length} run here, the budget scaled)`, () => {
    expect(run.children).toHaveLength(fleet.length);
    expect(run.children.filter((c) => c.status === 'FAILED')).toHaveLength(2);
    expect(run.status).toBe('FAILED');
    expect(run.error).toBe('BackupRunFailed'); // failed after notifying, not with States.DataLimitExceeded
    const perDatabase = run.maxPayloadBytes / fleet.length;
    expect(perDatabase, `largest state ${run.maxPayloadBytes} bytes at ${run.maxPayloadAt}`).toBeLessThanOrEqual(BUDGET_FOR_100 / 100);
  });

  it('still names every failed database and why, and what the vault, DR copies and export did', () => {
    const note = env.sandbox.sns.messages.filter((m) => m.topicArn.includes(env.config.source.accountId)).at(-1);
    expect(note?.subject).toMatch(new RegExp(`${fleet.length - 2}/${fleet.length} databases backed up, 2 FAILED`));
    for (const f of failing(2)) expect(note?.message).toMatch(new RegExp(`${f.identifier}[\\s\\S]*UnencryptedClusterNotSupported`));
    const orders = note?.message.split('\n\n').find((s) => s.includes('[OK] orders-db')) ?? '';
    expect(orders).toMatch(/vault copy: +arn:aws:rds:us-east-1:222222222222:snapshot:rsv-orders-db-\d{12}/);
    expect(orders).toMatch(/us-west-2: arn:aws:rds:us-west-2:222222222222:snapshot:rsv-orders-db-\d{12}/);
    expect(orders).toMatch(/export: +s3:\/\/\S+\/exports\/orders-db\/\d{4}-\d\d-\d\d\/rsv-orders-db-\d{12}\/ \(COMPLETE\)/);
  });
});
