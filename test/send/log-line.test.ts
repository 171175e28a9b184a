import { describe, expect, it } from 'vitest';
import pino from 'pino';
import { TOP_LEVEL_REDACT_PATHS } from '../../src/log/logger.js';
import { formatLogLines, lineOf } from '../../src/log/log-line.js';
import type { EventType, LoggedEvent } from '../../src/store/types.js';

/** How the delivery log formatted its lines before formatLogLines: a pino logger per file. */
function pinoLines(campaignId: number, events: LoggedEvent[]): string {
  const out: string[] = [];
  const logger = pino(
    {
      base: { campaign: campaignId },
      timestamp: false,
      messageKey: 'msg',
      formatters: { level: (label) => ({ level: label }) },
      redact: { paths: TOP_LEVEL_REDACT_PATHS, censor: '[redacted]' },
    },
    { write: (line: string) => void out.push(line) },
  );
  const warn = new Set<EventType>(['bounced', 'blocked', 'failed', 'unknown', 'complained']);
  for (const e of events) logger[warn.has(e.type) ? 'warn' : 'info'](lineOf(e));
  return out.join('');
}

const at = new Date('2026-03-01T09:30:00.123Z');
const event = (id: number, type: EventType, more: Partial<LoggedEvent> = {}): LoggedEvent => ({
  id, campaignId: 7, deliveryId: id, at, type, email: `j${id}@d.example`, worker: undefined, relay: undefined, ...more,
});

describe('delivery log lines', () => {
  it('are the bytes pino wrote, for every kind of event and awkward text', () => {
    const events: LoggedEvent[] = [
      event(1, 'planned'),
      event(2, 'sending', { attempt: 1, messageId: '<pressline.a.7.b@ngo.example.org>', worker: 'host:1:abc', relay: 'smtp://relay.example:587' }),
      event(3, 'sent', { attempt: 1, code: 250, enhanced: '2.0.0', response: '250 2.0.0 Ok: queued as "X\\Y"', durationMs: 12.5, worker: 'w', relay: 'r' }),
      event(4, 'bounced', { attempt: 2, code: 550, response: '550 5.1.1 <économie@ÖKO.example>: user unknown\r\n\ttab', detail: 'hard bounce' }),
      event(5, 'deferred', { attempt: 1, code: 451, response: 'greylisted \u2028 \u0000 \u001f', detail: 'transient; retry 2 of 5 at 2026-03-01T09:35:00.000Z' }),
      event(6, 'unknown', { deliveryId: undefined, email: undefined, detail: 'in flight at a crash: not resent unless --resend-unknown' }),
      event(7, 'suppressed', { detail: 'lone surrogate \ud800 and emoji 📰' }),
      event(8, 'failed', { attempt: 3, durationMs: Number.NaN, worker: 'not an attempt' }),
      event(9, 'skipped', { worker: 'w', relay: 'r' }), // not an attempt: no worker or relay in the line
      event(10, 'complained', { response: 'x'.repeat(200) }),
    ];
    // Compared as the bytes that reach the file (a lone surrogate is U+FFFD there either way).
    expect(Buffer.from(formatLogLines(7, events)).toString('latin1')).toBe(Buffer.from(pinoLines(7, events)).toString('latin1'));
    expect(formatLogLines(7, [])).toBe('');
  });

  it('parse back to the event, warn for trouble', () => {
    const [sent, bounced] = formatLogLines(3, [event(1, 'sent', { attempt: 1, worker: 'w' }), event(2, 'bounced')]).trimEnd().split('\n').map((l) => JSON.parse(l));
    expect(sent).toEqual({ level: 'info', campaign: 3, time: at.toISOString(), eventId: 1, event: 'sent', recipient: 'j1@d.example', deliveryId: 1, attempt: 1, worker: 'w' });
    expect(bounced.level).toBe('warn');
  });
});
