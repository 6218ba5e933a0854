import 'aws-sdk-client-mock-vitest/extend';
import {
  DescribeDBClusterSnapshotsCommand,
  DescribeDBClustersCommand,
  DescribeDBInstancesCommand,
  DescribeDBSnapshotsCommand,
  DescribeOptionGroupsCommand,
  ListTagsForResourceCommand,
  type DBCluster,
  type DBInstance,
} from '@aws-sdk/client-rds';
import { GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { createHandler } from '../../functions/plan-run/index.js';
import type { PlannedDatabase, PlanRunOutput, PlanRunResult } from '../../contracts/shapes.js';
import type { PlanChunk, PlanHead } from '../../functions/shared/ledger.js';
import { BASE_ENV, caught, dbClusterSnapshot, dbSnapshot, fakeContext, NOW, REGION, routeDescribes, SOURCE_ACCOUNT, testClients, type TestClients } from './helpers.js';

const DATABASES = [
  { identifier: 'orders-db', kind: 'instance' },
  { identifier: 'users-cluster', kind: 'cluster', export: true },
  { identifier: 'audit-db', kind: 'instance', export: false },
] as const;
/** What plan-run plans for DATABASES (export absent = false). */
const PLANNED = [
  { database: { identifier: 'orders-db', kind: 'instance' }, export: false, optionGroups: {}, blocked: null },
  { database: { identifier: 'users-cluster', kind: 'cluster' }, export: true, optionGroups: {}, blocked: null },
  { database: { identifier: 'audit-db', kind: 'instance' }, export: false, optionGroups: {}, blocked: null },
];
const ENV = { ...BASE_ENV, DATABASES: JSON.stringify(DATABASES) };
const TAGS = { 'rds-snapshot-vault:backup': 'true' };
const DISCOVERY_ENV = { ...ENV, DISCOVERY_TAGS: JSON.stringify(TAGS), DISCOVERY_EXPORT: 'true' };

let t: TestClients;
beforeEach(() => {
  t = testClients();
});
/** The run ledger bucket, served by the mocked S3 (issue 12: plan-run writes the plan there). */
const LEDGER = 'rsv-ledger';
const s3 = mockClient(S3Client);
let objects = new Map<string, string>();
beforeEach(() => {
  objects = new Map();
  s3.reset();
  s3.on(PutObjectCommand).callsFake((i: { Bucket: string; Key: string; Body: string }) => {
    objects.set(`${i.Bucket}/${i.Key}`, i.Body);
    return {};
  });
  s3.on(GetObjectCommand).callsFake((i: { Bucket: string; Key: string }) => {
    const body = objects.get(`${i.Bucket}/${i.Key}`);
    if (body === undefined) throw Object.assign(new Error('no such key'), { name: 'NoSuchKey' });
    return { Body: { transformToString: async () => body } };
  });
});
/**
 * Calls the handler (plan mode), checks what it returns to BackupRun (indices and counts only), and
 * returns the plan as the run ledger holds it (issue 12), in the shape of PlanRunOutput.
 */
const invokeRaw = async (event: unknown, env: Record<string, string | undefined> = ENV): Promise<PlanRunOutput> => {
  const handler = createHandler({ env: { LEDGER_BUCKET: LEDGER, ...env }, clients: t.factory, now: () => NOW });
  const out = (await handler(event, fakeContext('plan-run'))) as PlanRunResult;
  expect(Object.keys(out).sort()).toEqual(['chunks', 'concurrency', 'count', 'discovered', 'items', 'runId', 'skipped', 'trigger']);
  // The Map's concurrency (issue 12): a whole number from 1, never above the bound (50 without MAP_CONCURRENCY).
  const bound = env.MAP_CONCURRENCY === undefined ? 50 : (JSON.parse(env.MAP_CONCURRENCY) as { max: number }).max;
  expect(Number.isInteger(out.concurrency) && out.concurrency >= 1 && out.concurrency <= bound).toBe(true);
  expect(out.items).toEqual(Array.from({ length: out.count }, (_, i) => i));
  const head = JSON.parse(objects.get(`${LEDGER}/plans/${out.runId}/plan.json`)!) as PlanHead;
  expect(head).toMatchObject({ runId: out.runId, trigger: out.trigger, count: out.count, chunks: out.chunks });
  expect([head.skipped.length, head.discovered.length]).toEqual([out.skipped, out.discovered]);
  const databases: PlannedDatabase[] = [];
  for (let c = 0; c < out.chunks; c++) databases.push(...(JSON.parse(objects.get(`${LEDGER}/plans/${out.runId}/items-${String(c).padStart(5, '0')}.json`)!) as PlanChunk).items);
  // Each item also comes back through the item mode, as BackupRun's iterations read it.
  for (const i of out.count > 0 ? [0, out.count - 1] : []) expect(await handler({ runId: out.runId, index: i }, fakeContext('plan-run'))).toEqual(databases[i]);
  return { runId: out.runId, trigger: out.trigger, count: out.count, databases, skipped: head.skipped, discovered: head.discovered, concurrency: out.concurrency };
};
/** Sends `{ input: <execution input>, runId }` as the PlanRun state does, from a flat test event. */
const invoke = (event: Record<string, unknown>, env?: Record<string, string | undefined>) => {
  const { runId, ...input } = event;
  return invokeRaw({ input, runId }, env);
};
const snapArn = `arn:aws:rds:${REGION}:${SOURCE_ACCOUNT}:snapshot:before-upgrade`;
const clusterSnapArn = `arn:aws:rds:${REGION}:${SOURCE_ACCOUNT}:cluster-snapshot:before-upgrade`;
const autoArn = (db: string) => `arn:aws:rds:${REGION}:${SOURCE_ACCOUNT}:snapshot:rds:${db}-2026-11-21-04-10`;
const autoClusterArn = (db: string) => `arn:aws:rds:${REGION}:${SOURCE_ACCOUNT}:cluster-snapshot:rds:${db}-2026-11-21-04-10`;
const tagged = [{ Key: 'rds-snapshot-vault:backup', Value: 'true' }];

const instance = (id: string, p: { tags?: DBInstance['TagList']; cluster?: string; engine?: string } = {}): DBInstance => ({
  DBInstanceIdentifier: id,
  DBInstanceArn: `arn:aws:rds:${REGION}:${SOURCE_ACCOUNT}:db:${id}`,
  Engine: p.engine ?? 'postgres',
  ...(p.cluster !== undefined && { DBClusterIdentifier: p.cluster }),
  ...(p.tags !== undefined && { TagList: p.tags }),
});
const cluster = (id: string, p: { tags?: DBCluster['TagList']; engine?: string } = {}): DBCluster => ({
  DBClusterIdentifier: id,
  DBClusterArn: `arn:aws:rds:${REGION}:${SOURCE_ACCOUNT}:cluster:${id}`,
  Engine: p.engine ?? 'aurora-postgresql',
  ...(p.tags !== undefined && { TagList: p.tags }),
});
/** Serves DescribeDBInstances / DescribeDBClusters as pages, following Marker. */
function fleet(instancePages: DBInstance[][], clusterPages: DBCluster[][] = [[]]): void {
  const page = <T>(pages: T[][], marker: string | undefined) => {
    const i = marker === undefined ? 0 : Number(marker);
    return { items: pages[i] ?? [], next: i + 1 < pages.length ? String(i + 1) : undefined };
  };
  t.sourceRds.on(DescribeDBInstancesCommand).callsFake((i: { Marker?: string }) => {
    const { items, next } = page(instancePages, i.Marker);
    return { DBInstances: items, ...(next !== undefined && { Marker: next }) };
  });
  t.sourceRds.on(DescribeDBClustersCommand).callsFake((i: { Marker?: string }) => {
    const { items, next } = page(clusterPages, i.Marker);
    return { DBClusters: items, ...(next !== undefined && { Marker: next }) };
  });
}

describe('plan-run: configured databases', () => {
  it('plans all configured databases by default, each with export (absent = false); without discovery only the size lookups call AWS', async () => {
    const out = await invoke({ runId: 'exec-1' });
    expect(out).toEqual({
      runId: 'exec-1',
      trigger: 'manual',
      databases: PLANNED.map((p) => ({ ...p, runId: 'exec-1' })),
      count: 3,
      skipped: [],
      discovered: [],
      // Three databases, no MAP_CONCURRENCY (50 at most): the Map starts all three at once.
      concurrency: 3,
    });
    expect(out.databases.every((d) => !('sourceSnapshotArn' in d))).toBe(true);
    // The size lookups of the fleet order (which fail here: no sizes, so the plan order stays), nothing else.
    const ops = new Set(t.sourceRds.calls().map((c) => (c.args[0] as object).constructor.name));
    expect(ops.size).toBeGreaterThan(0);
    for (const op of ops) expect(['DescribeDBInstancesCommand', 'DescribeDBClustersCommand', 'DescribeDBClusterSnapshotsCommand']).toContain(op);
  });

  it('orders the whole fleet longest copy first: AllocatedStorage, an Aurora cluster by its newest automated snapshot, an unknown size first', async () => {
    t.sourceRds.on(DescribeDBInstancesCommand).resolves({ DBInstances: [{ DBInstanceIdentifier: 'orders-db', AllocatedStorage: 100 }, { DBInstanceIdentifier: 'audit-db', AllocatedStorage: 900 }] });
    t.sourceRds.on(DescribeDBClustersCommand).resolves({ DBClusters: [{ DBClusterIdentifier: 'users-cluster', Engine: 'aurora-postgresql', AllocatedStorage: 1 }] });
    t.sourceRds.on(DescribeDBClusterSnapshotsCommand).resolves({
      DBClusterSnapshots: [
        { DBClusterIdentifier: 'users-cluster', SnapshotCreateTime: new Date('2026-11-19T03:00:00Z'), AllocatedStorage: 2000 },
        { DBClusterIdentifier: 'users-cluster', SnapshotCreateTime: new Date('2026-11-20T03:00:00Z'), AllocatedStorage: 500 },
      ],
    });
    const out = await invoke({ runId: 'r' });
    // audit-db 900 GiB, users-cluster 500 GiB (its newest automated snapshot, not the 1 Aurora reports), orders-db 100 GiB.
    expect(out.databases.map((d) => d.database.identifier)).toEqual(['audit-db', 'users-cluster', 'orders-db']);
    t.sourceRds.on(DescribeDBInstancesCommand).resolves({ DBInstances: [{ DBInstanceIdentifier: 'audit-db', AllocatedStorage: 900 }] });
    // orders-db's size is unknown now: it goes first.
    expect((await invoke({ runId: 'r2' })).databases.map((d) => d.database.identifier)).toEqual(['orders-db', 'audit-db', 'users-cluster']);
    // A subset keeps the order the caller gave.
    expect((await invoke({ runId: 'r3', databases: ['orders-db', 'audit-db'] })).databases.map((d) => d.database.identifier)).toEqual(['orders-db', 'audit-db']);
  });

  it('item mode (issue 12): an index outside the plan is PlanItemNotFound; plan and item mode at once, or a negative index, is InvalidInput', async () => {
    const out = await invoke({ runId: 'r' });
    expect(out.databases).toHaveLength(3);
    const handler = createHandler({ env: { LEDGER_BUCKET: LEDGER, ...ENV }, clients: t.factory, now: () => NOW });
    expect(await handler({ runId: 'r', index: 1 }, fakeContext('plan-run'))).toEqual(out.databases[1]);
    expect((await caught(() => handler({ runId: 'r', index: 3 }, fakeContext('plan-run')))).name).toBe('PlanItemNotFound');
    expect((await caught(() => handler({ runId: 'r', index: 100 }, fakeContext('plan-run')))).name).toBe('NoSuchKey'); // chunk 1 was never written
    expect((await caught(() => handler({ runId: 'r', index: -1 }, fakeContext('plan-run')))).name).toBe('InvalidInput');
    expect((await caught(() => handler({ runId: 'r', index: 0, input: {} }, fakeContext('plan-run')))).name).toBe('InvalidInput');
  });

  it('passes the trigger through (schedule)', async () => {
    expect((await invoke({ runId: 'r', trigger: 'schedule' })).trigger).toBe('schedule');
  });

  it('plans a subset, removing duplicates (case-insensitively), in the given order', async () => {
    const out = await invoke({ runId: 'r', databases: ['audit-db', 'users-cluster', 'AUDIT-DB'] });
    expect(out.databases.map((d) => [d.database.identifier, d.export])).toEqual([
      ['audit-db', false],
      ['users-cluster', true],
    ]);
    expect(out.count).toBe(2);
  });

  it('rejects unknown databases, naming them and listing the configured ones', async () => {
    const err = await caught(() => invoke({ runId: 'r', databases: ['orders-db', 'billing-db', 'crm'] }));
    expect(err.name).toBe('UnknownDatabase');
    expect(err.message).toContain('billing-db, crm');
    expect(err.message).toContain('orders-db, users-cluster, audit-db');
  });

  it('rejects an empty list, unknown keys, bad types and a bad trigger with the field path', async () => {
    const empty = await caught(() => invoke({ runId: 'r', databases: [] }));
    expect(empty.name).toBe('InvalidInput');
    expect(empty.message).toContain('databases');
    const extra = await caught(() => invoke({ runId: 'r', database: ['orders-db'] }));
    expect(extra.name).toBe('InvalidInput');
    expect(extra.message).toContain('database: unknown key');
    const type = await caught(() => invoke({ runId: 'r', databases: ['orders-db', 7] }));
    expect(type.message).toContain('databases[1]');
    const trigger = await caught(() => invoke({ runId: 'r', trigger: 'cron' }));
    expect(trigger.message).toContain('input.trigger');
    const missing = await caught(() => invoke({}));
    expect(missing.message).toContain('runId: required');
    const flat = await caught(() => invokeRaw({ runId: 'r', databases: ['orders-db'] }));
    expect(flat.name).toBe('InvalidInput');
    expect(flat.message).toContain('input');
  });

  it('sourceSnapshotArn with databases: needs exactly one database of the matching kind; copied onto that item only', async () => {
    const ok = await invoke({ runId: 'r', databases: ['orders-db'], sourceSnapshotArn: snapArn });
    expect(ok.databases).toEqual([{ database: { identifier: 'orders-db', kind: 'instance' }, runId: 'r', export: false, sourceSnapshotArn: snapArn, optionGroups: {}, blocked: null }]);
    const cl = await invoke({ runId: 'r', databases: ['users-cluster'], sourceSnapshotArn: clusterSnapArn });
    expect(cl.databases[0]).toMatchObject({ sourceSnapshotArn: clusterSnapArn, export: true });

    for (const event of [
      { runId: 'r', databases: ['orders-db', 'audit-db'], sourceSnapshotArn: snapArn },
      { runId: 'r', databases: ['users-cluster'], sourceSnapshotArn: snapArn }, // kind mismatch
      { runId: 'r', databases: ['orders-db'], sourceSnapshotArn: clusterSnapArn }, // kind mismatch
      { runId: 'r', databases: ['orders-db'], sourceSnapshotArn: 'arn:aws:s3:::bucket/key' },
      { runId: 'r', databases: ['orders-db'], sourceSnapshotArn: 'before-upgrade' },
      { runId: 'r', databases: ['orders-db'], sourceSnapshotArn: snapArn.replace(SOURCE_ACCOUNT, '999999999999') },
      { runId: 'r', sourceSnapshotArn: snapArn.replace(REGION, 'us-east-1') }, // derivation keeps the account/Region rule
    ]) {
      const err = await caught(() => invoke(event));
      expect(err.name, JSON.stringify(event)).toBe('InvalidInput');
      expect(err.message).toContain('sourceSnapshotArn');
    }
    expect(t.sourceRds).not.toHaveReceivedAnyCommand();
  });

  it('manual sourceSnapshotArn without databases: the database is derived by describing the snapshot', async () => {
    routeDescribes(t.sourceRds, { byId: { 'before-upgrade': dbSnapshot({ id: 'before-upgrade', db: 'audit-db', type: 'manual' }) } });
    const out = await invoke({ runId: 'r', sourceSnapshotArn: snapArn });
    expect(out.databases).toEqual([{ database: { identifier: 'audit-db', kind: 'instance' }, runId: 'r', export: false, sourceSnapshotArn: snapArn, optionGroups: {}, blocked: null }]);
    expect(t.sourceRds).toHaveReceivedCommandWith(DescribeDBSnapshotsCommand, { DBSnapshotIdentifier: 'before-upgrade' });

    // ... and must be configured (or discovered): a manual run for another database is an error.
    t = testClients();
    routeDescribes(t.sourceRds, { byId: { 'before-upgrade': dbSnapshot({ id: 'before-upgrade', db: 'billing-db', type: 'manual' }) } });
    const unknown = await caught(() => invoke({ runId: 'r', sourceSnapshotArn: snapArn }));
    expect(unknown.name).toBe('UnknownDatabase');
    expect(unknown.message).toContain('billing-db');

    t = testClients();
    routeDescribes(t.sourceRds, {});
    const gone = await caught(() => invoke({ runId: 'r', sourceSnapshotArn: snapArn }));
    expect(gone.name).toBe('SnapshotNotFound');
  });

  it('returns the Map concurrency chosen within MAP_CONCURRENCY (issue 12); a bad MAP_CONCURRENCY is InvalidEnvironment naming it', async () => {
    // 2 DB instances and 1 DB cluster: one child per kind keeps the (one-slot) pipeline busy.
    const bounded = (s: object) => invoke({ runId: `r${JSON.stringify(s).length}` }, { ...ENV, MAP_CONCURRENCY: JSON.stringify(s) });
    expect((await bounded({ max: 10, min: 1, instance: 1, cluster: 1 })).concurrency).toBe(2);
    expect((await bounded({ max: 1, min: 1, instance: 5, cluster: 5 })).concurrency).toBe(1);
    // The floor: 3 planned, min 3, so all three at once.
    expect((await bounded({ max: 10, min: 3, instance: 1, cluster: 1 })).concurrency).toBe(3);
    for (const bad of ['{"max":5,"min":6,"instance":1,"cluster":1}', '{"max":0,"min":0,"instance":1,"cluster":1}', '{"max":5,"min":1,"instance":1.5,"cluster":1}', '{"max":5,"min":1,"instance":1}']) {
      const err = await caught(() => invoke({ runId: 'r' }, { ...ENV, MAP_CONCURRENCY: bad }));
      expect(err.name, bad).toBe('InvalidEnvironment');
      expect(err.message, bad).toContain('MAP_CONCURRENCY');
    }
  });

  it('bad DATABASES / DISCOVERY_* -> InvalidEnvironment naming the variable; import and createHandler do not throw', async () => {
    expect(() => createHandler({ env: {}, clients: testClients().factory, now: () => NOW })).not.toThrow();
    const notJson = await caught(() => invoke({ runId: 'r' }, { ...BASE_ENV, DATABASES: '[{' }));
    expect(notJson.name).toBe('InvalidEnvironment');
    expect(notJson.message).toContain('DATABASES: must be valid JSON');
    const badKind = await caught(() => invoke({ runId: 'r' }, { ...BASE_ENV, DATABASES: '[{"identifier":"a","kind":"table"}]' }));
    expect(badKind.message).toContain('DATABASES[0].kind');
    const badExport = await caught(() => invoke({ runId: 'r' }, { ...BASE_ENV, DATABASES: '[{"identifier":"a","kind":"instance","export":"yes"}]' }));
    expect(badExport.message).toContain('DATABASES[0].export');
    const none = await caught(() => invoke({ runId: 'r' }, { ...BASE_ENV, DATABASES: '[]' }));
    expect(none.message).toContain('DATABASES: must configure at least one database');
    const badTags = await caught(() => invoke({ runId: 'r' }, { ...ENV, DISCOVERY_TAGS: '{}' }));
    expect(badTags.message).toContain('DISCOVERY_TAGS');
    const badFlag = await caught(() => invoke({ runId: 'r' }, { ...ENV, DISCOVERY_EXPORT: 'yes' }));
    expect(badFlag.message).toContain('DISCOVERY_EXPORT');
    const missing = await caught(() => invoke({ runId: 'r' }, { DATABASES: ENV.DATABASES }));
    expect(missing.message).toContain('AWS_REGION');
    expect(missing.message).toContain('ACCOUNT_ID');
  });
});

describe('plan-run: tag discovery', () => {
  it('adds tagged DB instances and clusters after the configured ones, sorted, with DISCOVERY_EXPORT; skips cluster members, untagged and Neptune/DocumentDB', async () => {
    fleet(
      [
        [
          instance('zeta-db', { tags: tagged }),
          instance('users-cluster-instance-1', { cluster: 'users-cluster', tags: tagged }), // Aurora member: never on its own
          instance('untagged-db', { tags: [{ Key: 'rds-snapshot-vault:backup', Value: 'false' }] }),
        ],
        [instance('Alpha-DB', { tags: [...tagged, { Key: 'team', Value: 'x' }] }), instance('graph-1', { engine: 'neptune', tags: tagged })],
      ],
      [[cluster('analytics', { tags: tagged }), cluster('docs', { engine: 'docdb', tags: tagged })]],
    );
    const out = await invoke({ runId: 'r' }, DISCOVERY_ENV);
    expect(out.databases.map((d) => [d.database.identifier, d.database.kind, d.export])).toEqual([
      ['orders-db', 'instance', false],
      ['users-cluster', 'cluster', true],
      ['audit-db', 'instance', false],
      ['alpha-db', 'instance', true],
      ['analytics', 'cluster', true],
      ['zeta-db', 'instance', true],
    ]);
    expect(out.discovered).toEqual(['alpha-db', 'analytics', 'zeta-db']);
    expect(out.count).toBe(6);
    // both listing APIs were paginated to the end
    // Discovery's pages, then the size lookup's (longest copy first).
    expect(t.sourceRds).toHaveReceivedCommandTimes(DescribeDBInstancesCommand, 4);
    expect(t.sourceRds).toHaveReceivedCommandWith(DescribeDBInstancesCommand, { Marker: '1' });
  });

  it('every DISCOVERY_TAGS pair must match; a configured database that is also tagged stays configured (its export wins)', async () => {
    fleet([[instance('orders-db', { tags: tagged }), instance('half-db', { tags: tagged })]]);
    const env = { ...DISCOVERY_ENV, DISCOVERY_TAGS: JSON.stringify({ ...TAGS, env: 'prod' }) };
    t.sourceRds.on(DescribeDBInstancesCommand).resolves({
      DBInstances: [instance('orders-db', { tags: [...tagged, { Key: 'env', Value: 'prod' }] }), instance('half-db', { tags: tagged })],
    });
    const out = await invoke({ runId: 'r' }, env);
    expect(out.databases.map((d) => d.database.identifier)).toEqual(['orders-db', 'users-cluster', 'audit-db']);
    expect(out.databases[0]?.export).toBe(false);
    expect(out.discovered).toEqual([]);
  });

  it('reads tags with ListTagsForResource when the describe output has no TagList', async () => {
    fleet([[instance('legacy-db')]]);
    t.sourceRds.on(ListTagsForResourceCommand).resolves({ TagList: tagged });
    const out = await invoke({ runId: 'r' }, DISCOVERY_ENV);
    expect(out.discovered).toEqual(['legacy-db']);
    expect(t.sourceRds).toHaveReceivedCommandWith(ListTagsForResourceCommand, { ResourceName: `arn:aws:rds:${REGION}:${SOURCE_ACCOUNT}:db:legacy-db` });
  });

  it('a discovered database can be selected by name; DATABASES may be empty with discovery', async () => {
    fleet([[instance('zeta-db', { tags: tagged })]]);
    const out = await invoke({ runId: 'r', databases: ['zeta-db'] }, { ...DISCOVERY_ENV, DATABASES: '[]' });
    expect(out.databases).toEqual([{ database: { identifier: 'zeta-db', kind: 'instance' }, runId: 'r', export: true, optionGroups: {}, blocked: null }]);
    expect(out.discovered).toEqual(['zeta-db']);
  });
});

describe('plan-run: event trigger', () => {
  it('plans just the database of the new automated snapshot, with that snapshot', async () => {
    routeDescribes(t.sourceRds, { byId: { 'rds:orders-db-2026-11-21-04-10': dbSnapshot({ id: 'rds:orders-db-2026-11-21-04-10', db: 'orders-db' }) } });
    const out = await invoke({ runId: 'r', trigger: 'event', sourceSnapshotArn: autoArn('orders-db') });
    expect(out).toEqual({
      runId: 'r',
      trigger: 'event',
      databases: [{ database: { identifier: 'orders-db', kind: 'instance' }, runId: 'r', export: false, sourceSnapshotArn: autoArn('orders-db'), optionGroups: {}, blocked: null, trigger: 'event' }],
      count: 1,
      skipped: [],
      discovered: [],
      // One database: one child.
      concurrency: 1,
    });
    // An automated snapshot by identifier is described with SnapshotType=automated (docs/aws-behaviour.md §15).
    expect(t.sourceRds).toHaveReceivedCommandWith(DescribeDBSnapshotsCommand, { DBSnapshotIdentifier: 'rds:orders-db-2026-11-21-04-10', SnapshotType: 'automated' });
  });

  it('a cluster snapshot event plans the cluster (kind from the ARN)', async () => {
    routeDescribes(t.sourceRds, {
      byId: { 'rds:users-cluster-2026-11-21-04-10': dbClusterSnapshot({ id: 'rds:users-cluster-2026-11-21-04-10', db: 'users-cluster' }) },
    });
    const out = await invoke({ runId: 'r', trigger: 'event', sourceSnapshotArn: autoClusterArn('users-cluster') });
    expect(out.databases).toEqual([{ database: { identifier: 'users-cluster', kind: 'cluster' }, runId: 'r', export: true, sourceSnapshotArn: autoClusterArn('users-cluster'), optionGroups: {}, blocked: null, trigger: 'event' }]);
  });

  it('an event for a database that is neither configured nor discovered is SKIPPED with a reason, not an error', async () => {
    fleet([[instance('zeta-db', { tags: tagged }), instance('billing-db', { tags: [] })]]);
    routeDescribes(t.sourceRds, { byId: { 'rds:billing-db-2026-11-21-04-10': dbSnapshot({ id: 'rds:billing-db-2026-11-21-04-10', db: 'billing-db' }) } });
    const out = await invoke({ runId: 'r', trigger: 'event', sourceSnapshotArn: autoArn('billing-db') }, DISCOVERY_ENV);
    expect(out.databases).toEqual([]);
    expect(out.count).toBe(0);
    expect(out.skipped).toHaveLength(1);
    expect(out.skipped[0]?.identifier).toBe('billing-db');
    expect(out.skipped[0]?.reason).toMatch(/not configured.*discovery tags/);
  });

  it('an event for a discovered database plans it with DISCOVERY_EXPORT', async () => {
    fleet([[instance('zeta-db', { tags: tagged })]]);
    routeDescribes(t.sourceRds, { byId: { 'rds:zeta-db-2026-11-21-04-10': dbSnapshot({ id: 'rds:zeta-db-2026-11-21-04-10', db: 'zeta-db' }) } });
    const out = await invoke({ runId: 'r', trigger: 'event', sourceSnapshotArn: autoArn('zeta-db') }, DISCOVERY_ENV);
    expect(out.databases).toEqual([{ database: { identifier: 'zeta-db', kind: 'instance' }, runId: 'r', export: true, sourceSnapshotArn: autoArn('zeta-db'), optionGroups: {}, blocked: null, trigger: 'event' }]);
    expect(out.discovered).toEqual(['zeta-db']);
  });

  it('an event whose snapshot is already gone is skipped; event without ARN or with databases is InvalidInput', async () => {
    routeDescribes(t.sourceRds, {});
    const out = await invoke({ runId: 'r', trigger: 'event', sourceSnapshotArn: autoArn('orders-db') });
    expect(out.count).toBe(0);
    expect(out.skipped[0]?.reason).toMatch(/not found/);
    expect((await caught(() => invoke({ runId: 'r', trigger: 'event' }))).message).toContain('sourceSnapshotArn: required');
    const both = await caught(() => invoke({ runId: 'r', trigger: 'event', databases: ['orders-db'], sourceSnapshotArn: autoArn('orders-db') }));
    expect(both.name).toBe('InvalidInput');
    expect(both.message).toContain('databases');
  });
});

describe('plan-run: option groups (docs/aws-behaviour.md §15a)', () => {
  const OG_ENV = {
    ...BASE_ENV,
    DATABASES: JSON.stringify([
      { identifier: 'ledger', kind: 'instance', optionGroups: { 'us-west-2': 'ledger-dr-og' } },
      { identifier: 'payroll', kind: 'instance' },
      { identifier: 'users-cluster', kind: 'cluster' },
    ]),
  };
  const withOg = (id: string, og: string): DBInstance => ({ ...instance(id), OptionGroupMemberships: [{ OptionGroupName: og, Status: 'in-sync' }] });

  it('passes each database\'s optionGroups through; without CHECK_SHAREABLE (same-account mode) makes no option group call', async () => {
    const out = await invoke({ runId: 'r' }, OG_ENV);
    expect(out.databases.map((d) => [d.database.identifier, d.optionGroups, d.blocked])).toEqual([
      ['ledger', { 'us-west-2': 'ledger-dr-og' }, null],
      ['payroll', {}, null],
      ['users-cluster', {}, null],
    ]);
    expect(t.sourceRds).not.toHaveReceivedCommand(DescribeOptionGroupsCommand);
  });

  it('CHECK_SHAREABLE: a DB instance whose option group has a permanent or persistent option is blocked with SnapshotNotShareable; Oracle Timezone/OLS and clusters are not', async () => {
    // One listing of the account's DB instances (others included), not one call per database.
    t.sourceRds.on(DescribeDBInstancesCommand).resolves({ DBInstances: [withOg('ledger', 'ora-og'), withOg('payroll', 'mssql-tde'), withOg('other', 'mssql-tde')] });
    t.sourceRds.on(DescribeOptionGroupsCommand, { OptionGroupName: 'ora-og' }).resolves({
      OptionGroupsList: [{ OptionGroupName: 'ora-og', EngineName: 'oracle-ee', Options: [{ OptionName: 'Timezone', Permanent: true, Persistent: true }, { OptionName: 'OLS', Permanent: true }] }],
    });
    t.sourceRds.on(DescribeOptionGroupsCommand, { OptionGroupName: 'mssql-tde' }).resolves({
      OptionGroupsList: [{ OptionGroupName: 'mssql-tde', EngineName: 'sqlserver-se', Options: [{ OptionName: 'TDE', Permanent: false, Persistent: true }] }],
    });
    const out = await invoke({ runId: 'r' }, { ...OG_ENV, CHECK_SHAREABLE: 'true' });
    const byId = Object.fromEntries(out.databases.map((d) => [d.database.identifier, d.blocked]));
    expect(byId.ledger).toBeNull();
    expect(byId['users-cluster']).toBeNull();
    expect(byId.payroll?.error).toBe('SnapshotNotShareable');
    const cause = JSON.parse(byId.payroll!.cause) as { errorType: string; errorMessage: string };
    expect(cause.errorType).toBe('SnapshotNotShareable');
    for (const part of ['payroll', 'mssql-tde', '[TDE]', 'same-account mode']) expect(cause.errorMessage).toContain(part);
    // Still planned (so the failure is reported per database), never skipped.
    expect(out.count).toBe(3);
    // The option group check, then the size lookup (longest copy first).
    expect(t.sourceRds).toHaveReceivedCommandTimes(DescribeDBInstancesCommand, 2);
    expect(t.sourceRds).toHaveReceivedCommandTimes(DescribeOptionGroupsCommand, 2);
  });

  it('rejects optionGroups with a non-Region key in DATABASES (InvalidEnvironment)', async () => {
    const env = { ...BASE_ENV, DATABASES: JSON.stringify([{ identifier: 'ledger', kind: 'instance', optionGroups: { nowhere: 'x' } }]) };
    const err = await caught(() => invoke({ runId: 'r' }, env));
    expect(err.name).toBe('InvalidEnvironment');
    expect(err.message).toContain('DATABASES');
  });
});

describe('plan-run: DATABASES_FILE (the configured databases in the bundle, issue 12)', () => {
  const taskRoot = () => {
    const dir = mkdtempSync(join(tmpdir(), 'rsv-plan-run-'));
    writeFileSync(join(dir, 'databases.json'), JSON.stringify(DATABASES));
    return dir;
  };

  it('reads the databases from $LAMBDA_TASK_ROOT/<DATABASES_FILE> and plans them like DATABASES', async () => {
    const out = await invoke({ runId: 'r' }, { ...BASE_ENV, DATABASES_FILE: 'databases.json', LAMBDA_TASK_ROOT: taskRoot() });
    expect(out.databases.map((d) => [d.database.identifier, d.database.kind, d.export])).toEqual([
      ['orders-db', 'instance', false],
      ['users-cluster', 'cluster', true],
      ['audit-db', 'instance', false],
    ]);
  });

  it('InvalidEnvironment naming DATABASES_FILE: missing file, no task root, a path instead of a name, both variables', async () => {
    const root = taskRoot();
    const cases: Array<[Record<string, string>, string]> = [
      [{ DATABASES_FILE: 'other.json', LAMBDA_TASK_ROOT: root }, 'cannot read other.json'],
      [{ DATABASES_FILE: 'databases.json' }, 'LAMBDA_TASK_ROOT is not set'],
      [{ DATABASES_FILE: '../databases.json', LAMBDA_TASK_ROOT: join(root, 'sub') }, 'must be a file name in the bundle'],
      [{ DATABASES_FILE: 'databases.json', LAMBDA_TASK_ROOT: root, DATABASES: JSON.stringify(DATABASES) }, 'must not be set together with DATABASES'],
    ];
    for (const [env, message] of cases) {
      const err = await caught(() => invoke({ runId: 'r' }, { ...BASE_ENV, ...env }));
      expect(err.name).toBe('InvalidEnvironment');
      expect(err.message).toContain(`DATABASES_FILE: ${message}`);
    }
  });
});
