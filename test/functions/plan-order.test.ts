/**
 * The fleet's start order and the Map's concurrency (issue 12, functions/plan-run/order.ts), and the
 * bounds the stack gives plan-run (statemachines/map-concurrency.ts): pure functions, property-tested.
 * The timeouts' wave count (statemachines/timeouts.ts, waves of `min`) must bound every plan's waves.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fleetOrder, mapConcurrency } from '../../functions/plan-run/order';
import { childrenPerSlot, mapConcurrencySettings, MIN_MAP_CONCURRENCY } from '../../statemachines/map-concurrency';
import type { MapConcurrencySettings } from '../../contracts/functions/plan-run';

interface Db {
  readonly id: number;
  readonly size: number | undefined;
}
const fleets = fc.array(fc.option(fc.integer({ min: 20, max: 4096 }), { nil: undefined, freq: 10 }), { maxLength: 300 }).map((sizes) => sizes.map((size, id): Db => ({ id, size })));
const nonIncreasing = (xs: readonly number[]) => xs.every((x, i) => i === 0 || xs[i - 1]! >= x);
const nonDecreasing = (xs: readonly number[]) => xs.every((x, i) => i === 0 || xs[i - 1]! <= x);

describe('fleetOrder', () => {
  it('is a permutation with the unknown sizes first (in the given order); longest first when the fleet fits in two waves of children', () => {
    fc.assert(
      fc.property(fleets, fc.integer({ min: 1, max: 400 }), (fleet, concurrency) => {
        const out = fleetOrder(fleet, (d) => d.size, concurrency);
        expect([...out].map((d) => d.id).sort((a, b) => a - b)).toEqual(fleet.map((d) => d.id));
        const unknown = fleet.filter((d) => d.size === undefined);
        expect(out.slice(0, unknown.length)).toEqual(unknown);
        const known = out.slice(unknown.length).map((d) => d.size as number);
        if (fleet.length <= 2 * concurrency) expect(nonIncreasing(known)).toBe(true);
      }),
      { numRuns: 300 },
    );
  });

  it('a fleet of more than two waves: every third database smallest first (the ramp), then the rest largest first', () => {
    fc.assert(
      fc.property(fleets, fc.integer({ min: 1, max: 60 }), (all, concurrency) => {
        const fleet = all.filter((d) => d.size !== undefined);
        fc.pre(fleet.length > 2 * concurrency);
        const sizes = fleetOrder(fleet, (d) => d.size, concurrency).map((d) => d.size as number);
        const ascending = fleet.map((d) => d.size as number).sort((a, b) => a - b);
        const rampLength = Math.ceil(fleet.length / 3);
        const ramp = sizes.slice(0, rampLength);
        const descent = sizes.slice(rampLength);
        expect(nonDecreasing(ramp)).toBe(true);
        expect(nonIncreasing(descent)).toBe(true);
        // The ramp holds every third size of the ascending sort, from the smallest: it starts the run
        // with the shortest copy (feeding the last destination early) and the descent ends it with the
        // second shortest (the slots finish together).
        expect(ramp).toEqual(ascending.filter((_, i) => i % 3 === 0));
        expect(sizes[0]).toBe(ascending[0]);
        if (fleet.length >= 2) expect(sizes[sizes.length - 1]).toBe(ascending[1]);
      }),
      { numRuns: 300 },
    );
  });

  it('keeps the given order among equal sizes, in the ramp and in the descent', () => {
    const fleet: Db[] = [1, 2, 3, 4, 5, 6].map((id) => ({ id, size: 100 }));
    expect(fleetOrder(fleet, (d) => d.size, 2).map((d) => d.id)).toEqual([1, 4, 2, 3, 5, 6]);
    expect(fleetOrder(fleet, (d) => d.size, 3).map((d) => d.id)).toEqual([1, 2, 3, 4, 5, 6]);
  });
});

const settingsArb = fc
  .record({ max: fc.integer({ min: 1, max: 200 }), minWish: fc.integer({ min: 1, max: 200 }), instance: fc.integer({ min: 1, max: 500 }), cluster: fc.integer({ min: 1, max: 500 }) })
  .map(({ max, minWish, instance, cluster }): MapConcurrencySettings => ({ max, min: Math.min(max, minWish), instance, cluster }));

describe('mapConcurrency', () => {
  it('is a whole number from 1 to max, at least min(count, min), and no more children than half the fleet unless the floor says so', () => {
    fc.assert(
      fc.property(fc.nat(3000), fc.nat(3000), settingsArb, (instances, clusters, s) => {
        const count = instances + clusters;
        const c = mapConcurrency({ instances, clusters }, s);
        expect(Number.isInteger(c)).toBe(true);
        expect(c).toBeGreaterThanOrEqual(1);
        expect(c).toBeLessThanOrEqual(s.max);
        expect(c).toBeGreaterThanOrEqual(Math.min(count, s.min));
        expect(c).toBeLessThanOrEqual(Math.max(1, Math.ceil(count / 2), Math.min(count, s.min)));
        expect(c).toBeLessThanOrEqual(Math.max(1, Math.min(instances, s.instance) + Math.min(clusters, s.cluster), Math.min(count, s.min)));
      }),
      { numRuns: 1000 },
    );
  });

  it('never needs more waves than the execution timeout counts (ceil(fleet / min)) for any plan of at most that fleet', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 5000 }), fc.nat(5000), fc.nat(5000), settingsArb, (fleet, a, b, s) => {
        const instances = a % (fleet + 1);
        const clusters = b % (fleet - instances + 1);
        const count = instances + clusters;
        fc.pre(count >= 1);
        const c = mapConcurrency({ instances, clusters }, s);
        expect(Math.ceil(count / c)).toBeLessThanOrEqual(Math.ceil(fleet / s.min));
      }),
      { numRuns: 1000 },
    );
  });

  it('the bench fleet with two-hop DR and AWS default slots: 57 children for 500 or 1,000 databases, 50 for 100, one for an event run', () => {
    const s = mapConcurrencySettings({ maxDatabasesInParallel: 100, slots: { instance: 20, cluster: 5 }, drRegions: 1, drCopyMode: 'two-hop' });
    expect(s).toEqual({ max: 100, min: 50, instance: 46, cluster: 11 });
    expect(mapConcurrency({ instances: 800, clusters: 200 }, s)).toBe(57);
    expect(mapConcurrency({ instances: 400, clusters: 100 }, s)).toBe(57);
    // 100 databases: at most half the fleet, and the floor of 50.
    expect(mapConcurrency({ instances: 80, clusters: 20 }, s)).toBe(50);
    expect(mapConcurrency({ instances: 1, clusters: 0 }, s)).toBe(1);
    expect(mapConcurrency({ instances: 0, clusters: 0 }, s)).toBe(1);
    // Only DB clusters: 11 keep their 5 slots busy, but never fewer than the floor the timeout counts.
    expect(mapConcurrency({ instances: 0, clusters: 1000 }, s)).toBe(50);
    // A lower bound in the config is never exceeded.
    expect(mapConcurrency({ instances: 800, clusters: 200 }, mapConcurrencySettings({ maxDatabasesInParallel: 5, slots: { instance: 20, cluster: 5 }, drRegions: 1, drCopyMode: 'two-hop' }))).toBe(5);
  });
});

describe('mapConcurrencySettings', () => {
  it('children per slot from the copy steps in a row: vault only 2, two-hop DR 2.33, single-step DR 1.67; min = min(max, 50)', () => {
    expect(childrenPerSlot(0, 'two-hop')).toBe(2);
    expect(childrenPerSlot(1, 'two-hop')).toBeCloseTo(7 / 3, 10);
    expect(childrenPerSlot(2, 'single-step')).toBeCloseTo(5 / 3, 10);
    const at = (drRegions: number, drCopyMode: 'two-hop' | 'single-step', max = 100) => mapConcurrencySettings({ maxDatabasesInParallel: max, slots: { instance: 20, cluster: 5 }, drRegions, drCopyMode });
    // Rounded down (a child too many waits in a slot queue), at least 1.
    expect(at(0, 'two-hop')).toEqual({ max: 100, min: MIN_MAP_CONCURRENCY, instance: 40, cluster: 10 });
    expect(at(1, 'single-step')).toEqual({ max: 100, min: 50, instance: 33, cluster: 8 });
    expect(at(1, 'two-hop', 30)).toEqual({ max: 30, min: 30, instance: 46, cluster: 11 });
    expect(mapConcurrencySettings({ maxDatabasesInParallel: 10, slots: { instance: 1, cluster: 0 }, drRegions: 0, drCopyMode: 'two-hop' })).toEqual({ max: 10, min: 10, instance: 2, cluster: 1 });
  });
});
