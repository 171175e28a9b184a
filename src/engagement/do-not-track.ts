import { readFileSync, statSync } from 'node:fs';
import { PresslineError } from '../errors.js';
import { checkEmail } from '../lists/email.js';

/** Largest do-not-track file read: a list of addresses, not a database. */
export const DO_NOT_TRACK_MAX_BYTES = 4_000_000;


/**
 * The global do-not-track list: one address a line, `#` starts a comment, blank lines ignored.
 * Throws CONFIG_INVALID naming the file (and line) when it is missing, too big, or a line is not
 * an address: tracking someone who asked not to be tracked is worse than not sending.
 */
export function readDoNotTrack(file: string): Set<string> {
  let size: number;
  try {
    size = statSync(file).size;
  } catch {
    throw new PresslineError('CONFIG_INVALID', `${file}: the do-not-track file (config tracking.doNotTrack) cannot be read; create it or remove the setting`);
  }
  if (size > DO_NOT_TRACK_MAX_BYTES) {
    throw new PresslineError('CONFIG_INVALID', `${file}: the do-not-track file is ${size} bytes, more than ${DO_NOT_TRACK_MAX_BYTES}; keep one address a line`);
  }
  return parseDoNotTrack(readFileSync(file, 'utf8'), file);
}

/** The addresses of a do-not-track file's text (see readDoNotTrack). */
export function parseDoNotTrack(text: string, file: string): Set<string> {
  const keys = new Set<string>();
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = raw.replace(/#.*$/, '').trim();
    if (line === '') return;
    // The lists' own key (lower case, an IDN domain in punycode), so any spelling of an address matches.
    const checked = checkEmail(line);
    if (!checked.ok) {
      throw new PresslineError('CONFIG_INVALID', `${file}:${i + 1}: "${line.slice(0, 80)}" is not an email address (${checked.reason}); write one address a line (# starts a comment)`);
    }
    keys.add(checked.key);
  });
  return keys;
}

/**
 * Whether a list's tracking cell lets us track this person: empty, or a clear yes (yes, y, true,
 * 1, on, and ja, oui, sí, да). Anything else — no, nein, non, opt-out, a typo — refuses: reading
 * an unclear answer as consent would track someone who may have said no.
 */
export function cellAllowsTracking(value: string | undefined): boolean {
  const v = (value ?? '').trim();
  return v === '' || /^(yes|y|true|1|on|ja|oui|s[ií]|да)$/iu.test(v);
}

/** The list's column that says whether a contact may be tracked (`tracking`, any case), if it has one. */
export function trackingColumn(columns: readonly string[]): string | undefined {
  return columns.find((c) => c.trim().toLowerCase() === 'tracking');
}

/** `kept` with the list's tracking column added (in list order) when the list has one. */
export function withTrackingColumn(kept: readonly string[], columns: readonly string[]): string[] {
  const column = trackingColumn(columns);
  if (column === undefined || kept.includes(column)) return [...kept];
  const set = new Set([...kept, column]);
  return columns.filter((c) => set.has(c));
}
