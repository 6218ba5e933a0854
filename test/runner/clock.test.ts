import { describe, expect, it } from 'vitest';
import { VirtualClock } from '../../sandbox/simulator/index';

describe('VirtualClock', () => {
  it('wakes a sleeper when virtual time reaches its instant, without waiting in wall time', async () => {
    const clock = new VirtualClock(new Date('2026-01-01T00:00:00Z'));
    await clock.sleep(10 * 3600);
    expect(clock.iso()).toBe('2026-01-01T10:00:00.000Z');
  });

  it('advances once for actors that sleep side by side (discrete-event, not cumulative)', async () => {
    const clock = new VirtualClock(new Date('2026-01-01T00:00:00Z'));
    const woke: string[] = [];
    await Promise.all([
      clock.sleep(3600).then(() => woke.push(`a@${clock.iso()}`)),
      clock.sleep(600).then(() => woke.push(`b@${clock.iso()}`)),
      clock.sleep(3600).then(() => woke.push(`c@${clock.iso()}`)),
    ]);
    expect(woke).toEqual(['b@2026-01-01T00:10:00.000Z', 'a@2026-01-01T01:00:00.000Z', 'c@2026-01-01T01:00:00.000Z']);
    expect(clock.iso()).toBe('2026-01-01T01:00:00.000Z');
  });

  it('does not move time while an actor is still working between sleeps', async () => {
    const clock = new VirtualClock(new Date('2026-01-01T00:00:00Z'));
    const seen: string[] = [];
    const worker = async () => {
      for (let i = 0; i < 3; i++) {
        // a chain of awaits (like an SDK call) must finish before anyone else's wake-up comes
        for (let j = 0; j < 20; j++) await Promise.resolve();
        seen.push(clock.iso());
        await clock.sleep(60);
      }
    };
    await Promise.all([worker(), clock.sleep(90)]);
    expect(seen).toEqual(['2026-01-01T00:00:00.000Z', '2026-01-01T00:01:00.000Z', '2026-01-01T00:02:00.000Z']);
  });

  it('advance() wakes due sleepers and rejects negative values', async () => {
    const clock = new VirtualClock(new Date('2026-01-01T00:00:00Z'));
    expect(() => clock.advance(-1)).toThrow(RangeError);
    clock.advance(86_400);
    expect(clock.iso()).toBe('2026-01-02T00:00:00.000Z');
    await expect(clock.sleep(Number.NaN)).rejects.toThrow(RangeError);
  });

  it('does not move while busy work waits on real I/O, and moves once it is done', async () => {
    const clock = new VirtualClock(new Date('2026-01-01T00:00:00Z'));
    let seenDuringIo = '';
    const sleeper = clock.sleep(60);
    await clock.busy(async () => {
      await new Promise((resolve) => setTimeout(resolve, 25)); // real I/O-like wait: many idle turns
      seenDuringIo = clock.iso();
    });
    await sleeper;
    expect(seenDuringIo).toBe('2026-01-01T00:00:00.000Z');
    expect(clock.iso()).toBe('2026-01-01T00:01:00.000Z');
  });
});


describe('VirtualClock: cancelled sleepers', () => {
  it('keeps a valid time when the only sleeper is aborted while the clock settles', async () => {
    const { VirtualClock } = await import('../../sandbox/simulator/index');
    const clock = new VirtualClock(new Date('2026-11-20T00:00:00.000Z'));
    const ac = new AbortController();
    const p = clock.sleep(3600, ac.signal).catch(() => 'aborted');
    ac.abort(new Error('cancelled'));
    expect(await p).toBe('aborted');
    await new Promise((r) => setTimeout(r, 20));
    expect(clock.iso()).toBe('2026-11-20T00:00:00.000Z');
    await clock.sleep(60);
    expect(clock.iso()).toBe('2026-11-20T00:01:00.000Z');
  });
});
