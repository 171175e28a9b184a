import type Database from 'better-sqlite3';

/**
 * Case folding for the dashboard search (DeliveryQuery.search), the same on both engines.
 *
 * Neither engine's own folding will do: SQLite's LIKE folds ASCII only, and PostgreSQL's ILIKE and
 * lower() follow the database's collation (under LC_CTYPE=C they fold ASCII only too; under ICU or
 * glibc locales each their own tables). So the fold is defined once, here, in JavaScript:
 * NFC, then each code point on its own to its simple lower case (see foldChar). Folding code point by
 * code point keeps lengths, so "the folded text contains the folded term" can be asked two ways:
 *   - SQLite calls the fold itself, as a registered function, on the stored values;
 *   - PostgreSQL cannot run JavaScript, so the term becomes a regular expression in which each
 *     folded character is the set of every character that folds to it ("é" → [éÉ]), matched with
 *     `~` on NFC values: literal characters and sets compare code points, whatever the collation.
 * Both come from the one table below, so both find the same rows. (NFC itself is each engine's:
 * their Unicode versions may differ on characters added since, nothing a press list holds.)
 * A stored folded column would also do, but needs every insert and a backfill to run this code.
 */

/** One code point's folded form: its simple lower case, or itself when that is more than one code point. */
function foldChar(c: string): string {
  let lower = c.toLowerCase();
  if (!single(lower)) lower = c; // "İ" → "i̇" would change lengths: keep it as it is
  // Through the upper case once more, so that final sigma "ς" and "σ", long "ſ" and "s", the
  // Kelvin sign and "k" fold together, as Unicode case folding has them (dotless "ı" goes to "i").
  const upper = lower.toUpperCase();
  if (single(upper)) {
    const again = upper.toLowerCase();
    if (single(again)) lower = again;
  }
  return lower;
}

function single(s: string): boolean {
  const cp = s.codePointAt(0);
  return cp !== undefined && s.length === (cp > 0xffff ? 2 : 1);
}

/** Folded form → every code point that folds to it (itself included), for the few that change. */
let variants: Map<string, string[]> | undefined;

/**
 * Built once, on the first search: 3,000-odd cased code points of the first two planes (no code
 * point above U+1FFFF changes case), about 0.1 s.
 */
function variantTable(): Map<string, string[]> {
  if (variants) return variants;
  const cased = /\p{Changes_When_Casemapped}/u;
  const table = new Map<string, string[]>();
  for (let cp = 0; cp <= 0x1ffff; cp++) {
    if (cp >= 0xd800 && cp <= 0xdfff) continue;
    const c = String.fromCodePoint(cp);
    if (!cased.test(c)) continue;
    const folded = foldChar(c);
    if (folded === c) continue;
    const set = table.get(folded) ?? [folded];
    set.push(c);
    table.set(folded, set);
  }
  variants = table;
  return table;
}

/** The search fold of a text: NFC, then code point by code point to its folded form. */
export function foldForSearch(text: string): string {
  let out = '';
  for (const c of text.normalize('NFC')) out += foldChar(c);
  return out;
}

/** The registered SQLite function (see sqliteSearch). */
const SQLITE_FOLD = 'pressline_search_fold';
const registered = new WeakSet<Database.Database>();

/** SQLite: the search as a WHERE clause over key, email and outlet, with its arguments. */
export function sqliteSearch(db: Database.Database, term: string): { sql: string; args: string[] } {
  if (!registered.has(db)) {
    db.function(SQLITE_FOLD, { deterministic: true }, (v: unknown) => (typeof v === 'string' ? foldForSearch(v) : v));
    registered.add(db);
  }
  const folded = foldForSearch(term);
  const has = (column: string) => `instr(${SQLITE_FOLD}(${column}), ?) > 0`;
  return { sql: `(${has('key')} OR ${has('email')} OR ${has('outlet')})`, args: [folded, folded, folded] };
}

/** PostgreSQL: the search as a WHERE clause over key, email and outlet, `p` being the pattern's placeholder. */
export function postgresSearchSql(p: string): string {
  const has = (column: string) => `normalize(${column}, NFC) ~ ${p}`;
  return `(${has('key')} OR ${has('email')} OR ${has('outlet')})`;
}

/** PostgreSQL: the term as a regular expression matching any text whose fold contains the term's fold. */
export function postgresSearchPattern(term: string): string {
  const table = variantTable();
  let pattern = '';
  for (const c of foldForSearch(term)) {
    const set = table.get(c);
    pattern += set ? `[${set.map(regexChar).join('')}]` : regexChar(c);
  }
  return pattern;
}

/** A character as itself in a PostgreSQL regular expression: ASCII punctuation escaped, the rest literal. */
function regexChar(c: string): string {
  return /^[\x21-\x2f\x3a-\x40\x5b-\x60\x7b-\x7e]$/.test(c) ? `\\${c}` : c;
}
