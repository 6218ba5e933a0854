/**
 * Issue 12 item 8: a listed fleet of any size. The configured databases reach plan-run and
 * retention-sweep in a file of their bundles, not in the environment (Lambda allows 4 KB of
 * environment, ~55 listed databases) nor in BackupRun's state (SweepRemovedDatabases' Task input).
 * One synth + deploy of 1,000 listed databases (~4 s).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TAGS, type PlanRunResult, type SweepRemovedDatabasesOutput } from '../../contracts/shapes';
import type { PlanChunk } from '../../functions/shared/ledger';
import { parseConfig } from '../../infra/config/schema';
import { MAX_ENVIRONMENT_BYTES } from '../../infra/constructs/vault-function';
import { createLocalEnvironment, type LocalEnvironment } from '../../sandbox/harness/index';
import example from '../../config/example.json' with { type: 'json' };

const N = 1000;
const ids = Array.from({ length: N }, (_, i) => `listed-db-${String(i).padStart(4, '0')}`);
let env: LocalEnvironment;

beforeAll(async () => {
  const config = parseConfig({
    ...example,
    databases: ids.map((identifier, i) => ({ identifier, kind: i % 5 === 4 ? 'cluster' : 'instance', export: i === 7 })),
    // Without DR and discovery, and with 6 h copy bounds (a small deployment to run); BackupRun's
    // timeout fits a year at 1,000 databases with two-hop DR too (test/infra/timeouts.test.ts).
    vault: { ...example.vault, drRegions: [], drCopyMode: undefined },
    discovery: undefined,
    polling: { maxWaitHours: 6 },
  });
  expect(config.databases).toHaveLength(N);
  env = await createLocalEnvironment({ config });
}, 60_000);
afterAll(() => env?.dispose());

describe('a listed fleet of 1,000 databases', () => {
  it('keeps every function environment under 4 KB', () => {
    for (const fn of [...env.source.functions, ...env.vault.functions]) {
      const bytes = Object.entries(fn.environment).reduce((s, [k, v]) => s + Buffer.byteLength(k) + Buffer.byteLength(v), 0);
      expect(bytes, fn.entry).toBeLessThanOrEqual(MAX_ENVIRONMENT_BYTES);
    }
  });

  it('with AWS\'s default quotas, plan-run fails fast with ManualSnapshotQuotaTooLow naming both quotas and the values to request', async () => {
    const planRun = env.source.functions.find((f) => f.entry === 'plan-run')!;
    const err = await env.runner.invokeLambda(planRun.arn, { input: { trigger: 'schedule' }, runId: 'default-quotas' }).then(
      () => undefined,
      (e: Error & { cause?: unknown }) => e,
    );
    expect(err?.name).toBe('ManualSnapshotQuotaTooLow');
    // retention.source of the example (keepLast 2, maxAgeDays 7) keeps 8 copies a database: 800 DB instances, 200 DB clusters.
    expect(err?.message).toContain('RDS quota ManualSnapshots (\\"Manual DB instance snapshots\\") of account 111111111111 in Region us-east-1 is 100');
    expect(err?.message).toContain('request at least 6400');
    expect(err?.message).toContain('request at least 1600');
    expect(env.sandbox.rds.copyLog()).toEqual([]);
  });

  it('plan-run (deployed, reading its bundled file) plans all 1,000 in config order, export as configured, once the quotas are raised', async () => {
    const planRun = env.source.functions.find((f) => f.entry === 'plan-run')!;
    expect(planRun.environment.DATABASES).toBeUndefined();
    const { accountId, region } = env.config.source;
    env.sandbox.rds.setQuota(accountId, region, { manualDbSnapshots: 6400, manualDbClusterSnapshots: 1600 });
    const out = (await env.runner.invokeLambda(planRun.arn, { input: { trigger: 'manual' }, runId: 'listed' })) as PlanRunResult;
    expect(out.count).toBe(N);
    // Issue 12: the plan is in the run ledger (10 chunks of 100); BackupRun gets the indices only.
    expect(out.chunks).toBe(10);
    expect(out.items).toEqual(ids.map((_, i) => i));
    const ledger = env.source.functions.find((f) => f.entry === 'plan-run')!.environment.LEDGER_BUCKET!;
    const chunks = env.sandbox.s3.listObjects(ledger, 'plans/listed/items-').sort((a, b) => a.key.localeCompare(b.key));
    expect(chunks).toHaveLength(10);
    const databases = chunks.flatMap((c) => (JSON.parse(c.body) as PlanChunk).items);
    expect(databases.map((d) => d.database.identifier)).toEqual(ids);
    expect(databases.filter((d) => d.export).map((d) => d.database.identifier)).toEqual(['listed-db-0007']);
    expect(databases[4]!.database.kind).toBe('cluster');
    expect(await env.runner.invokeLambda(planRun.arn, { runId: 'listed', index: 999 })).toEqual(databases[999]);
    const subset = (await env.runner.invokeLambda(planRun.arn, { input: { trigger: 'manual', databases: ['listed-db-0999'] }, runId: 'one' })) as PlanRunResult;
    expect(subset).toMatchObject({ count: 1, chunks: 1, items: [0] });
    expect(await env.runner.invokeLambda(planRun.arn, { runId: 'one', index: 0 })).toMatchObject({ database: { identifier: 'listed-db-0999' } });
  });

  it("BackupRun's SweepRemovedDatabases passes no list (its Task input is O(1)); retention-sweep, reading its bundled file, sweeps only databases not among the 1,000", async () => {
    const backupRun = env.source.stateMachines.find((m) => m.kind === 'BackupRun')!;
    const sweepState = (backupRun.definition as { States: Record<string, { Parameters?: Record<string, unknown> }> }).States.SweepRemovedDatabases!;
    const taskInput = JSON.stringify(sweepState.Parameters);
    expect(taskInput).not.toContain('configured');
    expect(taskInput).not.toContain('listed-db');
    expect(Buffer.byteLength(taskInput)).toBeLessThan(512);
    const sweep = env.source.functions.find((f) => f.entry === 'retention-sweep')!;
    expect(sweep.environment.DATABASES).toBeUndefined();
    const { accountId, region } = env.config.source;
    const managed = (db: string) => ({ [TAGS.MANAGED]: 'true', [TAGS.DATABASE]: db, 'rds-snapshot-vault:vaulted': 'true' });
    for (const db of ['listed-db-0998', 'gone-db']) {
      env.sandbox.rds.createDbInstance({ accountId, region, identifier: db, engine: 'postgres', allocatedStorageGiB: 20, storageEncrypted: false });
      env.sandbox.rds.createManualSnapshot({ accountId, region, dbIdentifier: db, kind: 'instance', identifier: `rsv-${db}-202001010000`, at: new Date('2020-01-01T00:00:00Z'), tags: managed(db) });
    }
    // payloadResponseOnly: the Task's Parameters are the Lambda payload.
    expect(sweepState.Parameters).toEqual({ sweepRemoved: { policy: env.config.retention.source } });
    const out = (await env.runner.invokeLambda(sweep.arn, sweepState.Parameters)) as SweepRemovedDatabasesOutput;
    expect(out.databases.map((d) => d.database.identifier)).toEqual(['gone-db']);
  });
});
