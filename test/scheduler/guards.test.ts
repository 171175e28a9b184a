import { describe, expect, it } from 'vitest';
import { parseEmbargo } from '../../src/releases/embargo.js';
import { checkSchedule, decideAtStart } from '../../src/scheduler/guards.js';

const embargo = parseEmbargo('2026-12-01 09:00 Europe/Brussels'); // 08:00 UTC
const at = (s: string) => new Date(s);
const LIFT = 'Tue 1 Dec 2026 09:00 CET (08:00 UTC)';

describe('checkSchedule: embargoed phase', () => {
  it('accepts a send well before the lift without warnings', () => {
    expect(checkSchedule('embargoed', at('2026-11-30T08:00:00Z'), embargo, 12)).toEqual({ ok: true, warnings: [] });
  });

  it('warns when the lead is shorter than minLeadHours', () => {
    expect(checkSchedule('embargoed', at('2026-12-01T06:30:00Z'), embargo, 12)).toEqual({
      ok: true,
      warnings: [
        `the embargoed copy goes out at Tue 1 Dec 2026 07:30 CET (06:30 UTC), only 1 h 30 min before the embargo lifts at ${LIFT}; ` +
          'journalists usually expect at least 12 h',
      ],
    });
  });

  it('does not warn at exactly minLeadHours, nor when minLeadHours is 0', () => {
    expect(checkSchedule('embargoed', at('2026-11-30T20:00:00Z'), embargo, 12)).toEqual({ ok: true, warnings: [] });
    expect(checkSchedule('embargoed', at('2026-12-01T07:59:00Z'), embargo, 0)).toEqual({ ok: true, warnings: [] });
  });

  it('refuses a send at or after the lift', () => {
    for (const t of ['2026-12-01T08:00:00Z', '2026-12-01T09:00:00Z']) {
      const r = checkSchedule('embargoed', at(t), embargo, 12);
      expect(r.ok).toBe(false);
      if (!r.ok) expect(r.reason).toContain(`the embargo lifts at ${LIFT}, so it must be scheduled before then`);
    }
    const r = checkSchedule('embargoed', at('2026-12-01T08:00:00Z'), embargo, 12);
    expect(r).toEqual({
      ok: false,
      reason:
        `the embargoed copy cannot go out at ${LIFT}: the embargo lifts at ${LIFT}, so it must be scheduled before then ` +
        '(or send the public copy instead)',
    });
  });

  it('refuses an embargoed phase for a release without an embargo', () => {
    const r = checkSchedule('embargoed', at('2026-12-01T08:00:00Z'), undefined, 12);
    expect(r).toEqual({ ok: false, reason: expect.stringContaining('the release has no embargo') });
  });

  it('counts the lead in exact hours across the Europe/Brussels autumn change', () => {
    const e = parseEmbargo('2026-10-25 09:00 Europe/Brussels'); // 08:00 UTC
    // 09:00 CEST the day before is 25 elapsed hours ahead: no warning for 25 h, a warning for 26 h.
    expect(checkSchedule('embargoed', at('2026-10-24T07:00:00Z'), e, 25)).toEqual({ ok: true, warnings: [] });
    const r = checkSchedule('embargoed', at('2026-10-24T07:00:00Z'), e, 26);
    expect(r.ok && r.warnings[0]).toContain('Sat 24 Oct 2026 09:00 CEST (07:00 UTC), only 1 d 1 h before the embargo lifts');
  });
});

describe('checkSchedule: public phase', () => {
  it('accepts a send at or after the lift', () => {
    expect(checkSchedule('public', at('2026-12-01T08:00:00Z'), embargo, 12)).toEqual({ ok: true, warnings: [] });
    expect(checkSchedule('public', at('2026-12-02T08:00:00Z'), embargo, 12)).toEqual({ ok: true, warnings: [] });
  });

  it('refuses a send before the lift', () => {
    expect(checkSchedule('public', at('2026-12-01T07:59:00Z'), embargo, 12)).toEqual({
      ok: false,
      reason:
        `the public copy cannot go out at Tue 1 Dec 2026 08:59 CET (07:59 UTC): that is before the embargo lifts at ${LIFT}; ` +
        'schedule it at "embargo" or later',
    });
  });

  it('accepts, with a warning, a public phase when there is no embargo', () => {
    expect(checkSchedule('public', at('2026-12-01T07:00:00Z'), undefined, 12)).toEqual({
      ok: true,
      warnings: ['the release has no embargo; the public copy goes out as an ordinary send'],
    });
  });
});

describe('checkSchedule: single phase', () => {
  it('accepts any time without an embargo', () => {
    expect(checkSchedule('single', at('2026-12-01T07:00:00Z'), undefined, 12)).toEqual({ ok: true, warnings: [] });
  });

  it('accepts after the lift without warnings', () => {
    expect(checkSchedule('single', at('2026-12-01T08:00:00Z'), embargo, 12)).toEqual({ ok: true, warnings: [] });
  });

  it('warns that everyone gets the embargoed copy before the lift, plus the short-lead warning', () => {
    const r = checkSchedule('single', at('2026-12-01T07:00:00Z'), embargo, 12);
    expect(r.ok).toBe(true);
    if (r.ok) {
      expect(r.warnings).toHaveLength(2);
      expect(r.warnings[0]).toBe(
        `this send goes out at Tue 1 Dec 2026 08:00 CET (07:00 UTC), before the embargo lifts at ${LIFT}; every recipient gets the embargoed copy`,
      );
      expect(r.warnings[1]).toContain('only 1 h before the embargo lifts');
    }
  });
});

describe('decideAtStart', () => {
  const scheduled = at('2026-12-01T06:00:00Z');

  it("waits when a send is not due yet", () => {
    expect(decideAtStart('embargoed', scheduled, at('2026-12-01T05:59:00Z'), embargo)).toEqual({
      action: 'wait',
      message: 'not due yet: scheduled for Tue 1 Dec 2026 07:00 CET (06:00 UTC)',
    });
  });

  it('sends an embargoed phase on time (within the grace period)', () => {
    expect(decideAtStart('embargoed', scheduled, at('2026-12-01T06:00:00Z'), embargo)).toEqual({ action: 'send' });
    expect(decideAtStart('embargoed', scheduled, at('2026-12-01T06:05:00Z'), embargo)).toEqual({ action: 'send' });
  });

  it('sends an overdue embargoed phase late while the embargo holds', () => {
    expect(decideAtStart('embargoed', scheduled, at('2026-12-01T07:20:00Z'), embargo)).toEqual({
      action: 'send-late',
      message:
        'the embargoed send started 1 h 20 min late (scheduled for Tue 1 Dec 2026 07:00 CET (06:00 UTC)); ' +
        `the embargo still holds until ${LIFT} (40 min from now), so it goes out now`,
    });
  });

  it('honours a custom grace period', () => {
    expect(decideAtStart('embargoed', scheduled, at('2026-12-01T06:10:00Z'), embargo, 15 * 60_000)).toEqual({ action: 'send' });
    expect(decideAtStart('embargoed', scheduled, at('2026-12-01T06:10:00Z'), embargo, 60_000).action).toBe('send-late');
  });

  it('never sends an embargoed phase at or after the lift', () => {
    for (const now of ['2026-12-01T08:00:00Z', '2026-12-02T08:00:00Z']) {
      expect(decideAtStart('embargoed', scheduled, at(now), embargo)).toEqual({
        action: 'missed',
        message:
          `the embargoed send scheduled for Tue 1 Dec 2026 07:00 CET (06:00 UTC) did not start before the embargo lifted at ${LIFT}; ` +
          'it will not be sent. Send the public copy to these recipients instead',
      });
    }
  });

  it('sends an embargoed phase whose release lost its embargo, saying so', () => {
    expect(decideAtStart('embargoed', scheduled, at('2026-12-01T09:00:00Z'), undefined)).toEqual({
      action: 'send',
      message: 'the release no longer has an embargo; sending it as an ordinary send',
    });
  });

  it('makes a public phase wait when the embargo moved later', () => {
    const moved = parseEmbargo('2026-12-01 15:00 Europe/Brussels');
    expect(decideAtStart('public', at('2026-12-01T08:00:00Z'), at('2026-12-01T08:00:00Z'), moved)).toEqual({
      action: 'wait',
      message:
        'the public send scheduled for Tue 1 Dec 2026 09:00 CET (08:00 UTC) waits: the embargo now lifts at ' +
        'Tue 1 Dec 2026 15:00 CET (14:00 UTC), and the public copy must not go out before then',
    });
  });

  it('sends a public phase at or after the lift, noting lateness', () => {
    expect(decideAtStart('public', at('2026-12-01T08:00:00Z'), at('2026-12-01T08:00:00Z'), embargo)).toEqual({ action: 'send' });
    expect(decideAtStart('public', at('2026-12-01T08:00:00Z'), at('2026-12-01T10:00:00Z'), embargo)).toEqual({
      action: 'send',
      message: 'the public send started 2 h late (scheduled for Tue 1 Dec 2026 09:00 CET (08:00 UTC))',
    });
    expect(decideAtStart('public', at('2026-12-01T08:00:00Z'), at('2026-12-01T08:00:00Z'), undefined)).toEqual({ action: 'send' });
  });

  it('handles single sends either side of the lift', () => {
    expect(decideAtStart('single', scheduled, at('2026-12-01T06:01:00Z'), embargo)).toEqual({ action: 'send' });
    expect(decideAtStart('single', scheduled, at('2026-12-01T07:00:00Z'), embargo)).toEqual({
      action: 'send-late',
      message: `the send started 1 h late (scheduled for Tue 1 Dec 2026 07:00 CET (06:00 UTC)); the embargo still holds until ${LIFT}, so it goes out now`,
    });
    expect(decideAtStart('single', scheduled, at('2026-12-01T09:00:00Z'), embargo)).toEqual({
      action: 'send',
      message: 'the send started 3 h late (scheduled for Tue 1 Dec 2026 07:00 CET (06:00 UTC))',
    });
    expect(decideAtStart('single', scheduled, at('2026-12-01T06:30:00Z'), undefined)).toEqual({
      action: 'send',
      message: 'the send started 30 min late (scheduled for Tue 1 Dec 2026 06:00 UTC)',
    });
  });

  it('names times in the embargo zone across the America/New_York autumn change', () => {
    const ny = parseEmbargo('2026-11-01 09:00 America/New_York'); // 14:00 UTC
    expect(decideAtStart('embargoed', at('2026-11-01T05:30:00Z'), at('2026-11-01T14:00:00Z'), ny)).toEqual({
      action: 'missed',
      message:
        'the embargoed send scheduled for Sun 1 Nov 2026 01:30 GMT-4 (05:30 UTC) did not start before the embargo lifted at ' +
        'Sun 1 Nov 2026 09:00 GMT-5 (14:00 UTC); it will not be sent. Send the public copy to these recipients instead',
    });
  });

  it('names times in unusual zones (Asia/Kathmandu, Australia/Lord_Howe)', () => {
    const ktm = parseEmbargo('2026-12-01 09:00 Asia/Kathmandu'); // 03:15 UTC
    const r = decideAtStart('embargoed', at('2026-12-01T02:00:00Z'), at('2026-12-01T03:00:00Z'), ktm);
    expect(r.action).toBe('send-late');
    expect(r.message).toContain('until Tue 1 Dec 2026 09:00 GMT+5:45 (03:15 UTC) (15 min from now)');
    const lh = parseEmbargo('2026-12-01 09:00 Australia/Lord_Howe'); // 2026-11-30 22:00 UTC
    expect(decideAtStart('public', at('2026-11-30T21:00:00Z'), at('2026-11-30T21:00:00Z'), lh).message).toContain(
      'the embargo now lifts at Tue 1 Dec 2026 09:00 GMT+11 (22:00 UTC, Mon 30 Nov)',
    );
  });
});
