import { execFile } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

/*
 * Issue 18 item 4: `render --contact` writes the bytes `send` would send that contact. Both run
 * through the built CLI on the example config, with everything that adds a header turned on
 * (HTTPS unsubscribe link and mailto, List-Id, Feedback-ID, DKIM). What only a planned campaign
 * has is masked (src/send/preview.ts says why each differs); every other byte must be equal.
 */

const CLI = resolve('dist/src/cli/main.js');
const SECRET = 'one-message-path-secret';
let dir: string;

function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((done) => {
    execFile(
      process.execPath,
      [CLI, '--config', join(dir, 'amnesty.json'), ...args],
      { env: { ...process.env, PRESSLINE_DB: join(dir, 'p.db'), SMTP_URL: '', DATABASE_URL: '', PRESSLINE_SECRET: SECRET } },
      (err, stdout, stderr) => done({ code: err ? Number((err as NodeJS.ErrnoException & { code: number }).code) : 0, stdout, stderr }),
    );
  });
}

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'pressline-one-path-'));
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  writeFileSync(join(dir, 'dkim.pem'), privateKey.export({ type: 'pkcs8', format: 'pem' }));
  const amnesty = JSON.parse(readFileSync('config/examples/amnesty.json', 'utf8'));
  const config = {
    ...amnesty,
    paths: { outbox: join(dir, 'outbox'), logs: join(dir, 'logs'), database: join(dir, 'p.db') },
    rate: { ...amnesty.rate, global: 0, perDomain: 0, domains: {} },
    unsubscribe: { ...amnesty.unsubscribe, baseUrl: 'https://press.example.org' },
    listId: 'Amnesty press releases <press.example.org>',
    feedbackId: 'amnesty-press',
    dkim: { domainName: 'example.org', keySelector: 'press', privateKeyFile: join(dir, 'dkim.pem') },
  };
  writeFileSync(join(dir, 'amnesty.json'), JSON.stringify(config));
  // Two contacts of the example list: English (quoted-printable) and Russian (encoded-words, base64).
  const rows = readFileSync('lists/journalists.csv', 'utf8').split('\n');
  const wanted = rows.filter((r, i) => i === 0 || r.startsWith('h.whitfield@') || r.startsWith('anna.sokolova@'));
  writeFileSync(join(dir, 'list.csv'), wanted.join('\n') + '\n');
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** The unsubscribe token of a message, from its List-Unsubscribe field. */
function tokenOf(head: string): string {
  const token = /\/u\/([0-9a-z-]+)>/.exec(head.replace(/\r\n[ \t]/g, ' '))?.[1];
  expect(token, 'an HTTPS unsubscribe link in List-Unsubscribe').toBeDefined();
  return token!;
}

/** `text` with every occurrence of `token` replaced, even across a quoted-printable soft break. */
function maskToken(text: string, token: string): string {
  const pattern = [...token].map((c) => c.replace(/[-\\^$.*+?()[\]{}|]/g, '\\$&')).join('(?:=\\r\\n)?');
  return text.replace(new RegExp(pattern, 'g'), '<token>');
}

/**
 * The message with what only a planned campaign has masked: Date, Message-ID, the boundary (from
 * the Message-ID), the campaign number (X-Pressline-Campaign, Feedback-ID), the unsubscribe token
 * (campaign and delivery numbers, store id), and DKIM's b=, bh= and t= (over all of these). Base64
 * parts are decoded so a token inside them can be masked too.
 */
function masked(raw: Buffer): string {
  let text = raw.toString('latin1');
  const end = text.indexOf('\r\n\r\n');
  let head = text.slice(0, end);
  const token = tokenOf(head);
  head = head.replace(/^DKIM-Signature:.*(?:\r\n[ \t].*)*/m, (field) => {
    const tags = field.slice('DKIM-Signature:'.length).replace(/\s+/g, '').split(';').filter(Boolean);
    return `DKIM-Signature: ${tags.filter((t) => !/^(b|bh|t)=/.test(t)).join('; ')}`;
  });
  head = head
    .replace(/^Date: .*$/m, 'Date: <date>')
    .replace(/^Message-ID: .*$/m, 'Message-ID: <message-id>')
    .replace(/^X-Pressline-Campaign: \d+$/m, 'X-Pressline-Campaign: <campaign>')
    .replace(/^Feedback-ID: \d+:/m, 'Feedback-ID: <campaign>:');
  text = head + text.slice(end);
  const boundary = /boundary="([^"]+)"/.exec(text)?.[1];
  if (boundary) text = text.split(boundary).join('<boundary>');
  text = text.replace(/(Content-Transfer-Encoding: base64\r\n\r\n)([A-Za-z0-9+/=\r\n]+?)(?=\r\n--)/g, (_, lead: string, b64: string) => {
    const decoded = Buffer.from(b64.replace(/\r\n/g, ''), 'base64').toString('utf8');
    return `${lead}<base64 of ${b64.length} characters>${maskToken(decoded, token)}`;
  });
  return maskToken(text, token);
}

describe('one message path: render --contact writes the bytes send sends', () => {
  it('the same bytes as the outbox copy, but for Date, Message-ID, campaign number and what derives from them', async () => {
    const sent = await cli(['send', 'releases/eu-russia-summit.md', '--list', join(dir, 'list.csv'), '--yes']);
    expect(sent.code, sent.stderr).toBe(0);
    const outbox = readdirSync(join(dir, 'outbox', '1')).filter((f) => f.endsWith('.eml'));
    expect(outbox).toHaveLength(2);

    for (const [email, language] of [['h.whitfield@dailyledger.example', 'en'], ['anna.sokolova@novayagazeta.example', 'ru']] as const) {
      const out = join(dir, `render-${language}`);
      const rendered = await cli(['render', 'releases/eu-russia-summit.md', '--list', join(dir, 'list.csv'), '--contact', email, '--out', out]);
      expect(rendered.code, rendered.stderr).toBe(0);
      expect(rendered.stderr).not.toContain('warning');
      const preview = readFileSync(join(out, `${language}.eml`));

      // The outbox file starts with its two envelope lines; the message follows.
      const file = readFileSync(join(dir, 'outbox', '1', outbox.find((f) => f.includes(email))!));
      const message = file.subarray(file.indexOf('\r\n', file.indexOf('X-Pressline-Envelope-To:')) + 2);

      for (const eml of [preview, message]) {
        const head = eml.toString('latin1').split('\r\n\r\n')[0]!;
        for (const field of ['DKIM-Signature', 'To', 'Content-Language', 'List-Unsubscribe', 'List-Unsubscribe-Post', 'Precedence', 'X-Pressline-Campaign', 'List-Id', 'Feedback-ID']) {
          expect(head, field).toMatch(new RegExp(`^${field}:`, 'm'));
        }
      }
      expect(preview.toString('latin1')).toMatch(/^X-Pressline-Campaign: 0$/m);
      expect(masked(preview)).toBe(masked(message));
    }
  }, 180_000);
});
