import { describe, expect, it } from 'vitest';
import { PresslineError } from '../../src/errors.js';
import { formatEmbargoNotice, parseEmbargo, zonedWallTimeToInstant } from '../../src/releases/embargo.js';
import { resolveWallTime, zoneOffsetMs } from '../../src/time/zones.js';

const iso = (d: Date) => d.toISOString().replace('.000', '');

function embargoError(fn: () => unknown): PresslineError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(PresslineError);
    expect((err as PresslineError).code).toBe('EMBARGO_INVALID');
    return err as PresslineError;
  }
  throw new Error('expected an EMBARGO_INVALID error');
}

describe('zonedWallTimeToInstant', () => {
  it('converts winter and summer wall times in Europe/Brussels', () => {
    expect(iso(zonedWallTimeToInstant('2026-12-01', '09:00', 'Europe/Brussels'))).toBe('2026-12-01T08:00:00Z');
    expect(iso(zonedWallTimeToInstant('2026-07-01', '09:00', 'Europe/Brussels'))).toBe('2026-07-01T07:00:00Z');
  });

  it('handles the Europe/Brussels autumn change on 2026-10-25 (03:00 CEST → 02:00 CET)', () => {
    expect(iso(zonedWallTimeToInstant('2026-10-25', '01:59', 'Europe/Brussels'))).toBe('2026-10-24T23:59:00Z');
    expect(iso(zonedWallTimeToInstant('2026-10-25', '03:00', 'Europe/Brussels'))).toBe('2026-10-25T02:00:00Z');
    const r = resolveWallTime('2026-10-25', '02:30', 'Europe/Brussels');
    expect(r.kind).toBe('ambiguous');
    const err = embargoError(() => zonedWallTimeToInstant('2026-10-25', '02:30', 'Europe/Brussels'));
    expect(err.message).toMatch(/happens twice/);
    expect(err.message).toMatch(/explicit offset/);
    expect(err.message).toContain('+02:00');
    expect(err.message).toContain('+01:00');
  });

  it('rejects the Europe/Brussels spring gap on 2026-03-29, naming the time', () => {
    const err = embargoError(() => zonedWallTimeToInstant('2026-03-29', '02:30', 'Europe/Brussels'));
    expect(err.message).toContain('2026-03-29 02:30 does not exist in Europe/Brussels');
    expect(iso(zonedWallTimeToInstant('2026-03-29', '03:00', 'Europe/Brussels'))).toBe('2026-03-29T01:00:00Z');
  });

  it('handles America/New_York on 2026-11-01 (fall back) and 2026-03-08 (spring forward)', () => {
    expect(resolveWallTime('2026-11-01', '01:30', 'America/New_York')).toEqual({
      kind: 'ambiguous',
      instants: [new Date('2026-11-01T05:30:00Z'), new Date('2026-11-01T06:30:00Z')],
    });
    expect(iso(zonedWallTimeToInstant('2026-11-01', '00:59', 'America/New_York'))).toBe('2026-11-01T04:59:00Z');
    expect(iso(zonedWallTimeToInstant('2026-11-01', '02:00', 'America/New_York'))).toBe('2026-11-01T07:00:00Z');
    expect(resolveWallTime('2026-03-08', '02:30', 'America/New_York').kind).toBe('gap');
  });

  it('handles Asia/Kathmandu (+05:45) and Australia/Lord_Howe (half-hour DST)', () => {
    expect(iso(zonedWallTimeToInstant('2026-12-01', '09:00', 'Asia/Kathmandu'))).toBe('2026-12-01T03:15:00Z');
    // Lord Howe: +10:30 in winter, +11:00 in summer; the clocks move by 30 minutes.
    expect(iso(zonedWallTimeToInstant('2026-07-01', '09:00', 'Australia/Lord_Howe'))).toBe('2026-06-30T22:30:00Z');
    expect(iso(zonedWallTimeToInstant('2026-12-01', '09:00', 'Australia/Lord_Howe'))).toBe('2026-11-30T22:00:00Z');
    expect(zoneOffsetMs('Australia/Lord_Howe', Date.parse('2026-07-01T00:00:00Z'))).toBe(630 * 60_000);
    // 2026-10-04 02:00 → 02:30: 02:15 never happens.
    expect(resolveWallTime('2026-10-04', '02:15', 'Australia/Lord_Howe').kind).toBe('gap');
    expect(iso(zonedWallTimeToInstant('2026-10-04', '02:30', 'Australia/Lord_Howe'))).toBe('2026-10-03T15:30:00Z');
    // 2026-04-05 02:00 → 01:30: 01:45 happens twice, 30 minutes apart.
    const r = resolveWallTime('2026-04-05', '01:45', 'Australia/Lord_Howe');
    expect(r).toEqual({ kind: 'ambiguous', instants: [new Date('2026-04-04T14:45:00Z'), new Date('2026-04-04T15:15:00Z')] });
  });

  it('rejects unknown zones and impossible dates', () => {
    expect(embargoError(() => zonedWallTimeToInstant('2026-12-01', '09:00', 'Europe/Atlantis')).message).toContain('unknown time zone "Europe/Atlantis"');
    embargoError(() => zonedWallTimeToInstant('2026-02-30', '09:00', 'Europe/Brussels'));
    embargoError(() => zonedWallTimeToInstant('2026-12-01', '24:30', 'Europe/Brussels'));
  });
});

describe('parseEmbargo', () => {
  it('reads wall time + zone', () => {
    const e = parseEmbargo('2026-12-01 09:00 Europe/Brussels');
    expect(iso(e.instant)).toBe('2026-12-01T08:00:00Z');
    expect(e.zone).toBe('Europe/Brussels');
    expect(e.text).toBe('2026-12-01 09:00 Europe/Brussels');
  });

  it('reads ISO 8601 with an offset that agrees with the zone, resolving DST overlaps', () => {
    expect(iso(parseEmbargo('2026-12-01T09:00+01:00 Europe/Brussels').instant)).toBe('2026-12-01T08:00:00Z');
    expect(iso(parseEmbargo('2026-10-25T02:30+02:00 Europe/Brussels').instant)).toBe('2026-10-25T00:30:00Z');
    expect(iso(parseEmbargo('2026-10-25T02:30+01:00 Europe/Brussels').instant)).toBe('2026-10-25T01:30:00Z');
    expect(iso(parseEmbargo('2026-11-01T01:30-04:00 America/New_York').instant)).toBe('2026-11-01T05:30:00Z');
    expect(iso(parseEmbargo('2026-12-01T09:00+05:45 Asia/Kathmandu').instant)).toBe('2026-12-01T03:15:00Z');
  });

  it('rejects an offset that disagrees with the zone, a missing zone, and garbage', () => {
    const loc = { file: 'r.md', line: 7, field: 'embargo' };
    const err = embargoError(() => parseEmbargo('2026-07-01T09:00+01:00 Europe/Brussels', loc));
    expect(err.message).toContain('+01:00 does not match Europe/Brussels');
    expect(err.location).toEqual(loc);
    embargoError(() => parseEmbargo('2026-12-01T09:00+01:00'));
    embargoError(() => parseEmbargo('next tuesday'));
    expect(embargoError(() => parseEmbargo('2026-03-29 02:30 Europe/Brussels', loc)).location).toEqual(loc);
  });
});

describe('formatEmbargoNotice', () => {
  it('formats the notice with the Intl en-GB zone abbreviation', () => {
    expect(formatEmbargoNotice(parseEmbargo('2026-12-01 09:00 Europe/Brussels'))).toBe(
      'EMBARGOED UNTIL 09:00 CET (08:00 UTC), Tuesday 1 December 2026',
    );
    expect(formatEmbargoNotice(parseEmbargo('2026-07-01 09:00 Europe/Brussels'))).toBe(
      'EMBARGOED UNTIL 09:00 CEST (07:00 UTC), Wednesday 1 July 2026',
    );
    expect(formatEmbargoNotice(parseEmbargo('2026-12-01 09:00 America/New_York'))).toBe(
      'EMBARGOED UNTIL 09:00 GMT-5 (14:00 UTC), Tuesday 1 December 2026',
    );
    expect(formatEmbargoNotice(parseEmbargo('2026-12-01 09:00 Asia/Kathmandu'))).toBe(
      'EMBARGOED UNTIL 09:00 GMT+5:45 (03:15 UTC), Tuesday 1 December 2026',
    );
  });

  it('gives the UTC time its own date when the UTC day differs', () => {
    expect(formatEmbargoNotice(parseEmbargo('2026-12-01 02:00 Asia/Kathmandu'))).toBe(
      'EMBARGOED UNTIL 02:00 GMT+5:45 (20:15 UTC, 30 Nov), Tuesday 1 December 2026',
    );
  });

  it('localises wording and date for the variant language', () => {
    const e = parseEmbargo('2026-12-01 09:00 Europe/Brussels');
    expect(formatEmbargoNotice(e, 'ru')).toBe('ЭМБАРГО ДО 09:00 CET (08:00 UTC), вторник, 1 декабря 2026 г.');
    expect(formatEmbargoNotice(e, 'fr')).toContain('mardi 1 décembre 2026');
    expect(formatEmbargoNotice(e, 'ja')).toBe('EMBARGOED UNTIL 09:00 CET (08:00 UTC), Tuesday 1 December 2026');
  });
});
