/**
 * The one concurrency authority for copies (issue 12): a DynamoDB table in the source account holds,
 * per destination, the copies that were requested and are not yet seen finished, each with a lease
 * expiry. Every execution (event runs, the schedule, manual runs) acquires a slot before
 * CopyDBSnapshot / CopyDBClusterSnapshot / StartExportTask and releases it when a poll sees the copy
 * (export task) finished or failed, so copies requested per destination never exceed the limits
 * (docs/aws-behaviour.md §11: 20 DB snapshot and 5 DB cluster snapshot copies per destination account
 * and Region; §16: 5 export tasks), however many executions run at once.
 *
 * Table: partition key `slot` (String), one item per slot group:
 * - `copy#<account>#<region>#instance` / `copy#<account>#<region>#cluster`, `export#<account>`;
 * - `holders` (Map): holder (the copy's target identifier, or the export task identifier) -> lease
 *   expiry, epoch seconds (Number);
 * - `releases` (Map): holder -> expected release, epoch seconds (Number), and `looks` (Map): holder ->
 *   its poll's next look, epoch seconds, kept by the polls ({@link expectReleaseCounting}) for the waiters' aim;
 * - `waiters` (Map): refused copy requester -> `{ at, due, refusals }` (joined, expected back, epoch
 *   seconds; times refused): the FIFO queue of {@link decideAcquire};
 * - `releasedAt` (Number): when a holder was last released, epoch seconds (absent: never), so a
 *   waiter can tell a long queue that moves from a stuck destination ({@link slotHooks});
 * - `version` (Number): raised by every write (to at least the writer's time in ms); each write is conditional on the version it read
 *   (optimistic concurrency: a write that lost a race fails with ConditionalCheckFailedException
 *   and is redone from a fresh read);
 * - `expiresAt` (Number, the table's TTL attribute): the latest lease, so an item whose holders all
 *   lapsed is eventually removed.
 * TTL deletes late ("within a few days", docs/aws-behaviour.md §23), so expiry is always judged
 * here from each holder's lease, never from the item's presence.
 *
 * Why a slot table rather than counting in-progress copies before each start: RDS has no API that
 * lists the copies in progress into a destination (DescribeDB*Snapshots of every snapshot of the
 * account and Region, paged, and it counts copies queued behind another copy of the same source
 * differently, §11); two executions that count at the same moment both see a free slot and both
 * start (the race the limit is about); and a count cannot see export tasks and copies in another
 * account's Region through one call. A conditional write is atomic across every execution, costs two
 * small requests, and the lease frees a slot whose holder crashed.
 *
 * Sources: https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/Expressions.ConditionExpressions.html,
 * https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/howitworks-ttl.html
 */
import { ConditionalCheckFailedException, GetItemCommand, UpdateItemCommand, type AttributeValue, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { ExportTaskLimitReached } from '../../contracts/errors.js';

// The slot kinds, AWS's limits and the environment variables of the slot table are contracts
// between the stack and the functions (contracts/copy-slots.ts, issue 11).
import { AWS_SLOT_LIMITS, COPY_SLOT_WAIT_MAX_SECONDS, COPY_SLOT_WAIT_MOVING_MAX_SECONDS, type SlotKind, type SlotLimits, slotEnvShape, slotLeaseEnv, slotLimitsEnv, slotTableEnv } from '../../contracts/copy-slots.js';
export { AWS_SLOT_LIMITS, COPY_SLOT_WAIT_MAX_SECONDS, COPY_SLOT_WAIT_MOVING_MAX_SECONDS, type SlotKind, type SlotLimits, slotEnvShape, slotLeaseEnv, slotLimitsEnv, slotTableEnv };

/** Where the slot table is and how it is used (from the function's environment). */
export interface CopySlotSettings {
  /** Table name (in the function's own account and Region). */
  readonly table: string;
  readonly limits: SlotLimits;
  /**
   * Lease of a holder, seconds: longer than the longest copy the workflow waits for
   * (`polling.maxWaitHours` + a poll), so a crashed execution's slot frees by itself after it.
   */
  readonly leaseSeconds: number;
}

/** One slot request: which destination, which kind, and who holds it. */
export interface SlotRequest {
  /** Destination account (the copy's account; for exports, the account exporting). */
  readonly accountId: string;
  /** Destination Region (ignored for exports: the export limit is per account). */
  readonly region: string;
  readonly kind: SlotKind;
  /** The copy's target identifier, or the export task identifier (one holder per copy, whoever asks). */
  readonly holder: string;
}

/** Writes that lost a race are redone at most this many times before the acquire gives up as busy. */
export const MAX_WRITE_ATTEMPTS = 8;

/** The item key of a request's slot group. */
export function slotKey(r: Pick<SlotRequest, 'accountId' | 'region' | 'kind'>): string {
  return r.kind === 'export' ? `export#${r.accountId}` : `copy#${r.accountId}#${r.region}#${r.kind}`;
}

/** A waiter of a slot group: when it joined the queue and when it is expected back (epoch seconds), how often it was refused. */
export interface SlotWaiter {
  readonly at: number;
  readonly due: number;
  readonly refusals: number;
}

/**
 * One slot group's state as stored (and as the queue rule {@link decideAcquire} sees it).
 * - `holders`: holder -> lease expiry, epoch seconds;
 * - `releases`: holder -> expected release, epoch seconds: when its poll (poll-status, poll-export)
 *   looks next (`checkedAt + waitSeconds`), the earliest the slot can come back; absent = unknown;
 * - `waiters`: refused requesters in FIFO order of `at` (then name), pruned when not back
 *   {@link WAITER_GRACE_SECONDS} after they were due.
 */
export interface SlotState {
  readonly holders: ReadonlyMap<string, number>;
  readonly releases: ReadonlyMap<string, number>;
  /** holder -> its poll's next look, epoch seconds (absent: unknown). */
  readonly looks?: ReadonlyMap<string, number>;
  readonly waiters: ReadonlyMap<string, SlotWaiter>;
  /** When a holder was last released, epoch seconds (absent: never, or not known). */
  readonly releasedAt?: number;
}

/** Shortest aimed wait of a refused acquire, seconds (a freed slot is reused within about this). */
export const MIN_RETRY_AFTER_SECONDS = 60;
/**
 * Longest wait of a refused acquire when the holder's release is not known (lease, overdue), or the
 * waiter needs a slot past the last expected release, seconds (so a new estimate is seen soon).
 */
export const MAX_RETRY_AFTER_SECONDS = 1800;
/**
 * Longest wait aimed at a release a poll recorded (its next look, or the completion its progress
 * points to), seconds: 4 h. A 30-minute cap here cost a round (3 state transitions) per half hour of
 * waiting behind long copies, more than the blind Retry it replaced (1 transition per 30 min).
 */
export const MAX_AIMED_RETRY_AFTER_SECONDS = 4 * 3600;
/**
 * Longest wait aimed at a turn past the holders' recorded releases (a waiter further back in the
 * queue than there are slots), seconds: 2 h. Such a turn is extrapolated (each later release one
 * shortest holder copy time after an earlier one) and aimed at {@link EXTRAPOLATED_AIM_FRACTION} of it,
 * so the waiter wakes a few times per wait instead of every 30 minutes. 2 h, not 8 h: in event runs
 * (every database at once, no longest-first order) the holders' copy times say little about the
 * copies queued behind them, and an 8 h aim overslept turns (FIFO keeps the slot idle for the
 * sleeper): 30 event runs at limits 4/1 took 13.5 h with 8 h, 12.0 h with 4 h, 10.5 h with 2 h
 * (10.2 h before turn-aimed waits), while the scheduled run of the same fleet took 10.1 / 10.1 / 10.4 h
 * (10.9 h before).
 */
export const MAX_EXTRAPOLATED_RETRY_AFTER_SECONDS = 2 * 3600;
/**
 * An extrapolated turn is aimed at this fraction of the time to it: early rather than late, since a
 * waiter that wakes after its turn holds a free slot idle (FIFO keeps it reserved for it), while one
 * that wakes early is refused once more, now aimed at a release a poll recorded.
 */
export const EXTRAPOLATED_AIM_FRACTION = 0.5;
/**
 * The shortest wait grows by {@link MIN_RETRY_AFTER_SECONDS} every this many refusals of one waiter
 * (60 s for the first 10, 120 s for the next 10, ...), so a waiter whose aims keep missing (holders
 * polling often, far from done) costs a bounded number of state transitions: 170 refusals already
 * take more than 24 h (60 s x 10 x (1 + 2 + ... + 17) = 91,800 s), so a wait bounded by
 * {@link COPY_SLOT_WAIT_MAX_SECONDS} (20 h) has at most ~170 rounds.
 */
export const REFUSALS_PER_STEP = 10;
/** Jitter added to an aimed wait: 1 to this many seconds, derived from the holder and the time. */
export const RETRY_JITTER_SECONDS = 15;
/**
 * A waiter not back this long after it was due (`due` = when it was refused + its retryAfter) is
 * dropped from the queue (its execution ended, was aborted, or gave up): above its jitter and the
 * transient-error retries of the copy step (statemachines/errors.ts, a few minutes), so a live
 * waiter never loses its place, and a dead one holds a free slot back for at most this long.
 */
export const WAITER_GRACE_SECONDS = 900;
/**
 * An expected release this far in the past means the holder stopped polling (crashed, aborted): its
 * lease is then the only bound. Below it (a poll a little late), the release is expected now.
 */
export const OVERDUE_RELEASE_SECONDS = 900;

/** The outcome of the queue rule for one request. */
export type SlotDecision =
  | { readonly granted: true; readonly next: SlotState }
  | {
      readonly granted: false;
      readonly next: SlotState;
      /** 1-based place in the queue (exports: 1, they do not queue). */
      readonly position: number;
      /** Aimed wait before asking again, seconds, within [MIN, MAX] + jitter. */
      readonly retryAfterSeconds: number;
      /** Since when this requester waits (its `at`), seconds before now. */
      readonly waitedSeconds: number;
      /** Seconds since a holder of the group was last released (absent `releasedAt`: `waitedSeconds`). */
      readonly sinceReleaseSeconds: number;
      /**
       * Seconds from now to this requester's expected turn, estimated with the holders' mean copy time
       * ({@link expectedTurnSeconds}); absent when not known (no holder's release recorded yet, a holder
       * past its expected release, exports).
       */
      readonly expectedTurnSeconds?: number;
    };

/** 1..RETRY_JITTER_SECONDS, a stable hash of holder and time (spreads waiters aimed at the same release). */
export function retryJitterSeconds(holder: string, nowSeconds: number): number {
  let h = 2166136261 ^ nowSeconds;
  for (let i = 0; i < holder.length; i++) h = Math.imul(h ^ holder.charCodeAt(i), 16777619);
  return 1 + ((h >>> 0) % RETRY_JITTER_SECONDS);
}

/**
 * The queue rule of a slot group (pure; {@link acquireSlot} stores its `next`):
 * 1. holders whose lease passed, their release estimates, and waiters not back
 *    {@link WAITER_GRACE_SECONDS} after they were due are dropped;
 * 2. a live holder asking again keeps its slot (lease renewed, estimate kept);
 * 3. with `queue`, the requester joins the waiters (or keeps its place); waiters are ordered by
 *    `at` then name, and the free slots (limit - live holders) go to the first waiters in that order:
 *    position p is granted when p <= free (so a newcomer never overtakes an earlier waiter, whichever
 *    execution either belongs to). Without `queue` (exports, retried blindly), granted when a slot is free;
 * 4. refused at position p: it needs the (p - free)-th release; the live holders' expected releases
 *    (passed: the holder's next look if still ahead, since the copy should be done by then; unknown
 *    or overdue by more than {@link OVERDUE_RELEASE_SECONDS}: the lease; else now) sorted ascending give it (past the last holder: the last), and retryAfter is that minus now,
 *    clamped to [{@link MIN_RETRY_AFTER_SECONDS} (x the refusal step, see {@link REFUSALS_PER_STEP}),
 *    {@link MAX_AIMED_RETRY_AFTER_SECONDS} for a release a poll recorded, else {@link MAX_RETRY_AFTER_SECONDS}], plus a jitter of 1..{@link RETRY_JITTER_SECONDS} s (so it
 *    arrives after the releasing poll).
 * A granted holder's expected release starts at now (its wait loop polls at once and records the real one).
 * @param nowSeconds epoch seconds; `lease` the new holder's lease expiry, epoch seconds
 */
export function decideAcquire(state: SlotState, holder: string, limit: number, nowSeconds: number, lease: number, queue: boolean): SlotDecision {
  const holders = new Map([...state.holders].filter(([, exp]) => exp > nowSeconds));
  const releases = new Map([...state.releases].filter(([h]) => holders.has(h)));
  const looks = new Map([...(state.looks ?? [])].filter(([h]) => holders.has(h)));
  const waiters = new Map([...state.waiters].filter(([h, w]) => w.due + WAITER_GRACE_SECONDS >= nowSeconds && !holders.has(h)));
  const kept = state.releasedAt === undefined ? {} : { releasedAt: state.releasedAt };
  if (holders.has(holder)) {
    holders.set(holder, lease);
    return { granted: true, next: { holders, releases, looks, waiters, ...kept } };
  }
  const free = limit - holders.size;
  let position = 1;
  if (queue) {
    const mine = waiters.get(holder);
    waiters.set(holder, { at: mine?.at ?? nowSeconds, due: nowSeconds, refusals: mine?.refusals ?? 0 });
    const order = [...waiters].sort(([a, x], [b, y]) => x.at - y.at || (a < b ? -1 : a > b ? 1 : 0)).map(([h]) => h);
    position = order.indexOf(holder) + 1;
  }
  if ((queue && position <= free) || (!queue && free > 0)) {
    waiters.delete(holder);
    holders.set(holder, lease);
    // Expected back now until its wait loop's first poll (at once) records the real estimate.
    releases.set(holder, nowSeconds);
    looks.delete(holder);
    return { granted: true, next: { holders, releases, looks, waiters, ...kept } };
  }
  const expected = [...holders]
    .map(([h, exp]): { at: number; aimed: boolean } => {
      const r = releases.get(h);
      if (r !== undefined && r >= nowSeconds) return { at: r, aimed: true };
      // Expected back already: its next look (recorded at its last poll) will see it finished.
      const look = looks.get(h);
      if (look !== undefined && look >= nowSeconds) return { at: look, aimed: true };
      if (r === undefined || r < nowSeconds - OVERDUE_RELEASE_SECONDS) return { at: exp, aimed: false };
      return { at: nowSeconds, aimed: false };
    })
    .sort((a, b) => a.at - b.at);
  const k = Math.max(1, position - Math.max(0, free));
  const me = waiters.get(holder);
  const refusals = me?.refusals ?? 0;
  const floor = MIN_RETRY_AFTER_SECONDS * (1 + Math.floor(refusals / REFUSALS_PER_STEP));
  let wait: number;
  const view: QueueView = { expected, holders, releases, leaseSeconds: lease - nowSeconds };
  const turn = k > expected.length && expected.length > 0 ? extrapolatedTurn(view, k, nowSeconds) : undefined;
  if (turn !== undefined) {
    // Its turn is past the holders' releases: aimed early at the extrapolated turn (see MAX_EXTRAPOLATED_RETRY_AFTER_SECONDS).
    wait = Math.min(MAX_EXTRAPOLATED_RETRY_AFTER_SECONDS, Math.max(floor, Math.floor((turn - nowSeconds) * EXTRAPOLATED_AIM_FRACTION)));
  } else {
    const target = expected.length === 0 ? { at: nowSeconds, aimed: false } : expected[Math.min(k, expected.length) - 1]!;
    const cap = target.aimed && k <= expected.length ? MAX_AIMED_RETRY_AFTER_SECONDS : MAX_RETRY_AFTER_SECONDS;
    wait = Math.min(cap, Math.max(floor, target.at - nowSeconds));
  }
  const retryAfterSeconds = wait + retryJitterSeconds(holder, nowSeconds);
  if (me) waiters.set(holder, { ...me, due: nowSeconds + retryAfterSeconds, refusals: refusals + 1 });
  const since = me?.at ?? nowSeconds;
  const waitedSeconds = nowSeconds - since;
  const sinceReleaseSeconds = state.releasedAt === undefined ? waitedSeconds : nowSeconds - state.releasedAt;
  const expectedTurn = queue ? expectedTurnSeconds(view, k, nowSeconds) : undefined;
  return {
    granted: false,
    next: { holders, releases, looks, waiters, ...kept },
    position,
    retryAfterSeconds,
    waitedSeconds,
    sinceReleaseSeconds,
    ...(expectedTurn !== undefined && { expectedTurnSeconds: expectedTurn }),
  };
}

/** What a refused waiter's turn is estimated from ({@link expectedTurnSeconds}, {@link extrapolatedTurn}). */
export interface QueueView {
  /** The holders' expected releases, ascending, epoch seconds; `aimed`: recorded by a poll (not only the lease). */
  readonly expected: readonly { readonly at: number; readonly aimed: boolean }[];
  /** Holder -> lease expiry, epoch seconds. */
  readonly holders: ReadonlyMap<string, number>;
  /** Holder -> expected release recorded by its polls, epoch seconds. */
  readonly releases: ReadonlyMap<string, number>;
  /** The lease a slot is granted for, seconds (acquired = lease expiry - this). */
  readonly leaseSeconds: number;
}

/**
 * Seconds from now until a refused waiter needing the k-th release can expect its slot (issue 12:
 * whether an event-started run's first copy can expect a slot within the bound,
 * {@link slotWaitDeferred}), or undefined when not known. The k-th of the holders' expected
 * releases when k <= holders (only when every release up to it was recorded by a poll); past them,
 * {@link extrapolatedTurn} with the holders' **mean** copy time, not the shortest the aim uses: the
 * aim errs early on purpose (a late waiter idles a free slot), a deferral must not (an optimistic
 * estimate keeps a hopeless waiter polling for hours). The holders are a sample of the queue's
 * copies; the mean over-estimates when long copies hold slots longer (length bias), which errs
 * toward deferral, the safe side: the scheduled run backs the database up.
 */
export function expectedTurnSeconds(queue: QueueView, k: number, nowSeconds: number): number | undefined {
  const { expected } = queue;
  if (expected.length === 0) return undefined;
  if (k <= expected.length) {
    const first = expected.slice(0, k);
    return first.every((e) => e.aimed) ? Math.max(0, first[k - 1]!.at - nowSeconds) : undefined;
  }
  const turn = extrapolatedTurn(queue, k, nowSeconds, 'mean');
  return turn === undefined ? undefined : Math.max(0, turn - nowSeconds);
}

/**
 * When the k-th release from now is expected (k > the holders), epoch seconds, or undefined when the
 * holders' copy times are not known: the holders' expected releases (`expected`, ascending) free the
 * first slots; each freed slot is taken by the next waiter, whose copy is assumed to take the
 * shortest copy time of the holders (expected release - acquired, acquired = lease expiry -
 * `leaseSeconds`; only holders whose poll recorded a release past their acquire count), so it frees
 * again that long after. The shortest, not the mean: with the longest copies started first the
 * copies behind are shorter, and a waiter aimed past its turn holds a free slot idle (measured on
 * the 100-database bench: the mean and 80% cost 2.3 h of makespan, the shortest and 50% none).
 * A renewed lease makes a holder look younger: the estimate comes out shorter, the aim earlier.
 * `span` `mean`: the holders' mean copy time instead ({@link expectedTurnSeconds}, for deferrals).
 */
export function extrapolatedTurn({ expected, holders, releases, leaseSeconds }: QueueView, k: number, nowSeconds: number, span: 'shortest' | 'mean' = 'shortest'): number | undefined {
  if (expected.some((e) => !e.aimed)) return undefined;
  const spans: number[] = [];
  for (const [h, exp] of holders) {
    const r = releases.get(h);
    const acquired = exp - leaseSeconds;
    if (r !== undefined && r > acquired + MIN_RETRY_AFTER_SECONDS) spans.push(r - acquired);
  }
  if (spans.length === 0) return undefined;
  const shortest = span === 'mean' ? spans.reduce((a, b) => a + b, 0) / spans.length : Math.min(...spans);
  const free = expected.map((e) => Math.max(nowSeconds, e.at)).sort((a, b) => a - b);
  for (let i = 1; i < k; i++) {
    const t = free.shift()!;
    const next = t + shortest;
    let j = 0;
    while (j < free.length && free[j]! <= next) j++;
    free.splice(j, 0, next);
  }
  return Math.floor(free[0]!);
}

interface SlotItem extends SlotState {
  readonly version: number | undefined;
}

function numberMap(v: AttributeValue | undefined): Map<string, number> {
  const out = new Map<string, number>();
  for (const [h, x] of Object.entries((v as { M?: Record<string, AttributeValue> } | undefined)?.M ?? {})) {
    const n = Number((x as { N?: string }).N);
    if (Number.isFinite(n)) out.set(h, n);
  }
  return out;
}

async function read(ddb: DynamoDBClient, table: string, key: string): Promise<SlotItem> {
  const out = await ddb.send(new GetItemCommand({ TableName: table, Key: { slot: { S: key } }, ConsistentRead: true }));
  const item = out.Item;
  const waiters = new Map<string, SlotWaiter>();
  for (const [h, x] of Object.entries((item?.waiters as { M?: Record<string, AttributeValue> } | undefined)?.M ?? {})) {
    const m = (x as { M?: Record<string, AttributeValue> }).M ?? {};
    const at = Number((m.at as { N?: string } | undefined)?.N);
    const due = Number((m.due as { N?: string } | undefined)?.N);
    const refusals = Number((m.refusals as { N?: string } | undefined)?.N ?? 0);
    if (Number.isFinite(at) && Number.isFinite(due)) waiters.set(h, { at, due, refusals: Number.isFinite(refusals) ? refusals : 0 });
  }
  const version = item?.version && 'N' in item.version && item.version.N !== undefined ? Number(item.version.N) : undefined;
  const releasedAt = Number((item?.releasedAt as { N?: string } | undefined)?.N);
  return { holders: numberMap(item?.holders), releases: numberMap(item?.releases), looks: numberMap(item?.looks), waiters, version, ...(Number.isFinite(releasedAt) && { releasedAt }) };
}

const numbers = (m: ReadonlyMap<string, number>) => ({ M: Object.fromEntries([...m].map(([h, n]) => [h, { N: String(n) }])) });

/** Writes the state if the item is still at `version` (absent item: version undefined). @returns false when another write came first */
async function write(ddb: DynamoDBClient, table: string, key: string, version: number | undefined, state: SlotState, now: Date): Promise<boolean> {
  const latest = Math.max(0, ...state.holders.values(), ...[...state.waiters.values()].map((w) => w.due + WAITER_GRACE_SECONDS));
  try {
    await ddb.send(
      new UpdateItemCommand({
        TableName: table,
        Key: { slot: { S: key } },
        UpdateExpression: `SET #holders = :holders, #releases = :releases, #looks = :looks, #waiters = :waiters, #version = :next, #expiresAt = :expiresAt${state.releasedAt === undefined ? '' : ', #releasedAt = :releasedAt'}`,
        ConditionExpression: version === undefined ? 'attribute_not_exists(#version)' : '#version = :version',
        ExpressionAttributeNames: {
          '#holders': 'holders',
          '#releases': 'releases',
          '#looks': 'looks',
          '#waiters': 'waiters',
          '#version': 'version',
          '#expiresAt': 'expiresAt',
          ...(state.releasedAt !== undefined && { '#releasedAt': 'releasedAt' }),
        },
        ExpressionAttributeValues: {
          ':holders': numbers(state.holders),
          ':releases': numbers(state.releases),
          ':looks': numbers(state.looks ?? new Map()),
          ':waiters': { M: Object.fromEntries([...state.waiters].map(([h, w]) => [h, { M: { at: { N: String(w.at) }, due: { N: String(w.due) }, refusals: { N: String(w.refusals) } } }])) },
          // At least the time in ms: a version never comes back after TTL deleted the item and a new
          // one was written, so a write that read the old item cannot succeed against the new one.
          ':next': { N: String(Math.max((version ?? 0) + 1, now.getTime())) },
          ':expiresAt': { N: String(latest) },
          ...(state.releasedAt !== undefined && { ':releasedAt': { N: String(state.releasedAt) } }),
          ...(version !== undefined && { ':version': { N: String(version) } }),
        },
      }),
    );
    return true;
  } catch (err) {
    if (isConditionFailed(err)) return false;
    throw err;
  }
}

function isConditionFailed(err: unknown): boolean {
  return err instanceof ConditionalCheckFailedException || (err as Error)?.name === 'ConditionalCheckFailedException';
}

/** The outcome of an acquire: the holders (live, this one included) when it was granted. */
export interface Acquired {
  readonly key: string;
  readonly inUse: number;
  readonly limit: number;
}

/** What a refused acquire tells its caller: when to ask again (see {@link decideAcquire}). */
export interface SlotWait {
  /** 1-based place in the slot group's queue. */
  readonly position: number;
  /** Seconds to wait before asking again: 60 s to 4 h (30 min without a recorded release) + 1-15 s of jitter. */
  readonly retryAfterSeconds: number;
  /** Seconds this requester has been waiting (since it joined the queue). */
  readonly waitedSeconds: number;
  /** Seconds since a holder of the slot group was last released (never: `waitedSeconds`); absent when not known. */
  readonly sinceReleaseSeconds?: number;
  /** Seconds from now to its expected turn by the holders' mean copy time ({@link expectedTurnSeconds}); absent when not known. */
  readonly expectedTurnSeconds?: number;
  /** Waiters of the slot group, this one included (the queue depth); absent when not known. */
  readonly waiting?: number;
}


/**
 * The character around the aimed wait in a {@link CopySlotWait} message (`Wait|<seconds>|s ...`): the
 * state machine splits the error's Cause (the Lambda error JSON, `{"errorType","errorMessage","trace"}`)
 * on it and reads field 1 (statemachines/database-backup.ts `awaitSlot`; {@link retryAfterSecondsOfCause}).
 */
export const SLOT_WAIT_FIELD_SEPARATOR = '|';

/**
 * A copy step refused by the slot table (every slot of the destination is held, or reserved for
 * earlier waiters): not a failure but the signal that sends the state machine's Catch straight into
 * the step's slot wait (`Aim<Step>SlotWait` -> `WaitFor<Step>Slot` -> the step again), so a granted
 * copy goes on with no Choice (issue 12: one state transition less per copy). The message starts with
 * the aimed wait, `Wait|<retryAfterSeconds>|s for a copy slot`, for the state machine to read; the
 * rest says where the requester stands. Not retried by any Retry (distinct from `CopySlotsBusy`).
 * The Cause is the Lambda error JSON (docs/aws-behaviour.md §20), read with intrinsic functions (§30).
 * Source: https://docs.aws.amazon.com/step-functions/latest/dg/concepts-error-handling.html (Catch, error Cause)
 */
export class CopySlotWait extends Error {
  /** Handlers log it as a normal outcome and count `CopySlotWaits`, not `Failed` (functions/shared/handler.ts). */
  readonly waitSignal = true;
  constructor(
    readonly wait: SlotWait,
    reason: string,
  ) {
    super(`Wait${SLOT_WAIT_FIELD_SEPARATOR}${wait.retryAfterSeconds}${SLOT_WAIT_FIELD_SEPARATOR}s for a copy slot: ${reason}`);
    this.name = 'CopySlotWait';
  }
}

/**
 * A copy step has waited {@link COPY_SLOT_WAIT_MAX_SECONDS} for a slot and was refused again: the
 * copies in progress into the destination stayed at the limit (docs/aws-behaviour.md §11). The state
 * machine records it as `CopySlotsBusy` (the `<Step>SlotWaitTooLong` Pass) with this message as the cause.
 */
export class CopySlotWaitTooLong extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CopySlotWaitTooLong';
  }
}

/**
 * Issue 12: the first copy step of an **event-started** run (`CreateCopy`, before any copy of the run
 * exists) gives up its place in a moving queue whose turn it cannot expect within the slot wait's
 * bound ({@link slotWaitDeferred}): the database is left to the daily scheduled run, the backstop of
 * best-effort RDS events (docs/aws-behaviour.md §17). Not a failure: DatabaseBackup catches it by
 * name into `RecordDeferral` -> `DeferredToScheduledRun` (the run ledger record says `DEFERRED` with
 * this message as the reason; no immediate notification; the daily digest lists it). Never thrown by
 * later copy steps, by scheduled or manual runs, nor for a stuck destination (that stays
 * `CopySlotWaitTooLong`). Not retried by any Retry.
 */
export class CopySlotsDeferred extends Error {
  /** Handlers log it at WARN and count `CopiesDeferred`, not `Failed` (functions/shared/handler.ts). */
  readonly deferSignal = true;
  constructor(
    readonly wait: SlotWait,
    message: string,
  ) {
    super(message);
    this.name = 'CopySlotsDeferred';
  }
}

/**
 * How long after joining a slot group's queue a waiter may be deferred on its expected turn
 * ({@link slotWaitDeferred} `turn`), seconds: 2.5 h, the longest aimed wait past the holders
 * ({@link MAX_EXTRAPOLATED_RETRY_AFTER_SECONDS}, 2 h) and 30 min, so the window holds the refusal
 * after the first estimate too. The first estimates (a minute in) are low: PercentProgress is a whole
 * percent (AWS does not say how it rounds; the sandbox rounds down, the stricter reading), so a copy
 * over 100 min may show 0% at its first look and is then expected back at its next
 * look, which says nothing of its length; by the next refusal the holders' polls have seen progress.
 * Later estimates are worse, not better: the copies holding slots are skewed toward long ones (a long
 * copy holds its slot longer), and an estimate taken again at every refusal defers on the highest of
 * many noisy values. Measured on 200 event runs at once (bench fleet, limits 4 / 1: the
 * 1,000-at-20/5 queue scaled down 5x), where 46 databases get a slot within the 40 h bound: deciding
 * at any refusal deferred 16 of those 46 (30 copied); within 2 h none (46 copied; 133 deferred early,
 * 21 only after 40 h: their second estimate came 2 h after the first, just past the window); within
 * 2.5 h 3 (43 copied; 141 early, 16 after 40 h; 44.9 state transitions a database, against 91 when
 * the late ones failed). After the window, only the 40 h bound defers (`late`).
 */
export const DEFERRAL_DECISION_SECONDS = MAX_EXTRAPOLATED_RETRY_AFTER_SECONDS + 1800;

/**
 * Why a refused copy request of an event-started run's first copy step is deferred to the scheduled
 * run (issue 12), or undefined when it waits on (or fails: a stuck destination, {@link slotWaitTooLong}):
 * - `stuck` is never deferred: no holder of the group was released for {@link COPY_SLOT_WAIT_MAX_SECONDS}
 *   after as long a wait (returns undefined; the caller fails it as `CopySlotWaitTooLong`);
 * - `turn`: within its first {@link DEFERRAL_DECISION_SECONDS} in the queue, its expected turn
 *   ({@link SlotWait.expectedTurnSeconds}, by the holders' mean copy time) lies beyond
 *   {@link COPY_SLOT_WAIT_MOVING_MAX_SECONDS} after it joined the queue (`waitedSeconds` +
 *   `expectedTurnSeconds` > the bound): decided early, at a refusal that has an estimate (once the
 *   holders' polls recorded their releases);
 * - `late`: it waited {@link COPY_SLOT_WAIT_MOVING_MAX_SECONDS} in a queue that moves (the estimate was
 *   too hopeful): deferred, where a scheduled or manual run fails with `CopySlotsBusy`.
 * With no estimate (no release recorded yet) it waits: the position alone says nothing about time
 * (copies take 5 minutes to 15 hours), and the next refusal, a round later, has one.
 */
export function slotWaitDeferred(wait: SlotWait): 'turn' | 'late' | undefined {
  const stuck = wait.waitedSeconds >= COPY_SLOT_WAIT_MAX_SECONDS && (wait.sinceReleaseSeconds ?? wait.waitedSeconds) >= COPY_SLOT_WAIT_MAX_SECONDS;
  if (stuck) return undefined;
  if (wait.waitedSeconds >= COPY_SLOT_WAIT_MOVING_MAX_SECONDS) return 'late';
  if (wait.waitedSeconds <= DEFERRAL_DECISION_SECONDS && wait.expectedTurnSeconds !== undefined && wait.waitedSeconds + wait.expectedTurnSeconds > COPY_SLOT_WAIT_MOVING_MAX_SECONDS) return 'turn';
  return undefined;
}

/**
 * The aimed wait the state machine reads from a {@link CopySlotWait}'s Cause, seconds: field 1 of the
 * Cause split on {@link SLOT_WAIT_FIELD_SEPARATOR} (the same as `awaitSlot`'s
 * `States.StringToJson(States.ArrayGetItem(States.StringSplit(Cause, '|'), 1))`), or undefined.
 */
export function retryAfterSecondsOfCause(cause: string): number | undefined {
  const field = cause.split(SLOT_WAIT_FIELD_SEPARATOR)[1];
  const n = field === undefined ? NaN : Number(field);
  return Number.isInteger(n) && n >= 0 ? n : undefined;
}

/**
 * Takes a slot for `r.holder` (or renews it when the holder already has one: a retried Lambda, or
 * an event run and the scheduled run asking for the same copy, count once) by the queue rule
 * {@link decideAcquire}; lapsed leases and stale waiters are dropped in the same write. A refused
 * copy request joins the queue (written too); export requests do not queue.
 * @param now the handler's clock; leases are `now + settings.leaseSeconds`.
 * @param busy builds the error to throw when refused (CopySlotWait or CopySlotWaitTooLong for copies, ExportTaskLimitReached
 *   for exports); it gets the {@link SlotWait} of the refusal.
 * @throws what `busy` returns, when refused or when the write kept losing races
 * @throws DynamoDB errors (AccessDeniedException, ResourceNotFoundException, throttling) as they come
 */
export async function acquireSlot(
  ddb: DynamoDBClient,
  settings: CopySlotSettings,
  r: SlotRequest,
  now: Date,
  busy: (message: string, wait: SlotWait) => Error,
): Promise<Acquired> {
  const key = slotKey(r);
  const limit = settings.limits[r.kind];
  const nowSeconds = Math.floor(now.getTime() / 1000);
  const lease = nowSeconds + settings.leaseSeconds;
  for (let attempt = 0; attempt < MAX_WRITE_ATTEMPTS; attempt++) {
    const item = await read(ddb, settings.table, key);
    const d = decideAcquire(item, r.holder, limit, nowSeconds, lease, r.kind !== 'export');
    if (!(await write(ddb, settings.table, key, item.version, d.next, now))) continue;
    if (d.granted) return { key, inUse: d.next.holders.size, limit };
    const held = [...d.next.holders.keys()];
    throw busy(
      `All ${limit} slots of ${describeSlot(r)} are held or reserved for earlier waiters (copy slot table ${settings.table}, item ${key}: ` +
        `${held.slice(0, 5).join(', ')}${held.length > 5 ? ', ...' : ''}; place ${d.position} of ${d.next.waiters.size || 1} waiting, for ${d.waitedSeconds} s).`,
      {
        position: d.position,
        retryAfterSeconds: d.retryAfterSeconds,
        waitedSeconds: d.waitedSeconds,
        sinceReleaseSeconds: d.sinceReleaseSeconds,
        waiting: d.next.waiters.size || 1,
        ...(d.expectedTurnSeconds !== undefined && { expectedTurnSeconds: d.expectedTurnSeconds }),
      },
    );
  }
  throw busy(`The copy slot table ${settings.table} item ${key} changed under ${MAX_WRITE_ATTEMPTS} writes in a row (many executions at once); retrying later.`, {
    position: 0,
    retryAfterSeconds: MIN_RETRY_AFTER_SECONDS + retryJitterSeconds(r.holder, nowSeconds),
    waitedSeconds: 0,
  });
}

/**
 * Gives back `r.holder`'s slot (and drops lapsed leases and stale waiters). Idempotent: nothing to do
 * when the holder holds none (released before, or its lease lapsed and another write dropped it).
 * @returns true when a slot was released, false when there was none
 * @throws DynamoDB errors as they come; a write that keeps losing races is given up (false): the lease frees it.
 */
export async function releaseSlot(ddb: DynamoDBClient, settings: Pick<CopySlotSettings, 'table'>, r: SlotRequest, now: Date): Promise<boolean> {
  return (await releaseSlotCounting(ddb, settings, r, now)) !== undefined;
}

/**
 * {@link releaseSlot}, returning the live holders of the slot group left after the release (the
 * copies still in progress into that destination and kind), or undefined when nothing was released.
 */
export async function releaseSlotCounting(ddb: DynamoDBClient, settings: Pick<CopySlotSettings, 'table'>, r: SlotRequest, now: Date): Promise<number | undefined> {
  const key = slotKey(r);
  const nowSeconds = Math.floor(now.getTime() / 1000);
  for (let attempt = 0; attempt < MAX_WRITE_ATTEMPTS; attempt++) {
    const item = await read(ddb, settings.table, key);
    if (!item.holders.has(r.holder)) return undefined;
    const holders = new Map([...item.holders].filter(([h, exp]) => h !== r.holder && exp > nowSeconds));
    const next: SlotState = {
      holders,
      releases: new Map([...item.releases].filter(([h]) => holders.has(h))),
      looks: new Map([...(item.looks ?? [])].filter(([h]) => holders.has(h))),
      waiters: new Map([...item.waiters].filter(([, w]) => w.due + WAITER_GRACE_SECONDS >= nowSeconds)),
      releasedAt: nowSeconds,
    };
    if (await write(ddb, settings.table, key, item.version, next, now)) return holders.size;
  }
  return undefined;
}

/**
 * Records when `r.holder`'s slot can come back at the earliest (`atSeconds`, epoch seconds) and its
 * poll's next look (`lookSeconds`), for the waiters' aim: one conditional UpdateItem, no read
 * (`SET releases.<holder>, looks.<holder>`, version raised so an acquire that read before it redoes
 * from a fresh read). Nothing is written when the holder holds no slot (released, lapsed) or the
 * item predates release estimates. The same UpdateItem (`ReturnValues: ALL_NEW`, no extra request or
 * read capacity, docs/aws-behaviour.md §30) returns the slot group's holders whose lease is still live at `now` (the copies in
 * progress into that destination and kind, this one included), or undefined when nothing was recorded.
 * @throws DynamoDB errors other than the condition failing
 * Source: https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_UpdateItem.html (ReturnValues)
 */
export async function expectReleaseCounting(
  ddb: DynamoDBClient,
  settings: Pick<CopySlotSettings, 'table'>,
  r: SlotRequest,
  atSeconds: number,
  lookSeconds: number,
  now: Date,
): Promise<number | undefined> {
  try {
    const out = await ddb.send(
      new UpdateItemCommand({
        TableName: settings.table,
        Key: { slot: { S: slotKey(r) } },
        UpdateExpression: 'SET #releases.#h = :at, #looks.#h = :look, #version = #version + :one',
        ConditionExpression: 'attribute_exists(#holders.#h) AND attribute_exists(#releases) AND attribute_exists(#looks)',
        ExpressionAttributeNames: { '#releases': 'releases', '#looks': 'looks', '#holders': 'holders', '#version': 'version', '#h': r.holder },
        ExpressionAttributeValues: { ':at': { N: String(Math.floor(atSeconds)) }, ':look': { N: String(Math.floor(lookSeconds)) }, ':one': { N: '1' } },
        ReturnValues: 'ALL_NEW',
      }),
    );
    const nowSeconds = Math.floor(now.getTime() / 1000);
    return [...numberMap(out.Attributes?.holders).values()].filter((exp) => exp > nowSeconds).length;
  } catch (err) {
    if (isConditionFailed(err)) return undefined;
    throw err;
  }
}

function describeSlot(r: SlotRequest): string {
  if (r.kind === 'export') return `export tasks of account ${r.accountId}`;
  return `${r.kind === 'cluster' ? 'DB cluster snapshot' : 'DB snapshot'} copies into account ${r.accountId} Region ${r.region}`;
}

/** Acquire/release of one copy's slot, as copySnapshotIdempotently takes them. */
export interface SlotHooks {
  acquire(): Promise<void>;
  release(): Promise<void>;
}
/** Builds the {@link SlotHooks} of one request. */
export type SlotFor = (r: SlotRequest) => SlotHooks;

/**
 * Whether a refused copy request has waited too long (then `CopySlotWaitTooLong`, recorded as
 * `CopySlotsBusy`): it waited {@link COPY_SLOT_WAIT_MAX_SECONDS} and no holder of its slot group was
 * released for as long (the destination is stuck), or it waited
 * {@link COPY_SLOT_WAIT_MOVING_MAX_SECONDS} whatever the queue did. A waiter late in a long queue
 * that keeps moving is not failed for being late.
 */
export function slotWaitTooLong(wait: SlotWait): boolean {
  if (wait.waitedSeconds >= COPY_SLOT_WAIT_MOVING_MAX_SECONDS) return true;
  return wait.waitedSeconds >= COPY_SLOT_WAIT_MAX_SECONDS && (wait.sinceReleaseSeconds ?? wait.waitedSeconds) >= COPY_SLOT_WAIT_MAX_SECONDS;
}

/** Options of {@link slotHooks}. */
export interface SlotHookOptions {
  /**
   * Issue 12: defer instead of waiting on ({@link slotWaitDeferred}, {@link CopySlotsDeferred}). Only
   * for the first copy step of an event-started run (create-copy with `trigger: 'event'`), where no
   * copy of the run exists yet. @default false
   */
  readonly deferWhenLate?: boolean;
}

/** The reason a deferral records: where, which kind, the queue and the expected turn. */
function deferralMessage(r: SlotRequest, wait: SlotWait, why: 'turn' | 'late', detail: string): string {
  const hours = (s: number) => `${Math.round((s / 3600) * 10) / 10} h`;
  const bound = hours(COPY_SLOT_WAIT_MOVING_MAX_SECONDS);
  const head =
    why === 'turn'
      ? `Deferred to the scheduled run: place ${wait.position} of ${wait.waiting ?? wait.position} waiting for ${describeSlot(r)}, its turn expected in ${hours(wait.expectedTurnSeconds ?? 0)} after ${hours(wait.waitedSeconds)} of waiting, beyond the ${bound} slot wait`
      : `Deferred to the scheduled run: waited ${hours(wait.waitedSeconds)} (the ${bound} slot wait) at place ${wait.position} of ${wait.waiting ?? wait.position} for ${describeSlot(r)} in a queue that moves`;
  return (
    `${head} (destination account ${r.accountId} Region ${r.region}, ${r.kind === 'cluster' ? 'DB cluster snapshot' : 'DB snapshot'} copies). ` +
    'This event-started run made no copy; the daily scheduled run backs the database up (RDS events are best-effort, the schedule is the backstop, docs/aws-behaviour.md §17). ' +
    detail
  );
}

/**
 * Slot hooks of the copy functions: a refused acquire throws {@link CopySlotWait} (the aimed wait, caught
 * by the state machine into the step's slot wait), or {@link CopySlotWaitTooLong} once the requester
 * has waited too long ({@link slotWaitTooLong}), for copies; with `opts.deferWhenLate`,
 * {@link CopySlotsDeferred} when {@link slotWaitDeferred} says so (before either); `ExportTaskLimitReached` for exports
 * (retried by name with long backoff); a release that fails is swallowed (the lease frees the slot later).
 */
export function slotHooks(ddb: DynamoDBClient, settings: CopySlotSettings, now: Date, opts: SlotHookOptions = {}): SlotFor {
  return (r) => ({
    acquire: async () => {
      await acquireSlot(ddb, settings, r, now, (message, wait) => {
        if (r.kind === 'export') return new ExportTaskLimitReached(`${message} The state machine retries for hours as export tasks finish.`);
        const deferred = opts.deferWhenLate ? slotWaitDeferred(wait) : undefined;
        if (deferred !== undefined) return new CopySlotsDeferred(wait, deferralMessage(r, wait, deferred, message));
        if (slotWaitTooLong(wait)) {
          return new CopySlotWaitTooLong(
            `No copy slot freed for ${wait.waitedSeconds} s (bound: ${COPY_SLOT_WAIT_MAX_SECONDS} s with no slot of the destination freed, ` +
              `${COPY_SLOT_WAIT_MOVING_MAX_SECONDS} s in a moving queue; last freed ${wait.sinceReleaseSeconds ?? wait.waitedSeconds} s ago). ${message} Copies in progress stayed at the limit ` +
              '(docs/aws-behaviour.md §11): back up fewer databases per run, or lower concurrency.copySlots if other tools copy into this destination, and re-run.',
          );
        }
        return new CopySlotWait(wait, `${message} The state machine waits for a slot as copies finish (docs/aws-behaviour.md §11).`);
      });
    },
    release: async () => {
      await releaseSlot(ddb, settings, r, now).catch(() => false);
    },
  });
}

/**
 * The slot settings from a function's environment, or undefined when `COPY_SLOT_TABLE` is not set
 * (no slot authority: RDS's own rejection, CopySlotsBusy, is the only limit).
 */
export function slotSettingsFrom(env: { COPY_SLOT_TABLE?: string | undefined; COPY_SLOT_LIMITS?: SlotLimits | undefined; COPY_SLOT_LEASE_SECONDS?: number | undefined }): CopySlotSettings | undefined {
  if (env.COPY_SLOT_TABLE === undefined) return undefined;
  return { table: env.COPY_SLOT_TABLE, limits: env.COPY_SLOT_LIMITS ?? AWS_SLOT_LIMITS, leaseSeconds: env.COPY_SLOT_LEASE_SECONDS ?? 50 * 3600 };
}


/**
 * The slot hooks of a handler from its parsed environment (see {@link slotEnvShape}), or undefined
 * when no slot table is configured. The DynamoDB client uses the function's own credentials in its
 * own Region (the table is in the source account and Region).
 */
export function slotHooksFrom(
  env: { AWS_REGION: string; COPY_SLOT_TABLE?: string | undefined; COPY_SLOT_LIMITS?: SlotLimits | undefined; COPY_SLOT_LEASE_SECONDS?: number | undefined },
  clients: { dynamodb(o?: { region?: string }): DynamoDBClient },
  now: Date,
  opts: SlotHookOptions = {},
): SlotFor | undefined {
  const settings = slotSettingsFrom(env);
  return settings ? slotHooks(clients.dynamodb({ region: env.AWS_REGION }), settings, now, opts) : undefined;
}

/** What a poll function does with its holder's slot: give it back, or record when it may come back. */
export interface SlotTracker {
  release(): Promise<void>;
  /** @param atSeconds expected release, `lookSeconds` the poll's next look, epoch seconds */
  expectRelease(atSeconds: number, lookSeconds: number): Promise<void>;
}

/**
 * Told, after a poll's write to the slot table, how many copies are in progress into the polled
 * copy's destination and kind (the slot group's live holders), e.g. for the dashboard's gauge
 * (functions/poll-status/in-flight.ts).
 */
export type InProgressReport = (r: SlotRequest, inProgress: number) => void;

/**
 * The slot tracker of one holder from a poll function's environment (only `COPY_SLOT_TABLE` is
 * needed), or undefined without a slot table. Never throws: a failed release is left to the lease,
 * a failed estimate to the waiters' next look. `report` gets the copies in progress after each
 * successful write ({@link InProgressReport}); nothing when the write failed or found no slot.
 */
export function slotReleaseFrom(
  env: { AWS_REGION: string; COPY_SLOT_TABLE?: string | undefined },
  clients: { dynamodb(o?: { region?: string }): DynamoDBClient },
  r: SlotRequest,
  now: Date,
  report?: InProgressReport,
): SlotTracker | undefined {
  if (env.COPY_SLOT_TABLE === undefined) return undefined;
  const ddb = clients.dynamodb({ region: env.AWS_REGION });
  const table = env.COPY_SLOT_TABLE;
  const tell = (n: number | undefined): void => {
    if (n !== undefined) report?.(r, n);
  };
  return {
    release: async () => {
      tell(await releaseSlotCounting(ddb, { table }, r, now).catch(() => undefined));
    },
    expectRelease: async (atSeconds, lookSeconds) => {
      tell(await expectReleaseCounting(ddb, { table }, r, atSeconds, lookSeconds, now).catch(() => undefined));
    },
  };
}

/**
 * Runs one poll and releases the slot when the copy (export task) is seen finished: the poll
 * reports `ready`, or throws one of `finalErrors` (the copy failed, or is gone). Transient errors
 * (throttling, Lambda faults) keep the slot: the copy may still be running. A copy not yet finished
 * records its next look (`checkedAt` + `waitSeconds`) as its expected release, for the waiters' aim.
 */
export async function releaseWhenFinished<T extends { readonly ready: boolean; readonly checkedAt: string; readonly waitSeconds: number }>(
  slot: SlotTracker | undefined,
  finalErrors: readonly string[],
  poll: () => Promise<T>,
): Promise<T> {
  let out: T;
  try {
    out = await poll();
  } catch (err) {
    if (finalErrors.includes((err as Error)?.name)) await slot?.release();
    throw err;
  }
  if (out.ready) await slot?.release();
  else {
    const at = expectedReleaseSeconds(out);
    const look = Math.floor(Date.parse(out.checkedAt) / 1000) + Math.max(0, out.waitSeconds);
    if (at !== undefined) await slot?.expectRelease(at, look);
  }
  return out;
}

/**
 * When a copy (export task) not yet finished is expected to give its slot back, epoch seconds: the
 * first poll at or after its completion. At the earliest the poll's next look (`checkedAt` +
 * `waitSeconds`); when `percentProgress` rose (0 < p < 100), not before the completion it
 * extrapolates (`elapsedSeconds` x (100 - p) / p after `checkedAt`): waiters aimed at a next look far
 * from completion would only be refused again. undefined when `checkedAt` is not a time.
 */
export function expectedReleaseSeconds(out: { readonly checkedAt: string; readonly waitSeconds: number; readonly percentProgress?: number; readonly elapsedSeconds?: number }): number | undefined {
  const checked = Date.parse(out.checkedAt);
  if (!Number.isFinite(checked)) return undefined;
  const at = Math.floor(checked / 1000);
  const next = at + Math.max(0, out.waitSeconds);
  const p = out.percentProgress ?? 0;
  const elapsed = out.elapsedSeconds ?? 0;
  if (!(p > 0 && p < 100 && elapsed > 0)) return next;
  return Math.max(next, at + Math.ceil((elapsed * (100 - p)) / p));
}
