// The database's CHECK constraints and the TypeScript unions name the same values (issue 18): a
// value added to a union without a migration would be refused at its first write, and a value left
// in a CHECK after leaving the union would hide a misspelling. The lists are read from the live
// schema of a freshly migrated store on each engine, so a migration that drifts fails here.
import Database from 'better-sqlite3';
import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import {
  CAMPAIGN_PHASES,
  CAMPAIGN_STATUSES,
  DELIVERY_STATUSES,
  ENGAGEMENT_KINDS,
  EVENT_TYPES,
  PAUSE_KINDS,
  SUPPRESSION_ACTIONS,
  SUPPRESSION_REASONS,
} from '../../src/domain/status.js';
import { TEST_DATABASE_URL } from '../helpers/app.js';
import { KINDS, storesOf, type Kind, type Opened } from './contract/harness.js';

const UNIONS: Record<string, readonly string[]> = {
  campaigns_status_known: CAMPAIGN_STATUSES,
  campaigns_phase_known: CAMPAIGN_PHASES,
  campaigns_paused_kind_known: PAUSE_KINDS,
  deliveries_status_known: DELIVERY_STATUSES,
  events_type_known: EVENT_TYPES,
  suppressions_reason_known: SUPPRESSION_REASONS,
  suppression_log_action_known: SUPPRESSION_ACTIONS,
  engagement_events_kind_known: ENGAGEMENT_KINDS,
};

/** Each `*_known` constraint's text as the engine keeps it. */
async function constraintTexts(kind: Kind, opened: Opened): Promise<Map<string, string>> {
  const found = new Map<string, string>();
  if (kind === 'sqlite') {
    const db = new Database(opened.file, { readonly: true });
    try {
      for (const { sql } of db.prepare("SELECT sql FROM sqlite_master WHERE type = 'table' AND sql IS NOT NULL").all() as { sql: string }[]) {
        // `CONSTRAINT name CHECK (...)`, up to the next constraint or column: the lists hold no parentheses.
        for (const m of sql.matchAll(/CONSTRAINT (\w+_known)\s+CHECK \(([^()]*\([^()]*\)[^()]*)\)/g)) found.set(m[1]!, m[2]!);
      }
    } finally {
      db.close();
    }
    return found;
  }
  const client = new pg.Client({ connectionString: TEST_DATABASE_URL });
  await client.connect();
  try {
    const { rows } = await client.query<{ conname: string; def: string }>(
      `SELECT c.conname, pg_get_constraintdef(c.oid) AS def FROM pg_constraint c JOIN pg_namespace n ON n.oid = c.connamespace
       WHERE n.nspname = $1 AND c.contype = 'c' AND c.conname LIKE '%\\_known'`,
      [opened.schema],
    );
    for (const r of rows) found.set(r.conname, r.def);
  } finally {
    await client.end();
  }
  return found;
}

const quoted = (text: string) => [...text.matchAll(/'([^']*)'/g)].map((m) => m[1]!).sort();

describe.each(KINDS)('CHECK constraints on %s', (kind) => {
  const stores = storesOf(kind);
  afterEach(() => stores.cleanup());

  it('list exactly the values of the TypeScript unions', async () => {
    const opened = stores.open();
    await opened.store.listCampaigns(); // migrated by now
    const texts = await constraintTexts(kind, opened);
    expect([...texts.keys()].sort()).toEqual(Object.keys(UNIONS).sort());
    for (const [name, values] of Object.entries(UNIONS)) {
      expect({ name, values: quoted(texts.get(name)!) }).toEqual({ name, values: [...values].sort() });
    }
  });
});
