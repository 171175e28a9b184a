// Issue 13 (4): the breaker says which trips may pass by themselves (workers probe and resume)
// and which need a person first.
import { describe, expect, it } from 'vitest';
import { pauseKindFor } from '../../src/campaigns/pause.js';
import { CircuitBreaker } from '../../src/send/breaker.js';
import type { OutcomeClass } from '../../src/send/outcome.js';

const SETTINGS = { errorRate: 0.5, window: 10, consecutiveConnectionFailures: 5 };

function feed(classes: OutcomeClass[]) {
  const breaker = new CircuitBreaker(SETTINGS);
  for (const [i, cls] of classes.entries()) {
    const trip = breaker.record(cls, `reply ${i}`);
    if (trip) return { trip, at: i + 1 };
  }
  return undefined;
}

describe('circuit breaker trips', () => {
  it('connection failures in a row: relay trouble, which workers probe and resume', () => {
    const r = feed(['accepted', 'connection', 'connection', 'connection', 'connection', 'connection']);
    expect(r).toEqual({ at: 6, trip: { kind: 'relay', reason: expect.stringMatching(/^5 connection failures in a row, last: reply 5/) } });
    expect(pauseKindFor('relay', true)).toBe('relay');
    expect(pauseKindFor('relay', false)).toBe('relay-held');
  });

  it('mostly temporary failures (throttling, 4xx) over the window: relay trouble', () => {
    const r = feed(['accepted', 'transient', 'transient', 'accepted', 'transient', 'hard', 'transient', 'accepted', 'transient', 'transient']);
    expect(r?.trip.kind).toBe('relay');
    expect(r?.at).toBe(10);
  });

  it('mostly permanent refusals over the window: held for a person, since a probe cannot tell the relay accepts mail again', () => {
    const r = feed(['accepted', 'policy', 'policy', 'accepted', 'policy', 'permanent', 'transient', 'accepted', 'hard', 'policy']);
    expect(r?.trip).toEqual({ kind: 'refusing', reason: expect.stringMatching(/^7 of the last 10 attempts failed \(over 50%, 6 of them refused for good\), last: reply 9/) });
    expect(pauseKindFor('refusing', true)).toBe('relay-held');
  });

  it('refused credentials: at once, and never resumed by a worker', () => {
    expect(feed(['accepted', 'auth'])).toEqual({ at: 2, trip: { kind: 'credentials', reason: expect.stringMatching(/refused our credentials/) } });
    expect(pauseKindFor('credentials', true)).toBe('credentials');
  });
});
