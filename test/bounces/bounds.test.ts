import { describe, expect, it } from 'vitest';
import { MAX_MIME_DEPTH, mimeDepth, stripNul, withoutNul } from '../../src/bounces/bounds.js';
import { deeplyNested, dsnFor } from '../helpers/poison-mail.js';

describe('checks before any parser sees a bounce-mailbox message', () => {
  it('counts MIME nesting: a DSN is 1 deep, one quoting a multipart original 2, deeply nested mail past the cap', () => {
    expect(mimeDepth(Buffer.from(dsnFor({ to: 'x@y.example', recipient: 'a@paper.example', originalMessageId: '<m@x>', id: 'd' })))).toBe(1);
    const quotingMultipart = [
      'Content-Type: multipart/report; report-type=delivery-status;',
      '\tboundary="outer"', // folded: the boundary is on the continuation line
      '',
      '--outer',
      'Content-Type: message/rfc822',
      '',
      'From: press@ngo.example.org',
      'Content-Type: multipart/alternative; boundary=inner',
      '',
      '--inner',
      'Content-Type: text/plain',
      '',
      'text',
      '--inner--',
      '--outer',
      'Content-Type: text/plain',
      '',
      'after',
      '--outer--',
      '',
    ].join('\r\n');
    expect(mimeDepth(Buffer.from(quotingMultipart))).toBe(2);
    // Siblings do not add up: ten parts side by side, each multipart, are 2 deep.
    const siblings = ['Content-Type: multipart/mixed; boundary="o"', ''];
    for (let i = 0; i < 10; i++) siblings.push('--o', `Content-Type: multipart/alternative; boundary="i${i}"`, '', `--i${i}`, '', 'x', `--i${i}--`);
    siblings.push('--o--', '');
    expect(mimeDepth(Buffer.from(siblings.join('\n')))).toBe(2);
    expect(mimeDepth(Buffer.from(deeplyNested(MAX_MIME_DEPTH)))).toBe(MAX_MIME_DEPTH);
    expect(mimeDepth(Buffer.from(deeplyNested(5000)))).toBe(MAX_MIME_DEPTH + 1);
  });

  it('removes NUL bytes and characters, and leaves text without them as it is', () => {
    expect(withoutNul(Buffer.from('a\u0000b\u0000')).toString()).toBe('ab');
    const clean = Buffer.from('clean');
    expect(withoutNul(clean)).toBe(clean);
    expect(stripNul('550\u0000 5.1.1')).toBe('550 5.1.1');
    expect(stripNul(undefined)).toBeUndefined();
  });
});
