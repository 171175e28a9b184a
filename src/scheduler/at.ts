import { PresslineError } from '../errors.js';
import { parseEmbargo, type Embargo } from '../releases/embargo.js';
import { formatOffset, isValidTimeZone, parseOffset, resolveWallTime, wallToUtcMs, zoneOffsetMs } from '../time/zones.js';
import { formatWithUtc } from './display.js';
import { firstInstantAfterGap } from '../time/local-time.js';

/** What `parseAt` needs besides the text: the clock, the release's embargo and the configured zone. */
export interface AtContext {
  now: Date;
  embargo?: Embargo;
  /** IANA zone for wall times written without one, and for display when nothing better is known. */
  defaultZone: string;
}

/** The instant a send is scheduled for, the zone to show it in, and its distance from the embargo when written that way. */
export interface ParsedAt {
  instant: Date;
  zone: string;
  relativeToEmbargo?: { offsetMs: number };
}

/** How far in the past an --at may be before it is refused (typing and confirming take time). */
const PAST_TOLERANCE_MS = 60_000;

const MINUTE = 60_000;
const UNIT_MS = { d: 86_400_000, h: 3_600_000, m: MINUTE } as const;

const ACCEPTED =
  'accepted forms: "2026-12-01 09:00 Europe/Brussels" (local time in a zone), ' +
  '"2026-12-01 09:00" (local time in the default zone), ' +
  '"2026-12-01T09:00+01:00" or "2026-12-01T08:00Z" (ISO 8601 with offset), ' +
  '"embargo", "embargo - 24h", "embargo - 1d 2h", "embargo + 30m" (relative to the embargo; units d, h, m), ' +
  '"now", "now + 10m"';

const RELATIVE_RE = /^(embargo|now)(?:\s*([+-])\s*(.*))?$/i;
const DURATION_TOKEN_RE = /(\d+)\s*([dhm])\s*/giy;
const ISO_OFFSET_RE = /^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2}(?::\d{2})?)(\.\d+)?(Z|[+-]\d{2}:?\d{2})$/i;
const ISO_OFFSET_ZONE_RE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2})?(?:\.\d+)?(?:Z|[+-]\d{2}:?\d{2})\s+\S+$/i;
const LOCAL_RE = /^(\d{4}-\d{2}-\d{2})[ T](\d{2}:\d{2}(?::\d{2})?)(?:\s+(\S+))?$/i;

/**
 * Parses the --at argument of `pressline schedule` into an instant that is not in the past.
 *
 * - `2026-12-01T09:00+01:00`, `2026-12-01T08:00Z`: ISO 8601 with an offset; shown in the
 *   embargo's zone when the release has one, else in `defaultZone`. With a zone after it
 *   (`2026-12-01T09:00+01:00 Europe/Brussels`) the offset must match the zone.
 * - `2026-12-01 09:00 Europe/Brussels` (or `2026-12-01T09:00 Europe/Brussels`): a wall time in
 *   an IANA zone. Without a zone (`2026-12-01 09:00`) the wall time is read in `defaultZone`.
 *   A wall time a DST change skips or repeats is refused, with the way out in the message.
 * - `embargo`, `embargo - 24h`, `embargo-90m`, `embargo + 1h`, `embargo - 1d 2h`: relative to
 *   the release's embargo (units d, h, m; spaces optional). The arithmetic is exact elapsed
 *   time: "embargo - 24h" is 24 × 3600 s before the lift even across a DST change, so it can
 *   read 08:00 or 10:00 on the previous day's clock; 1d is always 24 h.
 * - `now`, `now + 10m`: relative to `context.now`.
 *
 * Everything else, and any instant before `context.now` minus one minute, throws
 * PresslineError('USAGE').
 */
export function parseAt(text: string, context: AtContext): ParsedAt {
  const value = text.trim().replace(/\s+/g, ' ');
  const { now, embargo, defaultZone } = context;
  if (!isValidTimeZone(defaultZone)) {
    throw usage(text, `unknown default time zone "${defaultZone}" (use an IANA name such as Europe/Brussels)`);
  }
  const displayZone = embargo?.zone ?? defaultZone;
  const result = parseForm(text, value, context, displayZone);
  if (result.instant.getTime() < now.getTime() - PAST_TOLERANCE_MS) {
    throw usage(
      text,
      `${formatWithUtc(result.instant, result.zone)} is in the past (it is now ${formatWithUtc(now, result.zone)}); pick a later time`,
    );
  }
  return result;
}

function parseForm(text: string, value: string, { now, embargo, defaultZone }: AtContext, displayZone: string): ParsedAt {
  if (value === '') throw usage(text, `no time given; ${ACCEPTED}`);

  const rel = RELATIVE_RE.exec(value);
  if (rel) {
    const anchor = rel[1]!.toLowerCase();
    const sign = rel[2] === '-' ? -1 : 1;
    const offsetMs = rel[3] === undefined ? 0 : sign * parseDuration(text, rel[3]);
    if (anchor === 'now') return { instant: new Date(now.getTime() + offsetMs), zone: displayZone };
    if (!embargo) throw usage(text, 'this release has no embargo, so a time relative to "embargo" means nothing; give a date and time instead');
    return { instant: new Date(embargo.instant.getTime() + offsetMs), zone: embargo.zone, relativeToEmbargo: { offsetMs } };
  }

  const iso = ISO_OFFSET_RE.exec(value);
  if (iso) {
    const [, date, time, fraction, off] = iso as unknown as [string, string, string, string | undefined, string];
    // Fractions of a second count: dropping them would start a send early.
    const fractionMs = fraction ? Math.round(Number(`0${fraction}`) * 1000) : 0;
    const wall = wallAsUtc(text, date, time);
    return { instant: new Date(wall + fractionMs - parseOffset(off)), zone: displayZone };
  }

  if (ISO_OFFSET_ZONE_RE.test(value)) {
    try {
      const e = parseEmbargo(value);
      return { instant: e.instant, zone: e.zone };
    } catch (err) {
      if (err instanceof PresslineError) throw usage(text, err.message);
      throw err;
    }
  }

  const local = LOCAL_RE.exec(value);
  if (local) {
    const [, date, time] = local as unknown as [string, string, string];
    const zone = local[3] ?? defaultZone;
    if (!isValidTimeZone(zone)) {
      throw usage(text, `unknown time zone "${zone}" (use an IANA name such as Europe/Brussels or America/New_York)`);
    }
    wallAsUtc(text, date, time);
    const r = resolveWallTime(date, time, zone);
    const shown = `${date} ${time.slice(0, 5)}`;
    switch (r.kind) {
      case 'ok':
        return { instant: r.instant, zone };
      case 'gap': {
        const after = firstInstantAfterGap(date, time.slice(0, 5), zone);
        throw usage(
          text,
          `${shown} does not exist in ${zone}: the clocks jump forward over it at a daylight-saving change. ` +
            `Pick a time outside the gap, e.g. "${isoLocal(after, zone)} ${zone}" (${formatWithUtc(after, zone)})`,
        );
      }
      case 'ambiguous': {
        const [a, b] = r.instants;
        throw usage(
          text,
          `${shown} happens twice in ${zone}: the clocks go back at a daylight-saving change. ` +
            `Write it with an offset: "${date}T${time.slice(0, 5)}${formatOffset(zoneOffsetMs(zone, a.getTime()))}" for the first ` +
            `(${formatWithUtc(a, zone)}) or "${date}T${time.slice(0, 5)}${formatOffset(zoneOffsetMs(zone, b.getTime()))}" ` +
            `for the second (${formatWithUtc(b, zone)})`,
        );
      }
      default: {
        const _: never = r;
        return _;
      }
    }
  }

  throw usage(text, `cannot read this time; ${ACCEPTED}`);
}

/** "1d 2h", "90m", "1h30m" → milliseconds of exact elapsed time (1d = 24 h). */
function parseDuration(text: string, raw: string): number {
  const src = raw.trim();
  DURATION_TOKEN_RE.lastIndex = 0;
  let total = 0;
  let matched = 0;
  for (let m = DURATION_TOKEN_RE.exec(src); m; m = DURATION_TOKEN_RE.exec(src)) {
    total += Number(m[1]) * UNIT_MS[m[2]!.toLowerCase() as keyof typeof UNIT_MS];
    matched = DURATION_TOKEN_RE.lastIndex;
  }
  if (matched === 0 || matched !== src.length) {
    throw usage(text, `cannot read the duration "${src}"; write it with units d, h and m, e.g. "24h", "90m", "1d 2h"; ${ACCEPTED}`);
  }
  return total;
}

/** The wall time read as if it were UTC, validating the calendar date (no 2026-02-30). */
function wallAsUtc(text: string, date: string, time: string): number {
  const ms = wallToUtcMs(date, time);
  if (ms === undefined) throw usage(text, `"${date} ${time}" is not a valid date and time (expected YYYY-MM-DD HH:MM)`);
  return ms;
}

/** "2026-03-29 03:00": the instant's wall time in the zone, as --at accepts it. */
function isoLocal(instant: Date, zone: string): string {
  const wall = new Date(instant.getTime() + zoneOffsetMs(zone, instant.getTime()));
  return wall.toISOString().slice(0, 16).replace('T', ' ');
}

function usage(text: string, message: string): PresslineError {
  return new PresslineError('USAGE', `--at "${text.trim()}": ${message}`);
}
