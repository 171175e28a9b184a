import type { Rate } from '../config/rate.js';

const RUNNING = Number.POSITIVE_INFINITY;
const RUNNING_POLL_MS = 5;

/** What `RateGate.take` hands back: the slots to close when the attempt ends. */
export interface GateTicket {
  global: number;
  domain: SlidingWindow | undefined;
  domainSlot: number;
}

/**
 * At most `count` events in ANY window of `windowMs` (half-open), not only on average, as the
 * receiving side sees them. The relay sees a message at some instant between our start and the
 * reply, and a pooled transport may hold it a while first (a new connection, a greeting delay).
 * So each event is remembered by when it ENDED, and a new one starts only a full window after
 * the end of the `count`-th event before it: whatever happened in between, the relay's view of
 * any `count + 1` consecutive messages spans at least a window.
 */
export class SlidingWindow {
  private readonly times: number[];
  private next = 0;
  private filled = 0;

  constructor(readonly rate: Rate) {
    this.times = new Array<number>(Math.max(rate.count, 0)).fill(0);
  }

  /**
   * Milliseconds until an event may start (0 = now), when `ahead` events already promised a
   * start will take theirs first. While the event that frees the slot is still running, a short
   * poll interval is returned.
   */
  waitMs(now: number, ahead = 0): number {
    const count = this.rate.count;
    if (count === 0) return 0;
    if (ahead >= count) return this.rate.windowMs;
    const free = count - this.filled;
    if (ahead < free) return 0;
    // The slot this event needs is freed by the (ahead - free)-th oldest recorded start.
    const oldestIndex = this.filled < count ? 0 : this.next;
    const ended = this.times[(oldestIndex + ahead - free) % count]!;
    if (ended === RUNNING) return RUNNING_POLL_MS;
    return Math.max(0, ended + this.rate.windowMs - now);
  }

  /** Records a start; returns the slot to pass to `end` when the relay has answered. */
  record(): number {
    if (this.rate.count === 0) return -1;
    const slot = this.next;
    this.times[slot] = RUNNING;
    this.next = (this.next + 1) % this.rate.count;
    if (this.filled < this.rate.count) this.filled++;
    return slot;
  }

  end(slot: number, now: number): void {
    if (slot >= 0) this.times[slot] = now;
  }
}

/** The global ceiling and one ceiling per receiving domain; a start must pass both at once. */
export class RateGate {
  private readonly global: SlidingWindow;
  private readonly domains = new Map<string, SlidingWindow>();

  constructor(
    global: Rate,
    private readonly perDomain: Rate,
    private readonly domainRates: Map<string, Rate> = new Map(),
  ) {
    this.global = new SlidingWindow(global);
  }

  private windowFor(domain: string): SlidingWindow | undefined {
    let w = this.domains.get(domain);
    if (!w) {
      const rate = this.domainRates.get(domain) ?? this.perDomain;
      if (rate.count === 0) return undefined;
      w = new SlidingWindow(rate);
      this.domains.set(domain, w);
    }
    return w;
  }

  private promisedGlobal = 0;
  private readonly promisedByDomain = new Map<string, number>();

  /** Wait before a new start, counting starts already promised (see `promise`). */
  waitMs(domain: string, now: number): number {
    const promised = this.promisedByDomain.get(domain) ?? 0;
    return Math.max(this.global.waitMs(now, this.promisedGlobal), this.windowFor(domain)?.waitMs(now, promised) ?? 0);
  }

  /**
   * Reserves a place in line without recording a start: the dispatcher promises a start it
   * will make shortly, so it does not hand out more than the windows allow.
   */
  promise(domain: string): void {
    this.promisedGlobal++;
    this.promisedByDomain.set(domain, (this.promisedByDomain.get(domain) ?? 0) + 1);
  }

  /** Wait before a promised start may happen (promises ahead of it excluded). */
  waitPromisedMs(domain: string, now: number): number {
    return Math.max(this.global.waitMs(now), this.windowFor(domain)?.waitMs(now) ?? 0);
  }

  /** Withdraws a promise without a start (the message will not be sent after all). */
  withdraw(domain: string): void {
    this.promisedGlobal--;
    const left = (this.promisedByDomain.get(domain) ?? 1) - 1;
    if (left === 0) this.promisedByDomain.delete(domain);
    else this.promisedByDomain.set(domain, left);
  }

  /** Records a start, fulfilling a promise; call `end` with the ticket when the relay answered. */
  take(domain: string): GateTicket {
    this.withdraw(domain);
    const window = this.windowFor(domain);
    return { global: this.global.record(), domain: window, domainSlot: window ? window.record() : -1 };
  }

  end(ticket: GateTicket, now: number): void {
    this.global.end(ticket.global, now);
    ticket.domain?.end(ticket.domainSlot, now);
  }
}
