// Issue 14 (1): each store has a random instance id from its first migration; a store made
// before it gets one when migrated, and keeps it from then on.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { connectPostgresStore } from '../../src/store/postgres/store.js';
import { openSqliteStore } from '../../src/store/sqlite/store.js';
import type { Store } from '../../src/store/types.js';
import { TEST_DATABASE_URL, testStore } from '../helpers/app.js';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** Opens the same store again (a later command), and a way to set it back to before store ids. */
function storeOf(kind: 'sqlite' | 'postgres'): { first: Store; reopen(): Store; forget(): Promise<void> } {
  const dir = mkdtempSync(join(tmpdir(), 'pressline-instance-'));
  const file = join(dir, 'p.db');
  const made = testStore(file, kind);
  cleanups.push(async () => {
    await made.dispose();
    rmSync(dir, { recursive: true, force: true });
  });
  const version = kind === 'sqlite' ? 8 : 9;
  return {
    first: made.store,
    reopen() {
      const store = kind === 'sqlite' ? openSqliteStore(file) : connectPostgresStore(TEST_DATABASE_URL, { schema: made.schema!, max: 2 });
      cleanups.push(() => store.close());
      return store;
    },
    async forget() {
      const sql = `DROP TABLE store_meta; DELETE FROM schema_migrations WHERE version = ${version};`;
      if (kind === 'sqlite') (made.store as any).db.exec(sql);
      else {
        const client = new pg.Client({ connectionString: TEST_DATABASE_URL });
        await client.connect();
        try {
          await client.query(`SET search_path TO "${made.schema}"; ${sql}`);
        } finally {
          await client.end();
        }
      }
    },
  };
}

describe('store instance id', () => {
  for (const kind of ['sqlite', 'postgres'] as const) {
    it(`${kind}: random per store, kept on reopening; a store from before store ids gets one when migrated`, async () => {
      const a = storeOf(kind);
      const b = storeOf(kind);
      const id = await a.first.instanceId();
      expect(id).toMatch(/^[0-9a-f]{12}$/);
      expect(await b.first.instanceId()).not.toBe(id);
      expect(await a.reopen().instanceId()).toBe(id);

      await a.forget();
      const migrated = await a.reopen().instanceId();
      expect(migrated).toMatch(/^[0-9a-f]{12}$/);
      expect(migrated).not.toBe(id);
    });
  }
});
