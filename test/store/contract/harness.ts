// Shared setup of the Store contract (test/store/contract.test.ts): which engines run, fresh stores
// of each, non-ASCII contacts, and a record of every Store member the tests touch, so the coverage
// guard can tell when a member has no contract test.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import type { Contact } from '../../../src/lists/contact.js';
import { checkEmail } from '../../../src/lists/email.js';
import { connectPostgresStore } from '../../../src/store/postgres/store.js';
import { openSqliteStore } from '../../../src/store/sqlite/store.js';
import type { CampaignInput, OutcomeRecord, SendingMark, Store } from '../../../src/store/types.js';
import { TEST_DATABASE_URL, TEST_STORE, testStore } from '../../helpers/app.js';

async function postgresAnswers(): Promise<boolean> {
  const client = new pg.Client({ connectionString: TEST_DATABASE_URL, connectionTimeoutMillis: 2000 });
  try {
    await client.connect();
    await client.query('SELECT 1');
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => {});
  }
}

export type Kind = 'sqlite' | 'postgres';
/**
 * `npm test` runs the contract on SQLite, and on PostgreSQL when the server answers; `npm run
 * test:pg` (which requires PostgreSQL) runs it on PostgreSQL only, as `npm test` has already run
 * the SQLite half in the same CI.
 */
export const KINDS: Kind[] = TEST_STORE === 'postgres' ? ['postgres'] : ['sqlite', ...((await postgresAnswers()) ? ['postgres' as const] : [])];

export const T0 = new Date('2030-01-01T00:00:00Z');
export const at = (ms: number) => new Date(T0.getTime() + ms);

/** Journalists with accented, Cyrillic, Arabic and Greek names and outlets; every third at an IDN domain. */
const PEOPLE: [first: string, last: string, outlet: string, language: string][] = [
  ['Élodie', 'Lefèvre', 'Le Monde — Économie', 'fr'],
  ['Дмитрий', 'Муратов', 'Новая газета', 'ru'],
  ['فاطمة', 'الزهراء', 'الجزيرة', 'ar'],
  ['Jürgen', 'Öztürk', 'Süddeutsche Zeitung', 'de'],
  ['Νίκος', 'Παπαδόπουλος', 'Καθημερινή', 'el'],
  ['Zoë', 'Ñúñez', 'El País', 'es'],
];
const DOMAINS = ['presse.example', 'новости.example', 'bücher.example'];

/**
 * Journalist `i`: the address goes through the list loader's own check, so an IDN domain is
 * stored the way the store receives it (key and domain in punycode, the address as written).
 */
export function contact(i: number, domain = DOMAINS[i % DOMAINS.length]!): Contact {
  const [firstName, lastName, outlet, language] = PEOPLE[i % PEOPLE.length]!;
  const checked = checkEmail(`j${i}@${domain}`);
  if (!checked.ok) throw new Error(checked.reason);
  return {
    email: checked.email, key: checked.key, domain: checked.domain, firstName, lastName, outlet, tags: ['россия', 'économie'], language,
    country: '', timeZone: '', extra: { rédaction: 'Außenpolitik' }, source: { file: 'liste-été.csv', line: i + 2 },
  };
}

export const CAMPAIGN: CampaignInput = {
  releaseFile: 'communiqués/sommet-ue–russie.md', releaseTitle: 'Sommet UE–Russie : « droits humains » — Саммит', lists: ['liste-été.csv'],
  where: ['outlet=Новая газета'], test: false, status: 'sending', options: { rate: 0, note: 'über' },
};

/** A sending mark by worker `a` (the owner most tests claim with) through one relay. */
export const mark = (deliveryId: number, messageId: string, worker = 'a'): SendingMark => ({ deliveryId, messageId, worker, relay: 'smtp://relay.example:587' });

/** An outcome of attempt 1 at `ms`, with a reply. */
export function outcome(deliveryId: number, status: OutcomeRecord['status'], ms: number, messageId: string, reply: Partial<OutcomeRecord> = {}): OutcomeRecord {
  return { deliveryId, status, at: at(ms), attempt: 1, code: 250, enhanced: '2.0.0', response: '250 Accepté', messageId, durationMs: 5, ...reply };
}

/** Store members the contract tests used, by engine (a recording proxy sees every access). */
export const used: Record<Kind, Set<string>> = { sqlite: new Set(), postgres: new Set() };

export interface Opened {
  store: Store;
  /** A second handle on the same data (another process's view). */
  other(): Store;
  /** The SQLite file or the PostgreSQL schema, for tests that look under the store. */
  file: string;
  schema: string | undefined;
}

/** Records each member read on a store, so the coverage guard sees what the tests exercised. */
function recording(store: Store, seen: Set<string>): Store {
  return new Proxy(store, {
    get(target, name) {
      if (typeof name === 'string') seen.add(name);
      const value = Reflect.get(target, name, target);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}

/** Fresh stores for one engine; `cleanup` (run it in afterEach) closes them and removes their data. */
export function storesOf(kind: Kind): { open(): Opened; cleanup(): Promise<void> } {
  const cleanups: (() => Promise<void>)[] = [];
  return {
    open() {
      const dir = mkdtempSync(join(tmpdir(), 'pressline-contract-'));
      const file = join(dir, 'p.db');
      const t = testStore(file, kind);
      cleanups.push(async () => {
        await t.dispose();
        rmSync(dir, { recursive: true, force: true });
      });
      return {
        store: recording(t.store, used[kind]),
        file,
        schema: t.schema,
        other() {
          const s = kind === 'sqlite' ? openSqliteStore(file) : connectPostgresStore(TEST_DATABASE_URL, { schema: t.schema! });
          cleanups.push(() => s.close());
          return recording(s, used[kind]);
        },
      };
    },
    async cleanup() {
      for (const c of cleanups.splice(0).reverse()) await c();
    },
  };
}
