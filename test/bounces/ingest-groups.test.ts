import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { App } from '../../src/app.js';
import { ManualClock } from '../../src/time/clock.js';
import { ingestMessages } from '../../src/bounces/ingest.js';
import { readPath, type MailboxMessage } from '../../src/bounces/sources.js';
import type { SqliteStore } from '../../src/store/sqlite/store.js';
import type { Store, StoredBounceEvent } from '../../src/store/types.js';
import { testApp, type TestApp } from '../helpers/app.js';

// Issue 14: each stored report was its own fsynced commit (~190 messages/s); a file's messages
// now share one commit per group. These tests hold the outcomes and the commit-before-acknowledge
// rule to the per-message path.

const apps: TestApp[] = [];
afterEach(async () => {
  for (const a of apps.splice(0)) await a.close();
});

function newApp(options: { store?: 'sqlite' | 'postgres'; config?: Record<string, unknown> } = {}): TestApp {
  const app = testApp({ clock: new ManualClock(new Date('2026-11-28T12:00:00Z')), config: { bounces: { domain: 'bounces.ngo.example.org', maxMessageBytes: 4096 }, ...options.config }, ...(options.store ? { store: options.store } : {}) });
  apps.push(app);
  return app;
}

/** A DSN naming a journalist (unattributed: no delivery of ours), as bench/ingest's mailbox holds every 1,000th. */
function dsn(i: number): string {
  return [
    `From: Mail Delivery System <MAILER-DAEMON@mx.example>`, `Subject: Undelivered Mail Returned to Sender`, `Message-ID: <dsn${i}@mx.example>`,
    `MIME-Version: 1.0`, `Content-Type: multipart/report; report-type=delivery-status; boundary="B"`, ``,
    `--B`, `Content-Type: text/plain`, ``, `Your message could not be delivered.`, ``,
    `--B`, `Content-Type: message/delivery-status`, ``, `Reporting-MTA: dns; mx.example`, ``,
    `Final-Recipient: rfc822; j${i}@paper.example`, `Action: failed`, `Status: 5.1.1`, `Diagnostic-Code: smtp; 550 5.1.1 User unknown`, ``,
    `--B--`, ``,
  ].join('\n');
}

/** Whether message(i) leaves a row of its own (auto-replies leave none; a repeated message is a duplicate). */
const leavesRow = (i: number): boolean => i % 50 === 0 || (i % 7 !== 0 && i % 97 !== 0);

/** Small messages (no report), a DSN every 50th, an auto-reply every 7th, and the same message twice now and then. */
function message(i: number): string {
  if (i % 50 === 0) return dsn(i);
  if (i % 7 === 0) return `From: j${i}@paper.example\nSubject: Out of office\nAuto-Submitted: auto-replied\nMessage-ID: <ooo${i}@paper.example>\n\nAway.\n`;
  if (i % 97 === 0) return `Subject: m${i - 1}\nMessage-ID: <${i - 1}@x.example>\n\nok\n`;
  return `Subject: m${i}\nMessage-ID: <${i}@x.example>\n\nok\n`;
}

function writeMbox(file: string, n: number): void {
  let text = '';
  for (let i = 0; i < n; i++) text += `From MAILER-DAEMON Sat Nov 28 10:00:00 2026\n${message(i)}\n`;
  writeFileSync(file, text);
}

/** The rows a run leaves, in a fixed order (ids differ between stores and runs). */
async function rows(store: Store): Promise<Omit<StoredBounceEvent, 'id'>[]> {
  const all = await store.bounceEvents();
  return all
    .map(({ id: _id, ...rest }) => rest)
    .sort((a, b) => `${a.reportId}|${a.recipient}|${a.kind}`.localeCompare(`${b.reportId}|${b.recipient}|${b.kind}`));
}

/** The app with its store throwing on the `n`th report write (a disk full, a lost connection). */
function failingOnWrite(app: App, n: number): App {
  let writes = 0;
  const store = new Proxy(app.store, {
    get(target, prop) {
      const value = Reflect.get(target, prop, target);
      if (typeof value !== 'function') return value;
      if (prop === 'recordBounce' || prop === 'keepBounceReport') {
        return (...args: unknown[]) => {
          if (++writes === n) throw new Error(`write ${n} refused`);
          return value.apply(target, args);
        };
      }
      return value.bind(target);
    },
  });
  return { ...app, store };
}

/** The app's store without write groups: every write its own commit, as before grouping. */
function perMessage(app: App): App {
  const store = new Proxy(app.store, {
    get(target, prop) {
      if (prop === 'beginWriteGroup' || prop === 'commitWriteGroup' || prop === 'rollbackWriteGroup') return undefined;
      const value = Reflect.get(target, prop, target);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
  return { ...app, store };
}

describe('bounce ingestion in commit groups', () => {
  it('a 3,000-message mbox stores exactly the rows, summary and quarantine the per-message path stores', async () => {
    const grouped = newApp();
    const single = newApp();
    const mbox = join(grouped.dir, 'bounces.mbox');
    writeMbox(mbox, 3000);
    const a = await ingestMessages(grouped, readPath(mbox, { maxMessageBytes: 4096 }), { groups: { maxMessages: 500, maxMs: 60_000 } });
    const b = await ingestMessages(perMessage(single), readPath(mbox, { maxMessageBytes: 4096 }));
    expect(a).toEqual(b);
    expect(a.messages).toBe(3000);
    expect(a.unattributedCount).toBe(60);
    const stored = await rows(grouped.store);
    expect(stored.length).toBeGreaterThan(2000);
    expect(stored).toEqual(await rows(single.store));
  });

  it('SQLite: a 3,000-message mbox is written in 6 commits of 500 messages, not one commit per report', async () => {
    const app = newApp({ store: 'sqlite' });
    const mbox = join(app.dir, 'bounces.mbox');
    writeMbox(mbox, 3000);
    const store = app.store as SqliteStore;
    let autocommitted = 0;
    let commits = 0;
    const counting = new Proxy(store, {
      get(target, prop) {
        const value = Reflect.get(target, prop, target);
        if (typeof value !== 'function') return value;
        if (prop === 'commitWriteGroup') return () => (commits++, value.apply(target, []));
        if (prop === 'recordBounce' || prop === 'keepBounceReport') {
          return (...args: unknown[]) => {
            // Outside an open transaction, the write is a commit (and an fsync) of its own.
            if (!target.db.inTransaction) autocommitted++;
            return value.apply(target, args);
          };
        }
        return value.bind(target);
      },
    });
    const summary = await ingestMessages({ ...app, store: counting }, readPath(mbox), { groups: { maxMessages: 500, maxMs: 60_000 } });
    expect(summary.messages).toBe(3000);
    expect(autocommitted).toBe(0);
    // 3,000 messages, less the auto-replies (nothing to write) that still count towards a group.
    expect(commits).toBe(6);
  });

  it('a store failing mid-group: the run stops, nothing acknowledged lacks its rows, and the next run stores what a clean run stores', async () => {
    const app = newApp();
    const clean = newApp();
    const messages = Array.from({ length: 1200 }, (_, i) => message(i));
    const acknowledged: number[] = [];
    // A source that acts on each message once processed (as IMAP moves it), for some of them.
    async function* source(): AsyncGenerator<MailboxMessage> {
      for (const [i, text] of messages.entries()) {
        const raw = Buffer.from(text);
        yield { source: `test#${i}`, raw, bytes: raw.length, key: `k${i}`, quarantine: async () => `test#${i}`, ...(i % 3 === 0 ? { done: async () => void acknowledged.push(i) } : {}) };
      }
    }
    await expect(ingestMessages(failingOnWrite(app, 700), source(), { groups: { maxMessages: 500, maxMs: 60_000 } })).rejects.toThrow('write 700 refused');
    const stored = new Set((await app.store.bounceEvents()).map((e) => e.source));
    expect(acknowledged.length).toBeGreaterThan(0);
    for (const i of acknowledged) {
      if (!leavesRow(i)) continue;
      expect(stored.has(`test#${i}`), `message ${i} acknowledged without its rows`).toBe(true);
    }
    // Every acknowledged message is also the last stored one's at most: nothing acknowledged after the failure.
    const lastStored = Math.max(...[...stored].map((s) => Number(s.split('#')[1])));
    expect(Math.max(...acknowledged)).toBeLessThanOrEqual(lastStored);

    await ingestMessages(app, source());
    await ingestMessages(clean, source());
    expect(await rows(app.store)).toEqual(await rows(clean.store));
  });

  it('a Maildir whose store fails after a quarantine: the moved message is recorded, the open group is undone whole, and a rerun completes it', async () => {
    const app = newApp();
    const clean = newApp();
    const fill = (dir: string) => {
      for (const d of ['new', 'cur', 'tmp']) mkdirSync(join(dir, d), { recursive: true });
      for (let i = 0; i < 900; i++) writeFileSync(join(dir, 'new', `${String(i).padStart(4, '0')}.m`), i === 300 ? `Subject: big\n\n${'x'.repeat(5000)}\n` : message(i));
    };
    const maildir = join(app.dir, 'Maildir');
    fill(maildir);
    const groups = { maxMessages: 250, maxMs: 60_000 };
    await expect(ingestMessages(failingOnWrite(app, 600), readPath(maildir, { maxMessageBytes: 4096 }), { groups })).rejects.toThrow('write 600 refused');
    // The oversized message was moved aside, and its record and every message before it were committed first.
    expect(existsSync(join(maildir, '.Quarantine', 'cur', '0300.m'))).toBe(true);
    expect((await app.store.listQuarantined()).map((q) => q.source)).toEqual([`maildir:${join(maildir, 'new', '0300.m')}`]);
    const sources = new Set((await app.store.bounceEvents()).map((e) => e.source));
    expect(sources.has(`maildir:${join(maildir, 'new', '0299.m')}`)).toBe(true);
    // Committed: 0-249 (a full group), 250-299 (before the quarantine), 301-550 (a full group).
    // The group open when the store failed (from 551) left nothing behind.
    const stored = [...sources].map((s) => Number(/(\d{4})\.m$/.exec(s)![1]));
    expect(Math.max(...stored)).toBe(550);
    const expected = Array.from({ length: 551 }, (_, i) => i).filter((i) => i !== 300 && leavesRow(i));
    expect(stored.sort((x, y) => x - y)).toEqual(expected);
    expect(readdirSync(join(maildir, 'new'))).toHaveLength(899);

    const rerun = await ingestMessages(app, readPath(maildir, { maxMessageBytes: 4096 }), { groups });
    expect(rerun.messages).toBe(899);
    const cleanDir = join(clean.dir, 'Maildir');
    fill(cleanDir);
    await ingestMessages(clean, readPath(cleanDir, { maxMessageBytes: 4096 }), { groups });
    const withoutDir = (r: Omit<StoredBounceEvent, 'id'>[], dir: string) => r.map((e) => ({ ...e, source: e.source.replace(dir, '<dir>') }));
    expect(withoutDir(await rows(app.store), maildir)).toEqual(withoutDir(await rows(clean.store), cleanDir));
  });
});
