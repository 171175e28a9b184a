import { localDate, wallParts, zoneAbbreviation } from '../time/zones.js';

const WEEKDAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'] as const;
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'] as const;

function pad(n: number): string {
  return String(n).padStart(2, '0');
}

/** "Tue 1 Dec" for the instant's local date in the zone (English names, independent of ICU data). */
function shortDate(instant: Date, zone: string): string {
  const p = wallParts(instant, zone);
  const weekday = WEEKDAYS[new Date(Date.UTC(p.year, p.month - 1, p.day)).getUTCDay()]!;
  return `${weekday} ${p.day} ${MONTHS[p.month - 1]!}`;
}

/** "09:00 CET": the local time and the zone's short name at that instant. */
function timeAndZone(instant: Date, zone: string): string {
  const p = wallParts(instant, zone);
  return `${pad(p.hour)}:${pad(p.minute)} ${zoneAbbreviation(zone, instant)}`;
}

/** One instant shown in a zone: "Tue 1 Dec 2026 09:00 CET". */
export function formatInZone(instant: Date, zone: string): string {
  const p = wallParts(instant, zone);
  return `${shortDate(instant, zone)} ${p.year} ${timeAndZone(instant, zone)}`;
}

/**
 * "09:00 CET" in `other`, followed by " (Wed 2 Dec)" when the date there differs from the date in
 * `reference`, so a time past midnight is never misread.
 */
function timeBeside(instant: Date, other: string, reference: string): string {
  const base = timeAndZone(instant, other);
  return localDate(instant, other) === localDate(instant, reference) ? base : `${base} (${shortDate(instant, other)})`;
}

/** "Tue 1 Dec 2026 09:00 CET (08:00 UTC)"; the UTC part carries its own date when it differs. */
export function formatWithUtc(instant: Date, zone: string): string {
  const main = formatInZone(instant, zone);
  if (zoneAbbreviation(zone, instant) === 'UTC') return main;
  const utc = timeAndZone(instant, 'UTC');
  return localDate(instant, 'UTC') === localDate(instant, zone) ? `${main} (${utc})` : `${main} (${utc}, ${shortDate(instant, 'UTC')})`;
}

function defaultViewerZone(): string {
  try {
    return Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';
  } catch {
    return 'UTC';
  }
}

/**
 * The triple `schedule list` shows: `zone` is the full "Tue 1 Dec 2026 09:00 CET"; `utc` and
 * `local` are "08:00 UTC" / "10:00 EET", each followed by " (Wed 2 Dec)" when its date differs
 * from the date in `zone`. `viewerZone` defaults to Intl's resolved zone (the machine's).
 */
export function formatTriple(instant: Date, zone: string, viewerZone?: string): { zone: string; utc: string; local: string } {
  const viewer = viewerZone ?? defaultViewerZone();
  return {
    zone: formatInZone(instant, zone),
    utc: timeBeside(instant, 'UTC', zone),
    local: timeBeside(instant, viewer, zone),
  };
}

/**
 * "in 3 h 20 min" / "5 min ago" / "in 2 d 4 h" / "now", rounded to the nearest minute; anything
 * within half a minute of `now` reads "now".
 */
export function relativeTo(instant: Date, now: Date): string {
  const diff = instant.getTime() - now.getTime();
  const minutes = Math.round(Math.abs(diff) / 60_000);
  if (minutes === 0) return 'now';
  return diff > 0 ? `in ${spell(minutes)}` : `${spell(minutes)} ago`;
}

/** 90 → "1 h 30 min", 60 → "1 h", 1500 → "1 d 1 h" (minutes dropped once days show). */
export function spell(minutes: number): string {
  if (minutes < 60) return `${minutes} min`;
  if (minutes < 24 * 60) {
    const h = Math.floor(minutes / 60);
    const m = minutes % 60;
    return m === 0 ? `${h} h` : `${h} h ${m} min`;
  }
  const d = Math.floor(minutes / 1440);
  const h = Math.floor((minutes % 1440) / 60);
  return h === 0 ? `${d} d` : `${d} d ${h} h`;
}
