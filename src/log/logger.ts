import pino from 'pino';
import { prettyDestination } from './pretty.js';

/** Secret-bearing keys at the top of a log line. */
export const TOP_LEVEL_REDACT_PATHS = ['password', 'pass', 'secret', 'token', 'smtpUrl', 'url', 'auth', 'authorization', 'headers.authorization'];

/** Keys whose values never reach a log line, wherever they sit in the logged object. */
export const REDACT_PATHS = [
  ...TOP_LEVEL_REDACT_PATHS,
  '*.password', '*.pass', '*.secret', '*.token', '*.smtpUrl', '*.auth', '*.authorization', '*.url',
];

/**
 * Operational log (stderr by default): pino with secrets redacted. JSON lines, or with `pretty`
 * one readable line each (see pretty.ts), redacted the same way before they are formatted.
 */
export function createLogger(options: { level?: string; destination?: pino.DestinationStream; pretty?: boolean } = {}): pino.Logger {
  const destination = options.pretty ? prettyDestination(options.destination ?? process.stderr) : (options.destination ?? pino.destination(2));
  return pino(
    { level: options.level ?? process.env.PRESSLINE_LOG_LEVEL ?? 'info', redact: { paths: REDACT_PATHS, censor: '[redacted]' }, base: { pid: process.pid } },
    destination,
  );
}
