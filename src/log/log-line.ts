import type { EventType, LoggedEvent } from '../store/types.js';

/** Events a reader scanning for trouble should see (level "warn"); the rest are "info". */
const WARN_EVENTS = new Set<EventType>(['bounced', 'blocked', 'failed', 'unknown', 'complained']);

/**
 * The delivery log's lines for `events`, each ending in a newline: the bytes pino wrote for them
 * when it formatted this file (level, campaign, then the event's fields, absent ones left out;
 * test/send/log-line.test.ts holds the two side by side). Built directly because this runs for
 * every event of a sending campaign on the thread that sends: a pino logger per line cost several
 * times as much. No field can carry a secret: the line has only the fields lineOf names.
 */
export function formatLogLines(campaignId: number, events: readonly LoggedEvent[]): string {
  const info = `{"level":"info","campaign":${campaignId},`;
  const warn = `{"level":"warn","campaign":${campaignId},`;
  let text = '';
  for (const e of events) {
    // JSON.stringify leaves out undefined fields, as pino does; its opening brace is ours.
    let json = JSON.stringify(lineOf(e));
    // pino wrote a lone surrogate as it was (U+FFFD once in the file); JSON.stringify escapes it.
    // Rare (text from our own code and relays' replies decoded from bytes): the slow way then.
    if (json.includes('\\ud')) json = JSON.stringify(lineOf(e), (_key, value: unknown) => (typeof value === 'string' ? wellFormed(value) : value));
    text += (WARN_EVENTS.has(e.type) ? warn : info) + json.slice(1) + '\n';
  }
  return text;
}

const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

function wellFormed(text: string): string {
  return text.replace(LONE_SURROGATE, '\ufffd');
}

/** The line of one event: only these fields, whatever else a row carries. */
export function lineOf(e: LoggedEvent) {
  const anAttempt = e.type === 'sending' || e.attempt !== undefined;
  return {
    time: e.at.toISOString(),
    eventId: e.id,
    event: e.type,
    recipient: e.email,
    deliveryId: e.deliveryId,
    attempt: e.attempt,
    code: e.code,
    enhanced: e.enhanced,
    response: e.response,
    messageId: e.messageId,
    durationMs: e.durationMs,
    detail: e.detail,
    // Relays are named by host, never by a URL with user and password.
    worker: anAttempt ? e.worker : undefined,
    relay: anAttempt ? e.relay : undefined,
  };
}
