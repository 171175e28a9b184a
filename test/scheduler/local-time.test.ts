import { describe, expect, it } from 'vitest';
import { nextLocalTime } from '../../src/time/local-time.js';
import { iso, presslineError } from './helpers.js';

const at = (s: string) => new Date(s);

describe('nextLocalTime', () => {
  it('finds today when the time is still ahead, tomorrow when it has passed', () => {
    expect(iso(nextLocalTime('09:00', 'Europe/Brussels', at('2026-12-01T06:00:00Z')))).toBe('2026-12-01T08:00:00Z');
    expect(iso(nextLocalTime('09:00', 'Europe/Brussels', at('2026-12-01T08:01:00Z')))).toBe('2026-12-02T08:00:00Z');
  });

  it('counts "at or after": the exact instant qualifies', () => {
    expect(iso(nextLocalTime('09:00', 'Europe/Brussels', at('2026-12-01T08:00:00Z')))).toBe('2026-12-01T08:00:00Z');
  });

  it("uses the recipient's local date, not the UTC date", () => {
    // 22:00 UTC on 30 Nov is already 1 Dec in Tokyo; 09:00 there that day is 00:00 UTC.
    expect(iso(nextLocalTime('09:00', 'Asia/Tokyo', at('2026-11-30T22:00:00Z')))).toBe('2026-12-01T00:00:00Z');
    // …and still 30 Nov in Los Angeles, where 09:00 has passed: next is 1 Dec 09:00 PST.
    expect(iso(nextLocalTime('09:00', 'America/Los_Angeles', at('2026-11-30T22:00:00Z')))).toBe('2026-12-01T17:00:00Z');
  });

  it('handles unusual offsets: Asia/Kathmandu (+05:45) and Australia/Lord_Howe (+11 in summer)', () => {
    expect(iso(nextLocalTime('09:00', 'Asia/Kathmandu', at('2026-12-01T00:00:00Z')))).toBe('2026-12-01T03:15:00Z');
    expect(iso(nextLocalTime('09:00', 'Australia/Lord_Howe', at('2026-11-30T12:00:00Z')))).toBe('2026-11-30T22:00:00Z');
    expect(iso(nextLocalTime('09:00', 'Australia/Lord_Howe', at('2026-07-01T00:00:00Z')))).toBe('2026-07-01T22:30:00Z');
  });

  it('crosses the Europe/Brussels autumn change (2026-10-25) with the new offset', () => {
    // 09:00 CEST on the 24th, then 09:00 CET on the 25th: 25 elapsed hours apart.
    expect(iso(nextLocalTime('09:00', 'Europe/Brussels', at('2026-10-24T06:00:00Z')))).toBe('2026-10-24T07:00:00Z');
    expect(iso(nextLocalTime('09:00', 'Europe/Brussels', at('2026-10-24T08:00:00Z')))).toBe('2026-10-25T08:00:00Z');
  });

  it('crosses the America/New_York autumn change (2026-11-01)', () => {
    expect(iso(nextLocalTime('09:00', 'America/New_York', at('2026-10-31T14:00:01Z')))).toBe('2026-11-01T14:00:00Z');
  });

  it('picks the earlier of an ambiguous pair (Brussels 2026-10-25 02:30 CEST, not CET)', () => {
    expect(iso(nextLocalTime('02:30', 'Europe/Brussels', at('2026-10-24T12:00:00Z')))).toBe('2026-10-25T00:30:00Z');
    expect(iso(nextLocalTime('01:30', 'America/New_York', at('2026-10-31T12:00:00Z')))).toBe('2026-11-01T05:30:00Z');
    // Lord Howe goes back 30 minutes on 2026-04-05: 01:45 is +11:00 first, then +10:30.
    expect(iso(nextLocalTime('01:45', 'Australia/Lord_Howe', at('2026-04-04T00:00:00Z')))).toBe('2026-04-04T14:45:00Z');
  });

  it('takes the second of an ambiguous pair when the first is already past', () => {
    expect(iso(nextLocalTime('02:30', 'Europe/Brussels', at('2026-10-25T01:00:00Z')))).toBe('2026-10-25T01:30:00Z');
  });

  it('moves a time in a DST gap to the first valid minute after it', () => {
    // Brussels 2026-03-29: 02:00 CET jumps to 03:00 CEST at 01:00 UTC.
    expect(iso(nextLocalTime('02:30', 'Europe/Brussels', at('2026-03-28T12:00:00Z')))).toBe('2026-03-29T01:00:00Z');
    // New York 2026-03-08: 02:00 EST jumps to 03:00 EDT at 07:00 UTC.
    expect(iso(nextLocalTime('02:15', 'America/New_York', at('2026-03-07T12:00:00Z')))).toBe('2026-03-08T07:00:00Z');
    // Lord Howe 2026-10-04: 02:00 (+10:30) jumps to 02:30 (+11:00) at 15:30 UTC the day before.
    expect(iso(nextLocalTime('02:15', 'Australia/Lord_Howe', at('2026-10-03T00:00:00Z')))).toBe('2026-10-03T15:30:00Z');
  });

  it('does not stop at a gap instant already past: the next day then', () => {
    expect(iso(nextLocalTime('02:30', 'Europe/Brussels', at('2026-03-29T01:00:01Z')))).toBe('2026-03-30T00:30:00Z');
  });

  it('accepts H:MM and refuses malformed times and unknown zones', () => {
    expect(iso(nextLocalTime('9:00', 'UTC', at('2026-12-01T00:00:00Z')))).toBe('2026-12-01T09:00:00Z');
    expect(presslineError(() => nextLocalTime('24:00', 'UTC', at('2026-12-01T00:00:00Z'))).message).toContain('"24:00"');
    expect(presslineError(() => nextLocalTime('9am', 'UTC', at('2026-12-01T00:00:00Z'))).message).toContain('HH:MM');
    expect(presslineError(() => nextLocalTime('09:00', 'Mars/Olympus', at('2026-12-01T00:00:00Z'))).message).toContain(
      'unknown time zone "Mars/Olympus"',
    );
  });
});
