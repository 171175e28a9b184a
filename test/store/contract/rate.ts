// The shared rate ledger: several workers, one ceiling.
import { expect, it } from 'vitest';
import { rateKey } from '../../../src/send/shared-limiter.js';
import type { RateKey, RateSlot } from '../../../src/store/types.js';
import { maxInWindow } from '../../helpers/windows.js';
import { at, type Opened } from './harness.js';

export function rateContract(open: () => Opened): void {
  it('rate ledger: at most `count` starts per window across owners, ended slots free a window later', async () => {
    const { store, other } = open();
    const second = other();
    const ring: RateKey[] = [{ key: 'global/1000ms', count: 3, windowMs: 1000 }];
    const stale = at(-60_000);
    const takes = await Promise.all(['a', 'b', 'c', 'd', 'e'].map((o, i) => (i % 2 ? second : store).takeRateSlots(ring, o, at(0), stale)));
    const granted = takes.filter((t) => 'slots' in t);
    expect(granted).toHaveLength(3);
    const refused = takes.find((t) => 'waitMs' in t) as { waitMs: number };
    expect(refused.waitMs).toBeGreaterThan(0); // all three still running: ask again shortly
    expect(refused.waitMs).toBeLessThanOrEqual(1000);
    const slotsOf = (t: (typeof takes)[number]) => ('slots' in t ? t.slots : []);
    const owners = ['a', 'b', 'c', 'd', 'e'].filter((_, i) => 'slots' in takes[i]!);
    await store.endRateSlots(slotsOf(granted[0]!), owners[0]!, at(100));
    // Ended at 100: that slot is free again from 1100, not before.
    expect(await store.takeRateSlots(ring, 'f', at(1099), stale)).toEqual({ waitMs: 1 });
    expect('slots' in (await store.takeRateSlots(ring, 'f', at(1100), stale))).toBe(true);
    // Two rings at once: all or nothing.
    const both: RateKey[] = [...ring, { key: 'domain:новости.example/1000ms', count: 1, windowMs: 1000 }];
    expect('waitMs' in (await store.takeRateSlots(both, 'g', at(1200), stale))).toBe(true);
    const domainOnly = await store.takeRateSlots([both[1]!], 'g', at(1200), stale);
    expect('slots' in domainOnly).toBe(true);
  });

  it('rate ledger: a slot left running by a dead worker is free a window after it went stale', async () => {
    const { store } = open();
    const ring: RateKey[] = [{ key: 'global/1000ms', count: 1, windowMs: 1000 }];
    expect('slots' in (await store.takeRateSlots(ring, 'dead', at(0), at(-60_000)))).toBe(true);
    // Never ended. With a 60 s lease, it counts as ended at 60 s and frees at 61 s.
    expect('waitMs' in (await store.takeRateSlots(ring, 'b', at(60_500), at(500)))).toBe(true);
    expect('slots' in (await store.takeRateSlots(ring, 'b', at(61_000), at(1000)))).toBe(true);
  });

  it('rate ledger: owners with different counts share one ring; the strictest count in force holds for all, and lapses after a window (issue 13)', async () => {
    // A rolling config change: one worker at 100/s, another at 50/s, on one global ring. Fast
    // alone first (the ring grows to 100 slots), then both (everyone keeps to 50), then slow alone,
    // then fast alone again once slow's last window is over (back to 100). A discrete-event run on
    // a fake clock: each owner keeps up to 12 messages in flight, each lasting 5 to 40 ms, and asks
    // again when the store says to, as SharedRateGate does.
    const END = 7000;
    const { store, other } = open();
    const slowStore = other();
    const owners = [
      { name: 'fast', store, key: rateKey('global', { count: 100, windowMs: 1000 }), from: 0, until: 3000, starts: [] as number[] },
      { name: 'slow', store: slowStore, key: rateKey('global', { count: 50, windowMs: 1000 }), from: 1500, until: 4500, starts: [] as number[] },
      { name: 'fast', store, key: rateKey('global', { count: 100, windowMs: 1000 }), from: 5000, until: END, starts: [] as number[] },
    ].map((o) => ({ ...o, inFlight: [] as { endAt: number; slots: RateSlot[] }[], askAt: o.from }));
    expect(owners[0]!.key.key).toBe(owners[1]!.key.key);
    let seed = 7;
    const duration = () => 5 + ((seed = (seed * 1103515245 + 12345) % 2 ** 31) % 36);
    let t = 0;
    for (let round = 0; t < END; round++) {
      for (const o of owners) {
        for (const m of o.inFlight.filter((f) => f.endAt <= t)) await o.store.endRateSlots(m.slots, o.name, at(m.endAt));
        o.inFlight = o.inFlight.filter((f) => f.endAt > t);
      }
      for (const o of round % 2 ? [...owners].reverse() : owners) {
        while (t >= o.from && t < o.until && o.askAt <= t && o.inFlight.length < 12) {
          const got = await o.store.takeRateSlots([o.key], o.name, at(t), at(t - 60_000));
          if ('waitMs' in got) {
            o.askAt = t + got.waitMs;
            break;
          }
          o.starts.push(t);
          o.inFlight.push({ endAt: t + duration(), slots: got.slots });
        }
      }
      const next = owners.flatMap((o) => [...o.inFlight.map((f) => f.endAt), ...(o.inFlight.length < 12 && t < o.until ? [Math.max(o.askAt, o.from)] : [])]);
      t = Math.max(t + 1, Math.min(...next, END));
    }
    const [fast, slow, fastAgain] = owners as [(typeof owners)[0], (typeof owners)[0], (typeof owners)[0]];
    const all = [...fast.starts, ...slow.starts, ...fastAgain.starts];
    expect(maxInWindow(all, 1000)).toBe(100); // fast alone reached its own ceiling, and never more
    expect(maxInWindow(slow.starts, 1000)).toBeLessThanOrEqual(50);
    // Once slow's first window is over, both keep to 50 together: the strictest in force.
    expect(maxInWindow(all.filter((s) => s >= 2500 && s < 3000), 1000)).toBeLessThanOrEqual(50);
    expect(maxInWindow(all.filter((s) => s >= 2000 && s < 3000), 1000)).toBeLessThanOrEqual(50);
    expect(maxInWindow(slow.starts.filter((s) => s >= 3000), 1000)).toBe(50);
    // A window after slow's last start, fast is back at 100.
    expect(maxInWindow(fastAgain.starts.filter((s) => s >= 5600), 1000)).toBe(100);
  });
}
