import { describe, expect, it } from 'vitest';
import { formatInZone, formatTriple, formatWithUtc, relativeTo } from '../../src/scheduler/display.js';

const at = (s: string) => new Date(s);

describe('formatInZone', () => {
  it('shows weekday, date, time and zone abbreviation', () => {
    expect(formatInZone(at('2026-12-01T08:00:00Z'), 'Europe/Brussels')).toBe('Tue 1 Dec 2026 09:00 CET');
    expect(formatInZone(at('2026-07-01T07:00:00Z'), 'Europe/Brussels')).toBe('Wed 1 Jul 2026 09:00 CEST');
    expect(formatInZone(at('2026-12-01T08:00:00Z'), 'UTC')).toBe('Tue 1 Dec 2026 08:00 UTC');
  });

  it('handles unusual offsets (Kathmandu +05:45, Lord Howe +11/+10:30)', () => {
    expect(formatInZone(at('2026-12-01T03:15:00Z'), 'Asia/Kathmandu')).toBe('Tue 1 Dec 2026 09:00 GMT+5:45');
    expect(formatInZone(at('2026-11-30T22:00:00Z'), 'Australia/Lord_Howe')).toBe('Tue 1 Dec 2026 09:00 GMT+11');
    expect(formatInZone(at('2026-06-30T22:30:00Z'), 'Australia/Lord_Howe')).toBe('Wed 1 Jul 2026 09:00 GMT+10:30');
  });

  it('shows both sides of a DST change with the right abbreviation', () => {
    expect(formatInZone(at('2026-10-25T00:30:00Z'), 'Europe/Brussels')).toBe('Sun 25 Oct 2026 02:30 CEST');
    expect(formatInZone(at('2026-10-25T01:30:00Z'), 'Europe/Brussels')).toBe('Sun 25 Oct 2026 02:30 CET');
    expect(formatInZone(at('2026-11-01T05:30:00Z'), 'America/New_York')).toBe('Sun 1 Nov 2026 01:30 GMT-4');
    expect(formatInZone(at('2026-11-01T06:30:00Z'), 'America/New_York')).toBe('Sun 1 Nov 2026 01:30 GMT-5');
  });

  it('shows the local date, not the UTC date, across midnight', () => {
    expect(formatInZone(at('2026-12-31T23:30:00Z'), 'Europe/Brussels')).toBe('Fri 1 Jan 2027 00:30 CET');
  });
});

describe('formatWithUtc', () => {
  it('adds the UTC time, with its own date when it differs', () => {
    expect(formatWithUtc(at('2026-12-01T08:00:00Z'), 'Europe/Brussels')).toBe('Tue 1 Dec 2026 09:00 CET (08:00 UTC)');
    expect(formatWithUtc(at('2026-11-30T22:00:00Z'), 'Australia/Lord_Howe')).toBe(
      'Tue 1 Dec 2026 09:00 GMT+11 (22:00 UTC, Mon 30 Nov)',
    );
  });

  it('does not repeat UTC for a UTC zone', () => {
    expect(formatWithUtc(at('2026-12-01T08:00:00Z'), 'UTC')).toBe('Tue 1 Dec 2026 08:00 UTC');
  });
});

describe('formatTriple', () => {
  it('gives the zone, UTC and the viewer zone', () => {
    expect(formatTriple(at('2026-12-01T08:00:00Z'), 'Europe/Brussels', 'Europe/Helsinki')).toEqual({
      zone: 'Tue 1 Dec 2026 09:00 CET',
      utc: '08:00 UTC',
      local: '10:00 EET',
    });
  });

  it('marks a differing date in UTC and in the viewer zone', () => {
    expect(formatTriple(at('2026-12-01T23:30:00Z'), 'Europe/Brussels', 'America/New_York')).toEqual({
      zone: 'Wed 2 Dec 2026 00:30 CET',
      utc: '23:30 UTC (Tue 1 Dec)',
      local: '18:30 GMT-5 (Tue 1 Dec)',
    });
    expect(formatTriple(at('2026-12-01T23:30:00Z'), 'Europe/Brussels', 'Asia/Kathmandu').local).toBe('05:15 GMT+5:45');
  });

  it("defaults the viewer zone to Intl's resolved zone", () => {
    const viewer = Intl.DateTimeFormat().resolvedOptions().timeZone;
    const instant = at('2026-12-01T08:00:00Z');
    expect(formatTriple(instant, 'Europe/Brussels')).toEqual(formatTriple(instant, 'Europe/Brussels', viewer));
  });
});

describe('relativeTo', () => {
  const now = at('2026-12-01T08:00:00Z');
  it('says how far ahead', () => {
    expect(relativeTo(at('2026-12-01T11:20:00Z'), now)).toBe('in 3 h 20 min');
    expect(relativeTo(at('2026-12-01T09:00:00Z'), now)).toBe('in 1 h');
    expect(relativeTo(at('2026-12-01T08:10:00Z'), now)).toBe('in 10 min');
    expect(relativeTo(at('2026-12-03T12:00:00Z'), now)).toBe('in 2 d 4 h');
    expect(relativeTo(at('2026-12-02T08:00:00Z'), now)).toBe('in 1 d');
  });

  it('says how long ago', () => {
    expect(relativeTo(at('2026-12-01T07:55:00Z'), now)).toBe('5 min ago');
    expect(relativeTo(at('2026-12-01T05:30:00Z'), now)).toBe('2 h 30 min ago');
  });

  it('rounds to the minute and calls the last half minute "now"', () => {
    expect(relativeTo(at('2026-12-01T08:00:20Z'), now)).toBe('now');
    expect(relativeTo(at('2026-12-01T07:59:45Z'), now)).toBe('now');
    expect(relativeTo(at('2026-12-01T08:00:40Z'), now)).toBe('in 1 min');
  });
});
