import { execFile } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { simpleParser } from 'mailparser';
import { replies, startTestSmtp } from '../helpers/smtp-server.js';

const CLI = resolve('dist/src/cli/main.js');
let dir: string;

function cli(args: string[], env: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((done) => {
    execFile(process.execPath, [CLI, '--config', join(dir, 'pressline.json'), ...args], { env: { ...process.env, PRESSLINE_DB: join(dir, 'p.db'), SMTP_URL: '', ...env } }, (err, stdout, stderr) =>
      done({ code: err ? Number((err as NodeJS.ErrnoException & { code: number }).code) : 0, stdout, stderr }),
    );
  });
}

function writeConfig(extra: Record<string, unknown> = {}) {
  writeFileSync(
    join(dir, 'pressline.json'),
    JSON.stringify({ from: { name: 'Press Office', address: 'press@ngo.example.org' }, paths: { outbox: join(dir, 'outbox'), logs: join(dir, 'logs') }, rate: { global: 0 }, ...extra }),
  );
}

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'pressline-cli-'));
  writeConfig();
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('pressline send (CLI)', () => {
  it('sends the example release to the example list into the outbox and reports every recipient', async () => {
    const sent = await cli(['send', 'releases/eu-russia-summit.md', '--list', 'lists/journalists.csv', '--yes']);
    expect(sent.code, sent.stderr).toBe(0);
    expect(sent.stdout).toMatch(/Recipients\s+40/);
    expect(sent.stdout).toMatch(/Languages\s+en \d+, ru \d+/);
    expect(readdirSync(join(dir, 'outbox', '1')).filter((f) => f.endsWith('.eml'))).toHaveLength(40);

    const report = await cli(['report', '1', '--format', 'json']);
    const rows = JSON.parse(report.stdout);
    expect(rows).toHaveLength(40);
    expect(Object.keys(rows[0]).slice(0, 8)).toEqual(['email', 'status', 'attempts', 'code', 'enhanced', 'response', 'messageId', 'updatedAt']);
    expect(rows.every((r: { status: string }) => r.status === 'sent')).toBe(true);

    const campaigns = JSON.parse((await cli(['campaigns', '--json'])).stdout);
    expect(campaigns).toMatchObject([{ id: 1, status: 'done', counts: { sent: 40 } }]);

    const csv = (await cli(['report', '1', '--format', 'csv'])).stdout;
    expect(csv.startsWith('\uFEFFemail,status')).toBe(true);
  });

  it('refuses a list with invalid rows (exit 1, nothing stored) unless --skip-invalid, which records them', async () => {
    const list = join(dir, 'bad.csv');
    writeFileSync(list, 'Email,First Name\nok@news.example,Ok\nnot-an-address,Bad\nok@news.example,Twice\n');
    const refused = await cli(['send', 'releases/eu-russia-summit.md', '--list', list, '--yes']);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/bad\.csv:3/);
    expect(refused.stderr).toMatch(/--skip-invalid/);
    expect(JSON.parse((await cli(['campaigns', '--json'])).stdout)).toEqual([]);

    const skipped = await cli(['send', 'releases/eu-russia-summit.md', '--list', list, '--yes', '--skip-invalid']);
    expect(skipped.code, skipped.stderr).toBe(0);
    const { openSqliteStore } = await import('../../src/store/sqlite/store.js');
    const store = openSqliteStore(join(dir, 'p.db'));
    try {
      expect((await store.skipped(1)).map((s) => s.line)).toEqual([3, 4]);
    } finally {
      await store.close();
    }
  });

  it('never waits for input off a terminal: without --yes it refuses and sends nothing', async () => {
    const r = await cli(['send', 'releases/eu-russia-summit.md', '--list', 'lists/journalists.csv']);
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toMatch(/--yes/);
    expect(existsSync(join(dir, 'outbox'))).toBe(false);
  });

  it('--dry-run renders every message and stores and sends nothing', async () => {
    const r = await cli(['send', 'releases/eu-russia-summit.md', '--list', 'lists/journalists.csv', '--dry-run']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/rendered 40 messages/);
    expect(r.stdout).toMatch(/^HTML {8}en \d+ kB, ru \d+ kB \(Gmail clips above 104 kB\)$/m);
    expect(JSON.parse((await cli(['campaigns', '--json'])).stdout)).toEqual([]);
  });

  it('--test-to without a list: one copy of each language to each address, marked [TEST], no campaign stored, each copy logged', async () => {
    const r = await cli(['send', 'releases/eu-russia-summit.md', '--test-to', 'me@ngo.example.org', 'desk@ngo.example.org', '--yes']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^Copies {6}4: en, ru to me@ngo\.example\.org, desk@ngo\.example\.org, subject marked \[TEST\]$/m);
    expect(r.stdout).toMatch(/^Values {6}sample values$/m);
    expect(r.stdout).toMatch(/^written en to me@ngo\.example\.org: 250 /m);
    const files = readdirSync(join(dir, 'outbox', 'tests'));
    expect(files).toHaveLength(4);
    const emls = await Promise.all(files.map((f) => simpleParser(readFileSync(join(dir, 'outbox', 'tests', f)))));
    for (const eml of emls) {
      expect(eml.subject).toMatch(/^\[TEST\] /);
      expect(eml.headers.get('x-pressline-test')).toBe('yes');
      expect(eml.messageId).toMatch(/^<pressline\.test\.[0-9a-f]{24}@ngo\.example\.org>$/);
    }
    expect(emls.filter((e) => e.to && 'text' in e.to && e.to.value[0]?.address === 'me@ngo.example.org').map((e) => e.headers.get('content-language')).sort()).toEqual(['en', 'ru']);
    expect(emls.some((e) => e.text?.includes('Dear Sample,'))).toBe(true);
    // Kept apart: no campaign, no delivery, one log line per copy.
    expect(JSON.parse((await cli(['campaigns', '--json'])).stdout)).toEqual([]);
    const log = readFileSync(join(dir, 'logs', 'test-sends.ndjson'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(log.map((l) => `${l.language} ${l.to} ${l.accepted}`).sort()).toEqual(['en desk@ngo.example.org true', 'en me@ngo.example.org true', 'ru desk@ngo.example.org true', 'ru me@ngo.example.org true']);
    // The "tests" view of `campaigns`: each copy, to whom, and what the server said.
    expect(JSON.parse((await cli(['campaigns', '--tests', '--json'])).stdout)).toHaveLength(4);
    expect((await cli(['campaigns', '--tests'])).stdout).toMatch(/releases\/eu-russia-summit\.md\s+ru\s+desk@ngo\.example\.org\s+250 /);
    expect((await cli(['campaigns'])).stdout).toMatch(/^No campaigns yet/);
  });

  it('--test-to with --contact renders the values of that journalist, even from a list with invalid rows; a bad address is one line', async () => {
    const list = join(dir, 'mixed.csv');
    writeFileSync(list, 'Email,First Name,Last Name,Language\nnot-an-address,Bad,Row,en\nh.whitfield@dailyledger.example,Helen,Whitfield,en\n');
    const r = await cli(['send', 'releases/eu-russia-summit.md', '--test-to', 'me@ngo.example.org', '--list', list, '--contact', 'H.Whitfield@dailyledger.example', '--yes']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^Values {6}h\.whitfield@dailyledger\.example \(.*mixed\.csv:3\)$/m);
    const emls = await Promise.all(readdirSync(join(dir, 'outbox', 'tests')).map((f) => simpleParser(readFileSync(join(dir, 'outbox', 'tests', f)))));
    expect(emls).toHaveLength(2);
    for (const e of emls) {
      expect(e.to && 'value' in e.to ? e.to.value[0] : undefined).toEqual({ name: 'Helen Whitfield', address: 'me@ngo.example.org' });
      expect(`${e.text}${e.html}`).not.toContain('h.whitfield@');
    }
    expect(emls.some((e) => e.text?.includes('Dear Helen,'))).toBe(true);

    const bad = await cli(['send', 'releases/eu-russia-summit.md', '--test-to', 'me@@ngo', '--yes']);
    expect(bad.code).toBe(2);
    expect(bad.stderr.trim().split('\n')).toHaveLength(1);
    expect(bad.stderr).toMatch(/--test-to "me@@ngo": invalid email/);
    const noList = await cli(['send', 'releases/eu-russia-summit.md', '--yes']);
    expect(noList.code).toBe(2);
    expect(noList.stderr).toMatch(/send needs --list/);
  });

  it('--test-to through a real SMTP server: says what the server answered, and exit 1 when it refused a copy', async () => {
    const smtp = await startTestSmtp({ rcpt: (rcpt) => (rcpt === 'gone@ngo.example.org' ? replies.userUnknown(rcpt) : 'accept') });
    try {
      const r = await cli(['send', 'releases/eu-russia-summit.md', '--test-to', 'me@ngo.example.org', 'gone@ngo.example.org', '--yes'], { SMTP_URL: smtp.url });
      expect(r.code).toBe(1);
      expect(r.stdout).toMatch(/^sent {4}en to me@ngo\.example\.org: 250/m);
      expect(r.stdout).toMatch(/^REFUSED en to gone@ngo\.example\.org: 550/m);
      expect(smtp.messages.map((m) => m.rcpts[0])).toEqual(['me@ngo.example.org', 'me@ngo.example.org']);
    } finally {
      await smtp.close();
    }
  });

  it('signs with DKIM, List-Unsubscribe-Post included', async () => {
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    writeFileSync(join(dir, 'dkim.pem'), privateKey.export({ type: 'pkcs8', format: 'pem' }));
    writeConfig({ dkim: { domainName: 'ngo.example.org', keySelector: 'press', privateKeyFile: join(dir, 'dkim.pem') }, unsubscribe: { baseUrl: 'https://ngo.example.org' } });
    const r = await cli(['send', 'releases/eu-russia-summit.md', '--list', 'lists/journalists.csv', '--where', 'language=ru', '--yes'], { PRESSLINE_SECRET: 's3cret' });
    expect(r.code, r.stderr).toBe(0);
    const file = readdirSync(join(dir, 'outbox', '1'))[0]!;
    const eml = readFileSync(join(dir, 'outbox', '1', file), 'utf8');
    const sig = /^DKIM-Signature: ([\s\S]*?)\r\n(?=\S)/m.exec(eml)?.[1] ?? '';
    expect(sig).toMatch(/d=ngo\.example\.org/);
    expect(sig).toMatch(/s=press/);
    expect(sig.replace(/\s+/g, '')).toMatch(/h=[^;]*List-Unsubscribe-Post/i);
    expect(eml).not.toContain('s3cret');
  });

  it('stops with exit 2 and names the key for a bad config', async () => {
    writeFileSync(join(dir, 'pressline.json'), JSON.stringify({ rate: { globl: '5/s' } }));
    const r = await cli(['campaigns']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/pressline\.json/);
    expect(r.stderr).toMatch(/rate\.globl/);
  });
});
