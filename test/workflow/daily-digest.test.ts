/**
 * Issue 12 item 6: one notification per run, not one per database. Runs started by RDS snapshot
 * events (one database each) publish nothing when they succeed; a failure is still notified at once;
 * once a day the DailyDigest workflow sends one message naming every event-run result of the day,
 * read from the run ledger (functions/shared/ledger.ts).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalEnvironment } from '../../sandbox/harness/index';
import { type DemoDatabaseSpec, DEMO_FLEET, DISCOVERED_DATABASE, seedFleet, takeAutomatedSnapshots } from '../../sandbox/harness/index';
import type { ExecutionRecord } from '../../sandbox/harness/index';
import { fleetEnvironment } from './helpers';

/** A tag-discovered, unencrypted Aurora cluster: RDS cannot encrypt a cluster snapshot on copy, so its backup fails by name. */
const FAILING: DemoDatabaseSpec = { ...DISCOVERED_DATABASE, identifier: 'plain-aurora', kind: 'cluster', engine: 'aurora-mysql', encryption: 'unencrypted' };
const OK = [DEMO_FLEET[0]!, DEMO_FLEET[1]!]; // orders-db, billing-db

describe('event-started runs: failures at once, the rest in one daily digest', () => {
  let env: LocalEnvironment;
  const sourceMessages = () => env.sandbox.sns.messages.filter((m) => m.topicArn.includes(`:${env.config.source.accountId}:`));
  let okRuns: ExecutionRecord[];
  let afterOk: number;
  let failedRun: ExecutionRecord;
  let afterFailure: ReturnType<typeof sourceMessages>;
  let day: string;

  beforeAll(async () => {
    env = await fleetEnvironment({ fleet: [] });
    seedFleet(env, [...OK, FAILING]);
    takeAutomatedSnapshots(env, OK, { emitEvents: true });
    okRuns = [...(await env.waitForEventRuns())];
    afterOk = sourceMessages().length;
    takeAutomatedSnapshots(env, [FAILING], { emitEvents: true });
    failedRun = (await env.waitForEventRuns()).at(-1)!;
    afterFailure = sourceMessages();
    day = env.clock.iso().slice(0, 10);
  });
  afterAll(() => env?.dispose());

  it('two successful event runs publish no per-run message', () => {
    expect(okRuns).toHaveLength(2);
    for (const r of okRuns) expect(r.status, `${r.error} ${r.cause}`).toBe('SUCCEEDED');
    expect(okRuns.map((r) => (r.output as { notification: { published: boolean } }).notification.published)).toEqual([false, false]);
    expect(afterOk).toBe(0);
    // Both results are in the run ledger, under each run and under the day.
    const ledger = env.sandbox.s3.listBuckets().find((b) => b.accountId === env.config.source.accountId && env.sandbox.s3.listObjects(b.name, 'runs/').length > 0)!;
    const daily = env.sandbox.s3.listObjects(ledger.name, `daily/${day}/`).map((o) => JSON.parse(o.body) as { database: { identifier: string }; status: string; trigger: string });
    expect(daily.filter((r) => r.status === 'SUCCEEDED').map((r) => r.database.identifier).sort()).toEqual(['billing-db', 'orders-db']);
    expect(daily.every((r) => r.trigger === 'event')).toBe(true);
  });

  it('a failing event run notifies at once, naming the database and the reason, and fails', () => {
    expect(failedRun.status).toBe('FAILED');
    expect(failedRun.error).toBe('BackupRunFailed');
    expect(afterFailure).toHaveLength(1);
    expect(afterFailure[0]!.subject).toMatch(/0\/1 databases backed up, 1 FAILED \(plain-aurora\)/);
    expect(afterFailure[0]!.message).toMatch(/\[FAILED\] plain-aurora \(cluster\)[\s\S]*UnencryptedClusterNotSupported/);
  });

  it('the daily digest is one message naming every event run of the day: OK, and FAILED with its reason', async () => {
    const digest = await env.runner.startExecution(env.runner.stateMachine('DailyDigest', env.config.source.accountId).arn, { day });
    expect(digest.status, `${digest.error} ${digest.cause}`).toBe('SUCCEEDED');
    const sent = sourceMessages().slice(afterFailure.length);
    expect(sent).toHaveLength(1);
    const { subject, message } = sent[0]!;
    expect(subject).toBe(`rds-snapshot-vault: daily digest ${day}: 2/3 event backups OK, 1 FAILED`);
    expect(message).toMatch(/\[OK\] orders-db \(instance\), run [^:]+, [^:]+:\d\d:[\d.]+Z: vault copy arn:aws:rds:us-east-1:222222222222:snapshot:rsv-orders-db-\d{12}/);
    expect(message).toMatch(/\[OK\] billing-db \(instance\)/);
    expect(message).toMatch(/\[FAILED\] plain-aurora \(cluster\), run [\s\S]*UnencryptedClusterNotSupported/);
    for (const r of [...okRuns, failedRun]) expect(message).toContain(`run ${r.name}`);
    expect(digest.output).toMatchObject({ day, records: 3, succeeded: 2, failed: 1, stale: 0, published: true });
  });

  it('a day without event runs sends nothing', async () => {
    const before = sourceMessages().length;
    const empty = await env.runner.startExecution(env.runner.stateMachine('DailyDigest', env.config.source.accountId).arn, { day: '2001-01-01' });
    expect(empty.status).toBe('SUCCEEDED');
    expect(empty.output).toMatchObject({ records: 0, published: false });
    expect(sourceMessages()).toHaveLength(before);
  });
});
