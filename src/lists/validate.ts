import { UNSAFE, showValue } from './text.js';

/** A normalised value, or the reason it was refused. */
export type Checked = { ok: true; value: string } | { ok: false; reason: string };

const MAX_CACHE = 10_000;

/**
 * A check of one kind of cell (`what`: "language", "time zone"): trims it, lets "" through, refuses
 * control characters, hands the rest to `check`, and remembers every answer by the raw cell (a
 * list repeats the same few values in a million rows).
 */
function cachedCheck(what: string, check: (text: string) => Checked): (raw: string) => Checked {
  const cache = new Map<string, Checked>();
  return (raw) => {
    const cached = cache.get(raw);
    if (cached !== undefined) return cached;
    const text = raw.trim();
    let result: Checked;
    if (text === '') result = { ok: true, value: '' };
    else if (UNSAFE.test(text)) result = { ok: false, reason: `${what} ${showValue(text)} contains a control character` };
    else result = check(text);
    if (cache.size >= MAX_CACHE) cache.clear();
    cache.set(raw, result);
    return result;
  };
}

// Language names as lists write them; English names come from ICU (built lazily, once), these are
// the native spellings a press office is likely to meet.
const NATIVE_NAMES: Record<string, string> = {
  русский: 'ru', 'русский язык': 'ru', english: 'en', français: 'fr', francais: 'fr', deutsch: 'de',
  nederlands: 'nl', español: 'es', espanol: 'es', italiano: 'it', português: 'pt', portugues: 'pt',
  polski: 'pl', українська: 'uk', беларуская: 'be', suomi: 'fi', svenska: 'sv', dansk: 'da', norsk: 'no',
  čeština: 'cs', magyar: 'hu', română: 'ro', ελληνικά: 'el', türkçe: 'tr', 中文: 'zh', 日本語: 'ja',
  한국어: 'ko', العربية: 'ar', עברית: 'he', ქართული: 'ka', қазақ: 'kk', eesti: 'et', latviešu: 'lv',
  lietuvių: 'lt', farsi: 'fa', 'brazilian portuguese': 'pt-br', 'portuguese (brazil)': 'pt-br',
};

let englishNames: Map<string, string> | undefined;
let otherNames: Map<string, string> | undefined;
let displayNames: Intl.DisplayNames | undefined;

function languageDisplay(): Intl.DisplayNames {
  displayNames ??= new Intl.DisplayNames(['en'], { type: 'language', fallback: 'none' });
  return displayNames;
}

/** Every two-letter code "aa".."zz" (or "AA".."ZZ"), for building reverse look-ups from ICU display names. */
function* twoLetterCodes(upper: boolean): Generator<string> {
  const a = (upper ? 'A' : 'a').charCodeAt(0);
  for (let i = 0; i < 26; i++) for (let j = 0; j < 26; j++) yield String.fromCharCode(a + i, a + j);
}

/** Languages whose own names for languages and regions lists are likely to use. */
const NAME_LOCALES = ['en', 'fr', 'de', 'es', 'it', 'pt', 'nl', 'pl', 'ru'];

/**
 * Regional and script variants ICU names as one phrase ("Swiss French", "Simplified Chinese",
 * "Brazilian Portuguese"); the "French (Switzerland)" form is parsed instead (see `qualifiedLanguage`).
 */
const VARIANT_TAGS = [
  'en-GB', 'en-US', 'en-AU', 'en-CA', 'fr-CA', 'fr-CH', 'fr-BE', 'de-AT', 'de-CH', 'es-MX', 'es-419', 'es-ES',
  'pt-BR', 'pt-PT', 'zh-Hans', 'zh-Hant', 'nl-BE', 'sr-Latn', 'sr-Cyrl',
];

/** "russian" → "ru" for every two-letter ISO 639-1 code ICU knows (676 look-ups, once). */
function languageByName(name: string): string | undefined {
  if (englishNames === undefined) {
    englishNames = new Map();
    const dn = languageDisplay();
    for (const code of twoLetterCodes(false)) {
      const english = dn.of(code);
      if (!english || english.toLowerCase() === code) continue;
      // Deprecated codes ("iw", "in") name the same language as their successors; keep the modern code.
      const name = english.toLowerCase();
      if (!englishNames.has(name)) englishNames.set(name, Intl.getCanonicalLocales(code)[0]!.toLowerCase());
    }
    for (const tag of VARIANT_TAGS) {
      const english = dn.of(tag);
      if (english && !englishNames.has(english.toLowerCase())) englishNames.set(english.toLowerCase(), tag.toLowerCase());
    }
  }
  return NATIVE_NAMES[name] ?? englishNames.get(name) ?? languageInOtherLanguages(name);
}

/** "allemand", "französisch", "francés", "французский" → the code: names in NAME_LOCALES, built only when needed. */
function languageInOtherLanguages(name: string): string | undefined {
  if (otherNames === undefined) {
    otherNames = new Map();
    for (const locale of NAME_LOCALES.slice(1)) {
      const dn = new Intl.DisplayNames([locale], { type: 'language', fallback: 'none' });
      for (const code of twoLetterCodes(false)) {
        const shown = dn.of(code)?.toLowerCase();
        if (shown && shown !== code && !otherNames.has(shown)) otherNames.set(shown, Intl.getCanonicalLocales(code)[0]!.toLowerCase());
      }
    }
  }
  return otherNames.get(name);
}

let regionNames: Map<string, string> | undefined;

/** Script words as lists write them (Windows and Outlook say "Chinese (Simplified)"). */
const SCRIPT_WORDS: Record<string, string> = {
  simplified: 'Hans', traditional: 'Hant', 'simplifié': 'Hans', 'traditionnel': 'Hant', vereinfacht: 'Hans',
  traditionell: 'Hant', simplificado: 'Hans', tradicional: 'Hant', semplificato: 'Hans', tradizionale: 'Hant',
  'упрощенный': 'Hans', 'упрощённый': 'Hans', 'традиционный': 'Hant',
  latin: 'Latn', cyrillic: 'Cyrl', arabic: 'Arab', devanagari: 'Deva', latein: 'Latn', latinica: 'Latn',
  kyrillisch: 'Cyrl', cyrillique: 'Cyrl', 'cirílico': 'Cyrl', cirillico: 'Cyrl', 'кириллица': 'Cyrl', 'латиница': 'Latn',
};

/** "switzerland", "suisse", "schweiz", "ch", "latin america", "419" → the region code (names in NAME_LOCALES). */
function regionByName(name: string): string | undefined {
  if (regionNames === undefined) {
    regionNames = new Map();
    for (const locale of NAME_LOCALES) {
      const dn = new Intl.DisplayNames([locale], { type: 'region', fallback: 'none' });
      for (const code of [...twoLetterCodes(true), '419', '150']) {
        const shown = dn.of(code)?.toLowerCase();
        if (!shown || shown === code.toLowerCase()) continue;
        if (locale === 'en') regionNames.set(code.toLowerCase(), code);
        if (!regionNames.has(shown)) regionNames.set(shown, code);
      }
    }
  }
  return regionNames.get(name);
}

const MAX_QUALIFIED = 120;
// "French (Switzerland)", "Chinese (Simplified)", "Serbian (Latin, Serbia)", also with full-width parentheses.
const QUALIFIED = /^([^()（）]+?)\s*[(（]\s*([^()（）]+?)\s*[)）]$/u;

/**
 * A language name with a region and/or script in parentheses → a lower-case tag ("fr-ch",
 * "zh-hans"), or the reason a part is not understood; undefined when the text has no parentheses.
 */
function qualifiedLanguage(text: string): Checked | undefined {
  // Language names are short; the length cap keeps the regex linear-time on a hostile cell.
  if (text.length > MAX_QUALIFIED || !(text.includes('(') || text.includes('（'))) return undefined;
  const m = QUALIFIED.exec(text);
  if (m === null) return undefined;
  const base = languageByName(m[1]!.toLowerCase());
  if (base === undefined) {
    return { ok: false, reason: `language ${showValue(text)}: ${showValue(m[1]!)} is not a language name (use e.g. "French (Switzerland)" or "fr-CH")` };
  }
  let script: string | undefined;
  let region: string | undefined;
  for (const part of m[2]!.split(/\s*[,;/]\s*/)) {
    const word = part.toLowerCase();
    const asScript = SCRIPT_WORDS[word];
    if (asScript !== undefined && script === undefined) script = asScript;
    else {
      const asRegion = regionByName(word);
      if (asRegion === undefined || region !== undefined) {
        return { ok: false, reason: `language ${showValue(text)}: ${showValue(part)} is not a region or script (use e.g. "French (Switzerland)" or "fr-CH")` };
      }
      region = asRegion;
    }
  }
  const tag = [base, script, region].filter((p) => p !== undefined).join('-');
  try {
    return { ok: true, value: Intl.getCanonicalLocales(tag)[0]!.toLowerCase() };
  } catch {
    return { ok: false, reason: `language ${showValue(text)} does not make a valid language tag (${tag})` };
  }
}

/**
 * A BCP 47 tag ("en", "pt-BR", "en_GB"), a language name in English or another common language
 * ("Russian", "Deutsch", "Allemand"), or a name with region or script ("French (Switzerland)",
 * "Chinese (Simplified)") → lower-case tag ("ru", "de", "fr-ch", "zh-hans"); "" stays "". The primary
 * language must be one ICU knows.
 */
export const checkLanguage = cachedCheck('language', (text: string): Checked => {
  let canonical: string | undefined;
  try {
    canonical = Intl.getCanonicalLocales(text.replace(/_/g, '-'))[0];
  } catch {
    canonical = undefined;
  }
  const primary = canonical?.split('-')[0];
  // "English" is well-formed BCP 47 (a 5-8 letter subtag) but no language: require a known 2-3 letter code.
  if (canonical !== undefined && primary !== undefined && primary.length <= 3 && languageDisplay().of(primary) !== undefined) {
    return { ok: true, value: canonical.toLowerCase() };
  }
  const byName = languageByName(text.toLowerCase());
  if (byName !== undefined) return { ok: true, value: byName };
  return qualifiedLanguage(text) ?? {
    ok: false,
    reason: `language ${showValue(text)} is not a language tag or name (use e.g. "en", "ru", "pt-BR" or "English")`,
  };
});

/** An IANA time zone name in any letter case → its canonical spelling ("europe/paris" → "Europe/Paris"). */
export const checkTimeZone = cachedCheck('time zone', (text: string): Checked => {
  try {
    return { ok: true, value: new Intl.DateTimeFormat('en', { timeZone: text }).resolvedOptions().timeZone };
  } catch {
    return {
      ok: false,
      reason: `time zone ${showValue(text)} is not an IANA time zone (use e.g. "Europe/Moscow", "Europe/Brussels", "UTC")`,
    };
  }
});
