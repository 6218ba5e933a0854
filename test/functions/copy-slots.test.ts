/**
 * functions/shared/copy-slots.ts against the sandbox's DynamoDB (strict conditions, TTL that deletes
 * late): the limit holds under concurrent acquires, a holder counts once, releases free slots,
 * lapsed leases free slots whether or not TTL has deleted the item.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import {
  acquireSlot,
  decideAcquire,
  expectedReleaseSeconds,
  expectReleaseCounting,
  MAX_RETRY_AFTER_SECONDS,
  MIN_RETRY_AFTER_SECONDS,
  REFUSALS_PER_STEP,
  releaseSlot,
  releaseWhenFinished,
  RETRY_JITTER_SECONDS,
  slotHooks,
  slotKey,
  WAITER_GRACE_SECONDS,
  MAX_AIMED_RETRY_AFTER_SECONDS,
  MAX_EXTRAPOLATED_RETRY_AFTER_SECONDS,
  slotWaitTooLong,
  slotWaitDeferred,
  DEFERRAL_DECISION_SECONDS,
  expectedTurnSeconds,
  CopySlotsDeferred,
  CopySlotWait,
  CopySlotWaitTooLong,
  type CopySlotSettings,
  type SlotRequest,
  type SlotState,
} from '../../functions/shared/copy-slots.js';
import { COPY_SLOT_LONGEST_WAIT_SECONDS, COPY_SLOT_WAIT_MAX_SECONDS, COPY_SLOT_WAIT_MOVING_MAX_SECONDS } from '../../statemachines/timeouts';
import { CopySlotsBusy, ExportTaskLimitReached } from '../../contracts/errors.js';
import { newWorld, R1, root, SOURCE, VAULT, type World } from '../sandbox/helpers';

let w: World;
afterEach(() => w.sandbox.uninstall());

const settings: CopySlotSettings = { table: 'rsv-copy-slots', limits: { instance: 5, cluster: 2, export: 1 }, leaseSeconds: 3600 };
const busy = (m: string) => new CopySlotsBusy(m);
const T0 = 1_795_000_000;
const req = (holder: string, kind: SlotRequest['kind'] = 'instance'): SlotRequest => ({ accountId: VAULT, region: 'us-west-2', kind, holder });

function setup(): { ddb: DynamoDBClient; arn: string } {
  w = newWorld();
  const arn = w.sandbox.dynamodb.createTable({ accountId: SOURCE, region: R1, name: settings.table, partitionKey: 'slot', ttlAttribute: 'expiresAt' });
  return { ddb: new DynamoDBClient({ region: R1, credentials: w.sandbox.credentialsFor(root(SOURCE)) }), arn };
}
const holders = (arn: string, r: SlotRequest) => Object.keys((w.sandbox.dynamodb.peekItem(arn, slotKey(r))?.holders as { M?: object } | undefined)?.M ?? {}).sort();


/** Records a holder's expected release (and its poll's next look), as the polls do; true when the holder has a slot. */
const expectRelease = async (d: DynamoDBClient, s: Pick<CopySlotSettings, 'table'>, r: SlotRequest, at: number, look: number = at): Promise<boolean> =>
  (await expectReleaseCounting(d, s, r, at, look, new Date(0))) !== undefined;

describe('copy slot table', () => {
  it('30 acquires at once for 5 slots: exactly 5 are granted, the rest are CopySlotsBusy; every write was conditional', async () => {
    const { ddb, arn } = setup();
    const now = w.clock.now();
    const results = await Promise.allSettled(Array.from({ length: 30 }, (_, i) => acquireSlot(ddb, settings, req(`copy-${i}`), now, busy)));
    const granted = results.filter((r) => r.status === 'fulfilled');
    expect(granted).toHaveLength(5);
    for (const r of results) if (r.status === 'rejected') expect((r.reason as Error).name).toBe('CopySlotsBusy');
    expect(holders(arn, req('x'))).toHaveLength(5);
    // The reads and writes interleaved: some writes lost their race and were redone from a fresh read.
    expect(w.sandbox.calls.some((c) => c.operation === 'UpdateItem' && c.errorName === 'ConditionalCheckFailedException')).toBe(true);
    // Other kinds and destinations have their own slots.
    await expect(acquireSlot(ddb, settings, req('c1', 'cluster'), now, busy)).resolves.toMatchObject({ inUse: 1, limit: 2 });
    await expect(acquireSlot(ddb, settings, { ...req('copy-99'), region: 'us-east-1' }, now, busy)).resolves.toMatchObject({ inUse: 1 });
  });

  it('a holder counts once (a retried Lambda, an event run and the schedule asking for the same copy); release frees its slot and is idempotent', async () => {
    const { ddb, arn } = setup();
    const now = w.clock.now();
    for (let i = 0; i < 5; i++) await acquireSlot(ddb, settings, req(`copy-${i}`), now, busy);
    await expect(acquireSlot(ddb, settings, req('copy-3'), now, busy)).resolves.toMatchObject({ inUse: 5 });
    await expect(acquireSlot(ddb, settings, req('copy-5'), now, busy)).rejects.toThrow(CopySlotsBusy);
    expect(await releaseSlot(ddb, settings, req('copy-3'), now)).toBe(true);
    expect(await releaseSlot(ddb, settings, req('copy-3'), now)).toBe(false);
    await expect(acquireSlot(ddb, settings, req('copy-5'), now, busy)).resolves.toMatchObject({ inUse: 5 });
    expect(holders(arn, req('x'))).toEqual(['copy-0', 'copy-1', 'copy-2', 'copy-4', 'copy-5']);
  });

  it('a lapsed lease frees its slot while TTL has not deleted the item (it lingers for days), and after it has', async () => {
    const { ddb, arn } = setup();
    for (let i = 0; i < 5; i++) await acquireSlot(ddb, settings, req(`crashed-${i}`), w.clock.now(), busy);
    w.clock.advance(settings.leaseSeconds - 1);
    await expect(acquireSlot(ddb, settings, req('new-0'), w.clock.now(), busy)).rejects.toThrow(CopySlotsBusy);
    w.clock.advance(2);
    // The item is still there with its five lapsed holders: the lease is judged by the code, not by TTL.
    expect(holders(arn, req('x'))).toHaveLength(5);
    await expect(acquireSlot(ddb, settings, req('new-0'), w.clock.now(), busy)).resolves.toMatchObject({ inUse: 1 });
    expect(holders(arn, req('x'))).toEqual(['new-0']);
    // TTL deletes the item once every lease lapsed; a new acquire starts it again.
    w.clock.advance(settings.leaseSeconds + 1);
    expect(w.sandbox.dynamodb.expireTtlItems()).toBe(1);
    await expect(acquireSlot(ddb, settings, req('new-1'), w.clock.now(), busy)).resolves.toMatchObject({ inUse: 1 });
  });

  it('export slots are per account and refuse with ExportTaskLimitReached; the hooks swallow a failed release (the lease frees it)', async () => {
    const { ddb } = setup();
    const hooks = slotHooks(ddb, settings, w.clock.now());
    await hooks({ accountId: SOURCE, region: R1, kind: 'export', holder: 'exp-1' }).acquire();
    const err = await hooks({ accountId: SOURCE, region: 'us-west-2', kind: 'export', holder: 'exp-2' })
      .acquire()
      .catch((e: Error) => e);
    expect(err).toBeInstanceOf(ExportTaskLimitReached);
    const broken = slotHooks(ddb, { ...settings, table: 'no-such-table' }, w.clock.now());
    await expect(broken(req('c')).release()).resolves.toBeUndefined();
    await expect(broken(req('c')).acquire()).rejects.toMatchObject({ name: 'ResourceNotFoundException' });
  });

  it('releaseWhenFinished releases on ready and on the final errors only, never on a transient error; an unfinished copy records its expected release', async () => {
    let released = 0;
    const expected: number[] = [];
    const slot = { release: async () => void released++, expectRelease: async (at: number) => void expected.push(at) };
    const poll = (ready: boolean) => async () => ({ ready, checkedAt: '2026-11-20T04:00:00Z', waitSeconds: 600, percentProgress: 0, elapsedSeconds: 120 });
    const t0 = Date.parse('2026-11-20T04:00:00Z') / 1000;
    await releaseWhenFinished(slot, ['SnapshotCopyFailed'], poll(false));
    expect(released).toBe(0);
    expect(expected).toEqual([t0 + 600]);
    await releaseWhenFinished(slot, ['SnapshotCopyFailed'], poll(true));
    expect(released).toBe(1);
    expect(expected).toHaveLength(1);
    const named = (name: string) => Object.assign(new Error(name), { name });
    await expect(releaseWhenFinished(slot, ['SnapshotCopyFailed'], async () => Promise.reject(named('SnapshotCopyFailed')))).rejects.toThrow('SnapshotCopyFailed');
    expect(released).toBe(2);
    await expect(releaseWhenFinished(slot, ['SnapshotCopyFailed'], async () => Promise.reject(named('ThrottlingException')))).rejects.toThrow('ThrottlingException');
    expect(released).toBe(2);
    w = newWorld();
  });
});

describe('the queue rule (decideAcquire): aimed waits, FIFO across executions', () => {
  const empty: SlotState = { holders: new Map(), releases: new Map(), waiters: new Map() };
  const earlier = (a: [string, { at: number }], b: [string, { at: number }]) => a[1].at - b[1].at || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0);

  it('property: never more holders than the limit; a grant never takes a slot an earlier waiter still needs; every wait within [60 s, 4 h] + 1-15 s (a turn past the holders at most 2 h)', () => {
    type Op = { kind: 'ask'; who: number; dt: number } | { kind: 'release'; who: number; dt: number; estimate: number };
    const op: fc.Arbitrary<Op> = fc.oneof(
      fc.record({ kind: fc.constant('ask' as const), who: fc.integer({ min: 0, max: 11 }), dt: fc.integer({ min: 0, max: 4000 }) }),
      fc.record({ kind: fc.constant('release' as const), who: fc.integer({ min: 0, max: 11 }), dt: fc.integer({ min: 0, max: 4000 }), estimate: fc.integer({ min: -2000, max: 20_000 }) }),
    );
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 5 }), fc.array(op, { minLength: 1, maxLength: 80 }), (limit, ops) => {
        let state = empty;
        let now = T0;
        const lease = 50 * 3600;
        for (const o of ops) {
          now += o.dt;
          const who = `copy-${o.who}`;
          if (o.kind === 'release') {
            // A holder's poll: finished (released) or not (a new expected release).
            if (!state.holders.has(who)) continue;
            if (o.estimate % 3 === 0) {
              const holders = new Map(state.holders);
              holders.delete(who);
              const releases = new Map(state.releases);
              releases.delete(who);
              state = { ...state, holders, releases };
            } else state = { ...state, releases: new Map(state.releases).set(who, now + o.estimate) };
            continue;
          }
          const wasHolder = state.holders.has(who) && state.holders.get(who)! > now;
          const d = decideAcquire(state, who, limit, now, now + lease, true);
          if (d.next.holders.size > limit) return false;
          if (d.granted && !wasHolder) {
            // FIFO: the free slots left cover every waiter that queued before this one.
            const mine = state.waiters.get(who);
            const queuedBefore = [...d.next.waiters].filter(([h, w]) => mine === undefined || earlier([h, w], [who, mine]) < 0).length;
            if (limit - d.next.holders.size < queuedBefore) return false;
          }
          if (!d.granted) {
            const waited = d.retryAfterSeconds;
            if (waited < MIN_RETRY_AFTER_SECONDS + 1 || waited > Math.max(MAX_AIMED_RETRY_AFTER_SECONDS, MAX_EXTRAPOLATED_RETRY_AFTER_SECONDS) + RETRY_JITTER_SECONDS) return false;
            const past = d.position - (limit - d.next.holders.size) > d.next.holders.size;
            if (!past && waited > MAX_AIMED_RETRY_AFTER_SECONDS + RETRY_JITTER_SECONDS) return false;
            if (past && waited > MAX_EXTRAPOLATED_RETRY_AFTER_SECONDS + RETRY_JITTER_SECONDS) return false;
            // Past every recorded release: extrapolated only when every holder's release is recorded ahead, else at most 30 min.
            const allAhead = [...d.next.holders.keys()].every((h) => (d.next.releases.get(h) ?? -Infinity) >= now);
            if (past && !allAhead && waited > MAX_RETRY_AFTER_SECONDS + RETRY_JITTER_SECONDS) return false;
            if (!d.next.waiters.has(who) || d.position < 1) return false;
          }
          state = d.next;
        }
        return true;
      }),
      { numRuns: 500 },
    );
  });

  it('aims the p-th waiter at the p-th expected release (after jitter), counts its wait from when it queued, and keeps its place', () => {
    const holders = new Map([['a', T0 + 90_000], ['b', T0 + 90_000], ['c', T0 + 90_000]]);
    const releases = new Map([['a', T0 + 900], ['b', T0 + 300], ['c', T0 + 5000]]);
    let state: SlotState = { holders, releases, waiters: new Map() };
    const aims: number[] = [];
    for (const who of ['w1', 'w2', 'w3', 'w4']) {
      const d = decideAcquire(state, who, 3, T0, T0 + 3600, true);
      expect(d.granted).toBe(false);
      if (d.granted) return;
      aims.push(d.retryAfterSeconds);
      state = d.next;
    }
    // w1 -> b's release (300 s), w2 -> a's (900 s), w3 -> c's (5,000 s, a recorded release: up to 4 h), w4 -> past the last: 30 min.
    const base = [300, 900, 5000, 1800];
    aims.forEach((a, i) => {
      expect(a - base[i]!).toBeGreaterThanOrEqual(1);
      expect(a - base[i]!).toBeLessThanOrEqual(RETRY_JITTER_SECONDS);
    });
    // b released; w2 comes back first: the free slot is w1's (place 1), so w2 waits, aimed at a's release.
    state = { ...state, holders: new Map([...state.holders].filter(([h]) => h !== 'b')), releases: new Map([...state.releases].filter(([h]) => h !== 'b')) };
    const w2 = decideAcquire(state, 'w2', 3, T0 + 310, T0 + 3600, true);
    expect(w2).toMatchObject({ granted: false, position: 2, waitedSeconds: 310 });
    if (w2.granted) return;
    expect(w2.retryAfterSeconds - (900 - 310)).toBeGreaterThanOrEqual(1);
    // A newcomer from another execution does not overtake: place 5.
    const late = decideAcquire(w2.next, 'new', 3, T0 + 311, T0 + 3600, true);
    expect(late).toMatchObject({ granted: false, position: 5 });
    // w1 takes the free slot.
    const w1 = decideAcquire(late.next, 'w1', 3, T0 + 312, T0 + 3600, true);
    expect(w1.granted).toBe(true);
    expect(w1.next.waiters.has('w1')).toBe(false);
    expect([...w1.next.waiters.keys()].sort()).toEqual(['new', 'w2', 'w3', 'w4']);
  });

  it('drops a waiter not back 15 min after it was due (its execution ended) so it holds no place, and lapsed leases, and aims at an overdue holder by its lease', () => {
    const state: SlotState = {
      holders: new Map([['stuck', T0 + 7200], ['gone', T0 - 1]]),
      releases: new Map([['stuck', T0 - 901]]),
      waiters: new Map([['dead', { at: T0 - 10_000, due: T0 - WAITER_GRACE_SECONDS - 1, refusals: 3 }], ['live', { at: T0 - 100, due: T0 + 60, refusals: 1 }]]),
    };
    const d = decideAcquire(state, 'me', 2, T0, T0 + 3600, true);
    // 'gone' lapsed: one slot free; 'dead' was dropped, 'live' is first, so 'me' (place 2) waits.
    expect(d).toMatchObject({ granted: false, position: 2 });
    expect([...d.next.waiters.keys()].sort()).toEqual(['live', 'me']);
    expect([...d.next.holders.keys()]).toEqual(['stuck']);
    // 'stuck' stopped polling (expected back 901 s ago): the lease (2 h) is the aim, clamped to 30 min (not an estimate).
    if (!d.granted) expect(d.retryAfterSeconds).toBeGreaterThan(MAX_RETRY_AFTER_SECONDS);
    if (!d.granted) expect(d.retryAfterSeconds).toBeLessThanOrEqual(MAX_RETRY_AFTER_SECONDS + RETRY_JITTER_SECONDS);
    // And it is due back then: kept while it is not late.
    expect(d.next.waiters.get('me')?.due).toBe(T0 + (d.granted ? 0 : d.retryAfterSeconds));
    // Exports do not queue: granted whenever a slot is free.
    expect(decideAcquire(state, 'export-1', 2, T0, T0 + 3600, false).granted).toBe(true);
  });

  it('raises the shortest wait every 10 refusals, so a 20 h wait has at most ~170 rounds; the bounds agree with statemachines/timeouts.ts', () => {
    let state: SlotState = { holders: new Map([['h', T0 + 10 * 86_400]]), releases: new Map([['h', T0]]), waiters: new Map() };
    let now = T0;
    let rounds = 0;
    let waited = 0;
    while (waited < COPY_SLOT_WAIT_MAX_SECONDS) {
      // The holder keeps polling "not yet, next look in 10 s": the aim keeps missing.
      state = { ...state, releases: new Map([['h', now + 10]]) };
      const d = decideAcquire(state, 'w', 1, now, now + 3600, true);
      if (d.granted) throw new Error('granted');
      const floor = MIN_RETRY_AFTER_SECONDS * (1 + Math.floor(rounds / REFUSALS_PER_STEP));
      expect(d.retryAfterSeconds).toBeGreaterThanOrEqual(Math.min(floor, MAX_RETRY_AFTER_SECONDS) + 1);
      waited = d.waitedSeconds;
      now += d.retryAfterSeconds;
      state = d.next;
      rounds++;
    }
    expect(rounds).toBeLessThanOrEqual(170);
    expect(COPY_SLOT_LONGEST_WAIT_SECONDS).toBe(Math.max(MAX_AIMED_RETRY_AFTER_SECONDS, MAX_EXTRAPOLATED_RETRY_AFTER_SECONDS) + RETRY_JITTER_SECONDS);
  });

  it('aims a waiter further back than there are slots at ITS turn (extrapolated from the holders\' copy times), early, not every 30 min', () => {
    const lease = 50 * 3600;
    // One unit of time is half an hour, so the aims below stay under the 2 h cap (MAX_EXTRAPOLATED_RETRY_AFTER_SECONDS).
    const h = 1800;
    // 5 slots, all held since 1 unit ago (lease expiry = acquire + lease), expected back in 1..5 units: copy times 2..6 units, shortest 2.
    const holders = new Map(Array.from({ length: 5 }, (_, i) => [`c${i}`, T0 - h + lease] as const));
    const releases = new Map(Array.from({ length: 5 }, (_, i) => [`c${i}`, T0 + (i + 1) * h] as const));
    // 11 waiters queued before 'me': it is 12th, it needs the 12th release from now.
    const waiters = new Map(Array.from({ length: 11 }, (_, i) => [`w${String(i).padStart(2, '0')}`, { at: T0 - 600 + i, due: T0 + 60, refusals: 0 }] as const));
    const state: SlotState = { holders, releases, waiters };
    const d = decideAcquire(state, 'me', 5, T0, T0 + lease, true);
    expect(d.granted).toBe(false);
    if (d.granted) return;
    expect(d.position).toBe(12);
    // Releases at 1,2,3,4,5 units; each slot taken again frees 2 units later: 1,2,3,3,4,4,5,5,5,6,6, then the
    // 12th at 7 units; aimed at half of it (3.5 units = 1.75 h), early: the copies behind may be shorter.
    expect(d.retryAfterSeconds - 3.5 * h).toBeGreaterThanOrEqual(1);
    expect(d.retryAfterSeconds - 3.5 * h).toBeLessThanOrEqual(RETRY_JITTER_SECONDS);
    // 8th in line: the 8th release, at 5 units: aimed at 2.5 units.
    const eighth = decideAcquire({ ...state, waiters: new Map([...waiters].slice(0, 7)) }, 'me', 5, T0, T0 + lease, true);
    if (eighth.granted) throw new Error('granted');
    expect(eighth.position).toBe(8);
    expect(eighth.retryAfterSeconds - 2.5 * h).toBeGreaterThanOrEqual(1);
    expect(eighth.retryAfterSeconds - 2.5 * h).toBeLessThanOrEqual(RETRY_JITTER_SECONDS);
    // Far back (40th): 2 h at most.
    const far = decideAcquire({ ...state, waiters: new Map(Array.from({ length: 39 }, (_, i) => [`w${String(i).padStart(2, '0')}`, { at: T0 - 600 + i, due: T0 + 60, refusals: 0 }] as const)) }, 'me', 5, T0, T0 + lease, true);
    if (far.granted) throw new Error('granted');
    expect(far.retryAfterSeconds - MAX_EXTRAPOLATED_RETRY_AFTER_SECONDS).toBeGreaterThanOrEqual(1);
    expect(far.retryAfterSeconds - MAX_EXTRAPOLATED_RETRY_AFTER_SECONDS).toBeLessThanOrEqual(RETRY_JITTER_SECONDS);
    // A holder whose release is not known (no poll yet, lease only): no extrapolation, back within 30 min.
    const unknown = decideAcquire({ ...state, releases: new Map([...releases].slice(1)) }, 'me', 5, T0, T0 + lease, true);
    if (unknown.granted) throw new Error('granted');
    expect(unknown.retryAfterSeconds).toBeLessThanOrEqual(MAX_RETRY_AFTER_SECONDS + RETRY_JITTER_SECONDS);
  });

  it('fails a waiter only when the destination is stuck (no slot freed for 20 h) or after 40 h in a moving queue', () => {
    const H = 3600;
    expect(COPY_SLOT_WAIT_MOVING_MAX_SECONDS).toBe(2 * COPY_SLOT_WAIT_MAX_SECONDS);
    // Late in a long queue that keeps moving: waits on.
    expect(slotWaitTooLong({ position: 9, retryAfterSeconds: 60, waitedSeconds: 25 * H, sinceReleaseSeconds: 2 * H })).toBe(false);
    // Stuck: nothing freed for 20 h.
    expect(slotWaitTooLong({ position: 9, retryAfterSeconds: 60, waitedSeconds: 20 * H, sinceReleaseSeconds: 20 * H })).toBe(true);
    expect(slotWaitTooLong({ position: 9, retryAfterSeconds: 60, waitedSeconds: 20 * H })).toBe(true);
    expect(slotWaitTooLong({ position: 9, retryAfterSeconds: 60, waitedSeconds: 20 * H - 1, sinceReleaseSeconds: 30 * H })).toBe(false);
    // Moving, but 40 h: the bound the execution timeouts count.
    expect(slotWaitTooLong({ position: 2, retryAfterSeconds: 60, waitedSeconds: 40 * H, sinceReleaseSeconds: 60 })).toBe(true);
    // decideAcquire reports the time since the group's last release (none recorded: the time waited).
    const held: SlotState = { holders: new Map([['h', T0 + 100 * H]]), releases: new Map([['h', T0 + H]]), waiters: new Map([['me', { at: T0 - 21 * H, due: T0, refusals: 3 }]]) };
    const stuck = decideAcquire(held, 'me', 1, T0, T0 + 50 * H, true);
    const moving = decideAcquire({ ...held, releasedAt: T0 - 3 * H }, 'me', 1, T0, T0 + 50 * H, true);
    if (stuck.granted || moving.granted) throw new Error('granted');
    expect(stuck.sinceReleaseSeconds).toBe(21 * H);
    expect(moving.sinceReleaseSeconds).toBe(3 * H);
    expect(moving.next.releasedAt).toBe(T0 - 3 * H);
  });

  it("issue 12: expects a waiter's turn by the holders' MEAN copy time (the aim uses the shortest), and not at all before a poll recorded a release", () => {
    const lease = 50 * 3600;
    const h = 3600;
    // 5 slots, held since 1 h ago, expected back in 1..5 h: copy times 2..6 h, mean 4 h, shortest 2 h.
    const holders = new Map(Array.from({ length: 5 }, (_, i) => [`c${i}`, T0 - h + lease] as const));
    const releases = new Map(Array.from({ length: 5 }, (_, i) => [`c${i}`, T0 + (i + 1) * h] as const));
    const expected = [...releases.values()].map((at) => ({ at, aimed: true }));
    // Within the holders: the k-th release.
    expect(expectedTurnSeconds({ expected, holders, releases, leaseSeconds: lease }, 3, T0)).toBe(3 * h);
    // Past them: releases at 1..5 h, each slot taken again frees 4 h later: 1,2,3,4,5,5,6,7,8,9,9,10 -> the 12th at 10 h (shortest: 7 h).
    expect(expectedTurnSeconds({ expected, holders, releases, leaseSeconds: lease }, 12, T0)).toBe(10 * h);
    // Through decideAcquire: the 12th in line is told its turn.
    const waiters = new Map(Array.from({ length: 11 }, (_, i) => [`w${String(i).padStart(2, '0')}`, { at: T0 - 600 + i, due: T0 + 60, refusals: 0 }] as const));
    const d = decideAcquire({ holders, releases, waiters }, 'me', 5, T0, T0 + lease, true);
    if (d.granted) throw new Error('granted');
    expect(d.position).toBe(12);
    expect(d.expectedTurnSeconds).toBe(10 * h);
    // Just granted, no poll yet (release = acquire time): no copy time known, no estimate.
    const fresh = new Map([...holders].map(([k]) => [k, T0 - h] as const));
    expect(expectedTurnSeconds({ expected: [...fresh.values()].map((at) => ({ at: T0, aimed: true })), holders, releases: fresh, leaseSeconds: lease }, 12, T0)).toBeUndefined();
    // A holder past its expected release (its lease is the only bound, sorted last): no estimate once its release is needed.
    const overdue = [...expected.slice(1), { at: T0 + lease, aimed: false }];
    expect(expectedTurnSeconds({ expected: overdue, holders, releases, leaseSeconds: lease }, 3, T0)).toBe(4 * h);
    expect(expectedTurnSeconds({ expected: overdue, holders, releases, leaseSeconds: lease }, 5, T0)).toBeUndefined();
    expect(expectedTurnSeconds({ expected: overdue, holders, releases, leaseSeconds: lease }, 12, T0)).toBeUndefined();
    expect(expectedTurnSeconds({ expected: [], holders: new Map(), releases: new Map(), leaseSeconds: lease }, 1, T0)).toBeUndefined();
  });

  it("issue 12: defers an event run's first copy when, in its first 2.5 h in the queue, its turn lies beyond the 40 h bound, or after 40 h in a moving queue; never a stuck destination, never without an estimate", () => {
    const H = 3600;
    const wait = { position: 300, retryAfterSeconds: 60, waiting: 700 };
    // The window holds the refusal after the first estimate (an aimed wait past the holders is at most 2 h).
    expect(DEFERRAL_DECISION_SECONDS).toBe(2.5 * H);
    expect(DEFERRAL_DECISION_SECONDS).toBeGreaterThan(MAX_EXTRAPOLATED_RETRY_AFTER_SECONDS + RETRY_JITTER_SECONDS + 2 * MIN_RETRY_AFTER_SECONDS);
    expect(slotWaitDeferred({ ...wait, waitedSeconds: 60, sinceReleaseSeconds: 60, expectedTurnSeconds: 41 * H })).toBe('turn');
    expect(slotWaitDeferred({ ...wait, waitedSeconds: 2.5 * H, sinceReleaseSeconds: 60, expectedTurnSeconds: 37.5 * H + 1 })).toBe('turn');
    // Exactly at the bound: still expected in time.
    expect(slotWaitDeferred({ ...wait, waitedSeconds: 2.5 * H, sinceReleaseSeconds: 60, expectedTurnSeconds: 37.5 * H })).toBeUndefined();
    // Decided early only: past its first 2.5 h in the queue an estimate no longer defers (later ones are
    // skewed toward long copies); it waits on, up to the 40 h bound.
    expect(slotWaitDeferred({ ...wait, waitedSeconds: 2.5 * H + 1, sinceReleaseSeconds: 60, expectedTurnSeconds: 100 * H })).toBeUndefined();
    // No estimate yet (no holder polled): waits, whatever its place.
    expect(slotWaitDeferred({ ...wait, waitedSeconds: 60, sinceReleaseSeconds: 60 })).toBeUndefined();
    // The estimate was too hopeful: 40 h in a queue that moves.
    expect(slotWaitDeferred({ ...wait, waitedSeconds: 40 * H, sinceReleaseSeconds: 2 * H, expectedTurnSeconds: 60 })).toBe('late');
    // Stuck (no slot freed for 20 h after 20 h of waiting): not deferred; slotWaitTooLong fails it as CopySlotsBusy.
    const stuck = { ...wait, waitedSeconds: 20 * H, sinceReleaseSeconds: 20 * H, expectedTurnSeconds: 100 * H };
    expect(slotWaitDeferred(stuck)).toBeUndefined();
    expect(slotWaitTooLong(stuck)).toBe(true);
  });

  it('issue 12: slotHooks defer (CopySlotsDeferred, with the queue, the turn, the destination and kind) only with deferWhenLate; without it the same refusal is a CopySlotWait', async () => {
    const { ddb } = setup();
    const one = { ...settings, limits: { ...settings.limits, cluster: 1 }, leaseSeconds: 50 * 3600 };
    const t = (s: number) => new Date((T0 + s) * 1000);
    const cluster = (holder: string) => req(holder, 'cluster');
    // 'big' holds the slot; its poll expects it back 30 h after its start (progress-based), so 'next' is due in 30 h.
    await acquireSlot(ddb, one, cluster('big'), t(0), busy);
    await expectRelease(ddb, one, cluster('big'), T0 + 30 * 3600, T0 + 2 * 3600);
    const refuse = (holder: string, at: number, deferWhenLate: boolean) =>
      slotHooks(ddb, one, t(at), { deferWhenLate })(cluster(holder)).acquire().then(
        () => 'granted',
        (e: Error) => e,
      );
    // First in line: its turn (30 h) is within the bound: waits, with or without deferral.
    expect(await refuse('next', 60, true)).toBeInstanceOf(CopySlotWait);
    // Second in line: the 2nd release, extrapolated one mean copy time (30 h) after the first: 60 h > 40 h.
    const deferred = await refuse('later', 61, true);
    expect(deferred).toBeInstanceOf(CopySlotsDeferred);
    expect((deferred as Error).name).toBe('CopySlotsDeferred');
    expect((deferred as CopySlotsDeferred).deferSignal).toBe(true);
    expect((deferred as Error).message).toMatch(
      /^Deferred to the scheduled run: place 2 of 2 waiting for DB cluster snapshot copies into account 222222222222 Region us-west-2, its turn expected in 60 h after 0 h of waiting, beyond the 40 h slot wait \(destination account 222222222222 Region us-west-2, DB cluster snapshot copies\)/,
    );
    // A scheduled or manual run (or a later copy step) in the same place waits.
    expect(await refuse('later', 62, false)).toBeInstanceOf(CopySlotWait);
    // 'next' keeps asking as aimed while 'big' never finishes (stuck: nothing freed): after 20 h it is
    // CopySlotWaitTooLong (recorded as CopySlotsBusy), never a deferral, though its turn is not in sight.
    let at = 60;
    let out: unknown = await refuse('next', at, true);
    while (out instanceof CopySlotWait) {
      at += (out as CopySlotWait).wait.retryAfterSeconds;
      out = await refuse('next', at, true);
    }
    expect(out).toBeInstanceOf(CopySlotWaitTooLong);
    expect(at).toBeGreaterThanOrEqual(20 * 3600);
    expect(at).toBeLessThan(20 * 3600 + 3 * 3600);
  });

  it('records the last release in the table, so a refused waiter behind it is not failed at 20 h', async () => {
    const { ddb, arn } = setup();
    const one = { ...settings, limits: { ...settings.limits, instance: 1 }, leaseSeconds: 50 * 3600 };
    const t = (s: number) => new Date((T0 + s) * 1000);
    await acquireSlot(ddb, one, req('first'), t(0), busy);
    const refusal = (at: number) => acquireSlot(ddb, one, req('waiter'), t(at), (_m, wait) => Object.assign(new Error('refused'), { wait })).catch((e: { wait: unknown }) => e.wait);
    await expect(refusal(0)).resolves.toMatchObject({ waitedSeconds: 0, sinceReleaseSeconds: 0 });
    // 'first' finishes at 19 h; 'waiter' was not back in time (its grace passed), 'second' took the slot.
    expect(await releaseSlot(ddb, one, req('first'), t(19 * 3600))).toBe(true);
    expect(Number((w.sandbox.dynamodb.peekItem(arn, slotKey(req('x')))?.releasedAt as { N: string }).N)).toBe(T0 + 19 * 3600);
    await acquireSlot(ddb, one, req('second'), t(19 * 3600 + 1), busy);
    const late = (await refusal(21 * 3600)) as { waitedSeconds: number; sinceReleaseSeconds: number };
    expect(late.sinceReleaseSeconds).toBe(2 * 3600);
    expect(slotWaitTooLong({ position: 1, retryAfterSeconds: 60, ...late, waitedSeconds: 21 * 3600 })).toBe(false);
  });

  it('expects a release at the next look, or later where progress points (copy poll outputs)', () => {
    const checkedAt = new Date(T0 * 1000).toISOString();
    expect(expectedReleaseSeconds({ checkedAt, waitSeconds: 300, percentProgress: 0, elapsedSeconds: 600 })).toBe(T0 + 300);
    // 25% after 1,000 s: 3,000 s to go.
    expect(expectedReleaseSeconds({ checkedAt, waitSeconds: 300, percentProgress: 25, elapsedSeconds: 1000 })).toBe(T0 + 3000);
    expect(expectedReleaseSeconds({ checkedAt, waitSeconds: 300, percentProgress: 99, elapsedSeconds: 1000 })).toBe(T0 + 300);
    expect(expectedReleaseSeconds({ checkedAt: 'not a time', waitSeconds: 300 })).toBeUndefined();
  });

  it('expectRelease: one conditional UpdateItem (no read) on a live holder, nothing for a holder without a slot', async () => {
    // true when recorded (the count is not wanted here, so any time does for its lease check).
    const { ddb, arn } = setup();
    const now = w.clock.now();
    await acquireSlot(ddb, settings, req('copy-1'), now, busy);
    const before = w.sandbox.calls.length;
    const at = Math.floor(now.getTime() / 1000) + 600;
    expect(await expectRelease(ddb, settings, req('copy-1'), at)).toBe(true);
    expect(await expectRelease(ddb, settings, req('copy-2'), at)).toBe(false);
    const calls = w.sandbox.calls.slice(before);
    expect(calls.map((c) => c.operation)).toEqual(['UpdateItem', 'UpdateItem']);
    expect(calls[1]!.errorName).toBe('ConditionalCheckFailedException');
    expect(w.sandbox.dynamodb.peekItem(arn, slotKey(req('x')))?.releases).toEqual({ M: { 'copy-1': { N: String(at) } } });
    // A waiter refused now is aimed at that release.
    for (let i = 2; i <= 5; i++) await acquireSlot(ddb, settings, req(`copy-${i}`), now, busy);
    for (let i = 2; i <= 5; i++) await expectRelease(ddb, settings, req(`copy-${i}`), at + 3000);
    const err = await acquireSlot(ddb, settings, req('copy-6'), now, (m, wait) => Object.assign(new CopySlotsBusy(m), { wait })).catch((e: CopySlotsBusy & { wait: { retryAfterSeconds: number } }) => e);
    expect((err as { wait: { retryAfterSeconds: number } }).wait.retryAfterSeconds - 600).toBeGreaterThanOrEqual(1);
    expect((err as { wait: { retryAfterSeconds: number } }).wait.retryAfterSeconds - 600).toBeLessThanOrEqual(RETRY_JITTER_SECONDS);
  });
});
