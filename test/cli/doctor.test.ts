import { execFile, execFileSync } from 'node:child_process';
import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { SMTPServer } from 'smtp-server';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { PgStore } from '../../src/store/postgres/store.js';
import { TEST_DATABASE_URL, testStore } from '../helpers/app.js';
import { hasDovecot, startDovecot } from '../helpers/dovecot.js';
import { startDnsServer, type DnsRecords, type TestDnsServer } from '../helpers/dns-server.js';
import { startTestSmtp, type TestSmtpServer } from '../helpers/smtp-server.js';

// Issue 19 item 3: `pressline doctor` against a real SMTP server and a DNS server on loopback.

const CLI = resolve('dist/src/cli/main.js');
const TEMPLATES = resolve('templates');
const SECRET = 'a3f1'.repeat(16);
let dir: string;
let dns: TestDnsServer;
let smtp: TestSmtpServer | undefined;

const key = generateKeyPairSync('rsa', { modulusLength: 2048 });
const otherKey = generateKeyPairSync('rsa', { modulusLength: 2048 });
const p = (k: KeyObject) => k.export({ type: 'spki', format: 'der' }).toString('base64');

/** The sending domain set up as Gmail and Yahoo want it, for a relay on 127.0.0.1. */
function goodZone(): Record<string, DnsRecords> {
  return {
    // SPF for the envelope (bounce) domain, through an include, covering the relay's address.
    'bounces.ngo-press.eu': { TXT: ['v=spf1 include:_spf.ngo-press.eu -all'] },
    '_spf.ngo-press.eu': { TXT: ['v=spf1 ip4:192.0.2.0/24 ip4:127.0.0.0/8 ~all'] },
    'ngo-press.eu': { TXT: ['google-site-verification=abc', 'v=spf1 mx -all'], MX: [{ priority: 10, exchange: 'mx.ngo-press.eu' }] },
    'press2026._domainkey.ngo-press.eu': { TXT: [`v=DKIM1; k=rsa; p=${p(key.publicKey)}`] },
    '_dmarc.ngo-press.eu': { TXT: ['v=DMARC1; p=quarantine; rua=mailto:dmarc@ngo-press.eu'] },
  };
}

function setZone(zone: Record<string, DnsRecords>): void {
  dns.zone.clear();
  for (const [name, records] of Object.entries(zone)) dns.zone.set(name, records);
}

function writeConfig(extra: Record<string, unknown> = {}): void {
  writeFileSync(join(dir, 'dkim.pem'), key.privateKey.export({ type: 'pkcs8', format: 'pem' }));
  writeFileSync(
    join(dir, 'pressline.json'),
    JSON.stringify({
      from: { name: 'Press Office', address: 'press@ngo-press.eu' },
      organisation: { name: 'NGO' },
      templates: { dir: TEMPLATES },
      paths: { outbox: join(dir, 'outbox'), logs: join(dir, 'logs'), database: join(dir, 'p.db') },
      unsubscribe: { baseUrl: 'https://news.ngo-press.eu' },
      bounces: { domain: 'bounces.ngo-press.eu' },
      dkim: { domainName: 'ngo-press.eu', keySelector: 'press2026', privateKeyFile: join(dir, 'dkim.pem') },
      ...extra,
    }),
  );
}

interface Check {
  id: string;
  status: 'ok' | 'warn' | 'fail' | 'skip';
  message: string;
  fix?: string;
}

function cli(args: string[], env: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^(PRESSLINE_|SMTP_URL|DATABASE_URL)/.test(k)));
  return new Promise((done) => {
    execFile(
      process.execPath,
      [CLI, '--config', join(dir, 'pressline.json'), ...args],
      { cwd: dir, env: { ...clean, PRESSLINE_SECRET: SECRET, PRESSLINE_DNS_SERVER: dns.address, ...env } },
      (err, stdout, stderr) => done({ code: err ? Number((err as NodeJS.ErrnoException & { code: number }).code) : 0, stdout, stderr }),
    );
  });
}

/** `doctor --json`: exit code and the checks by id. */
async function doctor(env: Record<string, string> = {}, args: string[] = []): Promise<{ code: number; ok: boolean; checks: Map<string, Check>; stderr: string }> {
  const r = await cli(['doctor', '--json', ...args], env);
  const doc = JSON.parse(r.stdout) as { ok: boolean; checks: Check[] };
  return { code: r.code, ok: doc.ok, checks: new Map(doc.checks.map((c) => [c.id, c])), stderr: r.stderr };
}

beforeAll(async () => {
  dns = await startDnsServer();
});
afterAll(() => dns.close());
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'pressline-doctor-'));
  writeConfig();
  setZone(goodZone());
});
afterEach(async () => {
  await smtp?.close();
  smtp = undefined;
  rmSync(dir, { recursive: true, force: true });
});

describe('pressline doctor', () => {
  it('passes a ready install: relay without auth, store migrated, SPF/DKIM/DMARC in place and aligned; --json shape', async () => {
    smtp = await startTestSmtp();
    expect((await cli(['db', 'migrate'])).code).toBe(0);
    const r = await doctor({ SMTP_URL: smtp.url });
    expect(r.code, JSON.stringify([...r.checks.values()], null, 1)).toBe(0);
    expect(r.ok).toBe(true);
    for (const c of r.checks.values()) {
      expect(Object.keys(c).sort()).toEqual(c.fix ? ['fix', 'id', 'message', 'status'] : ['id', 'message', 'status']);
    }
    expect([...r.checks.keys()]).toEqual(['config', 'from', 'secret', 'templates', 'dkim.key', 'unsubscribe', 'store', 'relay', 'relay.tls', 'relay.auth', 'bounces.mailbox', 'dns.spf', 'dns.dkim', 'dns.dmarc', 'align.dkim', 'align.envelope']);
    const status = Object.fromEntries([...r.checks].map(([id, c]) => [id, c.status]));
    expect(status).toEqual({
      config: 'ok', from: 'ok', secret: 'ok', templates: 'ok', 'dkim.key': 'ok', unsubscribe: 'ok', store: 'ok',
      relay: 'ok', 'relay.tls': 'ok', 'relay.auth': 'ok', 'bounces.mailbox': 'skip',
      'dns.spf': 'ok', 'dns.dkim': 'ok', 'dns.dmarc': 'ok', 'align.dkim': 'ok', 'align.envelope': 'ok',
    });
    expect(r.checks.get('dns.spf')!.message).toBe('SPF at bounces.ngo-press.eu covers the relay 127.0.0.1 (127.0.0.1)');
    expect(r.checks.get('dns.dmarc')!.message).toContain('p=quarantine');
    // The doctor talked to the relay but sent nothing.
    expect(smtp.connections).toBe(1);
    expect(smtp.messages).toHaveLength(0);
  });

  it('logs in when SMTP_URL carries credentials, and says so when the relay refuses them', async () => {
    smtp = await startTestSmtp({ auth: { user: 'press', pass: 'right horse battery' } });
    const good = await doctor({ SMTP_URL: `smtp://press:${encodeURIComponent('right horse battery')}@127.0.0.1:${smtp.port}` });
    expect(good.checks.get('relay.auth')).toMatchObject({ status: 'ok', message: 'logged in as press' });
    expect(good.code).toBe(0);

    const bad = await doctor({ SMTP_URL: `smtp://press:wrong@127.0.0.1:${smtp.port}` });
    expect(bad.code).toBe(1);
    expect(bad.checks.get('relay.auth')).toMatchObject({ status: 'fail', message: expect.stringMatching(/refused the login for press: 535/), fix: expect.stringContaining('SMTP_URL') });
    // The password never appears in what doctor prints.
    expect(JSON.stringify([...bad.checks.values()])).not.toContain('wrong');
  });

  it('a dead relay port fails the relay check with the reason; no relay at all is a warning that nothing is sent', async () => {
    const port = await new Promise<number>((done) => {
      const s = createServer().listen(0, '127.0.0.1', () => {
        const { port } = s.address() as { port: number };
        s.close(() => done(port));
      });
    });
    const dead = await doctor({ SMTP_URL: `smtp://127.0.0.1:${port}` });
    expect(dead.code).toBe(1);
    expect(dead.checks.get('relay')).toMatchObject({ status: 'fail', message: expect.stringMatching(/^smtp:\/\/127\.0\.0\.1:\d+ \(SMTP_URL\): connect failed: ECONNREFUSED/) });

    const none = await doctor();
    expect(none.checks.get('relay')).toMatchObject({ status: 'warn', message: expect.stringContaining('written to the outbox folder') });
    expect(none.checks.get('dns.spf')).toMatchObject({ status: 'warn', message: expect.stringContaining('not checked against a relay') });
    expect(none.code).toBe(0);
  });

  it('--relay checks a relay from config `relays` through its own variable and source address; an unknown one fails', async () => {
    smtp = await startTestSmtp();
    writeConfig({ relays: { eu: { urlEnv: 'SMTP_URL_EU', localAddress: '127.0.0.1' } } });
    const eu = await doctor({ SMTP_URL_EU: smtp.url }, ['--relay', 'eu']);
    expect(eu.code).toBe(0);
    expect(eu.checks.get('relay')).toMatchObject({ status: 'ok', message: expect.stringMatching(/^smtp:\/\/127\.0\.0\.1:\d+ \(SMTP_URL_EU\) answers EHLO/) });
    const unknown = await doctor({ SMTP_URL_EU: smtp.url }, ['--relay', 'us']);
    expect(unknown.code).toBe(1);
    expect(unknown.checks.get('relay')).toMatchObject({ status: 'fail', message: expect.stringContaining('no relay "us" in config `relays` (known: eu)') });
  });

  it('store: a migrated PostgreSQL schema answers; a never-migrated one and a server that does not answer fail', async () => {
    const pgStore = testStore(join(dir, 'unused.db'), 'postgres');
    try {
      await (pgStore.store as PgStore).ready();
      const migrated = await doctor(pgStore.env);
      expect(migrated.checks.get('store')).toMatchObject({ status: 'ok', message: expect.stringMatching(/^PostgreSQL store .+ answers, schema at version \d+$/) });
    } finally {
      await pgStore.dispose();
    }
    const empty = new URL(TEST_DATABASE_URL);
    empty.searchParams.set('options', '-c search_path=pressline_doctor_never_created');
    const never = await doctor({ DATABASE_URL: empty.toString() });
    expect(never.code).toBe(1);
    expect(never.checks.get('store')).toMatchObject({ status: 'fail', message: expect.stringMatching(/schema is at version 0, this pressline needs \d+/), fix: 'run `pressline db migrate`' });

    const gone = new URL(TEST_DATABASE_URL);
    gone.port = String(await new Promise<number>((done) => {
      const s = createServer().listen(0, '127.0.0.1', () => {
        const { port } = s.address() as { port: number };
        s.close(() => done(port));
      });
    }));
    const down = await doctor({ DATABASE_URL: gone.toString() });
    expect(down.checks.get('store')).toMatchObject({ status: 'fail', message: expect.stringContaining('does not answer: connect ECONNREFUSED') });
  });

  it('missing SPF, DKIM and DMARC records each fail with the record to publish', async () => {
    smtp = await startTestSmtp();
    setZone({});
    const r = await doctor({ SMTP_URL: smtp.url });
    expect(r.code).toBe(1);
    expect(r.ok).toBe(false);
    expect(r.checks.get('dns.spf')).toMatchObject({ status: 'fail', message: 'no SPF record at bounces.ngo-press.eu (the envelope domain)' });
    expect(r.checks.get('dns.dkim')).toMatchObject({ status: 'fail', message: 'no DKIM key in DNS at press2026._domainkey.ngo-press.eu' });
    expect(r.checks.get('dns.dkim')!.fix).toContain(`"v=DKIM1; k=rsa; p=${p(key.publicKey)}"`);
    expect(r.checks.get('dns.dmarc')).toMatchObject({ status: 'fail', message: 'no DMARC record for ngo-press.eu', fix: expect.stringContaining('_dmarc.ngo-press.eu') });
    // Alignment is about names in the config, not DNS: still fine.
    expect(r.checks.get('align.dkim')!.status).toBe('ok');
  });

  it('mismatched records: SPF not covering the relay, another DKIM key, a DMARC record without a policy, two SPF records', async () => {
    smtp = await startTestSmtp();
    setZone({
      ...goodZone(),
      '_spf.ngo-press.eu': { TXT: ['v=spf1 ip4:192.0.2.0/24 ~all'] },
      'press2026._domainkey.ngo-press.eu': { TXT: [`v=DKIM1; k=rsa; p=${p(otherKey.publicKey)}`] },
      '_dmarc.ngo-press.eu': { TXT: ['v=DMARC1; rua=mailto:dmarc@ngo-press.eu'] },
    });
    const r = await doctor({ SMTP_URL: smtp.url });
    expect(r.code).toBe(1);
    expect(r.checks.get('dns.spf')).toMatchObject({ status: 'fail', message: expect.stringMatching(/does not cover the relay 127\.0\.0\.1: 127\.0\.0\.1 \(fail: matched -all\)/) });
    expect(r.checks.get('dns.dkim')).toMatchObject({ status: 'fail', message: expect.stringContaining('is not the public half of') });
    expect(r.checks.get('dns.dmarc')).toMatchObject({ status: 'fail', message: expect.stringContaining('has no valid p= policy') });

    dns.zone.set('bounces.ngo-press.eu', { TXT: ['v=spf1 ip4:127.0.0.1 -all', 'v=spf1 include:_spf.ngo-press.eu -all'] });
    const two = await doctor({ SMTP_URL: smtp.url });
    expect(two.checks.get('dns.spf')).toMatchObject({ status: 'fail', message: expect.stringContaining('2 SPF records at bounces.ngo-press.eu') });
  });

  it('From not aligned with the DKIM domain nor the bounce domain fails both; the unsubscribe URL must be https on a public host', async () => {
    writeConfig({
      bounces: { domain: 'bounce.mailer-relay.net' },
      dkim: { domainName: 'mailer-relay.net', keySelector: 'press2026', privateKeyFile: join(dir, 'dkim.pem') },
      unsubscribe: { baseUrl: 'http://localhost:8025' },
    });
    const r = await doctor();
    expect(r.code).toBe(1);
    expect(r.checks.get('align.dkim')).toMatchObject({ status: 'fail', message: 'From (ngo-press.eu) does not align with the DKIM domain mailer-relay.net' });
    expect(r.checks.get('align.envelope')).toMatchObject({ status: 'fail', message: 'From (ngo-press.eu) does not align with the envelope (bounce) domain bounce.mailer-relay.net' });
    expect(r.checks.get('unsubscribe')).toMatchObject({ status: 'fail', message: expect.stringContaining('http://') });
    writeConfig({ unsubscribe: { baseUrl: 'https://192.168.1.20' } });
    expect((await doctor()).checks.get('unsubscribe')).toMatchObject({ status: 'fail', message: expect.stringContaining('cannot reach') });
  });

  it('prints one line per check with what to fix; secret missing or the example one fails; exit 1', async () => {
    const r = await cli(['doctor'], { PRESSLINE_SECRET: '' });
    expect(r.code).toBe(1);
    const lines = r.stdout.trim().split('\n');
    expect(lines.find((l) => l.startsWith('FAIL  secret'))).toMatch(/PRESSLINE_SECRET is not set .* — fix: set it in \.env/);
    // 14: without SMTP_URL the relay is one line (no TLS or AUTH to look at).
    expect(lines.filter((l) => /^(ok  |warn|FAIL|skip)  /.test(l))).toHaveLength(14);
    expect(lines.at(-1)).toMatch(/^\d+ checks? failed\.$/);

    writeFileSync(join(dir, '.env.example'), 'PRESSLINE_SECRET=0123456789abcdef0123456789abcdef\n');
    const copied = await doctor({ PRESSLINE_SECRET: '0123456789abcdef0123456789abcdef' });
    expect(copied.checks.get('secret')).toMatchObject({ status: 'fail', message: expect.stringContaining('the example value') });
  });

  it('without a config file says to run pressline init; DNS server from config doctor.dnsServer when the env does not name one', async () => {
    rmSync(join(dir, 'pressline.json'));
    const missing = await doctor();
    expect(missing.code).toBe(1);
    expect([...missing.checks.values()]).toEqual([{ id: 'config', status: 'fail', message: expect.stringContaining('no config file at'), fix: 'run `pressline init` to create one' }]);

    writeConfig({ doctor: { dnsServer: dns.address } });
    const viaConfig = await doctor({ PRESSLINE_DNS_SERVER: '' });
    expect(viaConfig.checks.get('dns.dmarc')!.status).toBe('ok');
  });

  it('STARTTLS: offered and used with a certificate this machine trusts; refused as a failure when the certificate is not trusted', async () => {
    // A relay with a self-signed certificate for "localhost", which DNS (the test server) resolves.
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', join(dir, 'tls.key'), '-out', join(dir, 'tls.crt'), '-days', '2', '-subj', '/CN=localhost', '-addext', 'subjectAltName=DNS:localhost'], { stdio: 'ignore' });
    const server = new SMTPServer({ key: readFileSync(join(dir, 'tls.key')), cert: readFileSync(join(dir, 'tls.crt')), authOptional: true, logger: false });
    await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
    try {
      const port = (server.server.address() as { port: number }).port;
      dns.zone.set('localhost', { A: ['127.0.0.1'] });
      const trusted = await doctor({ SMTP_URL: `smtp://localhost:${port}`, NODE_EXTRA_CA_CERTS: join(dir, 'tls.crt') });
      expect(trusted.checks.get('relay.tls')).toMatchObject({ status: 'ok', message: 'STARTTLS offered and used, certificate valid for localhost' });
      expect(trusted.checks.get('dns.spf')!.status).toBe('ok');

      const untrusted = await doctor({ SMTP_URL: `smtp://localhost:${port}` });
      expect(untrusted.code).toBe(1);
      expect(untrusted.checks.get('relay')).toMatchObject({ status: 'fail', message: expect.stringMatching(/STARTTLS failed: .*self[- ]signed/i) });
    } finally {
      await new Promise<void>((done) => server.close(() => done()));
    }
  });

  it('the bounce mailbox (--imap): logs in and opens the folder; a wrong password fails', async () => {
    if (!hasDovecot) throw new Error('dovecot is not installed: npm test installs it (scripts/install-test-peers.sh), or apt-get install -y dovecot-imapd');
    const imap = await startDovecot();
    try {
      const good = await doctor({ PRESSLINE_IMAP_PASSWORD: imap.password }, ['--imap', imap.url]);
      expect(good.checks.get('bounces.mailbox')).toMatchObject({ status: 'ok', message: `127.0.0.1:${imap.port} INBOX: 0 unread of 0` });
      const bad = await doctor({ PRESSLINE_IMAP_PASSWORD: 'not-it' }, ['--imap', imap.url]);
      expect(bad.code).toBe(1);
      expect(bad.checks.get('bounces.mailbox')).toMatchObject({ status: 'fail', message: expect.stringMatching(new RegExp(`cannot log in to 127\\.0\\.0\\.1:${imap.port} as bounces: .*Authentication failed`)) });
    } finally {
      imap.stop();
    }
  });
});
