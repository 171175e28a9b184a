import { UNSAFE, showValue } from './text.js';

/** A normalised value, or the reason it was refused. */
export type Checked = { ok: true; value: string } | { ok: false; reason: string };

const MAX_CACHE = 10_000;

function remember(cache: Map<string, Checked>, key: string, result: Checked): Checked {
  if (cache.size >= MAX_CACHE) cache.clear();
  cache.set(key, result);
  return result;
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
let displayNames: Intl.DisplayNames | undefined;

function languageDisplay(): Intl.DisplayNames {
  displayNames ??= new Intl.DisplayNames(['en'], { type: 'language', fallback: 'none' });
  return displayNames;
}

/** "russian" → "ru" for every two-letter ISO 639-1 code ICU knows (676 look-ups, once). */
function languageByName(name: string): string | undefined {
  if (englishNames === undefined) {
    englishNames = new Map();
    const dn = languageDisplay();
    const a = 'a'.charCodeAt(0);
    for (let i = 0; i < 26; i++) {
      for (let j = 0; j < 26; j++) {
        const code = String.fromCharCode(a + i, a + j);
        const english = dn.of(code);
        if (!english || english.toLowerCase() === code) continue;
        // Deprecated codes ("iw", "in") name the same language as their successors; keep the modern code.
        const name = english.toLowerCase();
        if (!englishNames.has(name)) englishNames.set(name, Intl.getCanonicalLocales(code)[0]!.toLowerCase());
      }
    }
  }
  return NATIVE_NAMES[name] ?? englishNames.get(name);
}

const languageCache = new Map<string, Checked>();

/**
 * A BCP 47 tag ("en", "pt-BR", "en_GB") or a language name ("Russian", "Deutsch") → lower-case tag
 * ("ru", "pt-br", "en-gb"); "" stays "". The primary language must be one ICU knows.
 */
export function checkLanguage(raw: string): Checked {
  const cached = languageCache.get(raw);
  if (cached !== undefined) return cached;
  const text = raw.trim();
  if (text === '') return remember(languageCache, raw, { ok: true, value: '' });
  if (UNSAFE.test(text)) {
    return remember(languageCache, raw, { ok: false, reason: `language ${showValue(text)} contains a control character` });
  }
  let canonical: string | undefined;
  try {
    canonical = Intl.getCanonicalLocales(text.replace(/_/g, '-'))[0];
  } catch {
    canonical = undefined;
  }
  const primary = canonical?.split('-')[0];
  // "English" is well-formed BCP 47 (a 5-8 letter subtag) but no language: require a known 2-3 letter code.
  if (canonical !== undefined && primary !== undefined && primary.length <= 3 && languageDisplay().of(primary) !== undefined) {
    return remember(languageCache, raw, { ok: true, value: canonical.toLowerCase() });
  }
  const byName = languageByName(text.toLowerCase());
  if (byName !== undefined) return remember(languageCache, raw, { ok: true, value: byName });
  return remember(languageCache, raw, {
    ok: false,
    reason: `language ${showValue(text)} is not a language tag or name (use e.g. "en", "ru", "pt-BR" or "English")`,
  });
}

const zoneCache = new Map<string, Checked>();

/** An IANA time zone name in any letter case → its canonical spelling ("europe/paris" → "Europe/Paris"). */
export function checkTimeZone(raw: string): Checked {
  const cached = zoneCache.get(raw);
  if (cached !== undefined) return cached;
  const text = raw.trim();
  if (text === '') return remember(zoneCache, raw, { ok: true, value: '' });
  if (UNSAFE.test(text)) {
    return remember(zoneCache, raw, { ok: false, reason: `time zone ${showValue(text)} contains a control character` });
  }
  try {
    const zone = new Intl.DateTimeFormat('en', { timeZone: text }).resolvedOptions().timeZone;
    return remember(zoneCache, raw, { ok: true, value: zone });
  } catch {
    return remember(zoneCache, raw, {
      ok: false,
      reason: `time zone ${showValue(text)} is not an IANA time zone (use e.g. "Europe/Moscow", "Europe/Brussels", "UTC")`,
    });
  }
}
