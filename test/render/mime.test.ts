import { beforeAll, describe, expect, it } from 'vitest';
import { validateConfig } from '../../src/config/load.js';
import { PresslineError } from '../../src/errors.js';
import { loadRelease } from '../../src/releases/load.js';
import { compileRelease, type CompiledRelease } from '../../src/render/compile.js';
import { buildMime, type OutgoingMessage } from '../../src/render/mime.js';
import { outgoingFor } from '../../src/render/preview.js';
import { contact } from './helpers.js';

const config = validateConfig({ from: { name: 'Press Office', address: 'press@example.org' } });
const DATE = new Date('2026-11-28T12:00:00Z');

function base(overrides: Partial<OutgoingMessage> = {}): OutgoingMessage {
  return {
    from: { name: 'Press Office', address: 'press@example.org' },
    to: 'anna@zeitung.example',
    subject: 'Hello',
    html: '<p>Hello</p>',
    text: 'Hello\n',
    messageId: '<abc123@example.org>',
    date: DATE,
    ...overrides,
  };
}

async function usageError(p: Promise<unknown>): Promise<PresslineError> {
  try {
    await p;
  } catch (err) {
    expect(err).toBeInstanceOf(PresslineError);
    return err as PresslineError;
  }
  throw new Error('expected buildMime to refuse');
}

describe('buildMime', () => {
  let compiled: CompiledRelease;
  beforeAll(async () => {
    const release = await loadRelease('test/fixtures/releases/with-translation.md', config);
    compiled = await compileRelease(release, { config, now: new Date('2026-11-30T00:00:00Z') });
  });

  it('is byte-for-byte deterministic for the same release + contact (boundary from the Message-ID)', async () => {
    const c = contact();
    const a = await buildMime(outgoingFor(compiled.variants[0]!, c, { config, date: DATE }));
    const again = await compileRelease(compiled.release, { config, now: new Date('2026-11-30T00:00:00Z') });
    const b = await buildMime(outgoingFor(again.variants[0]!, c, { config, date: DATE }));
    expect(b.equals(a)).toBe(true);
    const other = await buildMime(outgoingFor(compiled.variants[0]!, contact({ email: 'x@y.example' }), { config, date: DATE }));
    const boundary = (buf: Buffer) => /boundary="([^"]+)"/.exec(buf.toString())![1];
    expect(boundary(other)).not.toBe(boundary(a));
  });

  it('a 5,000-character subject word (a merged name) is encoded and folded: no header line past 78 (issue 15)', async () => {
    const subject = `Hello ${'N'.repeat(5000)}`;
    const eml = await buildMime(base({ subject }));
    const head = eml.toString('utf8').split('\r\n\r\n')[0]!;
    for (const line of head.split('\r\n')) expect(line.length, line.slice(0, 90)).toBeLessThanOrEqual(78);
    const { simpleParser } = await import('mailparser');
    expect((await simpleParser(eml)).subject).toBe(subject);
    expect(head.match(/^Subject:/gm)).toHaveLength(1);
  });

  it('builds a complete message: headers, text + html alternative, attachment', async () => {
    const eml = (await buildMime(outgoingFor(compiled.variants[0]!, contact(), { config, date: DATE }))).toString('utf8');
    const [head] = eml.split('\r\n\r\n');
    expect(head).toContain('From: Press Office <press@example.org>');
    expect(head).toContain('To: anna.schmidt@zeitung.example');
    expect(head).toContain('Subject: EMBARGOED: Original release');
    expect(head).toMatch(/Message-ID: <[0-9a-f]{32}@example\.org>/);
    expect(head).toContain('Date: Sat, 28 Nov 2026 12:00:00 +0000');
    expect(head).toContain('Content-Language: en');
    expect(head).toContain('MIME-Version: 1.0');
    expect(head).toMatch(/Content-Type: multipart\/mixed;\r\n boundary=/);
    expect(eml).toContain('Content-Type: multipart/alternative');
    expect(eml).toContain('Content-Type: text/plain; charset=utf-8');
    expect(eml).toContain('Content-Type: text/html; charset=utf-8');
    expect(eml).toMatch(/Content-Disposition: attachment;\s+filename="Fact sheet\.txt"/);
    expect(eml).not.toMatch(/[^\r]\n/); // CRLF throughout
  });

  it('refuses header injection through custom headers and addresses', async () => {
    expect((await usageError(buildMime(base({ headers: { 'X-Test': 'a\r\nBcc: victim@example.org' } })))).code).toBe('USAGE');
    await usageError(buildMime(base({ headers: { 'Bad Name': 'x' } })));
    await usageError(buildMime(base({ to: 'a@example.org\r\nBcc: victim@example.org' })));
    await usageError(buildMime(base({ messageId: '<a@b>\r\nBcc: x@y' })));
    await usageError(buildMime(base({ envelopeFrom: 'bounce@example.org\n' })));
  });

  it('neutralises line breaks in the subject and display names', async () => {
    const eml = (
      await buildMime(base({ subject: 'Hi\r\nBcc: victim@example.org', from: { name: 'Press\r\nBcc: v@x.example', address: 'press@example.org' } }))
    ).toString();
    const head = eml.split('\r\n\r\n')[0]!;
    expect(head).not.toMatch(/^Bcc:/im);
    expect(head).toContain('Subject: Hi Bcc: victim@example.org');
  });
});
