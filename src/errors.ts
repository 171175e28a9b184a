/**
 * Every error pressline raises on purpose, with a stable `code` and the exit status it maps to.
 * Exit codes (DESIGN.md): 1 = the input or the outcome needs attention, 2 = could not run.
 */

export type ExitCode = 0 | 1 | 2;

/** Where in a file a problem sits; `line` is 1-based and points at the physical line. */
export interface Location {
  file: string;
  line?: number;
  field?: string;
}

const ERROR_TABLE = {
  CONFIG_INVALID: 2,
  CONFIG_UNREADABLE: 2,
  FILE_UNREADABLE: 2,
  FILE_UNWRITABLE: 2,
  ENCODING: 2,
  LIST_HEADER: 2,
  LIST_INVALID: 1,
  RELEASE_INVALID: 2,
  TEMPLATE_INVALID: 2,
  MERGE_FIELD_UNKNOWN: 2,
  EMBARGO_INVALID: 2,
  USAGE: 2,
  STORE: 2,
  NOT_FOUND: 2,
  REFUSED: 1,
  DELIVERY_FAILED: 1,
} as const satisfies Record<string, ExitCode>;

export type ErrorCode = keyof typeof ERROR_TABLE;

/** A failure meant for the user: the message says what is wrong, where, and what to do. */
export class PresslineError extends Error {
  readonly code: ErrorCode;
  readonly location: Location | undefined;

  constructor(code: ErrorCode, message: string, location?: Location) {
    super(location ? `${formatLocation(location)}: ${message}` : message);
    this.name = 'PresslineError';
    this.code = code;
    this.location = location;
  }

  get exitCode(): ExitCode {
    return ERROR_TABLE[this.code];
  }
}

/** `file:line (field)` in the form editors and terminals turn into links. */
export function formatLocation(loc: Location): string {
  let out = loc.file;
  if (loc.line !== undefined) out += `:${loc.line}`;
  if (loc.field) out += ` (${loc.field})`;
  return out;
}

/** The exit status for anything thrown: our own errors carry one, anything else could not run. */
export function exitCodeOf(err: unknown): ExitCode {
  return err instanceof PresslineError ? err.exitCode : 2;
}
