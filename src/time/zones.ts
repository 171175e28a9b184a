import { PresslineError } from '../errors.js';

/*
 * Time-zone arithmetic on IANA zones through Intl: offsets, wall times and their instants
 * (DST gaps and overlaps included), offset notation. No domain rules: embargoes
 * (releases/embargo.ts) and local send times (time/local-time.ts) are built on it.
 * resolveWallTime's errors carry the EMBARGO_INVALID code because embargoes were its first use.
 */

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

/** "+01:00", "-05:00", "+05:45" for an offset in ms. */
export function formatOffset(offsetMs: number): string {
  const sign = offsetMs < 0 ? '-' : '+';
  const total = Math.round(Math.abs(offsetMs) / 60_000);
  return `${sign}${String(Math.floor(total / 60)).padStart(2, '0')}:${String(total % 60).padStart(2, '0')}`;
}

/** `Z`, `+02:00`, `-0530` as milliseconds east of UTC. */
export function parseOffset(off: string): number {
  if (off.toUpperCase() === 'Z') return 0;
  const m = /^([+-])(\d{2}):?(\d{2})$/.exec(off)!;
  const minutes = Number(m[2]) * 60 + Number(m[3]);
  return (m[1] === '-' ? -1 : 1) * minutes * 60_000;
}

/** The zone's short name at an instant as Intl 'en-GB' gives it (CET, CEST, GMT+5:45, …). */
export function zoneAbbreviation(zone: string, instant: Date): string {
  const parts = new Intl.DateTimeFormat('en-GB', { timeZone: zone, timeZoneName: 'short' }).formatToParts(instant);
  return parts.find((p) => p.type === 'timeZoneName')?.value ?? zone;
}

/** The wall-clock reading of an instant in a zone, as numbers (month 1-12). */
export function wallParts(instant: Date, zone: string): { year: number; month: number; day: number; hour: number; minute: number } {
  // The zone's offset shifts the instant to wall time.
  const wall = new Date(instant.getTime() + zoneOffsetMs(zone, instant.getTime()));
  return { year: wall.getUTCFullYear(), month: wall.getUTCMonth() + 1, day: wall.getUTCDate(), hour: wall.getUTCHours(), minute: wall.getUTCMinutes() };
}

/** "YYYY-MM-DD" of the instant's local date in the zone. */
export function localDate(instant: Date, zone: string): string {
  const p = wallParts(instant, zone);
  return `${String(p.year).padStart(4, '0')}-${pad(p.month)}-${pad(p.day)}`;
}

function pad(n: number): string {
  return String(n).padStart(2, '0');
}
