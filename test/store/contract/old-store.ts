// A store left at the schema before the CHECK constraints (SQLite step 9, PostgreSQL step 10), with
// rows written straight in SQL, some of them holding values pressline never writes.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';
import { POSTGRES_MIGRATIONS } from '../../../src/store/postgres/migrations.js';
import { connectPostgresStore } from '../../../src/store/postgres/store.js';
import { SQLITE_MIGRATIONS } from '../../../src/store/sqlite/migrations.js';
import { openSqliteStore } from '../../../src/store/sqlite/store.js';
import type { Store } from '../../../src/store/types.js';
import { TEST_DATABASE_URL } from '../../helpers/app.js';
import type { Kind } from './harness.js';

export const BEFORE_CHECKS: Record<Kind, number> = { sqlite: 9, postgres: 10 };

export interface OldStore {
  /** Runs SQL (`?`-free) straight on the old store's tables. */
  sql(text: string): Promise<unknown[]>;
  /** Opens it as pressline does, which migrates it; the caller closes it. */
  open(): Promise<Store>;
  dispose(): Promise<void>;
}

/**
 * One campaign (a second one made and deleted, so the id counter is ahead of the rows), one
 * delivery with its event, a suppression with its log entry; then the rows pressline never writes:
 * a suppression reason 'unsubscribed' and two events of type 'opened'.
 */
function seed(t: (ms: number) => string, json: (v: unknown) => string, no: string): string {
  return `
INSERT INTO campaigns (id, release_file, release_title, lists, where_filters, test, status, options, created_at, phase, paused_kind)
  VALUES (1, 'communiqués/été.md', 'Саммит — «droits»', ${json(['liste-été.csv'])}, ${json([])}, ${no}, 'paused', ${json({ note: 'über' })}, ${t(0)}, 'embargoed', 'operator'),
         (2, 'x.md', 'x', ${json([])}, ${json([])}, ${no}, 'draft', ${json({})}, ${t(0)}, 'single', NULL);
DELETE FROM campaigns WHERE id = 2;
INSERT INTO deliveries (id, campaign_id, email, key, domain, language, outlet, contact, status, attempts, updated_at, message_id)
  VALUES (1, 1, 'j@bücher.example', 'j@xn--bcher-kva.example', 'xn--bcher-kva.example', 'fr', 'Le Monde — Économie', ${json({ firstName: 'Élodie' })}, 'sent', 1, ${t(5)}, '<1@x>');
INSERT INTO events (campaign_id, delivery_id, at, type, detail) VALUES (1, 1, ${t(5)}, 'sent', 'принято'), (1, 1, ${t(6)}, 'opened', NULL), (1, 1, ${t(7)}, 'opened', NULL);
INSERT INTO suppressions (key, email, reason, source, created_at) VALUES ('نور@x.example', 'نور@x.example', 'unsubscribed', 'test', ${t(8)});
INSERT INTO suppression_log (key, email, action, reason, source, at) VALUES ('نور@x.example', 'نور@x.example', 'add', 'unsubscribed', 'test', ${t(8)});
`;
}

const T = Date.parse('2030-01-01T00:00:00Z');

export function oldStore(kind: Kind): Promise<OldStore> {
  return kind === 'sqlite' ? oldSqlite() : oldPostgres();
}

async function oldSqlite(): Promise<OldStore> {
  const dir = mkdtempSync(join(tmpdir(), 'pressline-old-'));
  const file = join(dir, 'p.db');
  const db = new Database(file);
  db.exec('CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL)');
  for (const step of SQLITE_MIGRATIONS.filter((s) => s.version <= BEFORE_CHECKS.sqlite)) {
    db.exec(step.sql);
    db.prepare('INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)').run(step.version, T);
  }
  db.exec(seed((ms) => String(T + ms), (v) => `'${JSON.stringify(v)}'`, '0'));
  db.close();
  return {
    async sql(text) {
      const raw = new Database(file);
      try {
        const statement = raw.prepare(text);
        if (statement.reader) return statement.all();
        statement.run();
        return [];
      } finally {
        raw.close();
      }
    },
    async open() {
      return openSqliteStore(file);
    },
    async dispose() {
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

async function oldPostgres(): Promise<OldStore> {
  const schema = `t_old_${randomBytes(6).toString('hex')}`;
  const client = new pg.Client({ connectionString: TEST_DATABASE_URL });
  await client.connect();
  await client.query(`CREATE SCHEMA "${schema}"; SET search_path TO "${schema}"`);
  await client.query('CREATE TABLE schema_migrations (version integer PRIMARY KEY, applied_at timestamptz NOT NULL)');
  for (const step of POSTGRES_MIGRATIONS.filter((s) => s.version <= BEFORE_CHECKS.postgres)) {
    await client.query(step.sql);
    await client.query('INSERT INTO schema_migrations (version, applied_at) VALUES ($1, now())', [step.version]);
  }
  // The identity counters move as they would have with the store's own inserts (which take defaults).
  await client.query(seed((ms) => `'${new Date(T + ms).toISOString()}'`, (v) => `'${JSON.stringify(v)}'`, 'false'));
  await client.query(`SELECT setval(pg_get_serial_sequence('campaigns', 'id'), 2), setval(pg_get_serial_sequence('deliveries', 'id'), 1)`);
  return {
    async sql(text) {
      return (await client.query(text)).rows;
    },
    async open() {
      const store = connectPostgresStore(TEST_DATABASE_URL, { schema, max: 2 });
      try {
        await store.ready();
      } catch (err) {
        await store.close().catch(() => {});
        throw err;
      }
      return store;
    },
    async dispose() {
      try {
        await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      } finally {
        await client.end();
      }
    },
  };
}
