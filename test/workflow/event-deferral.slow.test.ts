/**
 * Issue 12: a burst of event-started runs never fails a database for being late in a moving queue.
 * An event-started run whose first copy (`CreateCopy`) cannot expect a copy slot within the slot
 * wait's bound (40 h, COPY_SLOT_WAIT_MOVING_MAX_SECONDS) is deferred to the daily scheduled run
 * (`CopySlotsDeferred` -> `RecordDeferral` -> `DeferredToScheduledRun`), before any copy of it exists.
 *
 * The bench's fleet (bench/fleet.ts) at 12 databases (10 DB instances, 2 DB clusters), started as 12
 * event runs at once with the copy limits scaled down to 1 DB snapshot / 1 DB cluster snapshot copy
 * per destination (in RDS and in the copy slot table), every source copy taking 7 h (a steady copy
 * shape set in the sandbox): the 10 DB instances' source copies take 70 h one after the other, so
 * the 4 last in line (turns at 42, 49, 56 and 63 h) cannot get a slot within 40 h, and the holders'
 * copy times tell them so early. The same mechanism as 1,000 event runs at 20 / 5
 * (`npm run bench -- --fleet 1000 --events`), at ~1% of the cost (~10 s).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { type FleetFigures, runFleet } from '../../bench/fleet';
import { copyFigures, type ExecutionRecord } from '../../sandbox/harness/index';
import { COPY_SLOT_WAIT_MOVING_MAX_SECONDS } from '../../contracts/copy-slots';
import { DEFERRAL_DECISION_SECONDS } from '../../functions/shared/copy-slots';

const FLEET = 12;
const LIMITS = { dbSnapshotCopies: 1, dbClusterSnapshotCopies: 1 } as const;
/** Every source copy (the first copy step, in the source account) takes this long, seconds. */
const SOURCE_COPY_SECONDS = 7 * 3600;

/** What the test reads of a run ledger record (functions/shared/ledger.ts LedgerRecord). */
interface RecordSeen {
  runId: string;
  database: { identifier: string };
  status: string;
  trigger?: string;
  deferral?: { name: string; reason: string };
  error?: unknown;
}

interface Seen {
  /** Ledger records of the event runs, by database. */
  records: Map<string, RecordSeen>;
  /** Copies per database before and after the scheduled run. */
  copiesBefore: Map<string, number>;
  copiesAfter: Map<string, number>;
  digest: ExecutionRecord;
  digestMessage: { subject?: string; message: string } | undefined;
  notificationsBeforeDigest: number;
  scheduled: ExecutionRecord;
  scheduledNotifications: Array<{ subject?: string; message: string }>;
  maxAfter: Record<string, { max: number; limit: number }>;
  deferredStates: string[];
  floodStartMs: number;
  /** Each event run's final output `summary` (BackupRun's Summarise), by its runId. */
  runSummaries: Map<string, unknown>;
}

let events: FleetFigures;
const seen = {} as Seen;

beforeAll(async () => {
  events = await runFleet(FLEET, {
    events: true,
    copyLimits: LIMITS,
    prepare: (env) => env.sandbox.rds.setCopyShape({ match: (c) => c.accountId === env.config.source.accountId && !c.crossRegion, shape: { kind: 'steady' }, durationSeconds: SOURCE_COPY_SECONDS }),
    inspect: async (env, runs) => {
      seen.floodStartMs = Math.min(...runs.map((r) => Date.parse(r.startDate)));
      seen.runSummaries = new Map(runs.map((r) => [(r.output as { runId: string }).runId, (r.output as { summary?: unknown }).summary]));
      const copies = () => {
        const m = new Map<string, number>();
        for (const c of env.sandbox.rds.copyLog()) m.set(c.dbIdentifier, (m.get(c.dbIdentifier) ?? 0) + 1);
        return m;
      };
      const source = env.config.source.accountId;
      const ledger = env.sandbox.s3.listBuckets().find((b) => b.accountId === source && env.sandbox.s3.listObjects(b.name, 'runs/').length > 0)!;
      seen.records = new Map(
        env.sandbox.s3
          .listObjects(ledger.name, 'runs/event-')
          .map((o) => JSON.parse(o.body) as RecordSeen)
          .map((r) => [r.database.identifier, r]),
      );
      seen.copiesBefore = copies();
      seen.deferredStates = runs
        .flatMap((r) => r.children)
        .filter((c) => (c.output as { status?: string } | undefined)?.status === 'DEFERRED')
        .flatMap((c) => c.events.filter((e) => e.type === 'StateEntered').map((e) => e.state as string));
      const sent = () => env.sandbox.sns.messages.filter((m) => m.topicArn.includes(`:${source}:`));
      seen.notificationsBeforeDigest = sent().length;
      const day = env.clock.iso().slice(0, 10);
      const days = [...new Set(env.sandbox.s3.listObjects(ledger.name, 'daily/').map((o) => o.key.split('/')[1]!))];
      // Every record of the flood is filed under one day here (the deferrals within the first hours): digest the deferrals' day.
      const deferralDay = days.find((d) => env.sandbox.s3.listObjects(ledger.name, `daily/${d}/`).some((o) => o.body.includes('"DEFERRED"'))) ?? day;
      seen.digest = await env.runner.startExecution(env.runner.stateMachine('DailyDigest', source).arn, { day: deferralDay });
      seen.digestMessage = sent().at(-1);
      const beforeScheduled = sent().length;
      seen.scheduled = await env.startBackupRun({ trigger: 'schedule' });
      seen.scheduledNotifications = sent().slice(beforeScheduled);
      seen.copiesAfter = copies();
      seen.maxAfter = copyFigures(env, env.clock.nowMs()).maxCopiesInProgress;
    },
  });
}, 120_000);

describe(`${FLEET} event-started runs at once, copy limits ${LIMITS.dbSnapshotCopies} / ${LIMITS.dbClusterSnapshotCopies}: late databases are deferred to the scheduled run, none fails`, () => {
  it('no run and no database FAILED; the 4 DB instances last in line were deferred, the other 8 databases copied', () => {
    expect(events.trigger).toBe('event');
    expect(events.runs).toBe(FLEET);
    expect(events.status, events.error).toBe('SUCCEEDED');
    expect(events.failedDatabases).toBe(0);
    expect(events.outcomes).toEqual({ copied: 8, deferred: 4, failed: 0 });
    expect(events.deferredDatabases).toHaveLength(4);
    for (const db of events.deferredDatabases) expect(seen.records.get(db)?.deferral?.reason, db).toContain('DB snapshot copies');
  });

  it('decided early: at the first refusals (within the first 2.5 h of the flood), on the expected turn, not after 40 h of waiting', () => {
    for (const db of events.deferredDatabases) {
      const r = seen.records.get(db) as RecordSeen & { recordedAt: string };
      expect(Date.parse(r.recordedAt) - seen.floodStartMs, db).toBeLessThanOrEqual(DEFERRAL_DECISION_SECONDS * 1000 + 15 * 60_000);
      // Its turn, expected from the holder's 7 h copy: 42 h to 63 h after the flood's start (the estimate
      // reads PercentProgress, a whole percent rounded down in the sandbox, so it comes out a little late: within 10%).
      const [, turn, waited] = (/its turn expected in ([\d.]+) h after ([\d.]+) h of waiting/.exec(r.deferral!.reason) ?? []).map(Number);
      expect(turn! + waited!, db).toBeGreaterThan(40);
      expect(turn! + waited!, db).toBeLessThanOrEqual(63 * 1.1);
    }
  });

  it('a deferred database has no copy at all and a DEFERRED run ledger record naming the queue, the expected turn, the destination and kind; a copied one its three copies', () => {
    for (const db of events.deferredDatabases) {
      expect(seen.copiesBefore.get(db) ?? 0, db).toBe(0);
      const r = seen.records.get(db);
      expect(r?.status, db).toBe('DEFERRED');
      expect(r?.trigger).toBe('event');
      expect(r?.error).toBeUndefined();
      expect(r?.deferral?.name).toBe('CopySlotsDeferred');
      // The reason is the function's message (not the Lambda error JSON around it).
      expect(r?.deferral?.reason).toMatch(/^Deferred to the scheduled run: (place \d+ of \d+ waiting for .*its turn expected in [\d.]+ h|waited [\d.]+ h)/);
      expect(r?.deferral?.reason).toMatch(/destination account 111111111111 Region us-east-1, DB (cluster )?snapshot copies/);
      expect(r?.deferral?.reason).toContain(`${COPY_SLOT_WAIT_MOVING_MAX_SECONDS / 3600} h slot wait`);
    }
    const copied = [...seen.records.values()].filter((r) => r.status === 'SUCCEEDED');
    expect(copied).toHaveLength(events.outcomes.copied);
    for (const [db, r] of seen.records) if (r.status === 'SUCCEEDED') expect(seen.copiesBefore.get(db), db).toBe(3);
    expect(events.copiesPerDatabase).toEqual({ 0: events.outcomes.deferred, 3: events.outcomes.copied });
  });

  it("each event run's output summary counts its database as it ended: a deferred one neither succeeded nor failed", () => {
    expect(seen.runSummaries.size).toBe(FLEET);
    for (const [db, r] of seen.records) {
      const deferred = r.status === 'DEFERRED';
      expect(seen.runSummaries.get(r.runId), db).toMatchObject({ runId: r.runId, total: 1, succeeded: deferred ? 0 : 1, failed: 0, deferred: deferred ? 1 : 0, failedDatabases: [] });
    }
    expect((seen.scheduled.output as { summary?: unknown }).summary).toMatchObject({ total: FLEET, succeeded: FLEET, failed: 0, deferred: 0 });
  });

  it('the deferral path is CreateCopy -> RecordDeferral -> DeferredToScheduledRun, with no copy wait loop of a later step', () => {
    expect(seen.deferredStates).toContain('RecordDeferral');
    expect(seen.deferredStates).toContain('DeferredToScheduledRun');
    expect(seen.deferredStates.filter((s) => /Fail|Vault|Dr|Share|SourceCopy/.test(s))).toEqual([]);
  });

  it('no immediate notification; the daily digest lists each deferred database as deferred to the scheduled run', () => {
    expect(events.notifications).toBe(0);
    expect(seen.notificationsBeforeDigest).toBe(0);
    expect(seen.digest.status, `${seen.digest.error} ${seen.digest.cause}`).toBe('SUCCEEDED');
    expect(seen.digest.output).toMatchObject({ deferred: events.outcomes.deferred, failed: 0, published: true });
    expect(seen.digestMessage?.subject).toMatch(new RegExp(`, ${events.outcomes.deferred} DEFERRED$`));
    for (const db of events.deferredDatabases) expect(seen.digestMessage?.message).toMatch(new RegExp(`\\[DEFERRED\\] ${db} \\((instance|cluster)\\), run event-[^:]+, [^ ]+: deferred to the scheduled run: `));
  });

  it('copies in progress never exceeded the limits, and RDS never refused a copy', () => {
    for (const [dest, { max, limit }] of Object.entries(events.maxCopiesInProgress)) {
      expect(limit, dest).toBe(1);
      expect(max, dest).toBeLessThanOrEqual(limit);
    }
    for (const [dest, { max, limit }] of Object.entries(seen.maxAfter)) expect(max, dest).toBeLessThanOrEqual(limit);
    expect(events.refusedCopies).toBe(0);
  });

  it('the scheduled run afterwards backs up every deferred database (three copies) and copies nothing twice', () => {
    expect(seen.scheduled.status, `${seen.scheduled.error} ${seen.scheduled.cause}`).toBe('SUCCEEDED');
    for (const db of events.deferredDatabases) expect(seen.copiesAfter.get(db), db).toBe(3);
    for (const [db, r] of seen.records) if (r.status === 'SUCCEEDED') expect(seen.copiesAfter.get(db), db).toBe(3);
    // Its one report: every database backed up (RecoveryPointStale too: started after the 2.8-day flood
    // with no newer automated snapshot taken, the recovery points are older than the 26 h objective).
    expect(seen.scheduledNotifications).toHaveLength(1);
    expect(seen.scheduledNotifications[0]!.subject).toMatch(new RegExp(`^rds-snapshot-vault: ${FLEET}/${FLEET} databases backed up(, ${FLEET} STALE)?$`));
  });
});
