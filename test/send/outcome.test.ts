import { describe, expect, it } from 'vitest';
import { backoffMs, classify, parseEnhanced, POLICY, retriesExhausted, type SendResult } from '../../src/send/outcome.js';

const fail = (code: number | undefined, response: string, errorCode?: string): SendResult => ({ accepted: false, code, enhanced: parseEnhanced(response), response, errorCode, durationMs: 1 });

describe('parseEnhanced', () => {
  it('reads the enhanced status after the reply code', () => {
    expect(parseEnhanced('550 5.1.1 <a@b.example>: Recipient address rejected')).toBe('5.1.1');
    expect(parseEnhanced('452-4.2.2 The email account that you tried to reach is over quota')).toBe('4.2.2');
    expect(parseEnhanced('250 2.0.0 Ok: queued as 4FQ3X')).toBe('2.0.0');
    expect(parseEnhanced('550 User unknown')).toBeUndefined();
    expect(parseEnhanced(undefined)).toBeUndefined();
  });
});

describe('classify', () => {
  it.each([
    [fail(550, '550 5.1.1 <x@y>: User unknown', 'EENVELOPE'), 'hard', 'bounced'],
    [fail(550, '550 5.2.1 mailbox disabled', 'EENVELOPE'), 'hard', 'bounced'],
    [fail(550, '550 5.7.1 rejected by policy', 'EENVELOPE'), 'policy', 'blocked'],
    [fail(554, '554 5.7.1 Message rejected as spam', 'EMESSAGE'), 'policy', 'blocked'],
    [fail(552, '552 5.3.4 message too big', 'EMESSAGE'), 'permanent', 'failed'],
    [fail(550, '550 User unknown', 'EENVELOPE'), 'hard', 'bounced'],
    [fail(554, '554 Transaction failed', 'EMESSAGE'), 'permanent', 'failed'],
    [fail(452, '452 4.2.2 Mailbox full', 'EENVELOPE'), 'transient', 'deferred'],
    [fail(451, '451 4.7.1 Greylisted', 'EENVELOPE'), 'transient', 'deferred'],
    [fail(421, '421 4.7.28 unusual rate', 'ECONNECTION'), 'connection', 'deferred'],
    [fail(421, '421 4.3.2 closing', 'EMESSAGE'), 'connection', 'deferred'],
    [fail(554, '554 5.7.1 you are on a blocklist', 'EPROTOCOL'), 'connection', 'deferred'],
    [fail(undefined, 'Connection closed unexpectedly', 'ECONNECTION'), 'connection', 'deferred'],
    [fail(undefined, 'Timeout', 'ETIMEDOUT'), 'connection', 'deferred'],
    [fail(535, '535 5.7.8 Error: authentication failed', 'EAUTH'), 'auth', 'deferred'],
    [fail(530, '530 5.7.0 Error: authentication Required', 'EENVELOPE'), 'auth', 'deferred'],
  ])('%# %o → %s', (result, cls, status) => {
    expect(classify(result)).toBe(cls);
    expect(POLICY[classify(result)].status).toBe(status);
  });

  it('a connection lost or timed out after the whole message was sent is a lost reply: unknown, never retried', () => {
    const sent = (r: SendResult): SendResult => ({ ...r, messageSent: true });
    for (const r of [fail(undefined, 'Connection closed unexpectedly', 'ECONNECTION'), fail(undefined, 'Timeout', 'ETIMEDOUT'), fail(undefined, 'read ECONNRESET', 'ESOCKET')]) {
      expect(classify(sent(r))).toBe('lost-reply');
      expect(classify(r)).toBe('connection');
    }
    expect(POLICY['lost-reply']).toMatchObject({ status: 'unknown', retry: false, suppress: undefined, relayProblem: true });
    // A reply did come (a rejection after the data, a 421): that is what it says, not a lost reply.
    expect(classify(sent(fail(421, '421 4.3.2 closing', 'EMESSAGE')))).toBe('connection');
    expect(classify(sent(fail(554, '554 5.7.1 spam', 'EMESSAGE')))).toBe('policy');
  });

  it('suppresses only hard bounces', () => {
    expect(POLICY.hard.suppress).toBe('hard-bounce');
    for (const c of ['policy', 'permanent', 'transient', 'connection', 'auth'] as const) expect(POLICY[c].suppress).toBeUndefined();
  });
});

describe('retry policy', () => {
  const retry = { maxAttempts: 4, baseDelayMs: 1000, maxDelayMs: 5000, maxAgeMs: 60_000 };
  it('grows exponentially with jitter between half and all of the step, capped', () => {
    expect(backoffMs(1, retry, () => 0)).toBe(500);
    expect(backoffMs(1, retry, () => 1)).toBe(1000);
    expect(backoffMs(3, retry, () => 1)).toBe(4000);
    expect(backoffMs(10, retry, () => 1)).toBe(5000);
    expect(backoffMs(10, retry, () => 0)).toBe(2500);
  });
  it('gives up after the attempts or the age', () => {
    const first = new Date('2026-01-01T00:00:00Z');
    expect(retriesExhausted(3, first, new Date('2026-01-01T00:00:10Z'), retry)).toBe(false);
    expect(retriesExhausted(4, first, new Date('2026-01-01T00:00:10Z'), retry)).toBe(true);
    expect(retriesExhausted(1, first, new Date('2026-01-01T00:01:00Z'), retry)).toBe(true);
  });
});
