import { PresslineError } from '../errors.js';

/** A ceiling of `count` events in any window of `windowMs`; `count` 0 means no limit. */
export interface Rate {
  count: number;
  windowMs: number;
}

const UNIT_MS: Record<string, number> = { s: 1_000, m: 60_000, h: 3_600_000 };

/** Parses `50/s`, `300/m`, `2000/h`, a bare number (per second) or `0` (no limit). */
export function parseRate(text: string | number, where = 'rate'): Rate {
  const raw = String(text).trim();
  const match = /^(\d+(?:\.\d+)?)\s*(?:\/\s*([smh]))?$/i.exec(raw);
  if (!match) {
    throw new PresslineError(
      'USAGE',
      `${where}: "${raw}" is not a rate; write it as 50/s, 300/m, 2000/h, a bare number (per second) or 0 for no limit`,
    );
  }
  const count = Number(match[1]);
  const windowMs = UNIT_MS[(match[2] ?? 's').toLowerCase()]!;
  if (!Number.isInteger(count)) {
    // 0.5/s is really 1 per 2 s; keep whole counts so sliding windows stay exact.
    return { count: 1, windowMs: Math.round(windowMs / count) };
  }
  return { count, windowMs };
}

/** `50/s` back from a Rate, for plans and logs. */
export function formatRate(rate: Rate): string {
  if (rate.count === 0) return 'no limit';
  for (const [unit, ms] of Object.entries(UNIT_MS)) {
    if (rate.windowMs === ms) return `${rate.count}/${unit}`;
  }
  return `${rate.count} per ${rate.windowMs} ms`;
}

/** Messages per second the rate allows on average (Infinity for no limit). */
export function perSecond(rate: Rate): number {
  return rate.count === 0 ? Infinity : (rate.count * 1000) / rate.windowMs;
}
