// The Store contract, run against both implementations: every member of `Store` must behave the same
// on SQLite and PostgreSQL, with non-ASCII data throughout. The tests live in test/store/contract/,
// one file per job; the last test of each engine fails when a Store member was never exercised.
import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { bouncesContract } from './contract/bounces.js';
import { campaignsContract } from './contract/campaigns.js';
import { claimsContract } from './contract/claims.js';
import { eventsContract } from './contract/events.js';
import { KINDS, storesOf, used } from './contract/harness.js';
import { rateContract } from './contract/rate.js';
import { readModelsContract } from './contract/read-models.js';
import { searchContract } from './contract/search.js';
import { suppressionsContract } from './contract/suppressions.js';
import { migrationsContract } from './contract/migrations.js';

/** Members with no contract on purpose: no caller left, being removed (issue 18). */
const DEAD = ['markSending', 'recordOutcomes'];

/** Member names of `interface Store` as declared in src/store/types.ts. */
function storeMembers(): string[] {
  const source = readFileSync(new URL('../../src/store/types.ts', import.meta.url), 'utf8');
  const body = /export interface Store \{([\s\S]*?)\n\}/.exec(source)?.[1];
  if (!body) throw new Error('interface Store not found in src/store/types.ts');
  // Members sit at two spaces of indentation: `name(`, `name?(`, `readonly name:`.
  return [...body.matchAll(/^ {2}(?:readonly )?([A-Za-z]\w*)\??[(:<]/gm)].map((m) => m[1]!);
}

describe.each(KINDS)('Store contract on %s', (kind) => {
  const stores = storesOf(kind);
  afterEach(() => stores.cleanup());
  const open = () => stores.open();

  campaignsContract(open);
  claimsContract(open);
  rateContract(open);
  eventsContract(kind, open);
  suppressionsContract(open);
  bouncesContract(open);
  readModelsContract(open);
  searchContract(open);
  migrationsContract(kind, open);

  // Last: vitest runs a file's tests in order, so every test above has used its members by now.
  it('covers every Store member (a new member needs a contract test above)', () => {
    const members = storeMembers();
    expect(members.length).toBeGreaterThan(50);
    const runtime = stores.open().store;
    // The parse above and the objects agree: every declared member exists on this engine's store.
    expect(members.filter((m) => !(m in runtime))).toEqual([]);
    expect(members.filter((m) => !DEAD.includes(m) && !used[kind].has(m))).toEqual([]);
  });
});
