import type { Rate } from '../config/rate.js';
import type { Pace } from '../send/sender.js';

/**
 * When the last of `n` starts can come at the earliest under `rate`: `count` may start in any
 * window, so the last one waits out ceil(n / count) - 1 windows. 0 without a limit.
 */
function lastStartMs(n: number, rate: Rate): number {
  if (rate.count === 0 || n === 0) return 0;
  return (Math.ceil(n / rate.count) - 1) * rate.windowMs;
}

/**
 * The shortest a send can take at the rates it will really use (flags over config, see
 * paceFrom): the slower of the global ceiling and the busiest domain under its own ceiling (each
 * domain has its own, so they run side by side), plus the pauses between batches. Undefined when
 * nothing limits it: then only the relay's speed decides, which no plan can know.
 */
export function estimateMs(recipients: number, perDomain: ReadonlyMap<string, number>, pace: Pace): number | undefined {
  let ms = lastStartMs(recipients, pace.global);
  for (const [domain, n] of perDomain) ms = Math.max(ms, lastStartMs(n, pace.domains.get(domain.toLowerCase()) ?? pace.perDomain));
  const pauses = pace.batchPauseMs > 0 ? (Math.ceil(recipients / pace.batchSize) - 1) * pace.batchPauseMs : 0;
  ms += Math.max(0, pauses);
  const limited = pace.global.count > 0 || pace.perDomain.count > 0 || [...pace.domains.values()].some((r) => r.count > 0) || pauses > 0;
  return limited ? ms : undefined;
}
