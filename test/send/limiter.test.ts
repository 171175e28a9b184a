import { describe, expect, it } from 'vitest';
import { parseRate } from '../../src/config/rate.js';
import { RateGate, SlidingWindow } from '../../src/send/limiter.js';
import { maxInWindow } from '../helpers/windows.js';

/** Greedy simulation: start each event as early as the gate allows; each takes `latency` ms. */
function simulate(gate: RateGate, domains: string[], latency = 0): number[] {
  const times: number[] = [];
  let now = 0;
  for (const d of domains) {
    now += gate.waitMs(d, now);
    gate.promise(d);
    const ticket = gate.take(d);
    times.push(now);
    gate.end(ticket, now + latency);
  }
  return times;
}

describe('parseRate', () => {
  it('reads the written forms', () => {
    expect(parseRate('50/s')).toEqual({ count: 50, windowMs: 1000 });
    expect(parseRate('300/m')).toEqual({ count: 300, windowMs: 60_000 });
    expect(parseRate('2000/h')).toEqual({ count: 2000, windowMs: 3_600_000 });
    expect(parseRate('7')).toEqual({ count: 7, windowMs: 1000 });
    expect(parseRate(0)).toEqual({ count: 0, windowMs: 1000 });
    expect(() => parseRate('fast')).toThrow(/50\/s/);
  });
});

describe('SlidingWindow', () => {
  it('allows a burst up to the count, then waits for the oldest to leave', () => {
    const w = new SlidingWindow({ count: 3, windowMs: 1000 });
    for (const t of [0, 10, 20]) {
      expect(w.waitMs(t)).toBe(0);
      w.end(w.record(), t);
    }
    expect(w.waitMs(500)).toBe(500);
    expect(w.waitMs(1000)).toBe(0);
  });

  it('counts a window from the end of the event that frees the slot', () => {
    const w = new SlidingWindow({ count: 1, windowMs: 1000 });
    const slot = w.record();
    expect(w.waitMs(100)).toBe(5); // still running: poll
    w.end(slot, 300);
    expect(w.waitMs(300)).toBe(1000);
    expect(w.waitMs(1300)).toBe(0);
  });

  it('counts promised starts ahead of the caller', () => {
    const w = new SlidingWindow({ count: 2, windowMs: 1000 });
    w.end(w.record(), 0);
    expect(w.waitMs(0, 0)).toBe(0);
    expect(w.waitMs(0, 1)).toBe(1000);
  });
});

describe('RateGate', () => {
  it('holds the global ceiling in every sliding window, not only on average', () => {
    const gate = new RateGate(parseRate('10/s'), parseRate(0));
    const times = simulate(gate, Array.from({ length: 95 }, (_, i) => `d${i % 5}.example`));
    expect(maxInWindow(times, 1000)).toBe(10);
    expect(maxInWindow(times, 999)).toBe(10);
    // Nine full windows and then some: the ceiling is used, not undershot.
    expect(times.at(-1)).toBeLessThan(9_100);
  });

  it('holds a per-domain ceiling while other domains go at the global pace', () => {
    const gate = new RateGate(parseRate('100/s'), parseRate(0), new Map([['slow.example', parseRate('2/s')]]));
    const domains = Array.from({ length: 60 }, (_, i) => (i % 3 === 0 ? 'slow.example' : 'fast.example'));
    const times = simulate(gate, domains);
    const slow = times.filter((_, i) => domains[i] === 'slow.example');
    expect(maxInWindow(slow, 1000)).toBe(2);
    expect(maxInWindow(times, 1000)).toBeLessThanOrEqual(100);
  });

  it('keeps the ceiling when the relay sees a message any time before its reply', () => {
    const gate = new RateGate(parseRate('5/s'), parseRate(0));
    const latency = 120;
    const starts = simulate(gate, Array.from({ length: 40 }, () => 'x.example'), latency);
    // Worst case for the relay: it sees the earlier message at its end and a later one at its start.
    const seen = starts.map((t, i) => (i % 2 === 0 ? t + latency : t));
    expect(maxInWindow(seen, 1000)).toBeLessThanOrEqual(5);
  });
});
