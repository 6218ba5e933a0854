import 'aws-sdk-client-mock-vitest/extend';
import { DeleteDBClusterSnapshotCommand, DeleteDBSnapshotCommand, DescribeDBSnapshotsCommand, ListTagsForResourceCommand } from '@aws-sdk/client-rds';
import fc from 'fast-check';
import { beforeEach, describe, expect, it } from 'vitest';
import { createHandler } from '../../functions/retention-sweep/index.js';
import { decideRetention, type RetentionCandidate } from '../../functions/retention-sweep/policy.js';
import type { RetentionPolicy, RetentionSweepOutput } from '../../functions/shared/contracts.js';
import {
  awsError,
  BASE_ENV,
  caught,
  dbClusterSnapshot,
  dbSnapshot,
  fakeContext,
  managedTagList,
  NOW,
  REGION,
  routeDescribes,
  SOURCE_ACCOUNT,
  testClients,
  type TestClients,
} from './helpers.js';

const DAY = 86_400_000;
const daysAgo = (d: number) => new Date(NOW.getTime() - d * DAY).toISOString();
const database = { identifier: 'orders-db', kind: 'instance' } as const;
const policy: RetentionPolicy = { keepLast: 2, maxAgeDays: 35, minAgeDays: 1 };

let t: TestClients;
const invoke = (event: unknown) =>
  createHandler({ env: BASE_ENV, clients: t.factory, now: () => NOW })(event, fakeContext('retention-sweep')) as Promise<RetentionSweepOutput>;
const managed = (id: string, ageDays: number, status = 'available') =>
  dbSnapshot({ id, type: 'manual', status, created: daysAgo(ageDays), tags: managedTagList('orders-db', `arn:src:${id}`) });

beforeEach(() => {
  t = testClients();
});

describe('retention-sweep handler', () => {
  it('deletes only old managed copies across pages, never unmanaged ones, and reports account/Region', async () => {
    routeDescribes(t.sourceRds, {
      instancePages: [
        [managed('rsv-a', 0.5), managed('rsv-b', 10), dbSnapshot({ id: 'dba-manual', type: 'manual', created: daysAgo(400) })],
        [managed('rsv-c', 40), managed('rsv-d', 90, 'creating'), managed('rsv-e', 100)],
      ],
    });
    t.sourceRds.on(DeleteDBSnapshotCommand).resolves({});
    const out = await invoke({ database, policy, protectIdentifier: 'rsv-a' });
    expect(t.sourceRds).toHaveReceivedCommandWith(DescribeDBSnapshotsCommand, { DBInstanceIdentifier: 'orders-db', SnapshotType: 'manual' });
    expect(out.deleted.map((d) => d.identifier).sort()).toEqual(['rsv-c', 'rsv-e']);
    expect(t.sourceRds).toHaveReceivedCommandTimes(DeleteDBSnapshotCommand, 2);
    expect(t.sourceRds).not.toHaveReceivedCommandWith(DeleteDBSnapshotCommand, { DBSnapshotIdentifier: 'dba-manual' });
    expect(out.kept.map((k) => k.identifier).sort()).toEqual(['rsv-a', 'rsv-b', 'rsv-d']);
    expect(out.kept.find((k) => k.identifier === 'rsv-a')?.reason).toBe('newest 2 kept (keepLast=2)');
    expect(out.deleted.find((k) => k.identifier === 'rsv-c')?.reason).toMatch(/^older than 35 days/);
    expect(out).toMatchObject({ accountId: SOURCE_ACCOUNT, region: REGION, dryRun: false });
  });

  it('dryRun deletes nothing but reports the decision', async () => {
    routeDescribes(t.sourceRds, { instancePages: [[managed('rsv-a', 1), managed('rsv-b', 2), managed('rsv-c', 50)]] });
    const out = await invoke({ database, policy, dryRun: true });
    expect(out.deleted.map((d) => d.identifier)).toEqual(['rsv-c']);
    expect(t.sourceRds).not.toHaveReceivedCommand(DeleteDBSnapshotCommand);
  });

  it('protectIdentifier not listed as available -> deletes nothing', async () => {
    routeDescribes(t.sourceRds, { instancePages: [[managed('rsv-a', 1), managed('rsv-b', 2), managed('rsv-c', 50)]] });
    const out = await invoke({ database, policy, protectIdentifier: 'rsv-today' });
    expect(out.deleted).toEqual([]);
    expect(out.kept.every((k) => k.reason.includes('rsv-today'))).toBe(true);
    expect(t.sourceRds).not.toHaveReceivedCommand(DeleteDBSnapshotCommand);
  });

  it('a snapshot that vanished during delete counts as deleted, not as an error', async () => {
    routeDescribes(t.sourceRds, { instancePages: [[managed('rsv-a', 1), managed('rsv-b', 2), managed('rsv-c', 50)]] });
    t.sourceRds.on(DeleteDBSnapshotCommand).rejects(awsError('DBSnapshotNotFoundFault'));
    const out = await invoke({ database, policy });
    expect(out.deleted).toHaveLength(1);
    expect(out.deleted[0]?.reason).toMatch(/already deleted/);
  });

  it('clusters: DeleteDBClusterSnapshot; tags read with ListTagsForResource when the TagList is absent', async () => {
    const noTags = (id: string, age: number) => {
      const s = dbClusterSnapshot({ id, type: 'manual', created: daysAgo(age), db: 'users' });
      delete s.TagList;
      return s;
    };
    routeDescribes(t.sourceRds, { clusterPages: [[noTags('rsv-x', 1), noTags('rsv-y', 2), noTags('rsv-old', 60), noTags('foreign-old', 60)]] });
    t.sourceRds.on(ListTagsForResourceCommand).callsFake((i: { ResourceName: string }) => ({
      TagList: i.ResourceName.endsWith(':foreign-old') ? [] : managedTagList('users', 'arn:src'),
    }));
    t.sourceRds.on(DeleteDBClusterSnapshotCommand).resolves({});
    const out = await invoke({ database: { identifier: 'users', kind: 'cluster' }, policy });
    expect(out.deleted.map((d) => d.identifier)).toEqual(['rsv-old']);
    expect(t.sourceRds).toHaveReceivedCommandWith(DeleteDBClusterSnapshotCommand, { DBClusterSnapshotIdentifier: 'rsv-old' });
    expect(t.sourceRds).not.toHaveReceivedCommand(DeleteDBSnapshotCommand);
  });

  it('rejects unknown keys (a misspelt dryRun must not delete) and minAgeDays > maxAgeDays', async () => {
    const typo = await caught(() => invoke({ database, policy, dryrun: true }));
    expect(typo.name).toBe('InvalidInput');
    expect(typo.message).toContain('dryrun: unknown key');
    const bad = await caught(() => invoke({ database, policy: { keepLast: 1, maxAgeDays: 5, minAgeDays: 10 } }));
    expect(bad.message).toContain('policy.minAgeDays');
    expect(t.sourceRds).not.toHaveReceivedAnyCommand();
  });
});

// ---------------------------------------------------------------- decideRetention properties

const STATUSES = ['available', 'available', 'available', 'creating', 'failed', 'deleting'];
/** At least 1,000 runs per property; raise with FC_NUM_RUNS (e.g. 10000). */
const RUNS = { numRuns: Math.max(1000, Number(process.env.FC_NUM_RUNS) || 0) };

/** Policies in whole or half days; one in five has minAgeDays > maxAgeDays (the schema forbids it, the pure function must still be safe). */
const arbPolicy = fc
  .record({
    keepLast: fc.integer({ min: 0, max: 8 }),
    minAgeDays: fc.integer({ min: 0, max: 60 }).map((d) => d / 2),
    maxAgeDays: fc.integer({ min: 1, max: 120 }).map((d) => d / 2),
    ordered: fc.constantFrom(true, true, true, true, false),
  })
  .map((p): RetentionPolicy => ({
    keepLast: p.keepLast,
    minAgeDays: p.minAgeDays,
    maxAgeDays: p.ordered ? p.minAgeDays + p.maxAgeDays : p.maxAgeDays,
  }));

/**
 * Snapshot ages in days: anywhere in [-2, 120] at hour granularity, or within a day of the policy's
 * boundaries (so `age === maxAgeDays` and off-by-one-day mistakes are exercised); ~1 in 10 has no
 * SnapshotCreateTime.
 */
const arbAge = (policy: RetentionPolicy) =>
  fc.option(
    fc.oneof(
      fc.integer({ min: -48, max: 120 * 24 }).map((h) => h / 24),
      fc.tuple(fc.constantFrom(policy.maxAgeDays, policy.minAgeDays), fc.integer({ min: -24, max: 24 })).map(([b, h]) => b + h / 24),
    ),
    { nil: undefined, freq: 10 },
  );

const arbSnapshots = (policy: RetentionPolicy) =>
  fc
    .array(
      fc.record({
        ageDays: arbAge(policy),
        status: fc.constantFrom(...STATUSES),
        managed: fc.constantFrom(true, true, false),
      }),
      { maxLength: 30, size: 'medium' },
    )
    .map((list) =>
      list.map((s, i): RetentionCandidate => {
        const identifier = `rsv-db-${i}`;
        return {
          identifier,
          arn: `arn:aws:rds:${REGION}:${SOURCE_ACCOUNT}:snapshot:${identifier}`,
          status: s.status,
          managed: s.managed,
          ...(s.ageDays !== undefined && { createTime: daysAgo(s.ageDays) }),
        };
      }),
    );

const arbCase = arbPolicy.chain((policy) =>
  arbSnapshots(policy).chain((snapshots) =>
    fc.record({
      snapshots: fc.constant(snapshots),
      policy: fc.constant(policy),
      protectIdentifier: fc.option(fc.constantFrom(...snapshots.map((s) => s.identifier), 'not-listed'), { nil: undefined }),
    }),
  ),
);

const ageOf = (s: RetentionCandidate) => (s.createTime === undefined ? undefined : (NOW.getTime() - Date.parse(s.createTime)) / DAY);
const availableManaged = (list: readonly RetentionCandidate[]) => list.filter((s) => s.managed && s.status === 'available' && s.createTime !== undefined);
const run = (c: { snapshots: RetentionCandidate[]; policy: RetentionPolicy; protectIdentifier?: string | undefined }) => {
  const r = decideRetention({ snapshots: c.snapshots, policy: c.policy, now: NOW, ...(c.protectIdentifier !== undefined && { protectIdentifier: c.protectIdentifier }) });
  return { ...r, deleted: new Set(r.delete.map((d) => d.identifier)) };
};

describe('decideRetention (properties)', () => {
  it('partitions the input: every snapshot is decided exactly once', () => {
    fc.assert(
      fc.property(arbCase, (c) => {
        const r = run(c);
        const ids = [...r.keep, ...r.delete].map((d) => d.identifier).sort();
        expect(ids).toEqual(c.snapshots.map((s) => s.identifier).sort());
      }),
      RUNS,
    );
  });

  it('never deletes a snapshot without the managed tag', () => {
    fc.assert(fc.property(arbCase, (c) => {
        const r = run(c);
        return c.snapshots.every((s) => s.managed || !r.deleted.has(s.identifier));
      }), RUNS);
  });

  it('never deletes the newest available managed copy', () => {
    fc.assert(
      fc.property(arbCase, (c) => {
        const cands = availableManaged(c.snapshots);
        if (cands.length === 0) return true;
        const newestTime = Math.max(...cands.map((s) => Date.parse(s.createTime as string)));
        const r = run(c);
        return cands.filter((s) => Date.parse(s.createTime as string) === newestTime).every((s) => !r.deleted.has(s.identifier));
      }),
      RUNS,
    );
  });

  it('keeps at least keepLast available managed copies when that many exist', () => {
    fc.assert(
      fc.property(arbCase, (c) => {
        const avail = c.snapshots.filter((s) => s.managed && s.status === 'available');
        const r = run(c);
        const keptAvail = avail.filter((s) => !r.deleted.has(s.identifier)).length;
        return keptAvail >= Math.min(c.policy.keepLast, avail.length);
      }),
      RUNS,
    );
  });

  it('never deletes anything younger than minAgeDays or of unknown age', () => {
    fc.assert(
      fc.property(arbCase, (c) => {
        const r = run(c);
        return c.snapshots.filter((s) => r.deleted.has(s.identifier)).every((s) => {
          const age = ageOf(s);
          return age !== undefined && age >= c.policy.minAgeDays;
        });
      }),
      RUNS,
    );
  });

  it('never deletes a snapshot that is not available', () => {
    fc.assert(fc.property(arbCase, (c) => {
        const r = run(c);
        return c.snapshots.every((s) => s.status === 'available' || !r.deleted.has(s.identifier));
      }), RUNS);
  });

  it('deletes nothing when protectIdentifier is not listed as available, and says why', () => {
    fc.assert(
      fc.property(arbCase, (c) => {
        if (c.protectIdentifier === undefined) return true;
        const listed = c.snapshots.some((s) => s.identifier === c.protectIdentifier && s.status === 'available');
        if (listed) return true;
        const r = run(c);
        return r.delete.length === 0 && r.keep.filter((k) => c.snapshots.find((s) => s.identifier === k.identifier)?.managed).every((k) => k.reason.includes(String(c.protectIdentifier)));
      }),
      RUNS,
    );
  });

  it('deletes exactly what is old enough: managed, available, older than maxAgeDays, with keepLast newer copies', () => {
    fc.assert(
      fc.property(arbCase, (c) => {
        const r = run(c);
        const protectOk = c.protectIdentifier === undefined || c.snapshots.some((s) => s.identifier === c.protectIdentifier && s.status === 'available');
        const cands = availableManaged(c.snapshots);
        for (const s of c.snapshots) {
          const age = ageOf(s);
          if (r.deleted.has(s.identifier)) {
            expect(age !== undefined && age > c.policy.maxAgeDays).toBe(true);
          }
          if (!protectOk || !s.managed || s.status !== 'available' || age === undefined) continue;
          const strictlyNewer = cands.filter((o) => Date.parse(o.createTime as string) > Date.parse(s.createTime as string)).length;
          if (age > c.policy.maxAgeDays && age >= c.policy.minAgeDays && strictlyNewer >= Math.max(1, c.policy.keepLast)) {
            expect(r.deleted.has(s.identifier), `${s.identifier} (age ${age}) should be deleted`).toBe(true);
          }
        }
      }),
      RUNS,
    );
  });
});
