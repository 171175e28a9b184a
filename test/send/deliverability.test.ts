import { spawnSync } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCampaign } from '../../src/campaigns/run.js';
import { testApp, type TestApp } from '../helpers/app.js';
import { startTestSmtp, type TestSmtpServer } from '../helpers/smtp-server.js';
import { planCampaign } from '../helpers/plan.js';
import { closeAll } from '../helpers/close.js';

/*
 * What a journalist's server receives, judged by tools we did not write: Debian's SpamAssassin
 * (local rules only, no network), Debian's python3-dkim as the DKIM verifier, and a header lint.
 * The copies are captured by a real SMTP server after a real campaign run.
 */

let app: TestApp;
let smtp: TestSmtpServer;
let publicKeyTxt: string;
const keyDir = mkdtempSync(join(tmpdir(), 'pressline-dkim-'));
const copies: Record<'en' | 'ru', Buffer> = {} as never;

beforeAll(async () => {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  publicKeyTxt = `v=DKIM1; k=rsa; p=${publicKey.export({ type: 'spki', format: 'der' }).toString('base64')}`;
  writeFileSync(join(keyDir, 'dkim.pem'), privateKey.export({ type: 'pkcs1', format: 'pem' }));
  smtp = await startTestSmtp();
  app = testApp({
    env: { smtpUrl: smtp.url },
    config: {
      from: { name: 'Amnesty International Press Office', address: 'press@ngo.example.org' },
      dkim: { domainName: 'ngo.example.org', keySelector: 'press2026', privateKeyFile: join(keyDir, 'dkim.pem') },
      unsubscribe: { baseUrl: 'https://press.ngo.example.org', mailto: 'unsubscribe@ngo.example.org' },
      bounces: { domain: 'bounces.ngo.example.org' },
      listId: 'Amnesty press releases <press.ngo.example.org>',
      feedbackId: 'ngo-press',
    },
  });
  const list = app.list(['anna.weber@zeitung.example,Anna,Weber,Die Zeitung,russia,en', 'i.petrova@gazeta.example,Irina,Petrova,Gazeta,russia,ru']);
  const id = await planCampaign(app, [list]);
  const result = await runCampaign(id, app, { waitForRetries: true });
  expect(result.end).toBe('done');
  for (const m of smtp.messages) copies[m.rcpts[0]!.startsWith('anna') ? 'en' : 'ru'] = m.raw;
  expect(Object.keys(copies).sort()).toEqual(['en', 'ru']);
}, 60_000);

afterAll(async () => {
  await closeAll(smtp, app);
  rmSync(keyDir, { recursive: true, force: true });
});

/** SpamAssassin's score with local tests only (-L: no DNS or network rules). */
function spamScore(message: Buffer): { score: number; rules: string } {
  const run = spawnSync('spamassassin', ['-L', '-t'], { input: message, encoding: 'latin1', timeout: 60_000 });
  if (run.error) throw run.error;
  const status = /^X-Spam-Status: (?:Yes|No), score=(-?[\d.]+)[^]*?tests=([^]*?)autolearn/m.exec(run.stdout);
  if (!status) throw new Error(`no X-Spam-Status in SpamAssassin's output: ${run.stderr.slice(0, 300)}`);
  return { score: Number(status[1]), rules: status[2]!.replace(/\s+/g, '') };
}

/** python3-dkim's verdict on a message, the selector's TXT record served from memory. */
function dkimpyVerifies(message: Buffer): boolean {
  const script = [
    'import sys, dkim',
    'txt = sys.argv[1].encode()',
    'msg = sys.stdin.buffer.read()',
    "print('pass' if dkim.verify(msg, dnsfunc=lambda name, timeout=5: txt if name == b'press2026._domainkey.ngo.example.org.' else None) else 'fail')",
  ].join('\n');
  const run = spawnSync('/usr/bin/python3', ['-c', script, publicKeyTxt], { input: message, encoding: 'utf8', timeout: 30_000 });
  if (run.status !== 0) throw new Error(`python3-dkim could not run: ${run.stderr}`);
  return run.stdout.trim() === 'pass';
}

function headerBlock(message: Buffer): string[] {
  const text = message.toString('latin1');
  return text.slice(0, text.indexOf('\r\n\r\n')).split('\r\n');
}

function headerValues(message: Buffer, name: string): string[] {
  const fields: string[] = [];
  for (const line of headerBlock(message)) {
    if (/^[ \t]/.test(line)) fields[fields.length - 1] += line;
    else fields.push(line);
  }
  return fields.filter((f) => f.toLowerCase().startsWith(`${name.toLowerCase()}:`)).map((f) => f.slice(name.length + 1).trim());
}

describe('what the journalist receives: judged by independent tools', () => {
  it('SpamAssassin (local rules) scores the English copy at most 0.1 and the Russian at most 1.1', () => {
    const en = spamScore(copies.en);
    const ru = spamScore(copies.ru);
    expect(en.rules).not.toMatch(/HTML_FONT_LOW_CONTRAST|FONT_INVIS/);
    expect(en.score, en.rules).toBeLessThanOrEqual(0.1);
    // MIXED_ES (Latin names inside Cyrillic text) is the release's own wording, not ours.
    expect(ru.score, ru.rules).toBeLessThanOrEqual(1.1);
  });

  it('python3-dkim verifies both copies, and fails a copy with a From: or Subject: prepended by someone else', () => {
    for (const copy of [copies.en, copies.ru]) expect(dkimpyVerifies(copy)).toBe(true);
    const signature = headerValues(copies.en, 'DKIM-Signature')[0]!.replace(/\s+/g, '');
    expect(signature).toMatch(/;t=\d{10};/);
    const h = /;h=([^;]+);/.exec(signature)![1]!.split(':');
    for (const name of ['from', 'to', 'subject', 'date', 'message-id', 'list-unsubscribe', 'list-unsubscribe-post']) {
      expect(h.filter((n) => n === name), name).toHaveLength(2); // present once, signed twice
    }
    // A tampered copy: the verifier is no rubber stamp.
    const prepend = (line: string) => Buffer.concat([Buffer.from(`${line}\r\n`), copies.en]);
    expect(dkimpyVerifies(prepend('From: Press Office <press@attacker.example>'))).toBe(false);
    expect(dkimpyVerifies(prepend('Subject: Correction: the summit is cancelled'))).toBe(false);
    expect(dkimpyVerifies(Buffer.from(copies.en.toString('latin1').replace('EU-Russia', 'EU-Russla'), 'latin1'))).toBe(false);
  });

  it('header lint: one of each single header, lines within limits, ASCII only, language, List-Id, Feedback-ID and one-click unsubscribe', () => {
    for (const [language, copy] of Object.entries(copies)) {
      for (const line of headerBlock(copy)) {
        expect(line.length, line.slice(0, 60)).toBeLessThanOrEqual(998);
        expect(line, 'header bytes are ASCII').toMatch(/^[\x20-\x7e\t]*$/);
      }
      expect(copy.toString('latin1')).not.toMatch(/[^\r]\n/); // no bare LF anywhere
      for (const name of ['From', 'To', 'Subject', 'Date', 'Message-ID', 'MIME-Version', 'List-Unsubscribe', 'List-Unsubscribe-Post', 'Content-Language', 'List-Id', 'Feedback-ID']) {
        expect(headerValues(copy, name), `${language}: ${name}`).toHaveLength(1);
      }
      for (const name of ['Cc', 'Bcc']) expect(headerValues(copy, name)).toHaveLength(0);
      expect(headerValues(copy, 'Content-Language')[0]).toBe(language);
      expect(headerValues(copy, 'List-Id')[0]).toBe('Amnesty press releases <press.ngo.example.org>');
      expect(headerValues(copy, 'Feedback-ID')[0]).toMatch(new RegExp(`^\\d+:${language}:press:ngo-press$`));
      expect(headerValues(copy, 'List-Unsubscribe')[0]).toMatch(/^<https:\/\/press\.ngo\.example\.org\/[^>]+>, <mailto:/);
      expect(headerValues(copy, 'List-Unsubscribe-Post')[0]).toBe('List-Unsubscribe=One-Click');
      expect(headerValues(copy, 'Message-ID')[0]).toMatch(/^<[^<>@\s]+@[^<>@\s]+>$/);
    }
  });

  it('the Russian HTML goes as base64 and the English as quoted-printable: whichever is smaller', () => {
    const parts = (copy: Buffer) => [...copy.toString('latin1').matchAll(/Content-Type: text\/html[^]*?Content-Transfer-Encoding: ([\w-]+)/g)].map((m) => m[1]);
    expect(parts(copies.ru)).toEqual(['base64']);
    expect(parts(copies.en)).toEqual(['quoted-printable']);
  });
});
