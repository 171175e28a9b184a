import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

const CLI = resolve('dist/src/cli/main.js');
let dir: string;

function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((done) => {
    execFile(process.execPath, [CLI, '--config', join(dir, 'pressline.json'), ...args], { env: { ...process.env, PRESSLINE_DB: join(dir, 'p.db'), SMTP_URL: '', USER: 'tester' } }, (err, stdout, stderr) =>
      done({ code: err ? Number((err as { code?: number }).code) : 0, stdout, stderr }),
    );
  });
}

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'pressline-suppress-'));
  writeFileSync(join(dir, 'pressline.json'), JSON.stringify({ from: { name: 'Press Office', address: 'press@ngo.example.org' }, paths: { outbox: join(dir, 'outbox'), logs: join(dir, 'logs') }, rate: { global: 0 } }));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('pressline suppress', () => {
  it('adds, lists, exports, imports and removes (logged), and the next send excludes suppressed addresses', async () => {
    expect((await cli(['suppress', 'add', 'H.Whitfield@DailyLedger.example', '--reason', 'manual', '--note', 'asked by phone'])).code).toBe(0);
    const listed = JSON.parse((await cli(['suppress', 'list', '--json'])).stdout);
    expect(listed).toMatchObject([{ key: 'h.whitfield@dailyledger.example', reason: 'manual', source: 'operator', detail: 'asked by phone' }]);

    const sent = await cli(['send', 'releases/eu-russia-summit.md', '--list', 'lists/journalists.csv', '--yes']);
    expect(sent.code, sent.stderr).toBe(0);
    expect(sent.stdout).toMatch(/Recipients\s+39; suppressed 1/);
    const report = JSON.parse((await cli(['report', '1', '--format', 'json'])).stdout);
    expect(report.find((r: { email: string }) => r.email === 'h.whitfield@dailyledger.example').status).toBe('suppressed');

    const importFile = join(dir, 'old-tool.csv');
    writeFileSync(importFile, 'Email,Reason\ntom.barraclough@dailyledger.example,unsubscribe\nnot-an-address,manual\n');
    const imported = await cli(['suppress', 'import', importFile]);
    expect(imported.code).toBe(1); // one invalid row, reported
    expect(imported.stdout).toMatch(/1 newly suppressed/);
    expect(imported.stdout).toMatch(/old-tool\.csv:3/);

    await cli(['suppress', 'export', '--out', join(dir, 'export.csv')]);
    const csv = readFileSync(join(dir, 'export.csv'), 'utf8');
    expect(csv.startsWith('\uFEFFemail,reason,source')).toBe(true);
    expect(csv).toContain('tom.barraclough@dailyledger.example,unsubscribe');

    expect((await cli(['suppress', 'remove', 'h.whitfield@dailyledger.example'])).code).toBe(2); // needs --yes
    const removed = await cli(['suppress', 'remove', 'h.whitfield@dailyledger.example', '--yes']);
    expect(removed.stdout).toMatch(/no longer suppressed \(logged\)/);
    const { openSqliteStore } = await import('../../src/store/sqlite/store.js');
    const store = openSqliteStore(join(dir, 'p.db'));
    try {
      const log = await store.suppressionLog('h.whitfield@dailyledger.example');
      expect(log.map((l) => l.action)).toEqual(['add', 'remove']);
      expect(log[1]!.source).toMatch(/tester/);
    } finally {
      await store.close();
    }
  });

  it('a bare unsubscribe request to the mailto: address counts only when our receiving host verified a sender we mailed', async () => {
    const config = JSON.parse(readFileSync(join(dir, 'pressline.json'), 'utf8'));
    writeFileSync(join(dir, 'pressline.json'), JSON.stringify({ ...config, unsubscribe: { mailto: 'unsubscribe@example.org' }, bounces: { authservId: 'mx.example.org' } }));
    const request = (name: string, authResults: string[]) => {
      const eml = join(dir, name);
      writeFileSync(eml, [...authResults.map((v) => `Authentication-Results: ${v}`), 'From: Anna Sokolova <anna.sokolova@novayagazeta.example>', 'To: unsubscribe@example.org', 'Subject: unsubscribe', `Message-ID: <${name}@novayagazeta.example>`, 'Date: Sat, 28 Nov 2026 09:00:00 +0000', '', 'unsubscribe', ''].join('\r\n'));
      return eml;
    };
    // Anyone can write this From: without a verdict of our host it is kept for review.
    const forged = await cli(['bounces', 'ingest', request('u1.eml', []), '--json']);
    expect(forged.code).toBe(1);
    expect(JSON.parse(forged.stdout)).toMatchObject({ applied: {}, unattributed: [{ recipient: 'anna.sokolova@novayagazeta.example' }] });
    expect(JSON.parse((await cli(['suppress', 'list', '--json'])).stdout)).toEqual([]);

    expect((await cli(['send', 'releases/eu-russia-summit.md', '--list', 'lists/journalists.csv', '--yes'])).code).toBe(0);
    const verified = await cli(['bounces', 'ingest', request('u2.eml', ['mx.example.org; dkim=pass header.d=novayagazeta.example']), '--json']);
    expect(JSON.parse(verified.stdout).applied).toEqual({ unsubscribe: 1 });
    const listed = JSON.parse((await cli(['suppress', 'list', '--json'])).stdout);
    expect(listed).toMatchObject([{ key: 'anna.sokolova@novayagazeta.example', reason: 'unsubscribe' }]);
  });
});
