import 'aws-sdk-client-mock-vitest/extend';
import { DescribeDBSnapshotsCommand } from '@aws-sdk/client-rds';
import { AssumeRoleCommand } from '@aws-sdk/client-sts';
import fc from 'fast-check';
import { beforeEach, describe, expect, it } from 'vitest';
import { createHandler } from '../../functions/poll-status/index.js';
import {
  FIRST_POLL_SECONDS,
  MAX_BACKOFF_POLL_SECONDS,
  MAX_ESTIMATED_POLL_SECONDS,
  MIN_POLL_SECONDS,
  nextPollSeconds,
  type PollObservation,
} from '../../functions/poll-status/poll.js';
import { percentProgressAt, type CopyShape } from '../../sandbox/simulator/index';
import type { PollStatusOutput, SnapshotRef } from '../../contracts/shapes.js';
import {
  BASE_ENV,
  caught,
  dbSnapshot,
  fakeContext,
  NOW,
  REGION,
  routeDescribes,
  SOURCE_ACCOUNT,
  testClients,
  VAULT_ACCOUNT,
  VAULT_REGION,
  VAULT_ROLE_ARN,
  type TestClients,
} from './helpers.js';

const ENV = { ...BASE_ENV, VAULT_ACCOUNT_ID: VAULT_ACCOUNT, VAULT_ROLE_ARN, VAULT_EXTERNAL_ID: 'ext-123' };
const ref = (accountId: string, region: string): SnapshotRef => ({
  kind: 'instance',
  identifier: 'rsv-orders-db-202611200400',
  arn: `arn:aws:rds:${region}:${accountId}:snapshot:rsv-orders-db-202611200400`,
  accountId,
  region,
  status: 'creating',
});

/** When the copy step ran (its `startedAt`): elapsed time counts from it, never from SnapshotCreateTime. */
const STARTED = '2026-11-21T04:30:00.000Z';

let t: TestClients;
const invoke = (event: unknown) => createHandler({ env: ENV, clients: t.factory, now: () => NOW })(event, fakeContext('poll-status')) as Promise<PollStatusOutput>;

beforeEach(() => {
  t = testClients();
});

describe('poll-status', () => {
  it('source snapshot: own credentials in the snapshot Region, no AssumeRole; progress and elapsed time reported', async () => {
    routeDescribes(t.sourceRds, {
      byId: { 'rsv-orders-db-202611200400': dbSnapshot({ id: 'rsv-orders-db-202611200400', status: 'creating', percent: 40, created: '2026-11-21T04:00:00Z' }) },
    });
    const out = await invoke({ snapshot: ref(SOURCE_ACCOUNT, REGION), attempt: 3, copyStartedAt: STARTED });
    expect(t.sts).not.toHaveReceivedCommand(AssumeRoleCommand);
    expect(t.rdsOptions).toEqual([{ region: REGION }]);
    // Elapsed from copyStartedAt (04:30), not from the SnapshotCreateTime in the record (04:00).
    expect(out).toMatchObject({ status: 'creating', ready: false, percentProgress: 40, attempt: 4, elapsedSeconds: 1800, checkedAt: NOW.toISOString() });
    // 40% after 1800 s of steady progress: available at 4500 s; the next poll lands then, within the
    // latency budget (3% of 4500 s = 135 s), not before.
    expect(1800 + out.waitSeconds).toBeGreaterThanOrEqual(4500);
    expect(1800 + out.waitSeconds).toBeLessThanOrEqual(4500 + 135);
  });

  it('passes the previous poll and the elapsed bound to the rule', async () => {
    routeDescribes(t.sourceRds, { byId: { 'rsv-orders-db-202611200400': dbSnapshot({ id: 'rsv-orders-db-202611200400', status: 'creating', percent: 40 }) } });
    const base = { snapshot: ref(SOURCE_ACCOUNT, REGION), attempt: 3, copyStartedAt: STARTED };
    // Still 0% 100 s ago after 1,700 s: it sat queued, so 40% now says little about its rate; look again one gap later.
    expect((await invoke({ ...base, previous: { elapsedSeconds: 1700, percentProgress: 0 } })).waitSeconds).toBe(100);
    // The elapsed bound (2,000 s) stops a wait aimed at 4,500 s.
    expect((await invoke({ ...base, maxWaitSeconds: 2000 })).waitSeconds).toBe(201);
    const bad = await caught(() => invoke({ ...base, previous: { elapsedSeconds: -1, percentProgress: 0 } }));
    expect(bad.name).toBe('InvalidInput');
    expect(bad.message).toContain('previous');
  });

  it('vault snapshot: described through the vault role in the snapshot Region', async () => {
    routeDescribes(t.vaultRds, {
      byId: { 'rsv-orders-db-202611200400': dbSnapshot({ id: 'rsv-orders-db-202611200400', account: VAULT_ACCOUNT, region: VAULT_REGION, status: 'available' }) },
    });
    const out = await invoke({ snapshot: ref(VAULT_ACCOUNT, VAULT_REGION), attempt: 0, copyStartedAt: STARTED });
    expect(t.sts).toHaveReceivedCommandWith(AssumeRoleCommand, { RoleArn: VAULT_ROLE_ARN, ExternalId: 'ext-123', DurationSeconds: 900 });
    // The session is limited to describing by an inline session policy (issue 8).
    const policy = JSON.parse(t.sts.commandCalls(AssumeRoleCommand)[0]!.args[0].input.Policy ?? 'null');
    expect(policy).toEqual({ Version: '2012-10-17', Statement: [{ Sid: 'DescribeOnly', Effect: 'Allow', Action: ['rds:DescribeDBSnapshots', 'rds:DescribeDBClusterSnapshots'], Resource: '*' }] });
    expect(t.vaultRds).toHaveReceivedCommandWith(DescribeDBSnapshotsCommand, { DBSnapshotIdentifier: 'rsv-orders-db-202611200400' });
    expect(t.sourceRds).not.toHaveReceivedAnyCommand();
    expect(out.ready).toBe(true);
    expect(out.snapshot.accountId).toBe(VAULT_ACCOUNT);
  });

  it('failed copy -> SnapshotCopyFailed; vanished copy -> SnapshotNotFound', async () => {
    routeDescribes(t.sourceRds, { byId: { 'rsv-orders-db-202611200400': dbSnapshot({ id: 'rsv-orders-db-202611200400', status: 'failed' }) } });
    expect((await caught(() => invoke({ snapshot: ref(SOURCE_ACCOUNT, REGION), attempt: 1, copyStartedAt: STARTED }))).name).toBe('SnapshotCopyFailed');

    t = testClients();
    routeDescribes(t.sourceRds, {});
    const gone = await caught(() => invoke({ snapshot: ref(SOURCE_ACCOUNT, REGION), attempt: 1, copyStartedAt: STARTED }));
    expect(gone.name).toBe('SnapshotNotFound');
    expect(gone.message).toMatch(/deleted while copying/);
  });

  it('DR copy in the vault account: described through the vault role in the DR Region', async () => {
    routeDescribes(t.vaultRds, {
      byId: { 'rsv-orders-db-202611200400': dbSnapshot({ id: 'rsv-orders-db-202611200400', account: VAULT_ACCOUNT, region: 'us-west-2', status: 'creating', percent: 10 }) },
    });
    const out = await invoke({ snapshot: ref(VAULT_ACCOUNT, 'us-west-2'), attempt: 0, copyStartedAt: STARTED });
    expect(t.sts).toHaveReceivedCommandTimes(AssumeRoleCommand, 1);
    const vaultClient = t.rdsOptions.find((o) => o.credentials !== undefined);
    expect(vaultClient?.region).toBe('us-west-2');
    expect(out.snapshot.region).toBe('us-west-2');
  });

  it('same-account mode (no role): a vault/DR copy of this account is described with own credentials, NO STS call', async () => {
    const env = { ...BASE_ENV, VAULT_ACCOUNT_ID: SOURCE_ACCOUNT };
    routeDescribes(t.sourceRds, {
      byId: { 'rsv-orders-db-202611200400': dbSnapshot({ id: 'rsv-orders-db-202611200400', region: 'us-west-2', status: 'available' }) },
    });
    const out = await createHandler({ env, clients: t.factory, now: () => NOW })({ snapshot: ref(SOURCE_ACCOUNT, 'us-west-2'), attempt: 2, copyStartedAt: STARTED }, fakeContext('poll-status')) as PollStatusOutput;
    expect(t.sts).not.toHaveReceivedAnyCommand();
    expect(t.rdsOptions).toEqual([{ region: 'us-west-2' }]);
    expect(out.ready).toBe(true);
    // ... and in same-account mode another account is not reachable at all
    const other = await caught(() => createHandler({ env, clients: t.factory, now: () => NOW })({ snapshot: ref(VAULT_ACCOUNT, REGION), attempt: 0, copyStartedAt: STARTED }, fakeContext('poll-status')));
    expect(other.name).toBe('InvalidInput');
    expect(t.sts).not.toHaveReceivedAnyCommand();
  });

  it('environment: role without external ID (or the reverse) -> InvalidEnvironment naming the missing variable', async () => {
    for (const [env, missing] of [
      [{ ...ENV, VAULT_EXTERNAL_ID: undefined }, 'VAULT_EXTERNAL_ID'],
      [{ ...ENV, VAULT_ROLE_ARN: undefined }, 'VAULT_ROLE_ARN'],
    ] as const) {
      const err = await caught(() => createHandler({ env, clients: t.factory, now: () => NOW })({ snapshot: ref(SOURCE_ACCOUNT, REGION), attempt: 0, copyStartedAt: STARTED }, fakeContext('poll-status')));
      expect(err.name).toBe('InvalidEnvironment');
      expect(err.message).toContain(`${missing}: must be set together`);
    }
  });

  it('a snapshot in neither account -> InvalidInput; negative attempt -> InvalidInput naming attempt', async () => {
    expect((await caught(() => invoke({ snapshot: ref('333333333333', REGION), attempt: 0, copyStartedAt: STARTED }))).message).toContain('snapshot.accountId');
    expect((await caught(() => invoke({ snapshot: ref(SOURCE_ACCOUNT, REGION), attempt: -1, copyStartedAt: STARTED }))).message).toContain('attempt');
    // copyStartedAt is required and must be an ISO-8601 time.
    expect((await caught(() => invoke({ snapshot: ref(SOURCE_ACCOUNT, REGION), attempt: 0 }))).message).toContain('copyStartedAt');
    expect((await caught(() => invoke({ snapshot: ref(SOURCE_ACCOUNT, REGION), attempt: 0, copyStartedAt: 'yesterday' }))).message).toContain('copyStartedAt');
  });

  it('a copy still creating without SnapshotCreateTime (as RDS reports it) gets elapsed time from copyStartedAt and a progress-based wait', async () => {
    const s = dbSnapshot({ id: 'rsv-orders-db-202611200400', status: 'creating', percent: 80 });
    delete (s as { SnapshotCreateTime?: Date }).SnapshotCreateTime;
    routeDescribes(t.sourceRds, { byId: { 'rsv-orders-db-202611200400': s } });
    const out = await invoke({ snapshot: ref(SOURCE_ACCOUNT, REGION), attempt: 5, copyStartedAt: '2026-11-21T04:50:00.000Z' });
    expect(out.elapsedSeconds).toBe(600);
    // 80% after 600 s: available at 750 s; the next poll within [750, 810] (before the fix elapsed was 0 and every wait the minimum).
    expect(600 + out.waitSeconds).toBeGreaterThanOrEqual(750);
    expect(600 + out.waitSeconds).toBeLessThanOrEqual(810);
  });
});

/**
 * Replays the poll loop (Init: first poll after FIRST_POLL_SECONDS, previous = 0% at 0 s) against the
 * sandbox's progress model for one copy of `copySeconds`; returns every poll and the detection latency.
 */
function replay(copySeconds: number, shape: CopyShape, maxWaitSeconds = 72 * 3600): { polls: Array<{ t: number; p: number; wait: number }>; latencySeconds: number } {
  const polls: Array<{ t: number; p: number; wait: number }> = [];
  let t = FIRST_POLL_SECONDS;
  let previous: PollObservation = { elapsedSeconds: 0, percentProgress: 0 };
  for (;;) {
    const p = percentProgressAt(t, copySeconds, shape);
    if (p >= 100) {
      polls.push({ t, p, wait: 0 });
      return { polls, latencySeconds: t - copySeconds };
    }
    const wait = nextPollSeconds({ percentProgress: p, elapsedSeconds: t, previous, maxWaitSeconds });
    polls.push({ t, p, wait });
    if (polls.length > 1000) throw new Error(`runaway loop for ${copySeconds} s`);
    previous = { elapsedSeconds: t, percentProgress: p };
    t += wait;
  }
}

const budget = (copySeconds: number) => Math.max(60, 0.03 * copySeconds);
const copyTime = fc.integer({ min: 300, max: 48 * 3600 });

describe('nextPollSeconds', () => {
  it('is a whole number of seconds >= 30 for any input; over 30 min only when backed by progress, never over a day; never past the elapsed bound', () => {
    const num = fc.oneof(fc.double(), fc.integer({ min: -10, max: 300_000 }));
    fc.assert(
      fc.property(num, num, fc.option(fc.record({ elapsedSeconds: num, percentProgress: num }), { nil: undefined }), fc.option(num, { nil: undefined }), (percentProgress, elapsedSeconds, previous, maxWaitSeconds) => {
        const w = nextPollSeconds({ percentProgress, elapsedSeconds, ...(previous && { previous }), ...(maxWaitSeconds !== undefined && { maxWaitSeconds }) });
        const p = Number.isFinite(percentProgress) && percentProgress > 0 ? Math.floor(Math.min(percentProgress, 100)) : 0;
        const now = Number.isFinite(elapsedSeconds) && elapsedSeconds > 0 ? elapsedSeconds : 0;
        if (!Number.isInteger(w) || w < MIN_POLL_SECONDS || w > MAX_ESTIMATED_POLL_SECONDS) return false;
        if ((p === 0 || p >= 100) && w > MAX_BACKOFF_POLL_SECONDS) return false;
        if (maxWaitSeconds !== undefined && Number.isFinite(maxWaitSeconds) && now + MIN_POLL_SECONDS <= maxWaitSeconds && now + w > maxWaitSeconds + 1) return false;
        return true;
      }),
      { numRuns: 3000 },
    );
  });

  it('steady progress, copies of 5 min to 48 h: at most 4 polls (issue: 10), seen at most max(60 s, 3% of the copy time) late, 30 min at most between polls without progress', () => {
    fc.assert(
      fc.property(copyTime, (copySeconds) => {
        const { polls, latencySeconds } = replay(copySeconds, { kind: 'steady' });
        expect(polls.length).toBeLessThanOrEqual(4);
        expect(latencySeconds).toBeGreaterThanOrEqual(0);
        expect(latencySeconds).toBeLessThanOrEqual(budget(copySeconds));
        for (const x of polls) {
          expect(Number.isInteger(x.wait) && x.wait >= 0).toBe(true);
          if (x.p === 0) expect(x.wait).toBeLessThanOrEqual(MAX_BACKOFF_POLL_SECONDS);
        }
      }),
      { numRuns: 400 },
    );
    // The ends of the range, exactly.
    expect(replay(300, { kind: 'steady' }).polls.map((x) => x.t)).toEqual([60, 305]);
    expect(replay(48 * 3600, { kind: 'steady' }).polls.length).toBe(4);
  });

  it('queued-then-jump: 0% while queued is polled at most 30 min apart; once it moves, the end is seen within max(30 min, 3%) of the copy time unless the queue ended inside the first back-off', () => {
    fc.assert(
      fc.property(copyTime, fc.double({ min: 0, max: 0.95, noNaN: true }), (copySeconds, share) => {
        const queuedSeconds = Math.round(share * copySeconds);
        const { polls, latencySeconds } = replay(copySeconds, { kind: 'queued-then-jump', queuedSeconds });
        for (const x of polls) if (x.p === 0) expect(x.wait).toBeLessThanOrEqual(MAX_BACKOFF_POLL_SECONDS);
        // Polls: one per 30 min of queue, plus the few a steady copy takes.
        expect(polls.length).toBeLessThanOrEqual(Math.ceil(queuedSeconds / MAX_BACKOFF_POLL_SECONDS) + 6);
        // The stated weak spot: progress first seen at the second poll (queue over before ~1,860 s) looks
        // exactly like a slow steady copy, and is trusted as one (see poll.ts).
        const firstMoving = polls.findIndex((x) => x.p > 0);
        if (firstMoving !== 1) expect(latencySeconds).toBeLessThanOrEqual(Math.max(MAX_BACKOFF_POLL_SECONDS, 0.03 * copySeconds));
      }),
      { numRuns: 400 },
    );
  });

  it('a copy at 0% is waited on at most 30 min; a copy whose progress stopped backs off; no wait runs past the elapsed bound', () => {
    // 0% at 60 s: steady progress would need > 6,000 s, so the back-off goes straight to 30 min.
    expect(nextPollSeconds({ percentProgress: 0, elapsedSeconds: 60, previous: { elapsedSeconds: 0, percentProgress: 0 } })).toBe(MAX_BACKOFF_POLL_SECONDS);
    expect(nextPollSeconds({ percentProgress: 0, elapsedSeconds: 0 })).toBe(FIRST_POLL_SECONDS);
    // Stuck at 30% since the last look: the estimate failed; back off, doubling the gap, at most 30 min
    // (not 30-s polls toward the poll-count bound).
    expect(nextPollSeconds({ percentProgress: 30, elapsedSeconds: 100_000, previous: { elapsedSeconds: 50_000, percentProgress: 30 } })).toBe(MAX_BACKOFF_POLL_SECONDS);
    expect(nextPollSeconds({ percentProgress: 99, elapsedSeconds: 330, previous: { elapsedSeconds: 300, percentProgress: 99 } })).toBe(60);
    expect(nextPollSeconds({ percentProgress: 99, elapsedSeconds: 400, previous: { elapsedSeconds: 330, percentProgress: 99 } })).toBe(140);
    // A wait aimed by progress stops 1 s past the elapsed bound: 40% at 1,800 s aims at ~4,500 s.
    expect(nextPollSeconds({ percentProgress: 40, elapsedSeconds: 1800, previous: { elapsedSeconds: 0, percentProgress: 0 }, maxWaitSeconds: 3000 })).toBe(1201);
  });
});
