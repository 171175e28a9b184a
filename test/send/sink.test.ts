import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Command } from 'commander';
import nodemailer from 'nodemailer';
import { afterEach, beforeEach, describe, expect, test, vi } from 'vitest';
import { registerSinkCommand } from '../../src/cli/sink.js';
import { PresslineError } from '../../src/errors.js';
import { fileName, startSink, type Sink, type SinkMessage } from '../../src/devsink/sink.js';

let dir: string;
const sinks: Sink[] = [];

beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'pressline-sink-'));
});
afterEach(async () => {
  await Promise.all(sinks.splice(0).map((s) => s.close()));
  await rm(dir, { recursive: true, force: true });
});

async function sink(options: Parameters<typeof startSink>[0]): Promise<Sink> {
  const s = await startSink({ port: 0, ...options });
  sinks.push(s);
  return s;
}

function transport(port: number, pool = false) {
  return nodemailer.createTransport({ host: '127.0.0.1', port, secure: false, ignoreTLS: true, pool });
}

describe('sink', () => {
  test('keeps three messages as .eml files with the envelope in front', async () => {
    const seen: SinkMessage[] = [];
    const s = await sink({ dir, onMessage: (m) => seen.push(m) });
    expect(s.url).toBe(`smtp://127.0.0.1:${s.port}`);
    const t = transport(s.port);
    const infos = [];
    infos.push(
      await t.sendMail({
        from: 'Press Office <press@office.example>',
        to: 'Anna Berg <Anna.Berg@news.example>',
        subject: 'EU–Russia summit: statement',
        text: 'The ministers met today.\n.\nA line with a lone dot above.\n',
      }),
    );
    infos.push(
      await t.sendMail({
        from: 'press@office.example',
        to: 'kai@wire.example',
        bcc: ['desk@agency.example', 'night@agency.example'],
        subject: 'Background',
        html: '<p>Background</p>',
      }),
    );
    infos.push(
      await t.sendMail({
        from: 'press@office.example',
        to: '"odd/name"@weird.example',
        subject: 'Contacts',
        text: 'Call +32 2 555 01 23.',
      }),
    );
    t.close();

    const files = (await readdir(dir)).sort();
    expect(files).toHaveLength(3);
    for (const f of files) expect(f).toMatch(/^\d{8}T\d{9}Z-\d{6}-[a-z0-9._+-]+\.eml$/);
    expect(files[0]).toMatch(/-000001-anna.berg_news.example\.eml$/);
    expect(files[1]).toMatch(/-000002-kai_wire.example\.eml$/);
    expect(files[2]).toMatch(/-000003-odd-name_weird.example\.eml$/);

    const [first, second, third] = await Promise.all(files.map((f) => readFile(path.join(dir, f), 'utf8')));
    expect(first!.startsWith(
      'X-Pressline-Envelope-From: <press@office.example>\r\nX-Pressline-Envelope-To: <Anna.Berg@news.example>\r\n',
    )).toBe(true);
    expect(first).toContain(`Message-ID: ${infos[0]!.messageId}\r\n`);
    expect(first).toContain('\r\nSubject: =?UTF-8?');
    // dot-stuffing undone: the file has the message, not the wire form
    expect(first).toContain('today.\r\n.\r\nA line with a lone dot above.');

    expect(second).toContain(
      'X-Pressline-Envelope-To: <kai@wire.example>, <desk@agency.example>, <night@agency.example>\r\n',
    );
    expect(second).not.toMatch(/^Bcc:/im);
    expect(second).toContain('<p>Background</p>');
    expect(third).toContain('Call +32 2 555 01 23.');

    expect(s.count).toBe(3);
    expect(seen.map((m) => [m.seq, m.rcpts.length, m.file && path.basename(m.file)])).toEqual([
      [1, 1, files[0]],
      [2, 3, files[1]],
      [3, 1, files[2]],
    ]);
    expect(s.bytes).toBe(seen.reduce((n, m) => n + m.bytes, 0));
    expect(infos.map((i) => i.response)).toEqual([
      '250 2.6.0 Ok: queued as 1',
      '250 2.6.0 Ok: queued as 2',
      '250 2.6.0 Ok: queued as 3',
    ]);
  });

  test('dir: null counts without writing anything', async () => {
    const seen: SinkMessage[] = [];
    const s = await sink({ dir: null, onMessage: (m) => seen.push(m) });
    const t = transport(s.port, true);
    await Promise.all(
      [1, 2, 3].map((i) => t.sendMail({ from: 'press@office.example', to: `j${i}@news.example`, text: 'x'.repeat(1000) })),
    );
    t.close();
    expect(s.count).toBe(3);
    expect(s.bytes).toBeGreaterThan(3000);
    expect(seen.every((m) => m.file === null)).toBe(true);
    expect(await readdir(dir)).toEqual([]);
  });

  test('a message over maxBytes gets 552 5.3.4 and leaves no file', async () => {
    const s = await sink({ dir, maxBytes: 500 });
    const t = transport(s.port);
    await expect(
      t.sendMail({ from: 'press@office.example', to: 'a@news.example', text: 'y'.repeat(2000) }),
    ).rejects.toMatchObject({ code: 'EMESSAGE', responseCode: 552 });
    t.close();
    expect(await readdir(dir)).toEqual([]);
    expect(s.count).toBe(0);
  });

  test('close() ends idle pooled sessions at once and frees the port', async () => {
    const s = await startSink({ port: 0, dir });
    const t = transport(s.port, true);
    await t.sendMail({ from: 'press@office.example', to: 'a@news.example', text: 'hi' });
    const started = Date.now();
    await s.close();
    expect(Date.now() - started).toBeLessThan(1000);
    t.close();
    // the port is free again
    const probe = createServer();
    await new Promise<void>((resolve, reject) => {
      probe.once('error', reject);
      probe.listen(s.port, '127.0.0.1', () => resolve());
    });
    await new Promise<void>((resolve) => probe.close(() => resolve()));
    await s.close(); // idempotent
  });

  test('a port in use is a USAGE error (exit 2)', async () => {
    const s = await sink({ dir });
    const err = await startSink({ port: s.port, dir }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PresslineError);
    expect((err as PresslineError).code).toBe('USAGE');
    expect((err as PresslineError).exitCode).toBe(2);
    expect((err as Error).message).toContain(`port ${s.port} on 127.0.0.1 is already in use`);
  });

  test('file names are sortable and safe', () => {
    const at = new Date(Date.UTC(2025, 2, 1, 10, 15, 2, 123));
    expect(fileName(at, 42, 'Anna@News.Example')).toBe('20250301T101502123Z-000042-anna_news.example.eml');
    expect(fileName(at, 1, '../../etc/passwd@x')).toBe('20250301T101502123Z-000001--..-etc-passwd_x.eml');
    expect(fileName(at, 1, '')).toBe('20250301T101502123Z-000001-recipient.eml');
  });
});

describe('pressline sink (command)', () => {
  test('logs one line per message to stderr and stops cleanly on SIGINT', async () => {
    const lines: string[] = [];
    const spy = vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
      lines.push(String(chunk));
      return true;
    });
    const program = new Command('pressline').exitOverride();
    registerSinkCommand(program);
    const sigintListeners = process.listenerCount('SIGINT');
    try {
      const run = program.parseAsync(['sink', '--port', '0', '--dir', dir], { from: 'user' });
      let listening: string | undefined;
      for (let i = 0; i < 100 && !listening; i++) {
        await new Promise((r) => setTimeout(r, 20));
        listening = lines.find((l) => l.startsWith('sink: listening on'));
      }
      expect(listening).toMatch(/^sink: listening on smtp:\/\/127\.0\.0\.1:\d+, keeping messages in .+\/ \(Ctrl-C to stop\)\n$/);
      const port = Number(/:(\d+),/.exec(listening!)![1]);

      const t = transport(port);
      await t.sendMail({ from: 'press@office.example', to: ['anna@news.example', 'kai@wire.example'], text: 'hi' });
      t.close();
      const logged = lines.filter((l) => l.startsWith('sink: #'));
      expect(logged).toHaveLength(1);
      expect(logged[0]).toMatch(
        /^sink: #1 from=<press@office\.example> to=anna@news\.example \+1 bytes=\d+ file=.+-000001-anna_news\.example\.eml\n$/,
      );

      process.emit('SIGINT', 'SIGINT');
      await run;
      expect(lines.slice(-2)).toEqual(['sink: SIGINT, closing\n', expect.stringMatching(/^sink: stopped after 1 message \(\d+ bytes\)\n$/)]);
      expect(process.listenerCount('SIGINT')).toBe(sigintListeners);
    } finally {
      spy.mockRestore();
    }
    expect(await readdir(dir)).toHaveLength(1);
  });

  test('rejects a bad --port', async () => {
    const program = new Command('pressline').exitOverride();
    registerSinkCommand(program);
    await expect(program.parseAsync(['sink', '--port', 'http'], { from: 'user' })).rejects.toMatchObject({
      code: 'USAGE',
    });
  });
});
