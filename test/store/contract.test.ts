// The Store contract, run against both implementations: every member of `Store` must behave the same
// on SQLite and PostgreSQL, with non-ASCII data throughout. The tests live in test/store/contract/,
// one file per job; the last test of each engine fails when a Store member was never exercised.
import { readdirSync, readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { bouncesContract } from './contract/bounces.js';
import { campaignsContract } from './contract/campaigns.js';
import { claimsContract } from './contract/claims.js';
import { engagementContract } from './contract/engagement.js';
import { contactHistoryContract } from './contract/contact-history.js';
import { eventsContract } from './contract/events.js';
import { KINDS, storesOf, used } from './contract/harness.js';
import { rateContract } from './contract/rate.js';
import { readModelsContract } from './contract/read-models.js';
import { searchContract } from './contract/search.js';
import { suppressionsContract } from './contract/suppressions.js';
import { migrationsContract } from './contract/migrations.js';
import { publicationsContract } from './contract/publications.js';

/**
 * Member names of `interface Store`: it is composed in src/store/types.ts from one interface per
 * job (src/store/interfaces/), so the members are read from each interface it extends.
 */
function storeMembers(): string[] {
  const read = (path: string) => readFileSync(new URL(`../../src/store/${path}`, import.meta.url), 'utf8');
  const composed = /export interface Store\s+extends([\s\S]*?)\{\}/.exec(read('types.ts'))?.[1];
  if (!composed) throw new Error('interface Store not found in src/store/types.ts');
  const parts = composed.split(',').map((name) => name.trim());
  const sources = readdirSync(new URL('../../src/store/interfaces/', import.meta.url)).map((f) => read(`interfaces/${f}`));
  return parts.flatMap((part) => {
    const body = sources.map((source) => new RegExp(`export interface ${part} \\{([\\s\\S]*?)\\n\\}`).exec(source)?.[1]).find(Boolean);
    if (body === undefined) throw new Error(`interface ${part} (part of Store) not found in src/store/interfaces/`);
    // Members sit at two spaces of indentation: `name(`, `name?(`, `readonly name:`.
    return [...body.matchAll(/^ {2}(?:readonly )?([A-Za-z]\w*)\??[(:<]/gm)].map((m) => m[1]!);
  });
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
  contactHistoryContract(open);
  searchContract(open);
  migrationsContract(kind, open);
  publicationsContract(open);
  engagementContract(open);

  // Last: vitest runs a file's tests in order, so every test above has used its members by now.
  it('covers every Store member (a new member needs a contract test above)', () => {
    const members = storeMembers();
    expect(members.length).toBeGreaterThan(50);
    const runtime = stores.open().store;
    // The parse above and the objects agree: every declared member exists on this engine's store.
    expect(members.filter((m) => !(m in runtime))).toEqual([]);
    expect(members.filter((m) => !used[kind].has(m))).toEqual([]);
  });
});
