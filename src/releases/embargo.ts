import { PresslineError, type Location } from '../errors.js';
import { formatOffset, isValidTimeZone, parseOffset, resolveWallTime, wallToUtcMs, zoneAbbreviation, zoneOffsetMs, type WallTimeResolution } from '../time/zones.js';

/**
 * An embargo: the instant the release may be published, plus the IANA zone it was written in
 * (so notices show the press office's local time) and the text as written in the front matter.
 */
export interface Embargo {
  instant: Date;
  zone: string;
  text: string;
}

/**
 * The instant a wall time (YYYY-MM-DD, HH:MM[:SS]) in an IANA zone denotes. Throws
 * PresslineError('EMBARGO_INVALID') for an unknown zone, a time skipped by a DST change, or a
 * time that occurs twice (asking for an explicit offset).
 */
export function zonedWallTimeToInstant(date: string, time: string, zone: string, where?: Location): Date {
  let r: WallTimeResolution;
  try {
    r = resolveWallTime(date, time, zone);
  } catch (err) {
    if (err instanceof PresslineError && where) throw new PresslineError(err.code, rawMessage(err), where);
    throw err;
  }
  switch (r.kind) {
    case 'ok':
      return r.instant;
    case 'gap':
      throw new PresslineError(
        'EMBARGO_INVALID',
        `${date} ${time} does not exist in ${zone} (the clocks skip it at a daylight-saving change); pick a time outside the gap`,
        where,
      );
    case 'ambiguous': {
      const [a, b] = r.instants;
      throw new PresslineError(
        'EMBARGO_INVALID',
        `${date} ${time} happens twice in ${zone} (daylight-saving change); write it with an explicit offset, ` +
          `e.g. "${date}T${time.slice(0, 5)}${formatOffset(zoneOffsetMs(zone, a.getTime()))} ${zone}" or ` +
          `"${date}T${time.slice(0, 5)}${formatOffset(zoneOffsetMs(zone, b.getTime()))} ${zone}"`,
        where,
      );
    }
    default: {
      const _: never = r;
      return _;
    }
  }
}

function rawMessage(err: PresslineError): string {
  return err.location ? err.message.slice(err.message.indexOf(': ') + 2) : err.message;
}

const LOCAL_RE = /^(\d{4}-\d{2}-\d{2})[ T](\d{2}:\d{2}(?::\d{2})?)\s+(\S+)$/;
const ISO_RE = /^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2}(?::\d{2})?)(?:\.\d+)?(Z|[+-]\d{2}:?\d{2})\s+(\S+)$/i;

/**
 * Parses an embargo as written in front matter: "2026-12-01 09:00 Europe/Brussels" (wall time in
 * the zone) or "2026-12-01T09:00+01:00 Europe/Brussels" (the offset must match the zone then).
 * Throws PresslineError('EMBARGO_INVALID'), located at `where` when given.
 */
export function parseEmbargo(text: string, where?: Location): Embargo {
  const value = text.trim();
  const iso = ISO_RE.exec(value);
  if (iso) {
    const [, date, time, off, zone] = iso as unknown as [string, string, string, string, string];
    checkZone(zone, where);
    const wall = wallToUtcMs(date, time);
    if (wall === undefined) throw new PresslineError('EMBARGO_INVALID', `"${date}T${time}" is not a valid date and time`, where);
    const offsetMs = parseOffset(off);
    const instant = wall - offsetMs;
    const actual = zoneOffsetMs(zone, instant);
    if (actual !== offsetMs) {
      throw new PresslineError(
        'EMBARGO_INVALID',
        `offset ${formatOffset(offsetMs)} does not match ${zone}, which is at ${formatOffset(actual)} on ${date}; fix the offset or the zone`,
        where,
      );
    }
    return { instant: new Date(instant), zone, text: value };
  }
  const local = LOCAL_RE.exec(value);
  if (local) {
    const [, date, time, zone] = local as unknown as [string, string, string, string];
    checkZone(zone, where);
    return { instant: zonedWallTimeToInstant(date, time, zone, where), zone, text: value };
  }
  throw new PresslineError(
    'EMBARGO_INVALID',
    `cannot read embargo "${value}"; write "YYYY-MM-DD HH:MM Zone/Name" (e.g. "2026-12-01 09:00 Europe/Brussels") or "YYYY-MM-DDTHH:MM+01:00 Zone/Name"`,
    where,
  );
}

function checkZone(zone: string, where?: Location): void {
  if (!isValidTimeZone(zone)) {
    throw new PresslineError('EMBARGO_INVALID', `unknown time zone "${zone}" (use an IANA name such as Europe/Brussels)`, where);
  }
}

/** Notice wording per primary language; {time} {zone} {utc} {date} are filled in. */
const NOTICE: Record<string, string> = {
  en: 'EMBARGOED UNTIL {time} {zone} ({utc}), {date}',
  fr: "SOUS EMBARGO JUSQU'À {time} {zone} ({utc}), {date}",
  de: 'SPERRFRIST: {time} {zone} ({utc}), {date}',
  es: 'EMBARGADO HASTA LAS {time} {zone} ({utc}), {date}',
  it: 'SOTTO EMBARGO FINO ALLE {time} {zone} ({utc}), {date}',
  nl: 'EMBARGO TOT {time} {zone} ({utc}), {date}',
  ru: 'ЭМБАРГО ДО {time} {zone} ({utc}), {date}',
  pt: 'SOB EMBARGO ATÉ ÀS {time} {zone} ({utc}), {date}',
  pl: 'EMBARGO DO {time} {zone} ({utc}), {date}',
  ar: 'محظور النشر حتى {time} {zone} ({utc})، {date}',
};

function hhmm(zone: string, instant: Date): string {
  return new Intl.DateTimeFormat('en-GB', { timeZone: zone, hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).format(instant);
}

/** "Tuesday 1 December 2026" in English; the locale's long date with weekday otherwise. */
export function formatLongDate(instant: Date, zone: string, locale = 'en-GB'): string {
  const opts: Intl.DateTimeFormatOptions = { timeZone: zone, weekday: 'long', day: 'numeric', month: 'long', year: 'numeric' };
  if (primary(locale) === 'en') {
    const parts = new Intl.DateTimeFormat('en-GB', opts).formatToParts(instant);
    const get = (t: string) => parts.find((p) => p.type === t)?.value ?? '';
    return `${get('weekday')} ${get('day')} ${get('month')} ${get('year')}`;
  }
  return new Intl.DateTimeFormat(safeLocale(locale), opts).format(instant);
}

/**
 * The one-line embargo notice, e.g. "EMBARGOED UNTIL 09:00 CET (08:00 UTC), Tuesday 1 December
 * 2026". Wording and date follow `locale` for en/fr/de/es/it/nl/ru/pt (English otherwise); the
 * zone abbreviation is always Intl's en-GB short name. When the UTC date differs from the local
 * date, the UTC time carries its own date so the parenthesis is never misread.
 */
export function formatEmbargoNotice(embargo: Embargo, requested = 'en-GB'): string {
  const { instant, zone } = embargo;
  // Wording and date stay in one language: English where there is no wording for the locale.
  const locale = NOTICE[primary(requested)] ? requested : 'en-GB';
  const pattern = NOTICE[primary(locale)]!;
  const localDate = new Intl.DateTimeFormat('en-CA', { timeZone: zone }).format(instant);
  const utcDate = instant.toISOString().slice(0, 10);
  let utc = `${hhmm('UTC', instant)} UTC`;
  if (localDate !== utcDate) {
    utc += ', ' + new Intl.DateTimeFormat(safeLocale(locale), { timeZone: 'UTC', day: 'numeric', month: 'short' }).format(instant);
  }
  return pattern
    .replace('{time}', hhmm(zone, instant))
    .replace('{zone}', zoneAbbreviation(zone, instant))
    .replace('{utc}', utc)
    .replace('{date}', formatLongDate(instant, zone, locale));
}

function primary(locale: string): string {
  return locale.toLowerCase().split(/[-_]/)[0] ?? 'en';
}

function safeLocale(locale: string): string {
  try {
    return Intl.getCanonicalLocales(locale)[0] ?? 'en-GB';
  } catch {
    return 'en-GB';
  }
}
