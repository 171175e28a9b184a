/**
 * Case folding for the dashboard search (DeliveryQuery.search), the same on both engines.
 *
 * Neither engine's own folding will do: SQLite's LIKE folds ASCII only, and PostgreSQL's ILIKE and
 * lower() follow the database's collation (under LC_CTYPE=C they fold ASCII only too; under ICU or
 * glibc locales each by their own tables). So the fold is defined once, here, in JavaScript: each
 * code point on its own to its simple lower case (foldChar). Then, rather than fold every stored
 * value (a JavaScript call per row, ten times slower than LIKE on SQLite; impossible in PostgreSQL),
 * the term becomes a pattern in which each of its folded characters is the set of every character
 * that folds to it ("é" → [éÉ]). "The folded value contains the folded term" is then "the value
 * matches the pattern", asked with operators that compare code points whatever the collation:
 * GLOB on SQLite, `~` (case-sensitive regular expression) on PostgreSQL. Both patterns come from
 * the one table below, so both engines find the same rows, as fast as LIKE and ILIKE did.
 *
 * The term is taken in NFC; stored values are compared as stored (lists typed on a keyboard or in
 * a spreadsheet are NFC; a decomposed value is missed the same way on both engines).
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

/** Folded form → every code point that folds to it (itself included), for the 1,500-odd that change. */
let variants: Map<string, string[]> | undefined;

/**
 * Built once, on the first search: the 3,000-odd cased code points of the first two planes (no
 * code point above U+1FFFF changes case), about 0.1 s.
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
function foldForSearch(text: string): string {
  let out = '';
  for (const c of text.normalize('NFC')) out += foldChar(c);
  return out;
}

/** The term's folded characters, each as the set of characters that fold to it. */
function characterSets(term: string): string[][] {
  const table = variantTable();
  return [...foldForSearch(term)].map((c) => table.get(c) ?? [c]);
}

/**
 * SQLite: the search as a WHERE clause over key, email and outlet, with its arguments. GLOB with
 * sets is three times slower than LIKE, so a LIKE that every match also satisfies (ASCII-only
 * sets as their letter, LIKE folding ASCII case; any other set as "_") passes over most rows first.
 */
export function sqliteSearch(term: string): { sql: string; args: string[] } {
  const sets = characterSets(term);
  // GLOB's only special characters are * ? [ ]; a set of one of them is that character itself.
  const glob = `*${sets.map((set) => (set.length === 1 && !/[*?[]/.test(set[0]!) ? set[0] : `[${set.join('')}]`)).join('')}*`;
  const like = `%${sets.map((set) => (set.every((c) => c < '\x80') ? set[0]!.replace(/[\\%_]/g, '\\$&') : '_')).join('')}%`;
  const has = (column: string) => `(${column} LIKE ? ESCAPE '\\' AND ${column} GLOB ?)`;
  return { sql: `(${has('key')} OR ${has('email')} OR ${has('outlet')})`, args: [like, glob, like, glob, like, glob] };
}

/**
 * PostgreSQL: the search as a WHERE clause over key, email and outlet, with its arguments: the
 * term as a regular expression matching any text whose fold contains the term's fold.
 */
export function postgresSearch(term: string): { sql: string; args: string[] } {
  const pattern = postgresSearchPattern(term);
  return { sql: '(key ~ ? OR email ~ ? OR outlet ~ ?)', args: [pattern, pattern, pattern] };
}

function postgresSearchPattern(term: string): string {
  // ASCII punctuation escaped (a backslash before a non-alphanumeric is that character); sets hold
  // only cased letters, never one of the characters special inside brackets.
  const literal = (c: string) => (/^[\x21-\x2f\x3a-\x40\x5b-\x60\x7b-\x7e]$/.test(c) ? `\\${c}` : c);
  return characterSets(term).map((set) => (set.length === 1 ? literal(set[0]!) : `[${set.join('')}]`)).join('');
}
