// The schema under the contract: migrations applied once, and the stored unions enforced by the database.
import pg from 'pg';
import { expect, it } from 'vitest';
import { openPostgresStore } from '../../../src/store/postgres/store.js';
import { TEST_DATABASE_URL } from '../../helpers/app.js';
import type { Kind, Opened } from './harness.js';

export function migrationsContract(kind: Kind, _open: () => Opened): void {
  it.runIf(kind === 'postgres')('several processes opening a fresh schema at once apply each migration once', async () => {
    const schema = `t_mig_${Date.now().toString(36)}_${Math.floor(Math.random() * 1e6)}`;
    const stores = await Promise.all(Array.from({ length: 4 }, () => openPostgresStore(TEST_DATABASE_URL, { schema })));
    const versions = await Promise.all(stores.map((s) => s.ready()));
    expect(new Set(versions.map((v) => v.version)).size).toBe(1);
    expect(versions.flatMap((v) => v.applied).sort()).toEqual([...new Set(versions.flatMap((v) => v.applied))].sort());
    const client = new pg.Client({ connectionString: TEST_DATABASE_URL });
    await client.connect();
    try {
      const { rows } = await client.query(`SELECT version, count(*)::int AS n FROM "${schema}".schema_migrations GROUP BY version`);
      expect(rows.every((r) => r.n === 1)).toBe(true);
      await Promise.all(stores.map((s) => s.close()));
      await client.query(`DROP SCHEMA "${schema}" CASCADE`);
    } finally {
      await client.end();
    }
  });
}
