/**
 * functions/shared/copy-slots.ts against the sandbox's DynamoDB (strict conditions, TTL that deletes
 * late): the limit holds under concurrent acquires, a holder counts once, releases free slots,
 * lapsed leases free slots whether or not TTL has deleted the item.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { afterEach, describe, expect, it } from 'vitest';
import { acquireSlot, releaseSlot, releaseWhenFinished, slotHooks, slotKey, type CopySlotSettings, type SlotRequest } from '../../functions/shared/copy-slots.js';
import { CopySlotsBusy, ExportTaskLimitReached } from '../../functions/shared/errors.js';
import { newWorld, R1, root, SOURCE, VAULT, type World } from '../sandbox/helpers';

let w: World;
afterEach(() => w.sandbox.uninstall());

const settings: CopySlotSettings = { table: 'rsv-copy-slots', limits: { instance: 5, cluster: 2, export: 1 }, leaseSeconds: 3600 };
const busy = (m: string) => new CopySlotsBusy(m);
const req = (holder: string, kind: SlotRequest['kind'] = 'instance'): SlotRequest => ({ accountId: VAULT, region: 'us-west-2', kind, holder });

function setup(): { ddb: DynamoDBClient; arn: string } {
  w = newWorld();
  const arn = w.sandbox.dynamodb.createTable({ accountId: SOURCE, region: R1, name: settings.table, partitionKey: 'slot', ttlAttribute: 'expiresAt' });
  return { ddb: new DynamoDBClient({ region: R1, credentials: w.sandbox.credentialsFor(root(SOURCE)) }), arn };
}
const holders = (arn: string, r: SlotRequest) => Object.keys((w.sandbox.dynamodb.peekItem(arn, slotKey(r))?.holders as { M?: object } | undefined)?.M ?? {}).sort();

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
