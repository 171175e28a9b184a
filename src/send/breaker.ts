import { POLICY, type OutcomeClass } from './outcome.js';

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
  record(cls: OutcomeClass, response: string): string | undefined {
    if (cls === 'auth') return `the relay refused our credentials (${response}); check SMTP_URL`;
    // Every failure the table lays on the relay (a refused or lost connection, a reply that never
    // came after the data) counts towards the streak: they all say the relay is in trouble.
    this.connectionStreak = POLICY[cls].relayProblem ? this.connectionStreak + 1 : 0;
    if (this.connectionStreak >= this.settings.consecutiveConnectionFailures) {
      return `${this.connectionStreak} connection failures in a row, last: ${response}; the relay looks down or is refusing us`;
    }
    const failed = cls !== 'accepted';
    this.recent.push(failed);
    if (failed) this.failures++;
    if (this.recent.length > this.settings.window && this.recent.shift()) this.failures--;
    if (this.recent.length >= this.settings.window && this.failures / this.recent.length > this.settings.errorRate) {
      return `${this.failures} of the last ${this.recent.length} attempts failed (over ${Math.round(this.settings.errorRate * 100)}%), last: ${response}`;
    }
    return undefined;
  }
}
