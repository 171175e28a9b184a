import { expect } from 'vitest';
import { PresslineError } from '../../src/errors.js';

/** "2026-12-01T08:00:00Z": ISO without the zero milliseconds, for readable expectations. */
export const iso = (d: Date) => d.toISOString().replace('.000', '');

/** Runs fn, expecting a PresslineError with `code`; returns it for message checks. */
export function presslineError(fn: () => unknown, code = 'USAGE'): PresslineError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(PresslineError);
    expect((err as PresslineError).code).toBe(code);
    return err as PresslineError;
  }
  throw new Error(`expected a ${code} error`);
}
