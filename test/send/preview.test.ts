import { beforeAll, describe, expect, it } from 'vitest';
import { validateConfig } from '../../src/config/load.js';
import { readAttachmentContents } from '../../src/releases/attachments.js';
import { loadRelease } from '../../src/releases/load.js';
import { compileRelease, type CompiledRelease } from '../../src/render/compile.js';
import { createMessageBytes } from '../../src/send/message-bytes.js';
import { previewContext, previewMessages } from '../../src/send/preview.js';
import { contact } from '../render/helpers.js';

const DATE = new Date('2026-11-28T12:00:00Z');
const config = validateConfig({ from: { name: 'Press Office', address: 'press@example.org' }, unsubscribe: { mailto: 'unsubscribe@example.org' } });

describe('render previews through the send path (send/preview.ts)', () => {
  let compiled: CompiledRelease;
  let attachments: { filename: string; content: Buffer }[];
  beforeAll(async () => {
    const release = await loadRelease('test/fixtures/releases/with-translation.md', config);
    compiled = await compileRelease(release, { config, now: new Date('2026-11-30T00:00:00Z') });
    attachments = await readAttachmentContents(release.attachments);
  });

  async function preview(options: { secret?: string; who?: ReturnType<typeof contact>; cfg?: typeof config } = {}) {
    const { compose, warnings } = previewContext(options.cfg ?? config, compiled, { secret: options.secret, attachments });
    const bytes = createMessageBytes();
    try {
      const [message] = await previewMessages(compose, [compiled.variants[0]!], options.who ?? contact(), DATE, bytes);
      return { eml: message!.eml, warnings };
    } finally {
      bytes.close();
    }
  }

  it('is byte-for-byte the same on every render of the same release and contact', async () => {
    const a = await preview({ secret: 's3cret' });
    const b = await preview({ secret: 's3cret' });
    expect(b.eml.equals(a.eml)).toBe(true);
    const other = await preview({ secret: 's3cret', who: contact({ email: 'x@y.example' }) });
    const messageId = (buf: Buffer) => /^Message-ID: (.*)$/m.exec(buf.toString())![1];
    expect(messageId(other.eml)).not.toBe(messageId(a.eml));
  });

  it('carries the headers send writes: To with the name, List-Unsubscribe, Precedence, campaign 0, the attachment', async () => {
    const { eml, warnings } = await preview({ secret: 's3cret' });
    expect(warnings).toEqual([]);
    const text = eml.toString('utf8');
    const [head] = text.split('\r\n\r\n');
    expect(head).toContain('From: Press Office <press@example.org>');
    expect(head).toContain('To: Anna Schmidt <anna.schmidt@zeitung.example>');
    expect(head).toContain('Subject: EMBARGOED: Original release');
    expect(head).toMatch(/Message-ID: <pressline\.000000000000\.0\.[0-9a-f]{24}@example\.org>/);
    expect(head).toContain('Date: Sat, 28 Nov 2026 12:00:00 +0000');
    expect(head).toContain('Content-Language: en');
    expect(head).toContain('Precedence: bulk');
    expect(head).toContain('X-Pressline-Campaign: 0');
    // The tokenised mailto names campaign 0, delivery 0 of store 000000000000: no store takes it.
    expect(head).toMatch(/List-Unsubscribe:\s+<mailto:unsubscribe\+000000000000-0-0-[0-9a-f]{16}@example\.org\?subject=unsubscribe>/);
    expect(head).toMatch(/Content-Type: multipart\/mixed;/);
    expect(text).toMatch(/Content-Disposition: attachment;\s+filename="Fact sheet\.txt"/);
    expect(text).not.toMatch(/[^\r]\n/); // CRLF throughout
  });

  it('warns where send would refuse, and renders what it can', async () => {
    const bare = validateConfig({ unsubscribe: { baseUrl: 'https://press.example.org' } });
    const { eml, warnings } = await preview({ cfg: bare });
    expect(warnings).toHaveLength(2);
    expect(warnings[0]).toMatch(/no sender set: send refuses/);
    expect(warnings[1]).toMatch(/PRESSLINE_SECRET is not set.*the preview leaves those out/);
    const head = eml.toString().split('\r\n\r\n')[0]!;
    expect(head).toContain('press@example.invalid');
    expect(head).not.toContain('List-Unsubscribe');
  });
});
