import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { App } from '../../src/app.js';
import { systemClock, type Clock } from '../../src/clock.js';
import { validateConfig, type Env } from '../../src/config/load.js';
import { openSqliteStore } from '../../src/store/sqlite/store.js';

export const EXAMPLE_RELEASE = 'releases/eu-russia-summit.md';

export interface TestApp extends App {
  dir: string;
  /** Writes a CSV list into the temp dir and returns its path. */
  list(rows: string[], header?: string): string;
}

/**
 * A real app on a temp dir: real SQLite file, real config validation, fast retries. `config`
 * is merged over the test defaults as raw (unvalidated) JSON, the way a config file would be.
 */
export function testApp(options: { config?: Record<string, any>; env?: Partial<Env>; clock?: Clock } = {}): TestApp {
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
  const store = openSqliteStore(config.paths.database);
  const env: Env = { smtpUrl: undefined, databaseUrl: undefined, sqliteFile: undefined, secret: 'test-secret-please-change', dashboardToken: undefined, ...options.env };
  let n = 0;
  return {
    dir,
    config,
    env,
    store,
    clock: options.clock ?? systemClock,
    list(rows, header = 'Email,First Name,Last Name,Outlet,Beat,Language') {
      const file = join(dir, `list-${++n}.csv`);
      writeFileSync(file, [header, ...rows].join('\n') + '\n');
      return file;
    },
    async close() {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** `count` journalists at `domain`, as CSV rows of the default header. */
export function journalists(count: number, domain = 'news.example', start = 1): string[] {
  return Array.from({ length: count }, (_, i) => `j${start + i}@${domain},Jo${start + i},Doe,Daily ${i % 7},russia,en`);
}
