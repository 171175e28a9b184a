import type { Embargo } from '../releases/embargo.js';
import type { CampaignPhase as Phase } from '../store/types.js';
import { formatWithUtc, spell } from './display.js';

/** How late a send may start before the worker calls it late (default 5 minutes). */
const DEFAULT_GRACE_MS = 5 * 60_000;

const HOUR = 3_600_000;

function when(instant: Date, embargo: Embargo | undefined): string {
  return formatWithUtc(instant, embargo?.zone ?? 'UTC');
}

function minutes(ms: number): string {
  return spell(Math.max(1, Math.round(ms / 60_000)));
}

/**
 * Decides at scheduling time whether a phase may go out at `at`. Refuses an embargoed phase at or
 * after the lift (or for a release without an embargo) and a public phase before the lift; warns
 * when the embargoed copy reaches journalists less than `minLeadHours` before the lift, and when a
 * single send of an embargoed release goes out before the lift (it then carries the embargo).
 */
export function checkSchedule(
  phase: Phase,
  at: Date,
  embargo: Embargo | undefined,
  minLeadHours: number,
): { ok: true; warnings: string[] } | { ok: false; reason: string } {
  const warnings: string[] = [];
  const leadWarning = (lift: Embargo) => {
    const lead = lift.instant.getTime() - at.getTime();
    if (minLeadHours > 0 && lead < minLeadHours * HOUR) {
      warnings.push(
        `the embargoed copy goes out at ${when(at, lift)}, only ${minutes(lead)} before the embargo lifts at ` +
          `${when(lift.instant, lift)}; journalists usually expect at least ${minLeadHours} h`,
      );
    }
  };
  switch (phase) {
    case 'embargoed': {
      if (!embargo) {
        return { ok: false, reason: 'the release has no embargo, so there is no embargoed copy to send; schedule a single send instead' };
      }
      if (at.getTime() >= embargo.instant.getTime()) {
        return {
          ok: false,
          reason:
            `the embargoed copy cannot go out at ${when(at, embargo)}: the embargo lifts at ${when(embargo.instant, embargo)}, ` +
            'so it must be scheduled before then (or send the public copy instead)',
        };
      }
      leadWarning(embargo);
      return { ok: true, warnings };
    }
    case 'public': {
      if (!embargo) {
        warnings.push('the release has no embargo; the public copy goes out as an ordinary send');
        return { ok: true, warnings };
      }
      if (at.getTime() < embargo.instant.getTime()) {
        return {
          ok: false,
          reason:
            `the public copy cannot go out at ${when(at, embargo)}: that is before the embargo lifts at ` +
            `${when(embargo.instant, embargo)}; schedule it at "embargo" or later`,
        };
      }
      return { ok: true, warnings };
    }
    case 'single': {
      if (embargo && at.getTime() < embargo.instant.getTime()) {
        warnings.push(
          `this send goes out at ${when(at, embargo)}, before the embargo lifts at ${when(embargo.instant, embargo)}; ` +
            'every recipient gets the embargoed copy',
        );
        leadWarning(embargo);
      }
      return { ok: true, warnings };
    }
    default: {
      const _: never = phase;
      return _;
    }
  }
}

/**
 * Decides at start time (in the worker) what to do with a due send:
 * - 'wait': not yet due, or a public phase whose embargo now lifts later than it was scheduled;
 * - 'missed': an embargoed phase whose embargo has lifted; that copy must never go out after the lift;
 * - 'send-late': an embargoed copy more than `graceMs` overdue while the embargo still holds;
 * - 'send': everything else (a late single or public send carries an explanatory message).
 * A single send of an embargoed release is allowed either side of the lift: before it, it is
 * treated like the embargoed copy (late → 'send-late'); after it, the release is public anyway.
 */
export function decideAtStart(
  phase: Phase,
  scheduledAt: Date,
  now: Date,
  embargo: Embargo | undefined,
  graceMs: number = DEFAULT_GRACE_MS,
): { action: 'send' | 'send-late' | 'missed' | 'wait'; message?: string } {
  if (now.getTime() < scheduledAt.getTime()) {
    return { action: 'wait', message: `not due yet: scheduled for ${when(scheduledAt, embargo)}` };
  }
  const lateMs = now.getTime() - scheduledAt.getTime();
  const late = lateMs > graceMs;
  const lifted = embargo ? now.getTime() >= embargo.instant.getTime() : true;
  const lateNote = `started ${minutes(lateMs)} late (scheduled for ${when(scheduledAt, embargo)})`;

  switch (phase) {
    case 'embargoed': {
      if (!embargo) {
        return { action: 'send', message: 'the release no longer has an embargo; sending it as an ordinary send' };
      }
      if (lifted) {
        return {
          action: 'missed',
          message:
            `the embargoed send scheduled for ${when(scheduledAt, embargo)} did not start before the embargo lifted at ` +
            `${when(embargo.instant, embargo)}; it will not be sent. Send the public copy to these recipients instead`,
        };
      }
      if (late) {
        return {
          action: 'send-late',
          message:
            `the embargoed send ${lateNote}; the embargo still holds until ${when(embargo.instant, embargo)} ` +
            `(${minutes(embargo.instant.getTime() - now.getTime())} from now), so it goes out now`,
        };
      }
      return { action: 'send' };
    }
    case 'public': {
      if (embargo && !lifted) {
        return {
          action: 'wait',
          message:
            `the public send scheduled for ${when(scheduledAt, embargo)} waits: the embargo now lifts at ` +
            `${when(embargo.instant, embargo)}, and the public copy must not go out before then`,
        };
      }
      return late ? { action: 'send', message: `the public send ${lateNote}` } : { action: 'send' };
    }
    case 'single': {
      if (embargo && !lifted && late) {
        return {
          action: 'send-late',
          message: `the send ${lateNote}; the embargo still holds until ${when(embargo.instant, embargo)}, so it goes out now`,
        };
      }
      return late ? { action: 'send', message: `the send ${lateNote}` } : { action: 'send' };
    }
    default: {
      const _: never = phase;
      return _;
    }
  }
}
