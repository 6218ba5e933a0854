/**
 * A fast schedule simulation of one scheduled BackupRun over the bench fleet (bench/fleet.ts
 * `benchFleet`), to explore the Map's concurrency and the plan order without running the sandbox
 * (issue 12). `npx tsx bench/schedule-sim.ts [N ...]`.
 *
 * Model: the Map starts children in plan order, at most `concurrency` at once; each child copies
 * three times in a row (source, vault, DR Region: two-hop), each copy through the real queue rule of
 * the copy slot table (functions/shared/copy-slots.ts `decideAcquire`, FIFO waiters, aimed waits),
 * with the sandbox's copy times (sandbox/simulator/copy-model.ts, through sandbox/simulator/index.ts). A copy is seen finished
 * `detection` seconds after its end (poll latency); a holder's expected release is its true end
 * (steady progress, poll-status's estimate: its next look). Counted: makespan, the quota-bound
 * minimum (as sandbox/harness/fleet.ts `copyFigures`), refused slot asks (3 state transitions each),
 * the longest slot wait, and the DR Region's idle slot hours (before its slots were first all busy,
 * between, after its last copy started). Against the real bench (100 / 500 / 1,000 databases): 50
 * children longest first 1.43 / 1.26 / 1.22x simulated, 1.39 / 1.26 / 1.22x measured; the plan's
 * order and 57 children 1.10 / 1.07x simulated at 500 / 1,000, 1.12 / 1.09x measured. Real runs cost
 * ~55-56.5 state transitions per database besides the refused asks (3 each), which the simulation
 * undercounts (it knows each holder's release from its start; the real table learns it at the first poll).
 * Kept as the tool to explore orders and concurrency before a bench run (docs/architecture.md, Scheduling).
 * What it leaves out: Lambda and state transition time (zero here), transient retries.
 */
import { decideAcquire, type SlotState } from '../functions/shared/copy-slots';
import { copyDurationSeconds } from '../sandbox/simulator/index';
import { benchFleet } from './fleet';
import { fleetOrder, mapConcurrency } from '../functions/plan-run/order';
import { mapConcurrencySettings } from '../statemachines/map-concurrency';

export interface SimDatabase {
  readonly id: string;
  readonly kind: 'instance' | 'cluster';
  readonly sizeGiB: number;
}

export interface SimResult {
  readonly makespanHours: number;
  readonly minimumHours: number;
  readonly ratio: number;
  /** Refused slot asks per database (each a round of 3 state transitions). */
  readonly roundsPerDatabase: number;
  readonly maxWaiters: number;
  /** Refused asks per database of each copy step (source, vault, DR). */
  readonly roundsByStage: readonly number[];
  /** DR slots idle, hours of one slot averaged over the DR slots (both kinds weighted alike): before first full, between, after the last grant. */
  readonly drIdleHours: { head: number; middle: number; tail: number };
  /** Longest one copy step waited for its slot, hours (the slot wait fails past 40 h in a moving queue). */
  readonly maxWaitHours: number;
}

const LEASE = 51 * 3600;
const LIMITS = { instance: 20, cluster: 5 } as const;
const STAGES = [
  { dest: 'src', cross: false },
  { dest: 'vault', cross: false },
  { dest: 'dr', cross: true },
] as const;

class Heap<T> {
  private a: { k: number; s: number; v: T }[] = [];
  private seq = 0;
  push(k: number, v: T): void {
    const a = this.a;
    a.push({ k, s: this.seq++, v });
    let i = a.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (less(a[i]!, a[p]!)) [a[i], a[p]] = [a[p]!, a[i]!], (i = p);
      else break;
    }
  }
  pop(): { k: number; v: T } | undefined {
    const a = this.a;
    if (a.length === 0) return undefined;
    const top = a[0]!;
    const last = a.pop()!;
    if (a.length > 0) {
      a[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < a.length && less(a[l]!, a[m]!)) m = l;
        if (r < a.length && less(a[r]!, a[m]!)) m = r;
        if (m === i) break;
        [a[i], a[m]] = [a[m]!, a[i]!];
        i = m;
      }
    }
    return top;
  }
}
const less = (x: { k: number; s: number }, y: { k: number; s: number }) => x.k < y.k || (x.k === y.k && x.s < y.s);

/** Simulates one run; `order` is the plan order, `concurrency` the Map's MaxConcurrency. */
export function simulate(order: readonly SimDatabase[], concurrency: number, detection = (d: number) => Math.max(60, 0.01 * d)): SimResult {
  const states = new Map<string, SlotState>();
  const stateOf = (k: string): SlotState => states.get(k) ?? { holders: new Map(), releases: new Map(), waiters: new Map() };
  type Ev = { type: 'ask' | 'done'; db: number; stage: number };
  const heap = new Heap<Ev>();
  let next = 0;
  let rounds = 0;
  const roundsByStage = [0, 0, 0];
  const waitingSince = new Map<string, number>();
  let maxWaitSeconds = 0;
  let end = 0;
  let maxWaiters = 0;
  const t0 = 1_800_000_000;
  const start = (t: number) => {
    if (next < order.length) heap.push(t, { type: 'ask', db: next++, stage: 0 });
  };
  for (let i = 0; i < Math.min(concurrency, order.length); i++) start(t0);
  const sums = new Map<string, number>();
  // Idle slot-seconds of the DR groups: before they were first all busy, after their last grant, and between.
  const idle = { head: 0, middle: 0, tail: 0 };
  const dr = { instance: { busy: 0, full: false, last: 0, at: t0 }, cluster: { busy: 0, full: false, last: 0, at: t0 } };
  const drIdle: { kind: 'instance' | 'cluster'; from: number; to: number; full: boolean; slots: number }[] = [];
  const drTick = (kind: 'instance' | 'cluster', now: number, delta: number) => {
    const g = dr[kind];
    drIdle.push({ kind, from: g.at, to: now, full: g.full, slots: LIMITS[kind] - g.busy });
    g.busy += delta;
    g.at = now;
    if (g.busy === LIMITS[kind]) g.full = true;
    if (delta > 0) g.last = now;
  };
  for (;;) {
    const e = heap.pop();
    if (!e) break;
    const now = e.k;
    const db = order[e.v.db]!;
    const st = STAGES[e.v.stage]!;
    const key = `${st.dest}/${db.kind}`;
    const holder = `${db.id}/${st.dest}`;
    if (e.v.type === 'ask') {
      const d = decideAcquire(stateOf(key), holder, LIMITS[db.kind], Math.floor(now), Math.floor(now) + LEASE, true);
      if (d.granted) {
        const since = waitingSince.get(holder);
        if (since !== undefined) maxWaitSeconds = Math.max(maxWaitSeconds, now - since);
        const dur = copyDurationSeconds({ sizeGiB: db.sizeGiB, kind: db.kind, crossRegion: st.cross });
        sums.set(key, (sums.get(key) ?? 0) + dur);
        const seen = now + dur + detection(dur);
        const releases = new Map(d.next.releases);
        // poll-status records the look that will see it finished (its next look).
        releases.set(holder, Math.ceil(seen));
        states.set(key, { ...d.next, releases, looks: new Map(releases) });
        heap.push(seen, { type: 'done', db: e.v.db, stage: e.v.stage });
        if (st.dest === 'dr') drTick(db.kind, now, 1);
      } else {
        states.set(key, d.next);
        maxWaiters = Math.max(maxWaiters, d.next.waiters.size);
        rounds++;
        if (!waitingSince.has(holder)) waitingSince.set(holder, now);
        roundsByStage[e.v.stage]!++;
        heap.push(now + d.retryAfterSeconds, e.v);
      }
    } else {
      const s = stateOf(key);
      const holders = new Map(s.holders);
      holders.delete(holder);
      const releases = new Map(s.releases);
      releases.delete(holder);
      states.set(key, { ...s, holders, releases, looks: new Map(releases), releasedAt: Math.floor(now) });
      if (st.dest === 'dr') drTick(db.kind, now, -1);
      if (e.v.stage + 1 < STAGES.length) heap.push(now, { type: 'ask', db: e.v.db, stage: e.v.stage + 1 });
      else {
        end = Math.max(end, now);
        start(now);
      }
    }
  }
  for (const k of ['instance', 'cluster'] as const) drTick(k, end, 0);
  for (const x of drIdle) {
    const w = (x.to - x.from) * x.slots * (x.kind === 'instance' ? 1 / LIMITS.instance : 1 / LIMITS.cluster) / 2 / 3600;
    if (!x.full) idle.head += w;
    else if (x.from >= dr[x.kind].last) idle.tail += w;
    else idle.middle += w;
  }
  let minimum = 0;
  for (const [k, s] of sums) minimum = Math.max(minimum, s / LIMITS[k.split('/')[1] as 'instance' | 'cluster']);
  for (const db of order) {
    minimum = Math.max(minimum, STAGES.reduce((s, st) => s + copyDurationSeconds({ sizeGiB: db.sizeGiB, kind: db.kind, crossRegion: st.cross }), 0));
  }
  return { makespanHours: (end - t0) / 3600, minimumHours: minimum / 3600, ratio: (end - t0) / minimum, roundsPerDatabase: rounds / order.length, roundsByStage: roundsByStage.map((r) => r / order.length), maxWaiters, drIdleHours: idle, maxWaitHours: maxWaitSeconds / 3600 };
}

export function simFleet(n: number): SimDatabase[] {
  return benchFleet(n).map((d) => ({ id: d.identifier, kind: d.kind, sizeGiB: d.allocatedStorageGiB }));
}

if (import.meta.url === `file://${process.argv[1]}`) {
  // Before issue 12's plan-chosen concurrency: longest first, 50 children; after: fleetOrder and
  // mapConcurrency as plan-run runs them, within the bench config's bounds.
  const settings = mapConcurrencySettings({ maxDatabasesInParallel: 100, slots: LIMITS, drRegions: 1, drCopyMode: 'two-hop' });
  const line = (label: string, r: SimResult) =>
    `${label}: ${r.makespanHours.toFixed(1)} h / ${r.minimumHours.toFixed(1)} h = ${r.ratio.toFixed(3)}x, refused asks per database ${r.roundsPerDatabase.toFixed(2)} ` +
    `(${r.roundsByStage.map((x) => x.toFixed(2)).join(' / ')}), most waiters ${r.maxWaiters}, longest slot wait ${r.maxWaitHours.toFixed(1)} h, ` +
    `DR slots idle ${r.drIdleHours.head.toFixed(1)} / ${r.drIdleHours.middle.toFixed(1)} / ${r.drIdleHours.tail.toFixed(1)} h\n`;
  for (const n of process.argv.slice(2).map(Number)) {
    const fleet = simFleet(n);
    process.stdout.write(line(`${n} longest first, 50 children`, simulate(fleetOrder(fleet, (d) => d.sizeGiB, n), 50)));
    const instances = fleet.filter((d) => d.kind === 'instance').length;
    const c = mapConcurrency({ instances, clusters: n - instances }, settings);
    process.stdout.write(line(`${n} fleetOrder, mapConcurrency ${c}`, simulate(fleetOrder(fleet, (d) => d.sizeGiB, c), c)));
  }
}
