import { describe, expect, it } from 'vitest';
import { classifyDiagnosticWords, classifyDsn } from '../../src/bounces/classify.js';
import type { BounceKind } from '../../src/bounces/types.js';

type Case = [action: string | undefined, status: string | undefined, diagnostic: string | undefined, kind: BounceKind];

describe('classifyDsn', () => {
  const cases: Case[] = [
    // Action decides first.
    ['delayed', '4.4.1', 'connect timed out', 'delay'],
    ['Delayed', '5.1.1', undefined, 'delay'],
    ['delivered', '2.0.0', undefined, 'delivered'],
    ['relayed', '2.0.0', undefined, 'delivered'],
    ['expanded', '2.0.0', undefined, 'delivered'],
    ['failed (permanent)', '5.1.1', undefined, 'hard'],
    // Hard: the address itself is bad.
    ['failed', '5.1.1', undefined, 'hard'],
    ['failed', '5.1.2', undefined, 'hard'],
    ['failed', '5.1.3', undefined, 'hard'],
    ['failed', '5.1.6', undefined, 'hard'],
    ['failed', '5.1.10', 'RESOLVER.ADR.RecipientNotFound', 'hard'],
    ['failed', '5.2.1', 'mailbox disabled', 'hard'],
    // Policy.
    ['failed', '5.7.1', 'blocked by spam policy', 'policy'],
    ['failed', '5.7.26', 'unauthenticated email is not accepted', 'sender'],
    // Soft: transient or not the address's fault.
    ['failed', '4.0.0', '426 connection timed out', 'soft'],
    ['failed', '4.2.2', 'mailbox full', 'soft'],
    ['failed', '5.2.2', 'mailbox full', 'soft'],
    ['failed', '5.3.0', 'system not accepting messages', 'soft'],
    ['failed', '5.4.4', 'unable to route', 'soft'],
    ['failed', '5.1.0', undefined, 'soft'],
    ['failed', '5.5.0', undefined, 'soft'],
    // Status with a comment or odd spacing.
    ['failed', ' 5.1.1 (bad destination mailbox address)', undefined, 'hard'],
    // Generic 5.0.0: the diagnostic's specific code, then its words.
    ['failed', '5.0.0', 'smtp; 550 5.1.1 user unknown', 'hard'],
    ['failed', '5.0.0', '550 5.7.1 rejected', 'policy'],
    ['failed', '5.0.0', '550 Requested action not taken: mailbox unavailable', 'hard'],
    ['failed', '5.0.0', '550 No such user here', 'hard'],
    ['failed', '5.0.0', '550 Address does not exist', 'hard'],
    ['failed', '5.0.0', '554 Message rejected as spam', 'policy'],
    ['failed', '5.0.0', '550 Your IP is listed on a blacklist', 'policy'],
    ['failed', '5.0.0', '550 sender blocklisted', 'policy'],
    ['failed', '5.0.0', '550 poor sender reputation', 'policy'],
    ['failed', '5.0.0', '552 user is over quota', 'soft'],
    ['failed', '5.0.0', '552 Mailbox full', 'soft'],
    ['failed', '5.0.0', '550 something went wrong', 'soft'],
    // Policy wins over "mailbox unavailable" in block texts.
    ['failed', '5.0.0', '550 Mailbox unavailable: blocked using zen.spamhaus.org', 'policy'],
    // No status at all.
    ['failed', undefined, '550 5.1.1 <a@example.com>: Recipient address rejected', 'hard'],
    ['failed', undefined, '421 try again later', 'soft'],
    ['failed', undefined, '550 user unknown', 'hard'],
    ['failed', undefined, undefined, 'soft'],
    [undefined, undefined, undefined, 'soft'],
    [undefined, '5.1.1', undefined, 'hard'],
    // A "failed" report never counts as delivered.
    ['failed', '2.0.0', undefined, 'soft'],
  ];

  it.each(cases)('action=%s status=%s diagnostic=%s → %s', (action, status, diagnostic, kind) => {
    expect(classifyDsn(action, status, diagnostic)).toBe(kind);
  });
});

describe('classifyDiagnosticWords', () => {
  it.each([
    ['Recipient not found by SMTP address lookup', 'hard'],
    ['Sorry, no mailbox here by that name.', 'hard'],
    ['The email account that you tried to reach does not exist.', 'hard'],
    ['Message blocked by policy', 'policy'],
    ['Quota exceeded', 'soft'],
    ['Connection timed out', 'soft'],
    [undefined, undefined],
  ] as [string | undefined, BounceKind | undefined][])('%s → %s', (text, kind) => {
    expect(classifyDiagnosticWords(text)).toBe(kind);
  });
});
