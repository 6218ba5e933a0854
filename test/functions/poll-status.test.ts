import 'aws-sdk-client-mock-vitest/extend';
import { DescribeDBSnapshotsCommand } from '@aws-sdk/client-rds';
import { AssumeRoleCommand } from '@aws-sdk/client-sts';
import fc from 'fast-check';
import { beforeEach, describe, expect, it } from 'vitest';
import { createHandler } from '../../functions/poll-status/index.js';
import { MAX_POLL_SECONDS, MIN_POLL_SECONDS, nextPollSeconds } from '../../functions/poll-status/poll.js';
import type { PollStatusOutput, SnapshotRef } from '../../functions/shared/contracts.js';
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
    // remaining ~ 1800 * 60 / 40 = 2700 s; half is 1350, capped at 900
    expect(out.waitSeconds).toBe(MAX_POLL_SECONDS);
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
    // ~150 s remain at 80% after 600 s: wait half, 75 s (before the fix: elapsed 0 -> the 30 s minimum every time).
    expect(out.waitSeconds).toBe(75);
  });
});

describe('nextPollSeconds', () => {
  it('is an integer within [30, 900] seconds for any input', () => {
    fc.assert(
      fc.property(fc.double(), fc.double(), fc.double(), (percentProgress, elapsedSeconds, attempt) => {
        const w = nextPollSeconds({ percentProgress, elapsedSeconds, attempt });
        return Number.isInteger(w) && w >= MIN_POLL_SECONDS && w <= MAX_POLL_SECONDS;
      }),
      { numRuns: 2000 },
    );
  });

  it('without progress backs off 60, 120, 240, ... and never decreases with attempts', () => {
    expect([0, 1, 2, 3, 4, 10].map((attempt) => nextPollSeconds({ percentProgress: 0, elapsedSeconds: 100, attempt }))).toEqual([60, 120, 240, 480, 900, 900]);
    fc.assert(
      fc.property(fc.nat(1000), fc.nat(50), (elapsedSeconds, attempt) =>
        nextPollSeconds({ percentProgress: 0, elapsedSeconds, attempt }) <= nextPollSeconds({ percentProgress: 0, elapsedSeconds, attempt: attempt + 1 }),
      ),
      { numRuns: 1000 },
    );
  });

  it('with progress waits about half the estimated remaining time, within bounds', () => {
    // 50% after 600 s: ~600 s remain, wait 300
    expect(nextPollSeconds({ percentProgress: 50, elapsedSeconds: 600, attempt: 9 })).toBe(300);
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 99 }), fc.integer({ min: 0, max: 100_000 }), fc.nat(100), (p, elapsed, attempt) => {
        const expected = Math.min(MAX_POLL_SECONDS, Math.max(MIN_POLL_SECONDS, (elapsed * (100 - p)) / p / 2));
        return Math.abs(nextPollSeconds({ percentProgress: p, elapsedSeconds: elapsed, attempt }) - expected) <= 0.5;
      }),
      { numRuns: 1000 },
    );
  });
});
