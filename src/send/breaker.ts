import type { OutcomeClass } from './outcome.js';

/**
 * Why the breaker opened: `relay` (it is down, refusing connections, or failing most messages;
 * may pass by itself) or `credentials` (it refused our login; a person must fix SMTP_URL).
 */
export interface BreakerTrip {
  kind: 'relay' | 'credentials';
  reason: string;
}

export interface BreakerSettings {
  /** Share of failed attempts among the last `window` that opens the breaker. */
  errorRate: number;
  window: number;
  consecutiveConnectionFailures: number;
}

/**
 * Decides when the relay itself is down or refusing us, so the campaign pauses instead of
 * burning every recipient's attempts: bad credentials at once, repeated connection failures,
 * or a failure rate over the threshold once the window is full.
 */
export class CircuitBreaker {
  private recent: boolean[] = [];
  private failures = 0;
  private connectionStreak = 0;

  constructor(private readonly settings: BreakerSettings) {}

  /** Records one attempt; returns why the campaign must pause, or undefined. */
  record(cls: OutcomeClass, response: string): BreakerTrip | undefined {
    if (cls === 'auth') return { kind: 'credentials', reason: `the relay refused our credentials (${response}); check SMTP_URL` };
    this.connectionStreak = cls === 'connection' ? this.connectionStreak + 1 : 0;
    if (this.connectionStreak >= this.settings.consecutiveConnectionFailures) {
      return { kind: 'relay', reason: `${this.connectionStreak} connection failures in a row, last: ${response}; the relay looks down or is refusing us` };
    }
    const failed = cls !== 'accepted';
    this.recent.push(failed);
    if (failed) this.failures++;
    if (this.recent.length > this.settings.window && this.recent.shift()) this.failures--;
    if (this.recent.length >= this.settings.window && this.failures / this.recent.length > this.settings.errorRate) {
      return { kind: 'relay', reason: `${this.failures} of the last ${this.recent.length} attempts failed (over ${Math.round(this.settings.errorRate * 100)}%), last: ${response}` };
    }
    return undefined;
  }
}
