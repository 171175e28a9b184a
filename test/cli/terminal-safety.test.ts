import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openSqliteStore } from '../../src/store/sqlite/store.js';

// Outside text (release titles, SMTP replies, DSNs) printed by real CLI processes: the terminal
// must get it inert. Each case failed before forTerminal: the ESC byte reached stdout raw.
const CLI = resolve('dist/src/cli/main.js');
const ESC = '\x1b';
const CLEAR = '\x1b[2J\x1b[H';
const LINK = '\x1b]8;;http://evil.example\x07click\x1b]8;;\x07';
let dir: string;

function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((done) => {
    execFile(
      process.execPath,
      [CLI, '--config', join(dir, 'pressline.json'), ...args],
      { env: { ...process.env, PRESSLINE_DB: join(dir, 'p.db'), SMTP_URL: '' }, timeout: 60_000 },
      (err, stdout, stderr) => done({ code: err ? Number((err as NodeJS.ErrnoException & { code: number }).code) : 0, stdout, stderr }),
    );
  });
}

/** A release whose title holds a line break, a clear-screen and a hyperlink (YAML escapes). */
function writeRelease(name: string, yamlTitle: string): string {
  const file = join(dir, name);
  writeFileSync(file, `---\ntitle: ${yamlTitle}\nlanguage: en\n---\nBody text.\n`);
  return file;
}

async function withStore<T>(fn: (store: ReturnType<typeof openSqliteStore>) => Promise<T>): Promise<T> {
  const store = openSqliteStore(join(dir, 'p.db'));
  try {
    return await fn(store);
  } finally {
    await store.close();
  }
}

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'pressline-tty-'));
  writeFileSync(
    join(dir, 'pressline.json'),
    JSON.stringify({ from: { name: 'Press Office', address: 'press@ngo.example.org' }, paths: { outbox: join(dir, 'outbox'), logs: join(dir, 'logs') }, rate: { global: 0 } }),
  );
  writeFileSync(join(dir, 'list.csv'), 'Email,First Name\nanna@paper.example,Anna\nboris@daily.example,Boris\n');
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('outside text on the terminal (CLI)', () => {
  it('a release title with a line break and escape sequences: the plan shows it inert, `campaigns` keeps one row per campaign', async () => {
    const evil = writeRelease('evil.md', '"Summit\\nAll deliveries OK \\e[2J\\e[H\\e]8;;http://evil.example\\aclick\\e]8;;\\a \\u202Etxt.exe"');
    const plain = writeRelease('plain.md', 'Plain title');
    const sent = await cli(['send', evil, '--list', join(dir, 'list.csv'), '--yes']);
    expect(sent.code, sent.stderr).toBe(0);
    expect(sent.stdout).not.toContain(ESC);
    expect(sent.stdout).not.toContain('\u202e');
    expect(sent.stdout).toMatch(/^Release .*"Summit All deliveries OK \\x1b\[2J\\x1b\[H\\x1b\]8;;http:\/\/evil\.example\\x07click/m);
    expect((await cli(['send', plain, '--list', join(dir, 'list.csv'), '--yes'])).code).toBe(0);

    const listed = await cli(['campaigns']);
    expect(listed.code, listed.stderr).toBe(0);
    expect(listed.stdout).not.toContain(ESC);
    const lines = listed.stdout.trimEnd().split('\n');
    expect(lines).toHaveLength(3); // header + one row per campaign
    expect(lines[1]).toMatch(/^1\s+Summit All deliveries OK \\x1b\[2J.*\bdone\b/);
    expect(lines[2]).toMatch(/^2\s+Plain title\s+single\s+done\b/);

    // JSON is left alone: it escapes control characters itself, so no raw ESC there either.
    const json = await cli(['campaigns', '--json']);
    expect(json.stdout).not.toContain(ESC);
    expect(JSON.parse(json.stdout)[0].title).toContain('\n');
    expect(JSON.parse(json.stdout)[0].title).toContain(ESC);
  });

  it('`pressline log` shows an SMTP reply, a note and a DSN with escape sequences inert', async () => {
    const release = writeRelease('r.md', 'Summit');
    expect((await cli(['send', release, '--list', join(dir, 'list.csv'), '--yes'])).code).toBe(0);
    const at = new Date();
    await withStore(async (store) => {
      const [anna] = await store.deliveries(1, { email: 'anna@paper.example' });
      await store.addEvent({ campaignId: 1, deliveryId: anna!.id, at, type: 'deferred', attempt: 2, code: 421, response: `421 busy${CLEAR}\r250 All deliveries OK\r\nsecond line ${LINK}`, detail: `note ${CLEAR}` });
      await store.recordBounce(
        {
          reportId: 'r-1', source: `dsn ${CLEAR}`, kind: 'hard', recipient: 'anna@paper.example', campaignId: 1, deliveryId: anna!.id, status: '5.1.1',
          diagnostic: `smtp; 550 no such user${CLEAR}All deliveries OK`, remoteMta: undefined, originalMessageId: undefined, outcome: 'applied', note: undefined,
          raw: `Reporting-MTA: dns; mx.evil.example\r\nDiagnostic-Code: smtp; 550 ${LINK}\r\n${CLEAR}All deliveries OK\r\n`, receivedAt: at,
        },
        undefined,
        at,
      );
      await store.recordBounce(
        {
          reportId: 'r-2', source: `stray ${CLEAR}`, kind: 'hard', recipient: `nobody${CLEAR}@x.example`, campaignId: undefined, deliveryId: undefined, status: undefined,
          diagnostic: undefined, remoteMta: undefined, originalMessageId: undefined, outcome: 'unattributed', note: `no delivery ${LINK}`, raw: 'x', receivedAt: at,
        },
        undefined,
        at,
      );
    });

    const all = await cli(['log', '1']);
    expect(all.code, all.stderr).toBe(0);
    expect(all.stdout).not.toContain(ESC);
    expect(all.stdout).toContain('reply: 421 busy\\x1b[2J\\x1b[H\\x0d250 All deliveries OK');
    expect(all.stdout).toContain('\\x1b]8;;http://evil.example\\x07click');

    const one = await cli(['log', '1', '--email', 'anna@paper.example']);
    expect(one.code, one.stderr).toBe(0);
    expect(one.stdout).not.toContain(ESC);
    expect(one.stdout).toContain('diagnostic: smtp; 550 no such user\\x1b[2J');
    expect(one.stdout).toContain('    | \\x1b[2J\\x1b[HAll deliveries OK');

    const json = await cli(['log', '1', '--email', 'anna@paper.example', '--json']);
    expect(json.stdout).not.toContain(ESC);
    expect(JSON.stringify(JSON.parse(json.stdout))).toContain('\\u001b[2J');

    const stray = await cli(['bounces', 'unattributed']);
    expect(stray.code, stray.stderr).toBe(0);
    expect(stray.stdout).not.toContain(ESC);
    expect(stray.stdout.trimEnd().split('\n')).toHaveLength(1);
  });
});

describe('tables of outside text (CLI)', () => {
  it('`suppress list` keeps a note with a line break and a clear-screen on one row, inert', async () => {
    const added = await cli(['suppress', 'add', 'anna@paper.example', '--note', `asked by phone\n${CLEAR}All deliveries OK`]);
    expect(added.code, added.stderr).toBe(0);
    const listed = await cli(['suppress', 'list']);
    expect(listed.code, listed.stderr).toBe(0);
    expect(listed.stdout).not.toContain(ESC);
    expect(listed.stdout.trimEnd().split('\n')).toHaveLength(2);
    expect(listed.stdout).toContain('asked by phone \\x1b[2J\\x1b[HAll deliveries OK');
  });
});

describe('report --format csv (CLI)', () => {
  it('quotes the outlet `Daily;=1+1;Times` with its formula part defused, and leaves a plain outlet as it was', async () => {
    const list = join(dir, 'outlets.csv');
    writeFileSync(list, 'Email,Outlet\nanna@paper.example,Daily;=1+1;Times\nboris@daily.example,The Daily Ledger\n');
    expect((await cli(['send', writeRelease('r.md', 'Summit'), '--list', list, '--yes'])).code).toBe(0);
    const csv = await cli(['report', '1', '--format', 'csv']);
    expect(csv.code, csv.stderr).toBe(0);
    expect(csv.stdout.startsWith('\uFEFFemail,status')).toBe(true);
    const rows = csv.stdout.split('\r\n');
    expect(rows.find((r) => r.startsWith('anna@'))).toContain(`,"Daily;'=1+1;Times",`);
    expect(rows.find((r) => r.startsWith('boris@'))).toContain(',The Daily Ledger,');
  });
});
