import { PresslineError } from '../errors.js';
import { isValidTimeZone, localDate, resolveWallTime, zoneOffsetMs } from './zones.js';

const MINUTE = 60_000;
const DAY = 86_400_000;

/**
 * For a wall time that a DST change skips (a "gap"), the first instant after the gap: the moment
 * the clocks jump, i.e. the first valid local minute (02:30 skipped in Brussels → 03:00 CEST).
 * `date` YYYY-MM-DD, `time` HH:MM; the caller has established that the wall time is in a gap.
 */
export function firstInstantAfterGap(date: string, time: string, zone: string): Date {
  const wall = Date.parse(`${date}T${time}:00Z`);
  const before = zoneOffsetMs(zone, wall - DAY);
  const after = zoneOffsetMs(zone, wall + DAY);
  // Read with the new offset the wall time lands before the jump, with the old one after it.
  let lo = Math.floor((wall - after) / MINUTE);
  let hi = Math.ceil((wall - before) / MINUTE);
  while (lo < hi) {
    const mid = Math.floor((lo + hi) / 2);
    if (zoneOffsetMs(zone, mid * MINUTE) === after) hi = mid;
    else lo = mid + 1;
  }
  return new Date(hi * MINUTE);
}

const HHMM_RE = /^(\d{1,2}):(\d{2})$/;

/**
 * The next instant at or after `notBefore` when it is `hh:mm` in `zone`. A wall time skipped by
 * a DST change moves to the first valid minute after the gap; of an ambiguous pair (clocks going
 * back) the earlier instant is taken, unless it is already before `notBefore` and the later one
 * is not. Throws PresslineError('USAGE') for a malformed time or an unknown zone.
 */
export function nextLocalTime(hhmm: string, zone: string, notBefore: Date): Date {
  const m = HHMM_RE.exec(hhmm.trim());
  if (!m || Number(m[1]) > 23 || Number(m[2]) > 59) {
    throw new PresslineError('USAGE', `"${hhmm}" is not a time of day; write HH:MM, e.g. 09:00`);
  }
  if (!isValidTimeZone(zone)) {
    throw new PresslineError('USAGE', `unknown time zone "${zone}" (use an IANA name such as Europe/Brussels)`);
  }
  const time = `${m[1]!.padStart(2, '0')}:${m[2]}`;
  const start = Date.parse(`${localDate(notBefore, zone)}T00:00:00Z`);
  const limit = notBefore.getTime();
  // The local date of `notBefore` or the next day always holds the answer; a third day is slack.
  for (let i = 0; i < 3; i++) {
    const date = new Date(start + i * DAY).toISOString().slice(0, 10);
    const r = resolveWallTime(date, time, zone);
    const candidates =
      r.kind === 'ok' ? [r.instant] : r.kind === 'ambiguous' ? r.instants : [firstInstantAfterGap(date, time, zone)];
    const hit = candidates.find((c) => c.getTime() >= limit);
    if (hit) return hit;
  }
  /* c8 ignore next */
  throw new Error(`no ${time} in ${zone} within three days of ${notBefore.toISOString()}`);
}
