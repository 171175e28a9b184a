import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { App } from '../../src/app.js';
import { systemClock, type Clock } from '../../src/time/clock.js';
import { validateConfig, type Env } from '../../src/config/load.js';
import pg from 'pg';
import { connectPostgresStore } from '../../src/store/postgres/store.js';
import { openSqliteStore } from '../../src/store/sqlite/store.js';
import type { Store } from '../../src/store/types.js';

export const EXAMPLE_RELEASE = 'releases/eu-russia-summit.md';

/** Which store testApp builds: `PRESSLINE_TEST_STORE=postgres` (see `npm run test:pg`), else SQLite. */
export const TEST_STORE: 'sqlite' | 'postgres' = process.env.PRESSLINE_TEST_STORE === 'postgres' ? 'postgres' : 'sqlite';
export const TEST_DATABASE_URL = process.env.PRESSLINE_TEST_DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/test';

/**
 * A fresh store of the kind the run asks for: a temp SQLite file, or a PostgreSQL schema of its
 * own (`t_<random>`, created with the migrations) that `dispose` drops again.
 */
export function testStore(sqliteFile: string, kind: 'sqlite' | 'postgres' = TEST_STORE): { store: Store; schema?: string; env: Record<string, string>; dispose(): Promise<void> } {
  if (kind === 'sqlite') {
    const store = openSqliteStore(sqliteFile);
    return { store, env: { PRESSLINE_DB: sqliteFile }, dispose: () => store.close() };
  }
  const schema = `t_${randomBytes(6).toString('hex')}`;
  const store = connectPostgresStore(TEST_DATABASE_URL, { schema, max: 4 });
  const url = new URL(TEST_DATABASE_URL);
  url.searchParams.set('options', `-c search_path=${schema}`);
  return {
    store,
    schema,
    env: { DATABASE_URL: url.toString() },
    async dispose() {
      await store.close();
      const client = new pg.Client({ connectionString: TEST_DATABASE_URL });
      await client.connect();
      try {
        await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      } finally {
        await client.end();
      }
    },
  };
}

export interface TestApp extends App {
  dir: string;
  /** Writes a CSV list into the temp dir and returns its path. */
  list(rows: string[], header?: string): string;
  /** Environment variables that point a CLI (in-process or child) at this app's store. */
  storeEnv: Record<string, string>;
}

/**
 * A real app on a temp dir: real store (SQLite file, or a PostgreSQL schema under
 * PRESSLINE_TEST_STORE=postgres), real config validation, fast retries. `config`
 * is merged over the test defaults as raw (unvalidated) JSON, the way a config file would be.
 * `store` picks the kind regardless of the run (tests that compare two kinds of store).
 */
export function testApp(options: { config?: Record<string, any>; env?: Partial<Env>; clock?: Clock; store?: 'sqlite' | 'postgres' } = {}): TestApp {
  const dir = mkdtempSync(join(tmpdir(), 'pressline-test-'));
  const raw = {
    from: { name: 'Press Office', address: 'press@ngo.example.org' },
    paths: { outbox: join(dir, 'outbox'), logs: join(dir, 'logs'), database: join(dir, 'pressline.db') },
    rate: { global: 0, concurrency: 4 },
    retry: { maxAttempts: 3, baseDelayMs: 40, maxDelayMs: 200, maxAgeMs: 60_000 },
    smtp: { maxConnections: 4, connectionTimeoutMs: 3000, greetingTimeoutMs: 3000, socketTimeoutMs: 5000 },
    ...options.config,
  };
  const config = validateConfig(raw, join(dir, 'pressline.json'));
  const { store, env: storeEnv, dispose } = testStore(config.paths.database, options.store);
  const env: Env = { smtpUrl: undefined, databaseUrl: undefined, sqliteFile: undefined, secret: 'test-secret-please-change', dashboardToken: undefined, ...options.env };
  let n = 0;
  return {
    dir,
    config,
    env,
    store,
    clock: options.clock ?? systemClock,
    storeEnv,
    list(rows, header = 'Email,First Name,Last Name,Outlet,Beat,Language') {
      const file = join(dir, `list-${++n}.csv`);
      writeFileSync(file, [header, ...rows].join('\n') + '\n');
      return file;
    },
    async close() {
      await dispose();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** `count` journalists at `domain`, as CSV rows of the default header. */
export function journalists(count: number, domain = 'news.example', start = 1): string[] {
  return Array.from({ length: count }, (_, i) => `j${start + i}@${domain},Jo${start + i},Doe,Daily ${i % 7},russia,en`);
}
