import { POLICY, type OutcomeClass } from './outcome.js';

/**
 * Why the breaker opened: `relay` (it is down, refusing connections, or deferring most messages:
 * trouble that may pass by itself, so workers may probe and resume), `refusing` (most failures are
 * permanent refusals: resuming would only burn more recipients, so a person looks first), or
 * `credentials` (it refused our login; a person must fix SMTP_URL).
 */
export interface BreakerTrip {
  kind: 'relay' | 'refusing' | 'credentials';
  reason: string;
}

/** Permanent refusals (5xx): the failures a relay that merely blinks does not give. */
const PERMANENT: ReadonlySet<OutcomeClass> = new Set(['hard', 'policy', 'permanent']);

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
  /** The last `window` attempts: 0 accepted, 1 a temporary failure, 2 a permanent refusal. */
  private recent: (0 | 1 | 2)[] = [];
  private failures = 0;
  private permanent = 0;
  private connectionStreak = 0;

  constructor(private readonly settings: BreakerSettings) {}

  /** Records one attempt; returns why the campaign must pause, or undefined. */
  record(cls: OutcomeClass, response: string): BreakerTrip | undefined {
    if (cls === 'auth') return { kind: 'credentials', reason: `the relay refused our credentials (${response}); check SMTP_URL` };
    // Every failure the table lays on the relay (a refused or lost connection, a reply that never
    // came after the data) counts towards the streak: they all say the relay is in trouble.
    this.connectionStreak = POLICY[cls].relayProblem ? this.connectionStreak + 1 : 0;
    if (this.connectionStreak >= this.settings.consecutiveConnectionFailures) {
      return { kind: 'relay', reason: `${this.connectionStreak} connection failures in a row, last: ${response}; the relay looks down or is refusing us` };
    }
    const outcome = cls === 'accepted' ? 0 : PERMANENT.has(cls) ? 2 : 1;
    this.recent.push(outcome);
    if (outcome > 0) this.failures++;
    if (outcome === 2) this.permanent++;
    if (this.recent.length > this.settings.window) {
      const gone = this.recent.shift();
      if (gone) this.failures--;
      if (gone === 2) this.permanent--;
    }
    if (this.recent.length >= this.settings.window && this.failures / this.recent.length > this.settings.errorRate) {
      const kind = this.permanent * 2 > this.failures ? 'refusing' : 'relay';
      return { kind, reason: `${this.failures} of the last ${this.recent.length} attempts failed (over ${Math.round(this.settings.errorRate * 100)}%${kind === 'refusing' ? `, ${this.permanent} of them refused for good` : ''}), last: ${response}` };
    }
    return undefined;
  }
}
