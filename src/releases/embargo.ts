import { PresslineError, type Location } from '../errors.js';

/**
 * An embargo: the instant the release may be published, plus the IANA zone it was written in
 * (so notices show the press office's local time) and the text as written in the front matter.
 */
export interface Embargo {
  instant: Date;
  zone: string;
  text: string;
}

/** How a wall time maps onto instants in a zone: once, never (DST gap) or twice (DST overlap). */
export type WallTimeResolution =
  | { kind: 'ok'; instant: Date }
  | { kind: 'gap' }
  | { kind: 'ambiguous'; instants: [Date, Date] };

const formatterCache = new Map<string, Intl.DateTimeFormat>();

/** True when Intl knows the zone (IANA names, case-insensitive, plus "UTC"). */
export function isValidTimeZone(zone: string): boolean {
  try {
    wallFormatter(zone);
    return true;
  } catch {
    return false;
  }
}

function wallFormatter(zone: string): Intl.DateTimeFormat {
  let f = formatterCache.get(zone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone: zone,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
      era: 'short',
    });
    formatterCache.set(zone, f);
  }
  return f;
}

/** The zone's UTC offset at an instant, in milliseconds (east of Greenwich positive). */
export function zoneOffsetMs(zone: string, instant: number): number {
  const parts = wallFormatter(zone).formatToParts(new Date(instant));
  const get = (type: Intl.DateTimeFormatPartTypes) => Number(parts.find((p) => p.type === type)?.value ?? NaN);
  const era = parts.find((p) => p.type === 'era')?.value;
  let year = get('year');
  if (era === 'BC' || era === 'B') year = 1 - year;
  const wall = Date.UTC(year, get('month') - 1, get('day'), get('hour'), get('minute'), get('second'));
  // Intl drops milliseconds; compare at whole-second precision.
  return wall - Math.floor(instant / 1000) * 1000;
}

const DATE_RE = /^(\d{4})-(\d{2})-(\d{2})$/;
const TIME_RE = /^(\d{2}):(\d{2})(?::(\d{2}))?$/;

export function wallToUtcMs(date: string, time: string): number | undefined {
  const d = DATE_RE.exec(date);
  const t = TIME_RE.exec(time);
  if (!d || !t) return undefined;
  const [y, mo, da] = [Number(d[1]), Number(d[2]), Number(d[3])];
  const [h, mi, s] = [Number(t[1]), Number(t[2]), Number(t[3] ?? 0)];
  if (mo < 1 || mo > 12 || da < 1 || h > 23 || mi > 59 || s > 59) return undefined;
  const ms = Date.UTC(y, mo - 1, da, h, mi, s);
  if (new Date(ms).getUTCDate() !== da) return undefined; // 2026-02-30 and friends
  return ms;
}

/**
 * Resolves a wall time in a zone without throwing: every instant whose local reading in `zone`
 * equals the wall time. Throws only for malformed input (bad date/time or unknown zone).
 */
export function resolveWallTime(date: string, time: string, zone: string): WallTimeResolution {
  const wall = wallToUtcMs(date, time);
  if (wall === undefined) {
    throw new PresslineError('EMBARGO_INVALID', `"${date} ${time}" is not a valid date and time (expected YYYY-MM-DD HH:MM)`);
  }
  if (!isValidTimeZone(zone)) {
    throw new PresslineError('EMBARGO_INVALID', `unknown time zone "${zone}" (use an IANA name such as Europe/Brussels)`);
  }
  // The offsets in force a day either side cover any single transition near the wall time.
  const day = 86_400_000;
  const offsets = new Set([zoneOffsetMs(zone, wall - day), zoneOffsetMs(zone, wall), zoneOffsetMs(zone, wall + day)]);
  const hits = new Set<number>();
  for (const offset of offsets) {
    const candidate = wall - offset;
    if (zoneOffsetMs(zone, candidate) === offset) hits.add(candidate);
  }
  const sorted = [...hits].sort((a, b) => a - b);
  if (sorted.length === 0) return { kind: 'gap' };
  if (sorted.length === 1) return { kind: 'ok', instant: new Date(sorted[0]!) };
  return { kind: 'ambiguous', instants: [new Date(sorted[0]!), new Date(sorted[sorted.length - 1]!)] };
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

/** "+01:00", "-05:00", "+05:45" for an offset in ms. */
export function formatOffset(offsetMs: number): string {
  const sign = offsetMs < 0 ? '-' : '+';
  const total = Math.round(Math.abs(offsetMs) / 60_000);
  return `${sign}${String(Math.floor(total / 60)).padStart(2, '0')}:${String(total % 60).padStart(2, '0')}`;
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

/** `Z`, `+02:00`, `-0530` as milliseconds east of UTC. */
export function parseOffset(off: string): number {
  if (off.toUpperCase() === 'Z') return 0;
  const m = /^([+-])(\d{2}):?(\d{2})$/.exec(off)!;
  const minutes = Number(m[2]) * 60 + Number(m[3]);
  return (m[1] === '-' ? -1 : 1) * minutes * 60_000;
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

/** The zone's short name at an instant as Intl 'en-GB' gives it (CET, CEST, GMT+5:45, …). */
export function zoneAbbreviation(zone: string, instant: Date): string {
  const parts = new Intl.DateTimeFormat('en-GB', { timeZone: zone, timeZoneName: 'short' }).formatToParts(instant);
  return parts.find((p) => p.type === 'timeZoneName')?.value ?? zone;
}

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
