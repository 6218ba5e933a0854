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
import * as z from 'zod/mini';
import { jsonEnv } from './env.js';
import { CopySlotsBusy, ExportTaskLimitReached } from './errors.js';

/** What a slot is for: a DB snapshot copy, a DB cluster snapshot copy, or an export task. */
export type SlotKind = 'instance' | 'cluster' | 'export';

/** Slots per destination: copies per account and Region by kind, export tasks per account. */
export interface SlotLimits {
  readonly instance: number;
  readonly cluster: number;
  readonly export: number;
}

/** AWS's limits (docs/aws-behaviour.md §11, §16): 20 DB snapshot copies, 5 DB cluster snapshot copies, 5 export tasks. */
export const AWS_SLOT_LIMITS: SlotLimits = { instance: 20, cluster: 5, export: 5 };

/** `COPY_SLOT_LIMITS`: JSON `{ "instance": 1-20, "cluster": 1-5, "export": 1-5 }`. */
export const slotLimitsEnv = jsonEnv(
  z.object({
    instance: z.number().check(z.int(), z.gte(1), z.lte(AWS_SLOT_LIMITS.instance)),
    cluster: z.number().check(z.int(), z.gte(1), z.lte(AWS_SLOT_LIMITS.cluster)),
    export: z.number().check(z.int(), z.gte(1), z.lte(AWS_SLOT_LIMITS.export)),
  }),
);

/** `COPY_SLOT_TABLE`: DynamoDB table name (3-255 letters, digits, `_`, `-`, `.`). */
export const slotTableEnv = z.string().check(z.regex(/^[A-Za-z0-9_.-]{3,255}$/, 'must be a DynamoDB table name'));

/** `COPY_SLOT_LEASE_SECONDS`: a whole number of seconds, 1 hour to 7 days. */
export const slotLeaseEnv = z.pipe(
  z.string().check(z.regex(/^\d+$/, 'must be a whole number of seconds')),
  z.pipe(z.transform((s: string) => Number(s)), z.number().check(z.gte(3600), z.lte(7 * 86_400))),
);

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

interface SlotItem {
  readonly holders: Map<string, number>;
  readonly version: number | undefined;
}

async function read(ddb: DynamoDBClient, table: string, key: string): Promise<SlotItem> {
  const out = await ddb.send(new GetItemCommand({ TableName: table, Key: { slot: { S: key } }, ConsistentRead: true }));
  const item = out.Item;
  const holders = new Map<string, number>();
  for (const [h, v] of Object.entries((item?.holders as { M?: Record<string, AttributeValue> } | undefined)?.M ?? {})) {
    const n = Number((v as { N?: string }).N);
    if (Number.isFinite(n)) holders.set(h, n);
  }
  const version = item?.version && 'N' in item.version && item.version.N !== undefined ? Number(item.version.N) : undefined;
  return { holders, version };
}

/** Writes `holders` if the item is still at `version` (absent item: version undefined). @returns false when another write came first */
async function write(ddb: DynamoDBClient, table: string, key: string, version: number | undefined, holders: Map<string, number>, now: Date): Promise<boolean> {
  const latest = Math.max(0, ...holders.values());
  try {
    await ddb.send(
      new UpdateItemCommand({
        TableName: table,
        Key: { slot: { S: key } },
        UpdateExpression: 'SET #holders = :holders, #version = :next, #expiresAt = :expiresAt',
        ConditionExpression: version === undefined ? 'attribute_not_exists(#version)' : '#version = :version',
        ExpressionAttributeNames: { '#holders': 'holders', '#version': 'version', '#expiresAt': 'expiresAt' },
        ExpressionAttributeValues: {
          ':holders': { M: Object.fromEntries([...holders].map(([h, exp]) => [h, { N: String(exp) }])) },
          // At least the time in ms: a version never comes back after TTL deleted the item and a new
          // one was written, so a write that read the old item cannot succeed against the new one.
          ':next': { N: String(Math.max((version ?? 0) + 1, now.getTime())) },
          ':expiresAt': { N: String(latest) },
          ...(version !== undefined && { ':version': { N: String(version) } }),
        },
      }),
    );
    return true;
  } catch (err) {
    if (err instanceof ConditionalCheckFailedException || (err as Error)?.name === 'ConditionalCheckFailedException') return false;
    throw err;
  }
}

/** The outcome of an acquire: the holders (live, this one included) when it was granted. */
export interface Acquired {
  readonly key: string;
  readonly inUse: number;
  readonly limit: number;
}

/**
 * Takes a slot for `r.holder` (or renews it when the holder already has one: a retried Lambda, or
 * an event run and the scheduled run asking for the same copy, count once). Holders whose lease
 * has passed are dropped in the same write.
 * @param now the handler's clock; leases are `now + settings.leaseSeconds`.
 * @param busy builds the error to throw when every slot is taken (CopySlotsBusy for copies,
 *   ExportTaskLimitReached for exports: each retried by name with long backoff by the state machine).
 * @throws what `busy` returns, when the live holders already reach the limit or the write kept losing races
 * @throws DynamoDB errors (AccessDeniedException, ResourceNotFoundException, throttling) as they come
 */
export async function acquireSlot(ddb: DynamoDBClient, settings: CopySlotSettings, r: SlotRequest, now: Date, busy: (message: string) => Error): Promise<Acquired> {
  const key = slotKey(r);
  const limit = settings.limits[r.kind];
  const nowSeconds = Math.floor(now.getTime() / 1000);
  const lease = nowSeconds + settings.leaseSeconds;
  for (let attempt = 0; attempt < MAX_WRITE_ATTEMPTS; attempt++) {
    const item = await read(ddb, settings.table, key);
    const live = new Map([...item.holders].filter(([, exp]) => exp > nowSeconds));
    if (!live.has(r.holder) && live.size >= limit) {
      throw busy(
        `All ${limit} slots of ${describeSlot(r)} are held (copy slot table ${settings.table}, item ${key}: ${[...live.keys()].slice(0, 5).join(', ')}${live.size > 5 ? ', ...' : ''}).`,
      );
    }
    live.set(r.holder, lease);
    if (await write(ddb, settings.table, key, item.version, live, now)) return { key, inUse: live.size, limit };
  }
  throw busy(`The copy slot table ${settings.table} item ${key} changed under ${MAX_WRITE_ATTEMPTS} writes in a row (many executions at once); retrying later.`);
}

/**
 * Gives back `r.holder`'s slot (and drops lapsed leases). Idempotent: nothing to do when the holder
 * holds none (released before, or its lease lapsed and another write dropped it).
 * @returns true when a slot was released, false when there was none
 * @throws DynamoDB errors as they come; a write that keeps losing races is given up (false): the lease frees it.
 */
export async function releaseSlot(ddb: DynamoDBClient, settings: Pick<CopySlotSettings, 'table'>, r: SlotRequest, now: Date): Promise<boolean> {
  const key = slotKey(r);
  const nowSeconds = Math.floor(now.getTime() / 1000);
  for (let attempt = 0; attempt < MAX_WRITE_ATTEMPTS; attempt++) {
    const item = await read(ddb, settings.table, key);
    if (!item.holders.has(r.holder)) return false;
    const kept = new Map([...item.holders].filter(([h, exp]) => h !== r.holder && exp > nowSeconds));
    if (await write(ddb, settings.table, key, item.version, kept, now)) return true;
  }
  return false;
}

function describeSlot(r: SlotRequest): string {
  if (r.kind === 'export') return `export tasks of account ${r.accountId}`;
  return `${r.kind === 'cluster' ? 'DB cluster snapshot' : 'DB snapshot'} copies into account ${r.accountId} Region ${r.region}`;
}

/**
 * The slot settings from a function's environment, or undefined when `COPY_SLOT_TABLE` is not set
 * (no slot authority: RDS's own rejection, CopySlotsBusy, is the only limit).
 */
export function slotSettingsFrom(env: { COPY_SLOT_TABLE?: string | undefined; COPY_SLOT_LIMITS?: SlotLimits | undefined; COPY_SLOT_LEASE_SECONDS?: number | undefined }): CopySlotSettings | undefined {
  if (env.COPY_SLOT_TABLE === undefined) return undefined;
  return { table: env.COPY_SLOT_TABLE, limits: env.COPY_SLOT_LIMITS ?? AWS_SLOT_LIMITS, leaseSeconds: env.COPY_SLOT_LEASE_SECONDS ?? 50 * 3600 };
}

/** zod shape of the slot variables (all optional; see {@link slotSettingsFrom}). */
export const slotEnvShape = {
  COPY_SLOT_TABLE: z.optional(slotTableEnv),
  COPY_SLOT_LIMITS: z.optional(slotLimitsEnv),
  COPY_SLOT_LEASE_SECONDS: z.optional(slotLeaseEnv),
};

/** Acquire/release of one copy's slot, as copySnapshotIdempotently takes them. */
export interface SlotHooks {
  acquire(): Promise<void>;
  release(): Promise<void>;
}
/** Builds the {@link SlotHooks} of one request. */
export type SlotFor = (r: SlotRequest) => SlotHooks;

/**
 * Slot hooks of the copy functions: a refused acquire throws `CopySlotsBusy` (copies) or
 * `ExportTaskLimitReached` (exports), the named errors the state machine retries with long backoff;
 * a release that fails is swallowed (the lease frees the slot later).
 */
export function slotHooks(ddb: DynamoDBClient, settings: CopySlotSettings, now: Date): SlotFor {
  return (r) => ({
    acquire: async () => {
      await acquireSlot(ddb, settings, r, now, (message) =>
        r.kind === 'export'
          ? new ExportTaskLimitReached(`${message} The state machine retries for hours as export tasks finish.`)
          : new CopySlotsBusy(`${message} The state machine retries for hours as copies finish (docs/aws-behaviour.md §11).`),
      );
    },
    release: async () => {
      await releaseSlot(ddb, settings, r, now).catch(() => false);
    },
  });
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
): SlotFor | undefined {
  const settings = slotSettingsFrom(env);
  return settings ? slotHooks(clients.dynamodb({ region: env.AWS_REGION }), settings, now) : undefined;
}

/**
 * The release of one holder's slot from a poll function's environment (only `COPY_SLOT_TABLE` is
 * needed), or undefined without a slot table. Never throws: a failed release is left to the lease.
 */
export function slotReleaseFrom(
  env: { AWS_REGION: string; COPY_SLOT_TABLE?: string | undefined },
  clients: { dynamodb(o?: { region?: string }): DynamoDBClient },
  r: SlotRequest,
  now: Date,
): (() => Promise<void>) | undefined {
  if (env.COPY_SLOT_TABLE === undefined) return undefined;
  const ddb = clients.dynamodb({ region: env.AWS_REGION });
  const table = env.COPY_SLOT_TABLE;
  return async () => {
    await releaseSlot(ddb, { table }, r, now).catch(() => false);
  };
}

/**
 * Runs one poll and releases the slot when the copy (export task) is seen finished: the poll
 * reports `ready`, or throws one of `finalErrors` (the copy failed, or is gone). Transient errors
 * (throttling, Lambda faults) keep the slot: the copy may still be running.
 */
export async function releaseWhenFinished<T extends { readonly ready: boolean }>(release: (() => Promise<void>) | undefined, finalErrors: readonly string[], poll: () => Promise<T>): Promise<T> {
  let out: T;
  try {
    out = await poll();
  } catch (err) {
    if (finalErrors.includes((err as Error)?.name)) await release?.();
    throw err;
  }
  if (out.ready) await release?.();
  return out;
}
