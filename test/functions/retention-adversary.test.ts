/**
 * Retention poisoning (docs/security.md): whatever a source-account principal can do in the vault
 * with the permissions the synthesized templates grant it (the vault copy role), vault retention
 * never deletes a genuine copy it would have kept without the adversary.
 *
 * The adversary's moves are derived from the synthesized vault copy role: every RDS action the role
 * may perform on vault snapshots must map to a modelled move below (a new permission fails the test
 * until it is modelled), and no allowed action may delete, share or restore.
 */
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { decideRetention, TIMELY_COPY_HOURS, type RetentionCandidate } from '../../functions/retention-sweep/policy.js';
import type { RetentionPolicy } from '../../contracts/shapes.js';
import { synth } from '../infra/helpers.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const RUNS = { numRuns: Number(process.env.FC_NUM_RUNS) || 1_000 };

// ---------------------------------------------------------------- the adversary's moves, from the template

type Move = 'copy' | 'retag' | 'read';
/** What each RDS action the copy role may perform on vault snapshots does to the vault's snapshots. */
const MOVES: Record<string, Move> = {
  'rds:CopyDBSnapshot': 'copy',
  'rds:CopyDBClusterSnapshot': 'copy',
  'rds:AddTagsToResource': 'retag',
  'rds:DescribeDBSnapshots': 'read',
  'rds:DescribeDBClusterSnapshots': 'read',
  'rds:ListTagsForResource': 'read',
};

interface Statement {
  Effect: 'Allow' | 'Deny';
  Action: string | string[];
  Resource: unknown;
}
const list = <T,>(v: T | T[]): T[] => (Array.isArray(v) ? v : [v]);
const glob = (pattern: string, value: string) => new RegExp(`^${pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*')}$`, 'i').test(value);

/** RDS actions the vault copy role's policies allow on some vault snapshot, minus its explicit denies. */
function copyRoleSnapshotActions(): { allowed: string[]; denied: string[] } {
  const { vault } = synth();
  const roles = vault.findResources('AWS::IAM::Role');
  const [roleId] = Object.entries(roles).find(([, r]) => JSON.stringify((r as { Properties: unknown }).Properties).includes('copy only')) ?? [];
  expect(roleId, 'the vault copy role is in the vault template').toBeDefined();
  const statements: Statement[] = [];
  for (const p of Object.values(vault.findResources('AWS::IAM::Policy'))) {
    const props = (p as { Properties: { Roles: Array<{ Ref: string }>; PolicyDocument: { Statement: Statement[] } } }).Properties;
    if (props.Roles.some((r) => r.Ref === roleId)) statements.push(...props.PolicyDocument.Statement);
  }
  const onVaultSnapshots = (s: Statement) => list(s.Resource as string | string[]).some((r) => JSON.stringify(r).match(/snapshot:(rsv-)?\*|"\*"|^\*$/));
  const allowed = new Set<string>();
  const denied: string[] = [];
  for (const s of statements) {
    const actions = list(s.Action).filter((a) => a.startsWith('rds:'));
    if (s.Effect === 'Deny') denied.push(...actions);
    else if (onVaultSnapshots(s)) for (const a of actions) allowed.add(a);
  }
  return { allowed: [...allowed].filter((a) => !denied.some((d) => glob(d, a))), denied };
}

let allowedMoves: Set<Move>;
beforeAll(() => {
  const { allowed } = copyRoleSnapshotActions();
  allowedMoves = new Set(allowed.map((a) => {
    const move = MOVES[a];
    expect(move, `the vault copy role may ${a} on vault snapshots: model that move in this test`).toBeDefined();
    return move as Move;
  }));
});

describe('the vault copy role (synthesized) gives the source account these moves in the vault, and no others', () => {
  it('may copy in and retag, never delete, share or restore', () => {
    const { allowed, denied } = copyRoleSnapshotActions();
    expect(allowedMoves.has('copy')).toBe(true);
    for (const a of ['rds:DeleteDBSnapshot', 'rds:DeleteDBClusterSnapshot', 'rds:ModifyDBSnapshotAttribute', 'rds:ModifyDBClusterSnapshotAttribute', 'rds:RestoreDBInstanceFromDBSnapshot', 'rds:RestoreDBClusterFromSnapshot']) {
      expect(allowed).not.toContain(a);
      expect(denied.some((d) => glob(d, a)), `${a} is explicitly denied`).toBe(true);
    }
  });
});

// ---------------------------------------------------------------- histories

interface Copy extends RetentionCandidate {
  readonly genuine: boolean;
}

/**
 * The workflow's daily copies: recovery point at 03:00-07:00 UTC of each day, copied 5 min to 40 h
 * later; with `gaps`, about one day in ten has none (an outage).
 */
const arbGenuine = (gaps: boolean) => fc
  .record({
    lastDay: fc.integer({ min: Date.UTC(2025, 0, 1) / DAY, max: Date.UTC(2028, 0, 1) / DAY }),
    days: fc.array(fc.record({ rpMinutes: fc.integer({ min: 180, max: 420 }), delayMinutes: fc.integer({ min: 5, max: 40 * 60 }), present: gaps ? fc.constantFrom(true, true, true, true, true, true, true, true, true, false) : fc.constant(true) }), { minLength: 1, maxLength: 120 }),
  })
  .map(({ lastDay, days }) =>
    days.flatMap((d, i): Copy[] => {
      const day = lastDay - i;
      if (!d.present && i > 0) return [];
      const rp = day * DAY + d.rpMinutes * 60_000;
      const id = `rsv-db-${new Date(rp).toISOString().slice(0, 16).replace(/[-T:]/g, '')}`;
      return [{ identifier: id, arn: `arn:aws:rds:us-east-1:222222222222:snapshot:${id}`, createTime: new Date(rp).toISOString(), copyTime: new Date(rp + d.delayMinutes * 60_000).toISOString(), status: 'available', managed: true, genuine: true }];
    }),
  );

const arbPolicy: fc.Arbitrary<RetentionPolicy> = fc
  .record({
    keepLast: fc.integer({ min: 0, max: 20 }),
    minAgeDays: fc.integer({ min: 0, max: 14 }),
    extraAgeDays: fc.integer({ min: 0, max: 90 }),
    gfs: fc.option(fc.record({ daily: fc.integer({ min: 0, max: 10 }), weekly: fc.integer({ min: 0, max: 6 }), monthly: fc.integer({ min: 0, max: 14 }), yearly: fc.integer({ min: 0, max: 3 }) }, { requiredKeys: [] }), { nil: undefined }),
  })
  .map((p) => ({ keepLast: p.keepLast, minAgeDays: p.minAgeDays, maxAgeDays: p.minAgeDays + p.extraAgeDays + 0.5, ...(p.gfs ? { gfs: p.gfs } : {}) }));

/**
 * One adversary copy: a copy (CopyDBSnapshot through the copy role) of any source-account snapshot
 * whose recovery point is at or before `maxRp`, made at any time between its recovery point and
 * `now` (RDS sets both times; the adversary chooses only which snapshot and when), any `rsv-` name,
 * managed tag or not.
 */
const arbAdversaryCopy = (now: number, maxRp: number, i: number) =>
  fc
    .record({
      rpBackMinutes: fc.oneof(fc.integer({ min: 0, max: 3 * 24 * 60 }), fc.integer({ min: 0, max: 400 * 24 * 60 })),
      copyFraction: fc.oneof(fc.constant(1), fc.double({ min: 0, max: 1, noNaN: true })),
      managed: fc.constantFrom(true, true, true, false),
    })
    .map(({ rpBackMinutes, copyFraction, managed }): Copy => {
      const rp = Math.min(maxRp, now) - rpBackMinutes * 60_000;
      const copy = rp + Math.floor((now - rp) * copyFraction);
      const id = `rsv-db-forged-${i}`;
      return { identifier: id, arn: `arn:aws:rds:us-east-1:222222222222:snapshot:${id}`, createTime: new Date(rp).toISOString(), copyTime: new Date(copy).toISOString(), status: 'available', managed, genuine: false };
    });

const deletedIds = (snapshots: readonly RetentionCandidate[], policy: RetentionPolicy, now: Date) => new Set(decideRetention({ snapshots, policy, now }).delete.map((d) => d.identifier));
const newestGenuine = (g: readonly Copy[]) => g.reduce((a, b) => (Date.parse(b.createTime as string) > Date.parse(a.createTime as string) ? b : a));

/** The adversary's moves on a history: its copies, plus (retag) genuine copies whose managed tag it set to false. */
function applyMoves(genuine: readonly Copy[], forged: readonly Copy[], retagged: ReadonlySet<number>): Copy[] {
  const out: Copy[] = allowedMoves.has('retag') ? genuine.map((c, i) => (retagged.has(i) ? { ...c, managed: false } : c)) : [...genuine];
  if (allowedMoves.has('copy')) out.push(...forged);
  return out;
}

describe('vault retention against a source-account adversary (fast-check)', () => {
  it(`never deletes a genuine copy it would have kept without the adversary, while the workflow delivers daily (${RUNS.numRuns} histories)`, () => {
    const arb = fc.tuple(arbGenuine(false), arbPolicy, fc.integer({ min: 0, max: 30 * 60 })).chain(([genuine, policy, afterMinutes]) => {
      const lastCopy = Math.max(...genuine.map((c) => Date.parse(c.copyTime as string)));
      const now = lastCopy + afterMinutes * 60_000;
      // The premise: the adversary's recovery points lie on days the workflow has already delivered.
      const lastGenuineDayEnd = (Math.floor(Date.parse(newestGenuine(genuine).createTime as string) / DAY) + 1) * DAY - 1;
      return fc
        .tuple(fc.array(fc.nat({ max: 39 }), { maxLength: 40 }).chain((ks) => fc.tuple(...ks.map((_, i) => arbAdversaryCopy(now, lastGenuineDayEnd, i)))), fc.uniqueArray(fc.nat({ max: genuine.length - 1 }), { maxLength: 5 }))
        .map(([forged, retag]) => ({ genuine, policy, now: new Date(now), forged, retag: new Set(retag) }));
    });
    fc.assert(
      fc.property(arb, ({ genuine, policy, now, forged, retag }) => {
        const without = deletedIds(genuine, policy, now);
        const withAdversary = deletedIds(applyMoves(genuine, forged, retag), policy, now);
        for (const g of genuine) {
          if (withAdversary.has(g.identifier)) expect(without.has(g.identifier), `${g.identifier} deleted only because of the adversary`).toBe(true);
        }
        expect(withAdversary.has(newestGenuine(genuine).identifier)).toBe(false);
      }),
      RUNS,
    );
  });

  it(`during an outage, each day the adversary fills costs at most one genuine day per rule, and fewer than keepLast such days never cost the newest genuine copy (${RUNS.numRuns} histories)`, () => {
    const arb = fc.tuple(arbGenuine(true), arbPolicy, fc.integer({ min: 1, max: 40 })).chain(([genuine, policy, gapDays]) => {
      const lastRpDay = Math.floor(Date.parse(newestGenuine(genuine).createTime as string) / DAY);
      const now = (lastRpDay + gapDays) * DAY + 12 * HOUR;
      // Fresh, timely copies on days the workflow did not deliver (the adversary running its own "backups").
      const arbFilled = fc.uniqueArray(fc.integer({ min: 1, max: gapDays }), { maxLength: gapDays }).map((days) =>
        days.map((d, i): Copy => {
          const rp = (lastRpDay + d) * DAY + 4 * HOUR;
          const id = `rsv-db-filled-${i}`;
          return { identifier: id, arn: `arn:aws:rds:us-east-1:222222222222:snapshot:${id}`, createTime: new Date(rp).toISOString(), copyTime: new Date(Math.min(rp + HOUR, now)).toISOString(), status: 'available', managed: true, genuine: false };
        }),
      );
      const arbUntimely = fc.array(fc.nat({ max: 39 }), { maxLength: 20 }).chain((ks) => fc.tuple(...ks.map((_, i) => arbAdversaryCopy(now, now, 100 + i)))).map((cs) => cs.filter((c) => Date.parse(c.copyTime as string) - Date.parse(c.createTime as string) > TIMELY_COPY_HOURS * HOUR));
      return fc.tuple(arbFilled, arbUntimely).map(([filled, untimely]) => ({ genuine, policy, now: new Date(now), filled, forged: [...filled, ...untimely] }));
    });
    fc.assert(
      fc.property(arb, ({ genuine, policy, now, filled, forged }) => {
        const without = deletedIds(genuine, policy, now);
        const withAdversary = deletedIds([...genuine, ...forged], policy, now);
        const extraDays = new Set(genuine.filter((g) => withAdversary.has(g.identifier) && !without.has(g.identifier)).map((g) => (g.createTime as string).slice(0, 10)));
        const rules = 1 + Object.values(policy.gfs ?? {}).filter((n) => (n ?? 0) > 0).length;
        expect(extraDays.size).toBeLessThanOrEqual(filled.length * rules);
        if (filled.length < Math.max(1, policy.keepLast)) expect(withAdversary.has(newestGenuine(genuine).identifier)).toBe(false);
      }),
      RUNS,
    );
  });
});

describe('the retention poisoning scenario (keepLast 14, maxAgeDays 35)', () => {
  const policy: RetentionPolicy = { keepLast: 14, maxAgeDays: 35, minAgeDays: 1 };
  const now = new Date('2026-11-20T12:00:00.000Z');
  /** 30 genuine daily copies, 36-65 days old, each copied 2 h after its recovery point. */
  const genuine: Copy[] = Array.from({ length: 30 }, (_, i) => {
    const rp = now.getTime() - (36 + i) * DAY;
    const id = `rsv-orders-db-${i}`;
    return { identifier: id, arn: `arn:${id}`, createTime: new Date(rp).toISOString(), copyTime: new Date(rp + 2 * HOUR).toISOString(), status: 'available', managed: true, genuine: true };
  });
  /** 14 copies pushed today by the copy role: fresh copies of older source snapshots, tagged managed. */
  const forged: Copy[] = Array.from({ length: 14 }, (_, i) => {
    const rp = now.getTime() - (20 + i) * DAY;
    const id = `rsv-orders-db-forged-${i}`;
    return { identifier: id, arn: `arn:${id}`, createTime: new Date(rp).toISOString(), copyTime: new Date(now.getTime() - i * 60_000).toISOString(), status: 'available', managed: true, genuine: false };
  });
  const genuineDeleted = (snapshots: readonly RetentionCandidate[]) => [...deletedIds(snapshots, policy, now)].filter((id) => !id.includes('forged')).length;

  it('the attack is real: ranking by the copy time (SnapshotCreateTime, as before) would delete all 30 genuine copies', () => {
    // The old rule, restated: keep the 14 newest by copy time, delete the rest older than 35 days.
    const byCopyTime = [...genuine, ...forged].sort((a, b) => Date.parse(b.copyTime as string) - Date.parse(a.copyTime as string));
    const naiveKept = new Set(byCopyTime.slice(0, 14).map((c) => c.identifier));
    expect(genuine.filter((g) => !naiveKept.has(g.identifier)).length).toBe(30);
  });

  it('without the adversary 16 genuine copies go (the 14 newest days stay); with it, the same 16 and no more', () => {
    expect(genuineDeleted(genuine)).toBe(16);
    expect(genuineDeleted([...genuine, ...forged])).toBe(16);
  });

  it('fresh snapshots copied the same day count as one day at most: one more genuine day goes, never fourteen', () => {
    const fresh = forged.map((f, i) => ({ ...f, createTime: new Date(now.getTime() - 2 * HOUR - i * 60_000).toISOString() }));
    expect(genuineDeleted([...genuine, ...fresh])).toBe(17);
  });
});
