/**
 * `rsv evidence` and `rsv cost` end to end (one local world for both: the cost model's own figures
 * are checked by hand in cost.test.ts). `rsv evidence` against one local deployment over three days of November 2026: a
 * database whose copy fails on day 2 (RDS refuses it; the next day's run recovers it), a restore drill, and the report read back as JSON, Markdown and files, with its exit
 * code; a month with no runs says so.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Backend, localBackend } from '../../cli/backend';
import { type CostReport, SANDBOX_WORKFLOW } from '../../cli/commands/cost';
import type { EvidenceReport } from '../../cli/commands/evidence';
import type { LocalEnvironment } from '../../sandbox/harness/index';
import type { ExecutionRecord } from '../../sandbox/harness/index';
import { createFleetEnvironment, DEMO_FLEET, takeAutomatedSnapshots } from '../../sandbox/harness/index';
import { configWith } from '../workflow/helpers';
import { cliConfig, runRsv, type RsvResult } from './helpers';

const FLEET = DEMO_FLEET.filter((d) => ['billing-db', 'legacy-reports'].includes(d.identifier));
// No SQL checks: the drill restores and measures RTO without database servers.
const config = cliConfig(FLEET);

let env: LocalEnvironment;
let backend: Backend;
let lastRun: ExecutionRecord;
let drill: ExecutionRecord;
beforeAll(async () => {
  // The automated snapshots are taken day by day below.
  env = await createFleetEnvironment({ config, start: new Date('2026-11-20T03:00:00.000Z') }, FLEET, { snapshotted: [] });
  for (const day of ['2026-11-20', '2026-11-21', '2026-11-22']) {
    await env.clock.sleepUntil(new Date(`${day}T03:00:00.000Z`));
    takeAutomatedSnapshots(env, FLEET, { hoursAgo: 0 });
    await env.clock.sleepUntil(new Date(`${day}T05:00:00.000Z`));
    // Day 2: RDS refuses every copy of legacy-reports (its key is not usable): its backup fails.
    if (day === '2026-11-21') {
      env.sandbox.faults.inject({ service: 'rds', operation: 'CopyDBSnapshot', error: { name: 'KMSKeyNotAccessibleFault', message: 'The source key is disabled' }, times: Infinity, match: (input: { SourceDBSnapshotIdentifier?: string }) => (input.SourceDBSnapshotIdentifier ?? '').includes('legacy-reports') });
    }
    lastRun = await env.startBackupRun({}, `daily-${day}`);
    env.sandbox.faults.clear();
  }
  drill = await env.startRestoreDrill({ databases: ['billing-db'] }, 'restore-drill-2026-11-22');
  await env.clock.sleepUntil(new Date('2026-11-23T01:00:00.000Z'));
  backend = localBackend(env);
});
afterAll(() => env?.dispose());

const rsv = (...argv: string[]): Promise<RsvResult> => runRsv(argv, { config, backend });

describe('rsv evidence --local', () => {
  it('--json: daily vault recovery points per Region, the key, runs, the failure and how it ended, the drill and its RTO; exit 1 for the gap', async () => {
    const { code, out, err } = await rsv('evidence', '--local', '--month', '2026-11', '--json');
    expect(err).toBe('');
    expect(code).toBe(1); // legacy-reports has no recovery point for 2026-11-21
    const r = JSON.parse(out) as EvidenceReport;
    expect(r.month).toBe('2026-11');
    expect(r.expectedDays).toEqual(['2026-11-20', '2026-11-21', '2026-11-22']); // first run to yesterday (now 2026-11-23 01:00)
    expect(r.sources.join(' ')).toMatch(/runs and failures: the run ledger s3:\/\/\S*runledgerbucket\S*\/runs\/ \(3 run\(s\) of the month.*Step Functions only as a fallback, not needed/);
    const billing = r.databases.find((d) => d.identifier === 'billing-db');
    const legacy = r.databases.find((d) => d.identifier === 'legacy-reports');
    expect(billing?.regions.map((g) => [g.region, g.days, g.missingDays])).toEqual([
      ['us-east-1', ['2026-11-20', '2026-11-21', '2026-11-22'], []],
      ['us-west-2', ['2026-11-20', '2026-11-21', '2026-11-22'], []],
    ]);
    expect(legacy?.regions[0]?.days).toEqual(['2026-11-20', '2026-11-22']);
    expect(legacy?.regions[0]?.missingDays).toEqual(['2026-11-21']);
    // The vault copies are under the vault key the alias names.
    expect(r.vaultKey.arn).toMatch(/^arn:aws:kms:us-east-1:222222222222:key\//);
    expect(billing?.kmsKeys).toEqual([r.vaultKey.arn]);
    // Runs and the failure, ended by the next day's success.
    expect(legacy?.runs.map((x) => [x.run, x.status])).toEqual([
      ['daily-2026-11-20', 'SUCCEEDED'],
      ['daily-2026-11-21', 'FAILED'],
      ['daily-2026-11-22', 'SUCCEEDED'],
    ]);
    expect(legacy?.failures).toEqual([
      expect.objectContaining({ run: 'daily-2026-11-21', status: 'FAILED', error: expect.stringMatching(/^[A-Z]\w+$/), recovered: true, ended: expect.stringMatching(/^recovered by daily-2026-11-22 at 2026-11-22T.* \(rsv-legacy-reports-202611220300\)$/) }),
    ]);
    // The drill record of billing-db: passed, with its RTO; legacy-reports was not drilled.
    expect(billing?.drills).toEqual([expect.objectContaining({ drillId: 'restore-drill-2026-11-22', outcome: 'PASSED', rtoSeconds: expect.any(Number), record: expect.stringMatching(/^s3:\/\/.*evidencebucket.*\/drills\/billing-db\/2026-11-2\d\/restore-drill-2026-11-22\.json$/) })]);
    expect(billing?.drills[0]?.rtoSeconds).toBeGreaterThan(0);
    expect(legacy?.drills).toEqual([]);
    expect(r.ok).toBe(false);
  });

  it('Markdown on stdout, and --out writes the same report as .md and .json', async () => {
    const md = await rsv('evidence', '--local', '--month', '2026-11');
    expect(md.code).toBe(1);
    expect(md.out).toMatch(/^# Backup evidence 2026-11: rds-snapshot-vault/);
    expect(md.out).toContain('| legacy-reports | 2/3 | 2026-11-21 | 3 | 1 (0) | 0 (0) | - |');
    expect(md.out).toMatch(/\| billing-db \| 3\/3 \| none \| 3 \| 0 \(0\) \| 1 \(1\) \| \d+m \d\ds \|/);
    expect(md.out).toMatch(/daily-2026-11-21: FAILED \w+: .*Ended: recovered by daily-2026-11-22/);
    expect(md.out).toContain('Vault retention: keep the newest 14 copies and every copy younger than 35 days; none deleted before 7 days');
    const dir = mkdtempSync(path.join(tmpdir(), 'rsv-evidence-'));
    const files = await rsv('evidence', '--local', '--month', '2026-11', '--out', dir);
    expect(files.code).toBe(1);
    expect(files.out).toContain(`Wrote ${path.join(dir, 'evidence-2026-11')}.md and ${path.join(dir, 'evidence-2026-11')}.json`);
    expect(readFileSync(path.join(dir, 'evidence-2026-11.md'), 'utf8')).toBe(md.out);
    expect((JSON.parse(readFileSync(path.join(dir, 'evidence-2026-11.json'), 'utf8')) as EvidenceReport).databases).toHaveLength(2);
  });

  it('a month without runs says so and exits 1; a malformed --month exits 2 with the format', async () => {
    const empty = await rsv('evidence', '--local', '--month', '2026-10', '--json');
    expect(empty.code).toBe(1);
    const r = JSON.parse(empty.out) as EvidenceReport;
    expect(r.expectedDays).toEqual([]);
    expect(r.notes.join(' ')).toContain('No BackupRun started in 2026-10');
    expect(r.databases.every((d) => d.regions.every((g) => g.days.length === 0))).toBe(true);
    const bad = await rsv('evidence', '--local', '--month', '2026-13');
    expect(bad.code).toBe(2);
    expect(bad.err).toContain('--month takes a calendar month as YYYY-MM (e.g. --month 2026-11)');
    const none = await rsv('evidence', '--local');
    expect(none.code).toBe(2);
  });
});

describe('rsv cost --local (the same world)', () => {
  it('sizes from RDS, transitions and Lambda invocations measured from the newest run, a readable table with each price and page', async () => {
    const { code, out, err } = await rsv('cost', '--local');
    expect(err).toBe('');
    expect(code).toBe(0);
    expect(out).toContain('Cost of 30 days for 2 databases (220 GiB allocated)'); // 20 + 200
    expect(out).toMatch(/DB snapshots: vault copies \(full\)\s+us-east-1\s+7,920 GiB-month\s+\$0\.095 \/ GiB-month\s+\$752\.40/); // 220 x 36 x 0.095
    expect(out).toMatch(/\d+ per database x 2 databases x 30 runs \(measured from daily-2026-11-22 \(2 databases\)\)/);
    expect(out).toContain('https://aws.amazon.com/step-functions/pricing/');
    expect(out).toMatch(/Total: \$[\d,]+\.\d\d for 30 days\./);
    const json = JSON.parse((await rsv('cost', '--local', '--json')).out) as CostReport;
    // What the runner counted (states entered + retries) for that run, per database.
    const perDb = [lastRun, ...lastRun.children].reduce((s, e) => s + e.transitions, 0) / lastRun.children.length;
    expect(Math.abs(json.workflow.transitionsPerDatabase - perDb)).toBeLessThanOrEqual(perDb * 0.1); // histories show no retries
    // The fallback figure (measured with a 500 GiB database too) stays within 25% of what the workflow really takes (update SANDBOX_WORKFLOW if this fails).
    expect(Math.abs(SANDBOX_WORKFLOW.transitionsPerDatabase - json.workflow.transitionsPerDatabase)).toBeLessThanOrEqual(json.workflow.transitionsPerDatabase * 0.25);
    expect(Math.abs(SANDBOX_WORKFLOW.lambdaInvocationsPerDatabase - json.workflow.lambdaInvocationsPerDatabase)).toBeLessThanOrEqual(json.workflow.lambdaInvocationsPerDatabase * 0.25);
    expect(json.lines.find((l) => l.id === 'sfn-transitions')?.quantity).toBe(json.workflow.transitionsPerDatabase * 2 * 30);
  });

  it('with no run in the period: the sandbox figure, said so; --days and --daily-change', async () => {
    // Now is 2026-11-23 01:00; the last run started 2026-11-22 05:00, outside the last 6 hours.
    const { code, out } = await rsv('cost', '--local', '--json', '--days', '0.25', '--daily-change', '2');
    expect(code).toBe(0);
    const r = JSON.parse(out) as CostReport;
    expect(r.workflow).toEqual(SANDBOX_WORKFLOW);
    expect(r.assumptions).toMatchObject({ days: 0.25, dailyChange: 0.02 });
  });

  it('errors name what to do: a Region without a price, a database that does not exist, a bad option', async () => {
    const eu = configWith((c) => {
      c.databases = [{ identifier: 'billing-db', kind: 'instance' }];
      c.vault.drRegions = ['eu-central-1'];
    });
    const { code, err } = await runRsv(['cost', '--local'], { config: eu, backend: { ...backend, config: eu } });
    expect(code).toBe(2);
    expect(err).toMatch(/no rds-backup-storage price for eu-central-1 in cli\/pricing\.ts: read it on https:\/\/aws\.amazon\.com\/rds\/postgresql\/pricing\/ and add "eu-central-1"/);
    const ghost = configWith((c) => {
      c.databases = [{ identifier: 'ghost-db', kind: 'instance' }];
    });
    const { code: code2, err: err2 } = await runRsv(['cost', '--local'], { config: ghost, backend: { ...backend, config: ghost } });
    expect(code2).toBe(2);
    expect(err2).toMatch(/rsv cost: cannot size ghost-db: DBInstanceNotFound.*rsv preflight/);
    const bad = await rsv('cost', '--local', '--daily-change', '150');
    expect(bad.code).toBe(2);
    expect(bad.err).toContain('--daily-change is a percentage');
  });
});

/** The `rtoSeconds` the drill execution reported for a database (its own output, not the S3 record). */
function rtoInOutput(value: unknown, database: string): number | undefined {
  if (value === null || typeof value !== 'object') return undefined;
  const o = value as Record<string, unknown>;
  if (o.database === database && typeof o.rtoSeconds === 'number') return o.rtoSeconds;
  for (const v of Object.values(o)) {
    const found = rtoInOutput(v, database);
    if (found !== undefined) return found;
  }
  return undefined;
}

describe('rsv status --local: the last drill and its RTO (the same world; last: it runs another drill)', () => {
  interface StatusJson {
    healthy: boolean;
    databases: Array<{ identifier: string; locations: Array<{ state: string }>; lastDrill: null | { drillId: string; at: string; result: string; rtoSeconds?: number; rtoMinutes?: number; failure?: string; record: string } }>;
  }

  it('the drilled database shows the drill date, passed and its RTO in minutes; the other says never drilled; --json carries the same', async () => {
    const rto = rtoInOutput(drill.output, 'billing-db');
    expect(rto).toBeGreaterThan(60);
    const j = await rsv('status', '--local', '--json');
    expect(j.err).toBe('');
    expect(j.code).toBe(0); // now 2026-11-23 01:00: both newest copies (2026-11-22 03:00) are 22 h old
    const s = JSON.parse(j.out) as StatusJson;
    const billing = s.databases.find((d) => d.identifier === 'billing-db');
    expect(billing?.lastDrill).toEqual({
      drillId: 'restore-drill-2026-11-22',
      at: expect.stringMatching(/^2026-11-2[23]T/),
      result: 'PASSED',
      rtoSeconds: rto,
      rtoMinutes: Math.round((rto ?? 0) / 6) / 10,
      record: expect.stringMatching(/\/drills\/billing-db\/2026-11-2\d\/restore-drill-2026-11-22\.json$/),
    });
    expect(s.databases.find((d) => d.identifier === 'legacy-reports')?.lastDrill).toBeNull();
    const t = await rsv('status', '--local');
    expect(t.code).toBe(0);
    const day = billing?.lastDrill?.at.slice(0, 10);
    expect(t.out).toMatch(/^DATABASE\s+VAULT us-east-1\s+DR us-west-2\s+LAST DRILL\s+RTO$/m);
    expect(t.out).toMatch(new RegExp(`^billing-db\\s+2026-11-22 03:00Z \\(22h 00m ago\\)\\s+2026-11-22 03:00Z \\(22h 00m ago\\)\\s+${day} passed\\s+${Math.round((rto ?? 0) / 60)} min$`, 'm'));
    expect(t.out).toMatch(/^legacy-reports\s+.*\s+never drilled\s+-$/m);
    expect(t.out).toContain('Never drilled: legacy-reports');
  });

  it('a profile that cannot read the evidence bucket still gets the RPO table and exit code, with a note saying what to grant', async () => {
    env.sandbox.faults.inject({ service: 's3', operation: 'ListObjectsV2', error: { name: 'AccessDenied', message: 'not allowed' }, times: Infinity });
    const t = await rsv('status', '--local');
    env.sandbox.faults.clear();
    expect(t.err).toBe('');
    expect(t.code).toBe(0);
    expect(t.out).toMatch(/^billing-db\s+2026-11-22 03:00Z \(22h 00m ago\)\s+2026-11-22 03:00Z \(22h 00m ago\)\s+-\s+-$/m);
    expect(t.out).toContain('Note: Could not read the drill records (AccessDenied: not allowed): the profile needs s3:ListBucket and s3:GetObject on the evidence bucket');
    expect(t.out).not.toContain('Never drilled');
  });

  it('the newest drill wins: a later drill of billing-db that fails shows FAILED, without an RTO, and why', async () => {
    env.sandbox.faults.inject({ service: 'rds', operation: 'RestoreDBInstanceFromDBSnapshot', error: { name: 'KMSKeyNotAccessibleFault', message: 'The vault key is disabled' }, times: Infinity });
    const failed = await env.startRestoreDrill({ databases: ['billing-db'] }, 'restore-drill-failing');
    env.sandbox.faults.clear();
    expect(failed.status).toBe('FAILED'); // the drill says so; the record says why
    const j = await rsv('status', '--local', '--json', '--db', 'billing-db');
    expect(j.code).toBe(0); // a failed drill is reported, the exit code is the RPO's
    const last = (JSON.parse(j.out) as StatusJson).databases[0]?.lastDrill;
    expect(last).toMatchObject({ drillId: 'restore-drill-failing', result: 'FAILED', failure: expect.stringContaining('KMSKeyNotAccessibleFault') });
    expect(last?.rtoSeconds).toBeUndefined();
    const t = await rsv('status', '--local', '--db', 'billing-db');
    expect(t.out).toMatch(/^billing-db\s+.*\s+2026-11-23 FAILED\s+-$/m);
    expect(t.out).toMatch(/Last restore drill FAILED: billing-db \(KMSKeyNotAccessibleFault: .*\)\. Details: rsv evidence --month 2026-11/);
  });
});

describe('rsv evidence reads runs and failures from the run ledger (issue 12)', () => {
  type Json = EvidenceReport & { databases: Array<EvidenceReport['databases'][number] & { runs: Array<{ run: string; status: string; source: string }> }> };
  const putRecord = async (record: Record<string, unknown>) => {
    const { PutObjectCommand } = await import('@aws-sdk/client-s3');
    const s3 = backend.s3(config.source.accountId, config.source.region)!;
    const db = (record.database as { identifier: string }).identifier;
    await s3.send(new PutObjectCommand({ Bucket: backend.ledgerBucket!()!, Key: `runs/${record.runId}/${db}.json`, Body: JSON.stringify({ schemaVersion: 1, ...record }) }));
  };

  it('a month older than the 90 days Step Functions keeps: runs and the failure, and how it ended, from the ledger alone', async () => {
    // Four months later, with a Step Functions that would fail any call: the ledger alone must answer.
    const later: Backend = {
      ...backend,
      now: () => new Date('2027-03-10T00:00:00.000Z'),
      sfn: { send: async () => Promise.reject(Object.assign(new Error('no Step Functions call expected'), { name: 'UnexpectedCall' })) } as never,
    };
    const { code, out, err } = await runRsv(['evidence', '--local', '--month', '2026-11', '--json'], { config, backend: later });
    expect(err).toBe('');
    expect(code).toBe(1);
    const r = JSON.parse(out) as Json;
    expect(r.expectedDays[0]).toBe('2026-11-20');
    expect(r.expectedDays.at(-1)).toBe('2026-11-30');
    const legacy = r.databases.find((d) => d.identifier === 'legacy-reports');
    expect(legacy?.runs.map((x) => [x.run, x.status, x.source])).toEqual([
      ['daily-2026-11-20', 'SUCCEEDED', 'ledger'],
      ['daily-2026-11-21', 'FAILED', 'ledger'],
      ['daily-2026-11-22', 'SUCCEEDED', 'ledger'],
    ]);
    expect(legacy?.failures).toEqual([
      expect.objectContaining({ run: 'daily-2026-11-21', status: 'FAILED', error: expect.stringMatching(/^[A-Z]\w+$/), message: expect.stringContaining('The source key is disabled'), recovered: true, ended: expect.stringMatching(/^recovered by daily-2026-11-22 at 2026-11-22T.* \(rsv-legacy-reports-202611220300\)$/) }),
    ]);
    expect(r.sources.join(' ')).toContain('Step Functions only as a fallback, not needed for this month');
  });

  it('an unreadable ledger falls back to Step Functions and says so', async () => {
    const { code, out } = await rsv('evidence', '--local', '--month', '2026-11', '--json', '--ledger-bucket', 'no-such-ledger-bucket');
    expect(code).toBe(1);
    const r = JSON.parse(out) as Json;
    expect(r.sources.join(' ')).toMatch(/runs and failures: Step Functions executions of rds-snapshot-vault-BackupRun and rds-snapshot-vault-DatabaseBackup \(the run ledger could not be read: fallback/);
    expect(r.notes.join(' ')).toContain('The run ledger could not be read (NoSuchBucket');
    const legacy = r.databases.find((d) => d.identifier === 'legacy-reports');
    expect(legacy?.runs.map((x) => [x.run, x.status, x.source])).toEqual([
      ['daily-2026-11-20', 'SUCCEEDED', 'step-functions'],
      ['daily-2026-11-21', 'FAILED', 'step-functions'],
      ['daily-2026-11-22', 'SUCCEEDED', 'step-functions'],
    ]);
    expect(legacy?.failures.map((f) => f.recovered)).toEqual([true]);
  });

  it('DEFERRED is not a failure; a failure with no later success is unrecovered until a later record (next month) recovers it', async () => {
    await putRecord({ runId: 'event-billing-1', trigger: 'event', database: { identifier: 'billing-db', kind: 'instance' }, status: 'DEFERRED', recordedAt: '2026-11-21T12:00:00.000Z', deferral: { name: 'CopySlotsDeferred', reason: 'no copy slot expected within 2.5 h' } });
    await putRecord({ runId: 'event-billing-2', trigger: 'event', database: { identifier: 'billing-db', kind: 'instance' }, status: 'FAILED', recordedAt: '2026-11-22T20:00:00.000Z', error: { name: 'SnapshotCopyFailed', cause: '{"errorType":"SnapshotCopyFailed","errorMessage":"the copy failed"}' } });
    const first = JSON.parse((await rsv('evidence', '--local', '--month', '2026-11', '--json')).out) as Json;
    const billing = first.databases.find((d) => d.identifier === 'billing-db');
    expect(billing?.runs.map((x) => [x.run, x.status])).toEqual([
      ['daily-2026-11-20', 'SUCCEEDED'],
      ['daily-2026-11-21', 'SUCCEEDED'],
      ['event-billing-1', 'DEFERRED'],
      ['daily-2026-11-22', 'SUCCEEDED'],
      ['event-billing-2', 'FAILED'],
    ]);
    expect(billing?.failures).toEqual([expect.objectContaining({ run: 'event-billing-2', error: 'SnapshotCopyFailed', message: 'the copy failed', recovered: false, ended: expect.stringMatching(/^not recovered as of /) })]);

    // December: a success written after the month (and its read window) ends the failure; only that record is read for it.
    await env.clock.sleepUntil(new Date('2026-12-02T06:00:00.000Z'));
    await putRecord({ runId: 'daily-2026-12-02', database: { identifier: 'billing-db', kind: 'instance' }, status: 'SUCCEEDED', recordedAt: '2026-12-02T06:00:00.000Z', summary: { copy: 'rsv-billing-db-202612020300' } });
    await putRecord({ runId: 'daily-2026-12-02', database: { identifier: 'legacy-reports', kind: 'instance' }, status: 'SUCCEEDED', recordedAt: '2026-12-02T06:00:00.000Z', summary: { copy: 'rsv-legacy-reports-202612020300' } });
    const before = env.sandbox.calls.length;
    const after = JSON.parse((await rsv('evidence', '--local', '--month', '2026-11', '--json')).out) as Json;
    expect(after.databases.find((d) => d.identifier === 'billing-db')?.failures).toEqual([
      expect.objectContaining({ run: 'event-billing-2', recovered: true, ended: 'recovered by daily-2026-12-02 at 2026-12-02T06:00:00.000Z (rsv-billing-db-202612020300)' }),
    ]);
    const got = env.sandbox.calls.slice(before).filter((c) => c.service === 's3' && c.operation === 'GetObject').map((c) => (c.input as { Key: string }).Key);
    expect(got).toContain('runs/daily-2026-12-02/billing-db.json');
    expect(got).not.toContain('runs/daily-2026-12-02/legacy-reports.json'); // legacy-reports' failure was recovered within the month
  });

  it('a run started on the last evening of a month counts in that month, even when its records are written the next day', async () => {
    const { PutObjectCommand } = await import('@aws-sdk/client-s3');
    const s3 = backend.s3(config.source.accountId, config.source.region)!;
    await env.clock.sleepUntil(new Date('2026-12-31T23:00:00.000Z'));
    // plan-run writes the plan when the run starts; the database's record comes hours later.
    await s3.send(new PutObjectCommand({ Bucket: backend.ledgerBucket!()!, Key: 'plans/late-run/plan.json', Body: JSON.stringify({ schemaVersion: 1, runId: 'late-run', trigger: 'schedule', count: 1, chunks: 1, chunkSize: 100, skipped: [], discovered: [] }) }));
    await env.clock.sleepUntil(new Date('2027-01-01T02:00:00.000Z'));
    await putRecord({ runId: 'late-run', database: { identifier: 'legacy-reports', kind: 'instance' }, status: 'FAILED', recordedAt: '2027-01-01T02:00:00.000Z', error: { name: 'SnapshotCopyTimedOut', cause: 'took too long' } });
    const dec = JSON.parse((await rsv('evidence', '--local', '--month', '2026-12', '--json')).out) as Json;
    const legacyDec = dec.databases.find((d) => d.identifier === 'legacy-reports');
    expect(legacyDec?.runs.map((x) => [x.run, x.status, x.startDate])).toContainEqual(['late-run', 'FAILED', '2026-12-31T23:00:00.000Z']);
    expect(legacyDec?.failures.map((f) => [f.run, f.recovered])).toEqual([['late-run', false]]);
    const jan = JSON.parse((await rsv('evidence', '--local', '--month', '2027-01', '--json')).out) as Json;
    expect(jan.databases.find((d) => d.identifier === 'legacy-reports')?.runs).toEqual([]);
  });
});
