// Issue 19 item 5: the progress ETA comes from observed throughput and keeps its unit at any
// width; lines off a terminal come every 5 s. The clock is the only fake part (`now`).
import { describe, expect, it } from 'vitest';
import { barLine, LINE_INTERVAL_MS, progressReporter, Throughput, type Snapshot } from '../../src/cli/progress.js';
import { emptyCounts, type StatusCounts } from '../../src/store/types.js';
import type { Progress } from '../../src/send/sender.js';

function counts(sent: number, pending: number): StatusCounts {
  return { ...emptyCounts(), sent, pending };
}

describe('Throughput', () => {
  it('starts measuring at the first message, so a slow start does not inflate the ETA', () => {
    // The run started at 0; connecting took 14 s; then 5 messages a second.
    const meter = new Throughput();
    expect(meter.perSecond(14_000)).toBeUndefined();
    for (let k = 1; k <= 20; k++) meter.observe(14_000 + k * 200, k);
    expect(meter.perSecond(18_000)).toBeCloseTo(5, 5);
  });

  it('says nothing until a few messages were seen', () => {
    const meter = new Throughput();
    meter.observe(1_000, 1);
    meter.observe(1_100, 2);
    expect(meter.perSecond(1_200)).toBeUndefined();
  });

  it('follows a send that slows down (older samples drop out of the window)', () => {
    const meter = new Throughput();
    for (let k = 1; k <= 100; k++) meter.observe(k * 100, k); // 10/s for 10 s
    for (let k = 1; k <= 30; k++) meter.observe(10_000 + k * 1_000, 100 + k); // then 1/s for 30 s
    expect(meter.perSecond(40_000)).toBeCloseTo(1, 1);
  });
});

describe('barLine', () => {
  const snap: Snapshot = { total: 3_000, settled: 1_200, counts: { ...counts(1_180, 1_800), deferred: 12, bounced: 8 }, perSecond: 176.4, etaMs: 10_204, waitingUntil: undefined, outbox: false };

  it('fits any width by leaving out whole parts; the ETA keeps its unit', () => {
    for (const width of [30, 40, 60, 80, 100, 160]) {
      const line = barLine(snap, width);
      expect(line.length, `${width}: ${line}`).toBeLessThanOrEqual(width - 1);
      expect(line).toContain('1200/3000');
      expect(line).toContain('ETA 10 s');
    }
    expect(barLine(snap, 160)).toMatch(/^\[#+\.+\] {2}1200\/3000 {2}sent 1180 {2}deferred 12 {2}bounced 8 {2}failed 0 {2}176\.4\/s {2}ETA 10 s$/);
    // Problems outlast the bar and the rate when room runs short.
    expect(barLine(snap, 60)).toContain('deferred 12');
  });

  it('says "ETA …" until the throughput is known, and "written to outbox" for the outbox', () => {
    expect(barLine({ ...snap, perSecond: undefined, etaMs: undefined, outbox: true }, 120)).toMatch(/written to outbox 1180 .*ETA …$/);
  });
});

describe('progress lines off a terminal', () => {
  it('one at the first report, then one every 5 s, and a final one', () => {
    let now = 0;
    const written: string[] = [];
    const reporter = progressReporter('lines', 100, { campaignId: 7, write: (t) => written.push(t), now: () => now });
    const at = (ms: number, sent: number): Progress => {
      now = ms;
      return { counts: counts(sent, 100 - sent), inFlight: 1, startedAt: new Date(0), attemptsDone: sent };
    };
    reporter.update(at(0, 0));
    for (let ms = 100; ms <= 9_900; ms += 100) reporter.update(at(ms, ms / 100));
    reporter.done();
    expect(written).toHaveLength(3); // 0 s, 5 s, and the end
    expect(written[0]).toBe('progress: 0/100 settled, ETA …\n');
    expect(written[1]).toBe('progress: 50/100 settled (sent 50), 10.0/s, ETA 5 s\n');
    expect(written[2]).toBe('progress: 99/100 settled (sent 99), 10.0/s, ETA 0 s\n');
    expect(LINE_INTERVAL_MS).toBe(5_000);
  });
});
