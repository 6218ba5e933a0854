/**
 * The `rsv` CLI end to end against one local deployment (the same `@aws-sdk/client-sfn` calls as
 * against AWS, answered by the runner): start --wait with live progress, watch, history, status,
 * and errors that say what to do, each checked on its output and exit code.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Backend, localBackend, awsBackend } from '../../cli/backend';
import { parseSince } from '../../cli/commands/runs';
import { stampOf } from '../../cli/runs';
import { restoreSteps } from '../../cli/commands/restore';
import type { LocalEnvironment } from '../../sandbox/harness/index';
import { createFleetEnvironment, DEMO_FLEET, DISCOVERED_DATABASE, fleetForConfig } from '../../sandbox/harness/index';
import { configWith, exampleConfig } from '../workflow/helpers';
import { cliConfig, runRsv, type RsvResult } from './helpers';

const FLEET = DEMO_FLEET.filter((d) => ['billing-db', 'legacy-reports', 'orders-db'].includes(d.identifier));
const config = cliConfig(FLEET);

let env: LocalEnvironment;
let backend: Backend;
beforeAll(async () => {
  // Virtual 2026-11-20T05:00Z. legacy-reports gets no automated snapshot: its backup must fail (NoAutomatedSnapshot).
  env = await createFleetEnvironment({ config }, FLEET, { snapshotted: FLEET.filter((d) => d.identifier !== 'legacy-reports') });
  backend = localBackend(env);
});
afterAll(() => env?.dispose());

const rsv = (...argv: string[]): Promise<RsvResult> => runRsv(argv, { config, backend });
const rsvOn = (tty: boolean, ...argv: string[]): Promise<RsvResult> => runRsv(argv, { config, backend, tty });

describe('rsv start / watch / history / status --local', () => {
  it('start --wait follows one database to the vault and DR Region and exits 0', async () => {
    const { code, out, err } = await rsv('start', '--local', '--db', 'billing-db', '--wait', '--name', 'cli-ok', '--interval', '120');
    expect(err).toBe('');
    expect(code).toBe(0);
    // Live progress: the steps of DatabaseBackup as it passes them, with the copy's percentage.
    expect(out).toMatch(/billing-db {2}RUNNING {4}(WaitFor|Poll)SourceCopy {2}source \d+%/);
    expect(out).toMatch(/billing-db {2}RUNNING {4}(WaitFor|Poll)VaultCopy {3}vault \d+%/);
    expect(out).toMatch(/billing-db {2}SUCCEEDED {2}BackupSucceeded\n/);
    // The progress lines read as a table: elapsed, status and step start in the same columns.
    const lines = out.split('\n').filter((l) => l.startsWith('[2026-'));
    expect(lines.length).toBeGreaterThan(2);
    for (const col of [/\] /, /(RUNNING|SUCCEEDED)/, /(WaitFor|Poll|Backup)\w+/]) expect(new Set(lines.map((l) => l.search(col))).size).toBe(1);
    // The result: the copy named after the automated snapshot's time (03:00 UTC).
    expect(out).toMatch(/cli-ok: SUCCEEDED in \d/);
    expect(out).toMatch(/billing-db\s+SUCCEEDED\s+\S+( \S+)?\s+rsv-billing-db-202611200300/);
  });

  it('on a terminal the progress table is redrawn in place', async () => {
    const { code, out } = await rsvOn(true, 'start', '--local', '--db', 'billing-db', '--wait', '--name', 'cli-tty', '--interval', '120');
    expect(code).toBe(0);
    expect(out).toMatch(/DATABASE\s+STATUS\s+STEP\s+COPY\s+ELAPSED\s+ETA/);
    // Each redraw moves the cursor up over the previous block (title, header, rule, a row per
    // database) and clears it: the count is the previous block's line count.
    const blocks = out.split(/\x1b\[\d+F\x1b\[0J/);
    expect(blocks.length).toBeGreaterThan(1);
    const moves = [...out.matchAll(/\x1b\[(\d+)F/g)].map((m) => Number(m[1]));
    moves.forEach((lines, i) => expect(lines).toBe((blocks[i] ?? '').split('\n').filter((l, j, all) => j < all.length - 1 && !l.startsWith('Started')).length));
  });

  it('a failed database makes start --wait exit 1, and --json gives its error by name', async () => {
    const { code, out } = await rsv('start', '--local', '--db', 'legacy-reports', '--wait', '--json', '--name', 'cli-fail', '--interval', '120');
    expect(code).toBe(1);
    const view = JSON.parse(out) as { status: string; databases: Array<{ identifier: string; status: string; error: string }> };
    expect(view.status).toBe('FAILED');
    expect(view.databases).toEqual([expect.objectContaining({ identifier: 'legacy-reports', status: 'FAILED', error: 'NoAutomatedSnapshot' })]);
  });

  it('start without --wait returns at once with the execution; watch follows it to its end', async () => {
    const started = await rsv('start', '--local', '--db', 'orders-db', '--name', 'cli-watch');
    expect(started.code).toBe(0);
    expect(started.out).toContain('arn:aws:states:us-east-1:111111111111:execution:rds-snapshot-vault-BackupRun:cli-watch');
    expect(started.out).toContain('use rsv start --local --wait');
    const watched = await rsv('watch', 'cli-watch', '--local', '--interval', '300');
    expect(watched.code).toBe(0);
    expect(watched.out).toMatch(/orders-db {2}RUNNING/);
    // Once a copy has been seen twice, its ETA (linear from the progress between the two polls).
    expect(watched.out).toMatch(/orders-db {2}RUNNING {4}\w+ +(source|vault|us-west-2) \d+% {2}ETA \d/);
    expect(watched.out).toMatch(/orders-db\s+SUCCEEDED\s+.*rsv-orders-db-202611200300/);
    // Watching a finished failed run prints its result and exits 1.
    const failed = await rsv('watch', 'cli-fail', '--local');
    expect(failed.code).toBe(1);
    expect(failed.out).toMatch(/legacy-reports\s+FAILED\s+.*NoAutomatedSnapshot: /);
  });

  it('history lists runs newest first with each database result, filtered by --db and --since', async () => {
    const all = await rsv('history', '--local', '--json', '--since', '2026-11-20');
    expect(all.code).toBe(0);
    const runs = (JSON.parse(all.out) as { runs: Array<{ name: string; status: string }> }).runs;
    expect(runs.map((r) => [r.name, r.status])).toEqual([
      ['cli-watch', 'SUCCEEDED'],
      ['cli-fail', 'FAILED'],
      ['cli-tty', 'SUCCEEDED'],
      ['cli-ok', 'SUCCEEDED'],
    ]);
    const one = await rsv('history', '--local', '--db', 'legacy-reports', '--since', '2d');
    expect(one.code).toBe(0);
    expect(one.out.trim().split('\n')).toHaveLength(3); // header, rule, one row
    expect(one.out).toMatch(/cli-fail\s+legacy-reports\s+FAILED\s+.*NoAutomatedSnapshot/);
    const none = await rsv('history', '--local', '--since', '2027-01-01');
    expect(none.out).toContain('No BackupRun since 2027-01-01 00:00Z');
  });

  it('status: newest vault and DR recovery point per database against the RPO; exit 1 when one is missing', async () => {
    const { code, out } = await rsv('status', '--local', '--json');
    expect(code).toBe(1);
    const s = JSON.parse(out) as { rpoHours: number; databases: Array<{ identifier: string; locations: Array<{ where: string; state: string; recoveryPoint?: string; snapshotIdentifier?: string }> }> };
    expect(s.rpoHours).toBe(26);
    const of = (id: string) => s.databases.find((d) => d.identifier === id)?.locations.map((l) => [l.where, l.state, l.recoveryPoint, l.snapshotIdentifier]);
    // The recovery point is the automated snapshot's time (OriginalSnapshotCreateTime), not the copy's.
    expect(of('billing-db')).toEqual([
      ['vault', 'ok', '2026-11-20T03:00:00.000Z', 'rsv-billing-db-202611200300'],
      ['us-west-2', 'ok', '2026-11-20T03:00:00.000Z', 'rsv-billing-db-202611200300'],
    ]);
    expect(of('legacy-reports')).toEqual([
      ['vault', 'none', undefined, undefined],
      ['us-west-2', 'none', undefined, undefined],
    ]);
    const healthy = await rsv('status', '--local', '--db', 'billing-db', '--db', 'orders-db');
    expect(healthy.code).toBe(0);
    expect(healthy.out).toContain('All 2 databases have a recovery point younger than 26 h in every Region.');
    // Drills are configured but none has run in this world: each database says so (drills: test/cli/reports.test.ts).
    expect(healthy.out).toMatch(/billing-db\s+2026-11-20 03:00Z \(\d+h \d+m ago\)\s+2026-11-20 03:00Z \(\d+h \d+m ago\)\s+never drilled\s+-\n/);
    expect(healthy.out).toContain('Never drilled: orders-db, billing-db (');
    // Virtual now is hours after 03:00: an RPO of 1 h is missed.
    const strict = await rsv('status', '--local', '--db', 'billing-db', '--rpo-hours', '1');
    expect(strict.code).toBe(1);
    expect(strict.out).toMatch(/billing-db\s+2026-11-20 03:00Z \(\d+h \d+m ago\) LATE/);
  });
});

describe('rsv restore --dry-run', () => {
  it('into a recovery account: the copy of that day, the restore key, copy, share, target copy, restore, clean-up', async () => {
    const { code, out } = await rsv('restore', 'billing-db', '--local', '--dry-run', '--at', '2026-11-20', '--target-account', '333333333333');
    expect(code).toBe(0);
    expect(out).toContain('Restore billing-db as of 2026-11-20 03:00Z from rsv-billing-db-202611200300 (vault account 222222222222, us-east-1) into account 333333333333.');
    expect(out).toContain('"Principal":{"AWS":"arn:aws:iam::333333333333:root"}');
    expect(out).toContain('"kms:ViaService":"rds.us-east-1.amazonaws.com"');
    expect(out).toContain('aws rds copy-db-snapshot --profile <vault admin> --region us-east-1 --source-db-snapshot-identifier rsv-billing-db-202611200300 --target-db-snapshot-identifier restore-billing-db-202611200300 --kms-key-id "$RESTORE_KEY"');
    expect(out).toContain('--db-snapshot-identifier restore-billing-db-202611200300 --attribute-name restore --values-to-add 333333333333');
    expect(out).toContain('--source-db-snapshot-identifier arn:aws:rds:us-east-1:222222222222:snapshot:restore-billing-db-202611200300 --target-db-snapshot-identifier billing-db-202611200300');
    expect(out).toContain('restore-db-instance-from-db-snapshot --profile <target admin> --region us-east-1 --db-instance-identifier billing-db-restored --db-snapshot-identifier billing-db-202611200300');
    const json = JSON.parse((await rsv('restore', 'billing-db', '--local', '--dry-run', '--target-account', '333333333333', '--json')).out) as { steps: Array<{ account: string }> };
    expect(json.steps.map((s) => s.account)).toEqual(['222222222222', '222222222222', '333333333333', '333333333333', '222222222222']);
  });

  it('in the vault account, from a DR Region; no copy early enough exits 1; without --dry-run exits 2', async () => {
    const dr = await rsv('restore', 'billing-db', '--local', '--dry-run', '--region', 'us-west-2');
    expect(dr.code).toBe(0);
    expect(dr.out).toContain('aws rds restore-db-instance-from-db-snapshot --profile <vault admin> --region us-west-2 --db-instance-identifier billing-db-restored --db-snapshot-identifier rsv-billing-db-202611200300');
    const early = await rsv('restore', 'billing-db', '--local', '--dry-run', '--at', '2026-11-19');
    expect(early.code).toBe(1);
    expect(early.err).toContain('no vault copy of billing-db in 222222222222 us-east-1 with a recovery point at or before 2026-11-19 23:59Z; the oldest is rsv-billing-db-202611200300 (2026-11-20 03:00Z)');
    const none = await rsv('restore', 'legacy-reports', '--local', '--dry-run');
    expect(none.code).toBe(1);
    expect(none.err).toContain('(none at all: see rsv status)');
    expect((await rsv('restore', 'billing-db', '--local')).code).toBe(2);
    expect((await rsv('restore', 'billing-db', '--local', '--dry-run', '--region', 'eu-west-1')).err).toContain('use one of us-east-1, us-west-2');
  });

  it('an Aurora cluster: cluster snapshot commands, and an instance added to the restored cluster', () => {
    const steps = restoreSteps(
      { identifier: 'rsv-catalog-aurora-202611240300', arn: '', dbIdentifier: 'catalog-aurora', kind: 'cluster', status: 'available', percent: 100, engine: 'aurora-postgresql', tags: [] },
      { vault: '222222222222', region: 'us-east-1', target: '333333333333' },
    );
    const all = steps.flatMap((s) => s.commands).join('\n');
    expect(all).toContain('aws rds copy-db-cluster-snapshot --profile <vault admin> --region us-east-1 --source-db-cluster-snapshot-identifier rsv-catalog-aurora-202611240300 --target-db-cluster-snapshot-identifier restore-catalog-aurora-202611240300');
    expect(all).toContain('modify-db-cluster-snapshot-attribute');
    expect(all).toContain('arn:aws:rds:us-east-1:222222222222:cluster-snapshot:restore-catalog-aurora-202611240300');
    expect(all).toContain('restore-db-cluster-from-snapshot --profile <target admin> --region us-east-1 --db-cluster-identifier catalog-aurora-restored --snapshot-identifier catalog-aurora-202611240300 --engine aurora-postgresql');
    expect(all).toContain('create-db-instance --profile <target admin> --region us-east-1 --db-instance-identifier catalog-aurora-restored-1 --db-cluster-identifier catalog-aurora-restored --engine aurora-postgresql');
    expect(all).toContain('aws rds delete-db-cluster-snapshot');
  });
});

describe('errors say what to do (exit 2)', () => {
  it('usage errors', async () => {
    expect((await rsv('frobnicate')).err).toContain("unknown command 'frobnicate'. Commands: start, watch, history, preflight, restore, status, cost, evidence.");
    const badOpt = await rsv('status', '--wait');
    expect(badOpt.code).toBe(2);
    expect(badOpt.err).toContain('--wait does not apply here. Usage: rsv status');
    const since = await rsv('history', '--local', '--since', 'last tuesday');
    expect(since.code).toBe(2);
    expect(since.err).toContain('--since takes a duration back from now (36h, 7d) or an ISO-8601 date');
    const db = await rsv('start', '--local', '--db', 'nope-db');
    expect(db.code).toBe(2);
    expect(db.err).toContain('nope-db is not in the config\'s databases (orders-db, billing-db, legacy-reports)');
  });

  it('an unknown execution points to history; a missing stack gives the deploy command', async () => {
    const watch = await rsv('watch', 'no-such-run', '--local');
    expect(watch.code).toBe(2);
    expect(watch.err).toContain("Execution Does Not Exist: 'arn:aws:states:us-east-1:111111111111:execution:rds-snapshot-vault-BackupRun:no-such-run'. List the runs with: rsv history");
    const other = configWith((c) => void (c.deploymentName = 'other-vault'));
    const { code, err } = await runRsv(['start', '--local'], {
      config: other,
      local: async () => ({ ...backend, config: other, arns: { backupRun: backend.arns.backupRun.replace('rds-snapshot-vault-', 'other-vault-'), databaseBackup: '' } }),
    });
    expect(code).toBe(2);
    expect(err).toContain('The source stack is not deployed in 111111111111 us-east-1');
    expect(err).toContain('npx cdk deploy other-vault-source -c config=');
  });

  it('status against AWS without vault credentials asks for --vault-profile before calling anything', async () => {
    const { code, err } = await runRsv(['status'], { config, aws: (c, o) => awsBackend(c, o) });
    expect(code).toBe(2);
    expect(err).toContain('no credentials for the vault account 222222222222: pass --vault-profile');
  });

  it('rsv help [command] prints the usage (npx takes --help for itself)', async () => {
    const all = await rsv('help');
    expect(all.code).toBe(0);
    expect(all.out).toMatch(/preflight +check what a first run depends on/);
    const one = await rsv('help', 'history');
    expect(one.out.startsWith('usage: rsv history [--db <id>]... [--since <7d|36h|ISO date>]')).toBe(true);
  });

  it('parses --since durations and dates; reads the recovery point from a copy identifier', () => {
    const now = new Date('2026-11-20T12:00:00Z');
    expect(parseSince('36h', now)?.toISOString()).toBe('2026-11-19T00:00:00.000Z');
    expect(parseSince('7d', now)?.toISOString()).toBe('2026-11-13T12:00:00.000Z');
    expect(parseSince('yesterday', now)).toBeUndefined();
    expect(stampOf('rsv-catalog-aurora-202611200300')).toBe('2026-11-20T03:00:00.000Z');
    expect(stampOf('rsv-orders-db-20261120030')).toBeUndefined();
  });
});

describe('the local Step Functions API answers as the service does', () => {
  it('ListExecutions pages newest first; GetExecutionHistory in AWS event types, reversible; unknown ARNs are SDK errors', async () => {
    const { ListExecutionsCommand, GetExecutionHistoryCommand, DescribeExecutionCommand, ExecutionDoesNotExist, StateMachineDoesNotExist } = await import('@aws-sdk/client-sfn');
    const first = await backend.sfn.send(new ListExecutionsCommand({ stateMachineArn: backend.arns.backupRun, maxResults: 1 }));
    expect(first.executions).toHaveLength(1);
    expect(first.nextToken).toBeDefined();
    const rest = await backend.sfn.send(new ListExecutionsCommand({ stateMachineArn: backend.arns.backupRun, nextToken: first.nextToken }));
    const starts = [...(first.executions ?? []), ...(rest.executions ?? [])].map((e) => e.startDate?.getTime() ?? 0);
    expect(starts.length).toBeGreaterThan(2);
    expect([...starts].sort((a, b) => b - a)).toEqual(starts);
    const arn = first.executions?.[0]?.executionArn ?? '';
    const history = (await backend.sfn.send(new GetExecutionHistoryCommand({ executionArn: arn, maxResults: 1000 }))).events ?? [];
    expect(history[0]).toMatchObject({ id: 1, type: 'ExecutionStarted' });
    expect(history.at(-1)?.type).toMatch(/^Execution(Succeeded|Failed)$/);
    expect(history.some((e) => e.type === 'TaskStateEntered' && e.stateEnteredEventDetails?.name === 'PlanRun')).toBe(true);
    // BackupRun's Distributed Map (docs/aws-behaviour.md §29): the run's history names the Map Run, not
    // the DatabaseBackup child, which is in the history of the Map Run's child workflow execution.
    expect(history.filter((e) => e.type === 'TaskSubmitted')).toHaveLength(0);
    const mapRunArn = history.find((e) => e.type === 'MapRunStarted')?.mapRunStartedEventDetails?.mapRunArn ?? '';
    expect(mapRunArn).toMatch(/^arn:aws:states:us-east-1:\d{12}:mapRun:rds-snapshot-vault-BackupRun\/BackupDatabases:[0-9a-f-]{36}$/);
    const mapChildren = (await backend.sfn.send(new ListExecutionsCommand({ mapRunArn }))).executions ?? [];
    expect(mapChildren).toHaveLength(1);
    const childHistory = (await backend.sfn.send(new GetExecutionHistoryCommand({ executionArn: mapChildren[0]!.executionArn! }))).events ?? [];
    expect(childHistory.filter((e) => e.type === 'TaskSubmitted' && e.taskSubmittedEventDetails?.resource === 'startExecution.sync:2')).toHaveLength(1);
    await expect(backend.sfn.send(new ListExecutionsCommand({ mapRunArn: `${mapRunArn}-nope` }))).rejects.toMatchObject({ name: 'ResourceNotFound' });
    const reversed = (await backend.sfn.send(new GetExecutionHistoryCommand({ executionArn: arn, reverseOrder: true, maxResults: 1 }))).events ?? [];
    expect(reversed[0]?.id).toBe(history.at(-1)?.id);
    await expect(backend.sfn.send(new DescribeExecutionCommand({ executionArn: `${arn}-nope` }))).rejects.toBeInstanceOf(ExecutionDoesNotExist);
    await expect(backend.sfn.send(new ListExecutionsCommand({ stateMachineArn: `${backend.arns.backupRun}-nope` }))).rejects.toBeInstanceOf(StateMachineDoesNotExist);
  });
});

describe('rsv history reads finished runs from the run ledger (issue 12)', () => {
  it('a run of 1,000 records costs one DescribeExecution and List + plan head + a GetObject per record, not Step Functions calls per child', async () => {
    const { GetObjectCommand, PutObjectCommand } = await import('@aws-sdk/client-s3');
    const s3 = backend.s3(config.source.accountId, config.source.region)!;
    const bucket = backend.ledgerBucket!()!;
    // cli-ok backed up billing-db: its real record, copied as 999 more databases, and its plan head saying 1,000.
    const get = async (Key: string) => JSON.parse((await (await s3.send(new GetObjectCommand({ Bucket: bucket, Key }))).Body!.transformToString()));
    const real = await get('runs/cli-ok/billing-db.json');
    const head = await get('plans/cli-ok/plan.json');
    expect(head.count).toBe(1);
    const ids = Array.from({ length: 999 }, (_, i) => `fleet-db-${String(i).padStart(4, '0')}`);
    for (const id of ids) {
      const record = { ...real, database: { identifier: id, kind: 'instance' }, summary: { ...real.summary, copy: `rsv-${id}-202611200300` } };
      await s3.send(new PutObjectCommand({ Bucket: bucket, Key: `runs/cli-ok/${id}.json`, Body: JSON.stringify(record) }));
    }
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'plans/cli-ok/plan.json', Body: JSON.stringify({ ...head, count: 1000 }) }));

    // Step Functions calls counted at the client; S3 calls as the sandbox records them.
    const sfnCalls: string[] = [];
    const counted: Backend = { ...backend, sfn: { send: (c: { constructor: { name: string } }) => (sfnCalls.push(c.constructor.name), backend.sfn.send(c as never)) } as never };
    const s3Before = env.sandbox.calls.length;
    const { code, out } = await runRsv(['history', '--local', '--json', '--since', '2026-11-20'], { config, backend: counted });
    expect(code).toBe(0);
    const runs = (JSON.parse(out) as { runs: Array<{ name: string; status: string; resultsFrom: string; databases: Array<{ identifier: string; status: string; copy?: string; executionArn?: string; record?: string }> }> }).runs;
    const ok = runs.find((r) => r.name === 'cli-ok')!;
    expect(ok.resultsFrom).toBe('ledger');
    expect(ok.databases).toHaveLength(1000);
    expect(ok.databases.find((d) => d.identifier === 'fleet-db-0998')).toMatchObject({ status: 'SUCCEEDED', copy: 'rsv-fleet-db-0998-202611200300', record: `s3://${bucket}/runs/cli-ok/fleet-db-0998.json` });
    expect(runs.find((r) => r.name === 'cli-fail')?.databases).toEqual([expect.objectContaining({ identifier: 'legacy-reports', status: 'FAILED', error: 'NoAutomatedSnapshot' })]);
    expect(runs.every((r) => r.resultsFrom === 'ledger')).toBe(true);
    // One ListExecutions page, one DescribeExecution per run: nothing per database.
    expect(sfnCalls.filter((c) => c !== 'DescribeExecutionCommand')).toEqual(['ListExecutionsCommand']);
    expect(sfnCalls.filter((c) => c === 'DescribeExecutionCommand')).toHaveLength(runs.length);
    // Per run: one ListObjectsV2 (<= 1,000 keys) and the plan head; then one GetObject per record.
    const s3Calls = env.sandbox.calls.slice(s3Before).filter((c) => c.service === 's3');
    const records = runs.reduce((n, r) => n + r.databases.length, 0);
    expect(s3Calls.filter((c) => c.operation === 'ListObjectsV2')).toHaveLength(runs.length);
    expect(s3Calls.filter((c) => c.operation === 'GetObject')).toHaveLength(runs.length + records);
    expect(s3Calls).toHaveLength(2 * runs.length + records);
  });

  it('a finished run with fewer records than planned (aborted mid-way) is read from Step Functions', async () => {
    const { GetObjectCommand, PutObjectCommand } = await import('@aws-sdk/client-s3');
    const s3 = backend.s3(config.source.accountId, config.source.region)!;
    const bucket = backend.ledgerBucket!()!;
    const head = JSON.parse(await (await s3.send(new GetObjectCommand({ Bucket: bucket, Key: 'plans/cli-fail/plan.json' }))).Body!.transformToString());
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'plans/cli-fail/plan.json', Body: JSON.stringify({ ...head, count: 2 }) }));
    const { out } = await rsv('history', '--local', '--json', '--since', '2026-11-20');
    const run = (JSON.parse(out) as { runs: Array<{ name: string; resultsFrom: string; databases: Array<{ identifier: string; status: string; executionArn?: string }> }> }).runs.find((r) => r.name === 'cli-fail')!;
    expect(run.resultsFrom).toBe('step-functions');
    expect(run.databases).toEqual([expect.objectContaining({ identifier: 'legacy-reports', status: 'FAILED', executionArn: expect.stringContaining(':execution:rds-snapshot-vault-DatabaseBackup:') })]);
    // Read by a person: the table, and a note naming the run that did not come from the ledger.
    const plain = await rsv('history', '--local', '--since', '2026-11-20');
    expect(plain.out).toContain('legacy-reports');
    expect(plain.err).toContain('1 finished run(s) (cli-fail) were read from Step Functions history');
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'plans/cli-fail/plan.json', Body: JSON.stringify(head) }));
    expect((await rsv('history', '--local', '--since', '2026-11-20')).err).not.toContain('Step Functions history');
  });
});

describe('the fleet the demo and --local seed for a config', () => {
  it("the example config gives the demo fleet; a user's config gives its own databases", () => {
    expect(fleetForConfig(exampleConfig())).toEqual([...DEMO_FLEET, DISCOVERED_DATABASE]);
    const mine = configWith((c) => {
      c.databases = [
        { identifier: 'crm-db', kind: 'instance' },
        { identifier: 'ledger-aurora', kind: 'cluster' },
        { identifier: 'billing-db', kind: 'instance' },
      ];
      c.discovery = undefined;
    });
    expect(fleetForConfig(mine)).toEqual([
      { identifier: 'crm-db', kind: 'instance', engine: 'postgres', allocatedStorageGiB: 100, encryption: 'default-key' },
      { identifier: 'ledger-aurora', kind: 'cluster', engine: 'aurora-postgresql', allocatedStorageGiB: 100, encryption: 'default-key' },
      DEMO_FLEET.find((d) => d.identifier === 'billing-db'),
    ]);
  });
});

describe('the bin', () => {
  it('npx rsv (bin/rsv.mjs, tsx) exits 2 with the commands when given an unknown one', async () => {
    const run = promisify(execFile);
    await expect(run('node', ['bin/rsv.mjs', 'nope'])).rejects.toMatchObject({ code: 2, stderr: expect.stringMatching(/unknown command 'nope'[^]*start +start a BackupRun/) });
  });
});
