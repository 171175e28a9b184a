import { describe, expect, it } from 'vitest';
import { parseEmbargo } from '../../src/releases/embargo.js';
import { parseAt } from '../../src/scheduler/at.js';
import { iso, presslineError } from './helpers.js';

const now = new Date('2026-06-01T10:00:00Z');
const ctx = { now, defaultZone: 'Europe/Brussels' };
const brussels = parseEmbargo('2026-12-01 09:00 Europe/Brussels');
const withEmbargo = { ...ctx, embargo: brussels };

describe('parseAt: ISO 8601 with offset', () => {
  it('reads +01:00 and Z, shown in the default zone without an embargo', () => {
    const a = parseAt('2026-12-01T09:00+01:00', ctx);
    expect(iso(a.instant)).toBe('2026-12-01T08:00:00Z');
    expect(a.zone).toBe('Europe/Brussels');
    expect(a.relativeToEmbargo).toBeUndefined();
    expect(iso(parseAt('2026-12-01T08:00Z', ctx).instant)).toBe('2026-12-01T08:00:00Z');
    expect(iso(parseAt('2026-12-01T08:00:30.000z', ctx).instant)).toBe('2026-12-01T08:00:30Z');
  });

  it("is shown in the embargo's zone when the release has one", () => {
    const a = parseAt('2026-12-01T08:00Z', { ...withEmbargo, defaultZone: 'UTC', embargo: parseEmbargo('2026-12-02 09:00 Asia/Kathmandu') });
    expect(a.zone).toBe('Asia/Kathmandu');
  });

  it('reads unusual offsets (+05:45)', () => {
    expect(iso(parseAt('2026-12-01T09:00+05:45', ctx).instant)).toBe('2026-12-01T03:15:00Z');
  });

  it('accepts a zone after the offset, and checks they agree', () => {
    const a = parseAt('2026-12-01T09:00+01:00 Europe/Brussels', { ...ctx, defaultZone: 'UTC' });
    expect(iso(a.instant)).toBe('2026-12-01T08:00:00Z');
    expect(a.zone).toBe('Europe/Brussels');
    expect(presslineError(() => parseAt('2026-12-01T09:00+02:00 Europe/Brussels', ctx)).message).toContain('does not match');
  });

  it('refuses an impossible calendar date', () => {
    expect(presslineError(() => parseAt('2026-02-30T09:00Z', ctx)).message).toContain('not a valid date');
  });
});

describe('parseAt: local wall time', () => {
  it('reads a wall time in an IANA zone, with a space or a T', () => {
    for (const text of ['2026-12-01 09:00 Europe/Brussels', '2026-12-01T09:00 Europe/Brussels', '  2026-12-01   09:00   Europe/Brussels ']) {
      const a = parseAt(text, { ...ctx, defaultZone: 'UTC' });
      expect(iso(a.instant)).toBe('2026-12-01T08:00:00Z');
      expect(a.zone).toBe('Europe/Brussels');
    }
  });

  it('reads a wall time without a zone in the default zone', () => {
    const a = parseAt('2026-12-01 09:00', { ...ctx, defaultZone: 'America/New_York' });
    expect(iso(a.instant)).toBe('2026-12-01T14:00:00Z');
    expect(a.zone).toBe('America/New_York');
    expect(iso(parseAt('2026-07-01T09:00:30', ctx).instant)).toBe('2026-07-01T07:00:30Z');
  });

  it('handles Asia/Kathmandu and Australia/Lord_Howe', () => {
    expect(iso(parseAt('2026-12-01 09:00 Asia/Kathmandu', ctx).instant)).toBe('2026-12-01T03:15:00Z');
    expect(iso(parseAt('2026-12-01 09:00 Australia/Lord_Howe', ctx).instant)).toBe('2026-11-30T22:00:00Z');
    expect(iso(parseAt('2026-07-01 09:00 Australia/Lord_Howe', ctx).instant)).toBe('2026-06-30T22:30:00Z');
  });

  it('refuses a time in a DST gap, suggesting the first valid time after it', () => {
    const e = presslineError(() => parseAt('2026-03-29 02:30 Europe/Brussels', { ...ctx, now: new Date('2026-01-01T00:00:00Z') }));
    expect(e.message).toContain('2026-03-29 02:30 does not exist in Europe/Brussels');
    expect(e.message).toContain('"2026-03-29 03:00 Europe/Brussels"');
    expect(e.message).toContain('Sun 29 Mar 2026 03:00 CEST (01:00 UTC)');
    const ny = presslineError(() => parseAt('2026-03-08 02:15', { ...ctx, now: new Date('2026-01-01T00:00:00Z'), defaultZone: 'America/New_York' }));
    expect(ny.message).toContain('does not exist in America/New_York');
    const lh = presslineError(() => parseAt('2026-10-04 02:15 Australia/Lord_Howe', ctx));
    expect(lh.message).toContain('"2026-10-04 02:30 Australia/Lord_Howe"');
  });

  it('refuses an ambiguous time, giving both offsets to choose from', () => {
    const e = presslineError(() => parseAt('2026-10-25 02:30 Europe/Brussels', ctx));
    expect(e.message).toContain('happens twice in Europe/Brussels');
    expect(e.message).toContain('"2026-10-25T02:30+02:00" for the first (Sun 25 Oct 2026 02:30 CEST (00:30 UTC))');
    expect(e.message).toContain('"2026-10-25T02:30+01:00" for the second (Sun 25 Oct 2026 02:30 CET (01:30 UTC))');
    // …and the suggested forms are accepted.
    expect(iso(parseAt('2026-10-25T02:30+02:00', ctx).instant)).toBe('2026-10-25T00:30:00Z');
    expect(iso(parseAt('2026-10-25T02:30+01:00', ctx).instant)).toBe('2026-10-25T01:30:00Z');
    const ny = presslineError(() => parseAt('2026-11-01 01:30 America/New_York', ctx));
    expect(ny.message).toContain('"2026-11-01T01:30-04:00"');
    expect(ny.message).toContain('"2026-11-01T01:30-05:00"');
  });

  it('names an unknown zone', () => {
    expect(presslineError(() => parseAt('2026-12-01 09:00 Europe/Brusels', ctx)).message).toContain('unknown time zone "Europe/Brusels"');
    expect(presslineError(() => parseAt('2026-12-01 09:00', { ...ctx, defaultZone: 'Nowhere/Land' })).message).toContain(
      'unknown default time zone "Nowhere/Land"',
    );
  });
});

describe('parseAt: relative to the embargo', () => {
  it('reads "embargo" and offsets in d, h, m with or without spaces', () => {
    const cases: [string, string, number][] = [
      ['embargo', '2026-12-01T08:00:00Z', 0],
      ['embargo - 24h', '2026-11-30T08:00:00Z', -86_400_000],
      ['embargo-90m', '2026-12-01T06:30:00Z', -5_400_000],
      ['embargo + 1h', '2026-12-01T09:00:00Z', 3_600_000],
      ['embargo - 1d 2h', '2026-11-30T06:00:00Z', -93_600_000],
      ['Embargo  -  1h30m', '2026-12-01T06:30:00Z', -5_400_000],
      ['embargo -2d', '2026-11-29T08:00:00Z', -172_800_000],
    ];
    for (const [text, expected, offsetMs] of cases) {
      const a = parseAt(text, withEmbargo);
      expect(iso(a.instant), text).toBe(expected);
      expect(a.zone).toBe('Europe/Brussels');
      expect(a.relativeToEmbargo).toEqual({ offsetMs });
    }
  });

  it('is exact elapsed time across the Europe/Brussels autumn change (2026-10-25)', () => {
    const embargo = parseEmbargo('2026-10-25 09:00 Europe/Brussels'); // 08:00 UTC, CET
    const a = parseAt('embargo - 24h', { ...ctx, embargo });
    // 24 × 3600 s earlier is 10:00 CEST on the 24th, not 09:00 (which would be 25 h).
    expect(iso(a.instant)).toBe('2026-10-24T08:00:00Z');
    expect(iso(parseAt('embargo - 1d', { ...ctx, embargo }).instant)).toBe('2026-10-24T08:00:00Z');
  });

  it('is exact elapsed time across the America/New_York autumn change (2026-11-01)', () => {
    const embargo = parseEmbargo('2026-11-01 09:00 America/New_York'); // 14:00 UTC, EST
    expect(iso(parseAt('embargo - 24h', { ...ctx, embargo }).instant)).toBe('2026-10-31T14:00:00Z'); // 10:00 EDT
    expect(iso(parseAt('embargo - 8h', { ...ctx, embargo }).instant)).toBe('2026-11-01T06:00:00Z'); // 01:00 EST, the second 01:00
  });

  it('works with an embargo in Asia/Kathmandu', () => {
    const embargo = parseEmbargo('2026-12-01 09:00 Asia/Kathmandu');
    const a = parseAt('embargo - 45m', { ...ctx, embargo });
    expect(iso(a.instant)).toBe('2026-12-01T02:30:00Z');
    expect(a.zone).toBe('Asia/Kathmandu');
  });

  it('is an error when the release has no embargo', () => {
    expect(presslineError(() => parseAt('embargo - 24h', ctx)).message).toContain('this release has no embargo');
  });

  it('refuses durations without units or with unknown units', () => {
    for (const text of ['embargo - 24', 'embargo - 2w', 'embargo - 1h foo', 'embargo -', 'embargo - h']) {
      expect(presslineError(() => parseAt(text, withEmbargo)).message, text).toContain('cannot read the duration');
    }
  });
});

describe('parseAt: now', () => {
  it('reads "now" and "now + 10m"', () => {
    expect(iso(parseAt('now', ctx).instant)).toBe('2026-06-01T10:00:00Z');
    expect(iso(parseAt('now + 10m', ctx).instant)).toBe('2026-06-01T10:10:00Z');
    expect(iso(parseAt('NOW+1d', ctx).instant)).toBe('2026-06-02T10:00:00Z');
    expect(parseAt('now', withEmbargo).zone).toBe('Europe/Brussels');
    expect(parseAt('now', { ...ctx, defaultZone: 'Asia/Kathmandu' }).zone).toBe('Asia/Kathmandu');
    expect(parseAt('now', ctx).relativeToEmbargo).toBeUndefined();
  });
});

describe('parseAt: the past', () => {
  it('allows up to a minute ago', () => {
    expect(iso(parseAt('2026-06-01T09:59Z', ctx).instant)).toBe('2026-06-01T09:59:00Z');
    expect(iso(parseAt('now - 1m', ctx).instant)).toBe('2026-06-01T09:59:00Z');
  });

  it('refuses anything earlier, saying when and when now is', () => {
    const e = presslineError(() => parseAt('2026-06-01 11:58:59 Europe/Brussels', ctx));
    expect(e.message).toBe(
      '--at "2026-06-01 11:58:59 Europe/Brussels": Mon 1 Jun 2026 11:58 CEST (09:58 UTC) is in the past ' +
        '(it is now Mon 1 Jun 2026 12:00 CEST (10:00 UTC)); pick a later time',
    );
    expect(presslineError(() => parseAt('now - 2m', ctx)).message).toContain('is in the past');
  });

  it('refuses "embargo - 24h" when that is already past', () => {
    const e = presslineError(() => parseAt('embargo - 24h', { ...withEmbargo, now: new Date('2026-11-30T12:00:00Z') }));
    expect(e.message).toContain('Mon 30 Nov 2026 09:00 CET (08:00 UTC) is in the past');
  });
});

describe('parseAt: garbage', () => {
  it('lists the accepted forms with examples', () => {
    for (const text of ['tomorrow', '', '01/12/2026 09:00', '2026-12-01', '09:00', 'embargo * 2']) {
      const e = presslineError(() => parseAt(text, ctx));
      expect(e.message, text).toContain('"2026-12-01 09:00 Europe/Brussels"');
      expect(e.message, text).toContain('"embargo - 24h"');
      expect(e.message, text).toContain('"now + 10m"');
      expect(e.message, text).toContain('"2026-12-01T09:00+01:00"');
    }
    expect(presslineError(() => parseAt('tomorrow', ctx)).message).toMatch(/^--at "tomorrow": cannot read this time; accepted forms:/);
  });
});

describe('parseAt keeps fractions of a second', () => {
  it('never rounds an instant down (a send must not start early)', () => {
    expect(parseAt('2026-12-01T08:00:00.966Z', ctx).instant.toISOString()).toBe('2026-12-01T08:00:00.966Z');
    expect(parseAt('2026-12-01T09:00:00.5+01:00', ctx).instant.toISOString()).toBe('2026-12-01T08:00:00.500Z');
  });
});
