import { PresslineError } from '../errors.js';
import type { Progress } from '../send/sender.js';
import type { StatusCounts } from '../store/types.js';
import { WRITTEN_TO_OUTBOX } from '../send/outbox-relay.js';
import { formatDuration } from './terminal.js';

/**
 * How a send shows its progress: a live bar on a terminal; off one (a log file, cron, CI) a
 * plain line every few seconds, or one JSON object per line for a program to read. All on stderr,
 * so stdout keeps the summary (or the --json document).
 */
export type ProgressMode = 'bar' | 'lines' | 'json' | 'none';
const MODES: readonly ProgressMode[] = ['bar', 'lines', 'json', 'none'];

/** How often a line is written off a terminal. */
export const LINE_INTERVAL_MS = 5_000;
/** The bar is redrawn at most this often. */
const BAR_INTERVAL_MS = 100;

export function progressMode(flag: string | undefined, stderrIsTerminal: boolean, json: boolean): ProgressMode {
  if (flag === undefined) return stderrIsTerminal ? (json ? 'none' : 'bar') : 'lines';
  if (!(MODES as readonly string[]).includes(flag)) throw new PresslineError('USAGE', `--progress ${JSON.stringify(flag)}: use bar, lines, json or none`);
  return flag as ProgressMode;
}

/** Attempts seen before an ETA is shown: the first messages include connecting and are no guide. */
const MIN_ATTEMPTS = 5;
/** Throughput is measured over about this long a stretch, so it follows a send that speeds up or slows down. */
const WINDOW_MS = 10_000;

/**
 * Messages per second from what was observed, not from when the run started: the clock starts at
 * the first progress report with an attempt done (connecting, planning and the first replies
 * would otherwise make a 17 s send look like 15 minutes), and older samples drop out of a window.
 */
export class Throughput {
  private samples: { at: number; attempts: number }[] = [];

  observe(at: number, attempts: number): void {
    if (attempts === 0) return;
    const last = this.samples.at(-1);
    if (last && last.attempts === attempts) return;
    this.samples.push({ at, attempts });
    // Keep one sample older than the window as the base of the measurement.
    while (this.samples.length > 2 && at - this.samples[1]!.at >= WINDOW_MS) this.samples.shift();
  }

  /** Messages per second, or undefined until a few messages and a little time have been seen. */
  perSecond(now: number): number | undefined {
    const first = this.samples[0];
    const last = this.samples.at(-1);
    if (!first || !last || last.attempts - first.attempts < MIN_ATTEMPTS) return undefined;
    const seconds = (Math.max(now, last.at) - first.at) / 1000;
    return seconds > 0 ? (last.attempts - first.attempts) / seconds : undefined;
  }
}

/** Deliveries that reached a final status (what the bar and the ETA count). */
export function settledOf(c: StatusCounts): number {
  return c.sent + c.bounced + c.blocked + c.failed + c.suppressed + c.skipped + c.unknown;
}

export interface Snapshot {
  total: number;
  settled: number;
  counts: StatusCounts;
  perSecond: number | undefined;
  etaMs: number | undefined;
  waitingUntil: Date | undefined;
  /** Messages go to the outbox folder: "sent" is not the word. */
  outbox: boolean;
}

function etaText(s: Snapshot): string {
  if (s.settled >= s.total) return 'ETA 0 s';
  return s.etaMs === undefined ? 'ETA …' : `ETA ${formatDuration(s.etaMs)}`;
}

/**
 * The bar's one line, fitted to `width` columns by leaving out whole parts, least useful first
 * (never by cutting one in half: "ETA 50" without its unit reads as anything).
 */
export function barLine(s: Snapshot, width: number): string {
  const filled = s.total > 0 ? Math.round((Math.min(s.settled, s.total) / s.total) * 20) : 20;
  const c = s.counts;
  // [text, rank]: the lowest ranks stay longest.
  const parts: [string, number][] = [
    [`[${'#'.repeat(filled)}${'.'.repeat(20 - filled)}]`, 6],
    [`${s.settled}/${s.total}`, 0],
    [`${s.outbox ? WRITTEN_TO_OUTBOX : 'sent'} ${c.sent}`, 3],
    [`deferred ${c.deferred}`, c.deferred > 0 ? 4 : 8],
    [`bounced ${c.bounced + c.blocked}`, c.bounced + c.blocked > 0 ? 4 : 8],
    [`failed ${c.failed}`, c.failed > 0 ? 4 : 8],
    [s.perSecond === undefined ? '…/s' : `${s.perSecond.toFixed(1)}/s`, 5],
    [etaText(s), 1],
  ];
  if (s.waitingUntil) parts.push([`waiting for retries until ${s.waitingUntil.toLocaleTimeString()}`, 2]);
  const max = Math.max(1, width - 1);
  let kept = parts;
  const text = () => kept.map(([t]) => t).join('  ');
  while (text().length > max && kept.length > 1) {
    const worst = Math.max(...kept.map(([, r]) => r));
    const at = kept.findLastIndex(([, r]) => r === worst);
    kept = kept.filter((_, i) => i !== at);
  }
  return text();
}

/** The plain line written off a terminal. */
export function progressLine(s: Snapshot): string {
  const c = s.counts;
  const counts = Object.entries({ [s.outbox ? WRITTEN_TO_OUTBOX : 'sent']: c.sent, deferred: c.deferred, bounced: c.bounced + c.blocked, failed: c.failed, unknown: c.unknown })
    .filter(([, n]) => n > 0)
    .map(([k, n]) => `${k} ${n}`);
  const rate = s.perSecond === undefined ? '' : `, ${s.perSecond.toFixed(1)}/s`;
  const wait = s.waitingUntil ? `, waiting for retries until ${s.waitingUntil.toISOString()}` : '';
  return `progress: ${s.settled}/${s.total} settled${counts.length ? ` (${counts.join(', ')})` : ''}${rate}, ${etaText(s)}${wait}`;
}

export interface Reporter {
  update(p: Progress): void;
  /** Where messages go, once the run knows (its transport). */
  transport(outbox: boolean): void;
  done(): void;
}

export interface ReporterOptions {
  campaignId: number;
  write?: (text: string) => void;
  columns?: () => number;
  now?: () => number;
}

/** A progress reporter of the given mode; every mode writes only to stderr. */
export function progressReporter(mode: ProgressMode, total: number, options: ReporterOptions): Reporter {
  const write = options.write ?? ((t: string) => void process.stderr.write(t));
  const now = options.now ?? Date.now;
  const columns = options.columns ?? (() => process.stderr.columns ?? 80);
  const meter = new Throughput();
  let outbox = false;
  let last: Progress | undefined;
  let shownAt: number | undefined;

  const snapshot = (p: Progress): Snapshot => {
    const settled = settledOf(p.counts);
    const perSecond = meter.perSecond(now());
    const etaMs = perSecond ? ((total - settled) / perSecond) * 1000 : undefined;
    return { total, settled, counts: p.counts, perSecond, etaMs, waitingUntil: p.waitingUntil, outbox };
  };
  const show = (p: Progress, final: boolean) => {
    const s = snapshot(p);
    if (mode === 'bar') write(`\r\x1b[2K${barLine(s, columns())}`);
    else if (mode === 'lines') write(`${progressLine(s)}\n`);
    else if (mode === 'json') {
      write(
        JSON.stringify({
          type: 'progress', campaign: options.campaignId, at: new Date(now()).toISOString(), total, settled: s.settled, counts: s.counts,
          outbox, perSecond: s.perSecond === undefined ? null : Math.round(s.perSecond * 10) / 10, etaMs: s.etaMs === undefined ? null : Math.round(s.etaMs), waitingUntil: s.waitingUntil?.toISOString() ?? null, final,
        }) + '\n',
      );
    }
  };
  const interval = mode === 'bar' ? BAR_INTERVAL_MS : LINE_INTERVAL_MS;

  return {
    update(p) {
      if (mode === 'none') return;
      last = p;
      const t = now();
      meter.observe(t, p.attemptsDone);
      // The first report at once (so a short send still says it started), then every interval.
      if (shownAt !== undefined && t - shownAt < interval) return;
      shownAt = t;
      show(p, false);
    },
    transport(toOutbox) {
      outbox = toOutbox;
    },
    done() {
      if (mode === 'bar') write('\r\x1b[2K');
      else if (mode !== 'none' && last) show(last, true);
    },
  };
}
