import type { Logger } from 'pino';
import { systemClock, type Clock } from '../time/clock.js';
import type { SendingMark, Store } from './types.js';

// Issue 13 (3): a long-running worker outlives store faults. Every store call on its path goes
// through withStoreRetry: transient errors are retried with backoff for as long as the worker
// runs, and a write whose commit may or may not have happened is never repeated blindly.

/**
 * Marks an error the store knows left nothing applied: no connection was made, or the
 * transaction failed before its COMMIT was sent (the server rolls it back).
 */
export const NOT_APPLIED = Symbol.for('pressline.store.notApplied');

/** Node socket errors that mean the server cannot be reached or the connection broke. */
const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ENETDOWN', 'EAI_AGAIN', 'ECONNABORTED']);
/** Errors that can only happen before a statement is sent: the connection was never made. */
const NEVER_CONNECTED_CODES = new Set(['ECONNREFUSED', 'EHOSTUNREACH', 'ENETUNREACH', 'ENETDOWN', 'EAI_AGAIN']);
/**
 * PostgreSQL SQLSTATEs worth another try: the server shutting down or restarting (57P01-57P03),
 * a broken connection (class 08), too many connections (53300), and a transaction the server
 * rolled back itself (serialization failure, deadlock victim).
 */
const PG_TRANSIENT = new Set(['57P01', '57P02', '57P03', '08000', '08001', '08003', '08004', '08006', '53300', '40001', '40P01']);
/** SQLSTATEs the server reports for a statement it refused or rolled back: nothing was committed. */
const PG_NOT_APPLIED = new Set(['57P03', '08001', '08004', '53300', '40001', '40P01']);
/** SQLite: another connection holds the lock; the statement (and its transaction) did not run. */
const SQLITE_TRANSIENT = /^SQLITE_(BUSY|LOCKED)/;
/** node-postgres reports a lost or unusable connection with these messages and no code. */
const PG_CONNECTION_MESSAGES = [
  /Connection terminated/i,
  /timeout exceeded when trying to connect/i,
  /connection timeout/i,
  /is not queryable/i,
  /Client was closed/i,
];

function codeOf(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | undefined)?.code;
  return typeof code === 'string' ? code : undefined;
}

/** The error and its causes, outermost first (a wrapped store error keeps its driver error as `cause`). */
function chain(err: unknown): unknown[] {
  const out: unknown[] = [];
  for (let e = err; e && typeof e === 'object' && out.length < 5; e = (e as { cause?: unknown }).cause) out.push(e);
  return out;
}

/**
 * Whether a store error is worth another try: the database unreachable, restarting or busy, or a
 * transaction it rolled back itself. False for everything else (a bad query, a constraint, a
 * refused mark), which retrying would only repeat.
 */
export function isTransientStoreError(err: unknown): boolean {
  // NOT_APPLIED alone says nothing here: a closed pool fails every connect too, for good.
  return chain(err).some((e) => {
    const code = codeOf(e);
    if (code && (NETWORK_CODES.has(code) || PG_TRANSIENT.has(code) || SQLITE_TRANSIENT.test(code))) return true;
    const message = (e as Error).message ?? '';
    return PG_CONNECTION_MESSAGES.some((m) => m.test(message)) || /\bdatabase is locked\b|\bdatabase table is locked\b/.test(message);
  });
}

/**
 * Whether a transient error certainly left nothing applied: the connection was never made, or
 * the server itself refused or rolled back the statement. False when the connection broke while
 * a statement (or its COMMIT) was in flight: then it may or may not have committed.
 */
export function certainlyNotApplied(err: unknown): boolean {
  return chain(err).some((e) => {
    if ((e as Record<symbol, unknown>)[NOT_APPLIED] === true) return true;
    const code = codeOf(e);
    if (code && (NEVER_CONNECTED_CODES.has(code) || PG_NOT_APPLIED.has(code) || SQLITE_TRANSIENT.test(code))) return true;
    // "not queryable": the client refused to send the statement (its connection had already
    // broken), so nothing went out, a COMMIT included; the server drops the open transaction.
    return /timeout exceeded when trying to connect|is not queryable|\bdatabase is locked\b|\bdatabase table is locked\b/.test((e as Error).message ?? '');
  });
}

/** A write was in flight when the connection broke: it may or may not be in the store. */
export class StoreOutcomeUnknownError extends Error {
  constructor(method: string, cause: unknown) {
    super(`the store connection broke while ${method} was being committed, so it may or may not have been applied; it is not repeated blindly (${(cause as Error)?.message ?? String(cause)})`, { cause });
    this.name = 'StoreOutcomeUnknownError';
  }
}

/**
 * How a method may be repeated after a transient error.
 * - `safe`: a read, or a write that is idempotent or guarded (compare-and-set, claim-holder
 *   checks, ON CONFLICT), so applying it twice changes nothing: retried on any transient error.
 * - `once`: a second application would do something twice (an event row, a report counted as a
 *   duplicate): retried only when the first certainly did not apply.
 */
type Repeat = 'safe' | 'once';

interface MethodPolicy {
  repeat: Repeat;
  /**
   * Argument positions holding "now": moved forward by the time spent retrying, so a claim or a
   * lease taken after a long outage runs from when it was really taken, not from before it.
   */
  now?: number[];
}

const SAFE: MethodPolicy = { repeat: 'safe' };
const ONCE: MethodPolicy = { repeat: 'once' };

/** The Store's methods (not its properties). */
type StoreMethod = { [K in keyof Store]-?: NonNullable<Store[K]> extends (...args: never[]) => unknown ? K : never }[keyof Store];

/**
 * Every Store method and how it may be repeated (`pass`: never retried). Exhaustive on purpose:
 * a new Store method does not compile until someone decides whether repeating it is harmless.
 */
const POLICIES: Record<StoreMethod, MethodPolicy | 'pass'> = {
  close: 'pass',
  // A write group spans many calls: repeating its begin, commit or rollback alone means nothing.
  beginWriteGroup: 'pass', commitWriteGroup: 'pass', rollbackWriteGroup: 'pass',
  // Reads.
  listCampaigns: SAFE, getCampaign: SAFE, campaignOwner: SAFE, deliveryKeys: SAFE, skipped: SAFE,
  nextRetryAt: SAFE, counts: SAFE, deliveries: SAFE, events: SAFE, eventsAfter: SAFE,
  instanceId: SAFE, getDelivery: SAFE, deliveryById: SAFE, findDeliveryByMessageId: SAFE, latestDeliveryTo: SAFE, countBounces: SAFE,
  bounceEvents: SAFE, quarantinedKeys: SAFE, listQuarantined: SAFE, suppressionLog: SAFE, isSuppressed: SAFE, suppressedKeys: SAFE, listSuppressions: SAFE,
  countsByCampaign: SAFE, outboxCounts: SAFE, queryDeliveries: SAFE, deliveryRow: SAFE, eventSpan: SAFE, outcomeSeries: SAFE,
  reasonCounts: SAFE, deliveryFacets: SAFE, releaseAudience: SAFE,
  deliveryEvents: SAFE, contactHistory: SAFE,
  publication: SAFE, publications: SAFE,
  // Engagement: reads are safe; a recorded open or click counted twice would be wrong.
  engagementTarget: SAFE, deliveryEngagement: SAFE, engagementEvents: SAFE, campaignEngagement: SAFE, recordEngagement: ONCE,
  liveClaimHolders: { repeat: 'safe', now: [1] },
  claimableWork: { repeat: 'safe', now: [1] },
  // Idempotent or guarded writes: a repeat after an unseen commit finds nothing left to do.
  updateCampaignOptions: SAFE,
  reschedule: SAFE,
  releaseUnreachedFromEmbargo: SAFE,
  transitionCampaign: SAFE, // compare-and-set: a repeat of a committed change finds the new status
  releaseCampaign: SAFE,
  forceReleaseCampaign: SAFE,
  releaseClaims: SAFE,
  addSuppression: SAFE, // ON CONFLICT DO NOTHING
  publishRelease: SAFE, // an upsert that keeps the first publication time
  unpublishRelease: SAFE, // a repeat after an unseen commit finds no rows left (and counts 0)
  keepBounceReport: SAFE, // ON CONFLICT DO NOTHING
  quarantineMessage: SAFE, // ON CONFLICT DO NOTHING
  acquireCampaign: { repeat: 'safe', now: [2] }, // renewing our own lease is allowed
  recoverInFlight: { repeat: 'safe', now: [1] },
  // A claim whose commit went unseen just lapses after its lease; the repeat claims afresh.
  claimBatch: { repeat: 'safe', now: [3] },
  renewClaims: { repeat: 'safe', now: [2] },
  // A slot taken by an unseen commit stays "running" (a stricter ceiling) until it counts as stale.
  takeRateSlots: { repeat: 'safe', now: [2, 3] },
  endRateSlots: SAFE, // only ends slots still running and held by us
  // Not idempotent: a repeat would add a second row, or read its own first try as a duplicate.
  createCampaign: ONCE, addDeliveries: ONCE, addSkipped: ONCE, addEvent: ONCE, requeue: ONCE,
  recordBounce: ONCE, rememberWebhook: ONCE, removeSuppression: ONCE,
  finishPlanning: ONCE, // a repeat after an unseen commit would find the plan finished and say so
  writeBatch: ONCE, // with marks; without, safe (see retryWriteBatch)
};

export interface StoreRetryOptions {
  /** Longest wait between two tries (default 30 s); the first waits `baseDelayMs` (default 250 ms). */
  maxDelayMs?: number;
  baseDelayMs?: number;
  /** While an outage lasts, a reminder at warn this often (default 60 s). */
  reminderMs?: number;
  /** Stop retrying once this aborts (the worker is shutting down): the last error is thrown. */
  signal?: AbortSignal | undefined;
  clock?: Clock;
  random?: () => number;
}

/** The wait before try `attempt + 1`: exponential, capped, with jitter (half to all of it). */
export function retryDelayMs(attempt: number, options: { baseDelayMs: number; maxDelayMs: number }, random: () => number = Math.random): number {
  const ceiling = Math.min(options.maxDelayMs, options.baseDelayMs * 2 ** Math.min(attempt - 1, 30));
  return Math.round(ceiling / 2 + (ceiling / 2) * random());
}

/**
 * A Store whose worker-path methods retry transient errors (see isTransientStoreError) with
 * exponential backoff and jitter for as long as `signal` lets them, logging each outage once at
 * warn (a reminder each `reminderMs`) and its end at warn with how long it lasted. A write whose
 * commit went unseen is repeated only when repeating it is harmless, or (sending marks) when its
 * rows show it did not apply; otherwise it fails with StoreOutcomeUnknownError. Permanent errors
 * pass through at once.
 */
export function withStoreRetry(store: Store, log: Logger, options: StoreRetryOptions = {}): Store {
  const clock = options.clock ?? systemClock;
  const random = options.random ?? Math.random;
  const delays = { baseDelayMs: options.baseDelayMs ?? 250, maxDelayMs: options.maxDelayMs ?? 30_000 };
  const reminderMs = options.reminderMs ?? 60_000;
  let outage: { since: number; failures: number; remindedAt: number } | undefined;

  const failed = (method: string, err: unknown, waitMs: number) => {
    const now = clock.now().getTime();
    const message = (err as Error)?.message ?? String(err);
    if (!outage) {
      outage = { since: now, failures: 1, remindedAt: now };
      log.warn({ method, err: message, retryInMs: waitMs }, `store unreachable or busy (${message}); retrying with backoff until it answers`);
      return;
    }
    outage.failures++;
    if (now - outage.remindedAt >= reminderMs) {
      outage.remindedAt = now;
      log.warn({ method, err: message, downMs: now - outage.since, failures: outage.failures }, `store still unreachable after ${Math.round((now - outage.since) / 1000)} s (${message}); still retrying`);
    } else {
      log.debug({ method, err: message, retryInMs: waitMs }, 'store call failed; retrying');
    }
  };
  const answered = () => {
    if (!outage) return;
    const downMs = clock.now().getTime() - outage.since;
    log.warn({ downMs, failures: outage.failures }, `store reachable again after ${Math.round(downMs / 1000)} s`);
    outage = undefined;
  };

  async function call<T>(method: string, policy: MethodPolicy, args: unknown[], run: (args: unknown[]) => Promise<T>): Promise<T> {
    const started = clock.now().getTime();
    for (let attempt = 1; ; attempt++) {
      try {
        const result = await run(attempt === 1 ? args : movedNow(args, policy.now, clock.now().getTime() - started));
        answered();
        return result;
      } catch (err) {
        if (!isTransientStoreError(err)) throw err;
        if (policy.repeat === 'once' && !certainlyNotApplied(err)) {
          const unknown = new StoreOutcomeUnknownError(method, err);
          log.warn({ method, err: (err as Error)?.message ?? String(err) }, unknown.message);
          throw unknown;
        }
        if (options.signal?.aborted) throw err;
        const wait = retryDelayMs(attempt, delays, random);
        failed(method, err, wait);
        await clock.sleep(wait, options.signal);
        if (options.signal?.aborted) throw err;
      }
    }
  }

  /**
   * Marks are never repeated blindly after an unseen commit. Once the store answers, their rows
   * tell what happened (the batch is one transaction: all of it or none): all still pending (or
   * deferred), so nothing was applied and the batch is written again, its own guard still in
   * force; all `sending` by this worker, so it was applied and the sender goes on. Anything else
   * (another worker took them after our claims lapsed, recovery settled them) fails the write:
   * the sender stops and recovery settles the rows as `unknown`. The batch's outcomes are then
   * written again on their own (guarded by `status = 'sending'`), so no reply the relay gave is lost.
   */
  async function retryWriteBatch(...args: Parameters<Store['writeBatch']>): Promise<void> {
    const [marks, outcomes, now] = args;
    const write = (a: unknown[]) => store.writeBatch(...(a as typeof args));
    if (marks.length === 0) return call('writeBatch', SAFE, args, write);
    for (;;) {
      try {
        return await call('writeBatch', ONCE, args, write);
      } catch (err) {
        if (!(err instanceof StoreOutcomeUnknownError)) {
          // A refused mark (its claim lost) rolled the batch back, outcomes and all: they still count.
          if (outcomes.length > 0) await call('writeBatch', SAFE, [[], outcomes, now], write).catch(() => undefined);
          throw err;
        }
        const fate = await markFate(marks).catch(() => 'unknown' as const);
        if (fate === 'applied') {
          log.warn({ marks: marks.length }, 'the sending marks in doubt were committed after all; going on');
          return;
        }
        if (fate === 'not-applied') {
          log.warn({ marks: marks.length }, 'the sending marks in doubt were not committed; writing them again');
          continue;
        }
        if (outcomes.length > 0) await call('writeBatch', SAFE, [[], outcomes, now], write).catch(() => undefined);
        throw err;
      }
    }
  }

  async function markFate(marks: SendingMark[]): Promise<'applied' | 'not-applied' | 'unknown'> {
    const rows = [];
    for (const m of marks) rows.push(await call('deliveryRow', SAFE, [m.deliveryId], (a) => store.deliveryRow(a[0] as number)));
    if (rows.every((r) => r?.status === 'pending' || r?.status === 'deferred')) return 'not-applied';
    if (rows.every((r, i) => r?.status === 'sending' && r.worker === marks[i]!.worker)) return 'applied';
    return 'unknown';
  }

  return new Proxy(store, {
    get(target, prop, receiver) {
      const value = Reflect.get(target, prop, receiver);
      if (typeof value !== 'function') return value;
      if (prop === 'writeBatch') return retryWriteBatch;
      const policy = POLICIES[prop as StoreMethod];
      if (!policy || policy === 'pass') return value.bind(target);
      return (...args: unknown[]) => call(String(prop), policy, args, (a) => value.apply(target, a));
    },
  });
}

function movedNow(args: unknown[], positions: number[] | undefined, elapsedMs: number): unknown[] {
  if (!positions || elapsedMs <= 0) return args;
  const out = [...args];
  for (const i of positions) {
    const d = out[i];
    if (d instanceof Date) out[i] = new Date(d.getTime() + elapsedMs);
  }
  return out;
}

/**
 * Runs `open` until it succeeds, waiting with backoff while it fails with a transient store
 * error (logged at warn, once); any other error, or an abort, is thrown at once.
 */
export async function untilStoreAnswers<T>(open: () => Promise<T>, log: Logger, options: StoreRetryOptions = {}): Promise<T> {
  const clock = options.clock ?? systemClock;
  const delays = { baseDelayMs: options.baseDelayMs ?? 250, maxDelayMs: options.maxDelayMs ?? 30_000 };
  const started = clock.now().getTime();
  for (let attempt = 1; ; attempt++) {
    try {
      const opened = await open();
      if (attempt > 1) log.warn({ downMs: clock.now().getTime() - started }, `store reachable again after ${Math.round((clock.now().getTime() - started) / 1000)} s`);
      return opened;
    } catch (err) {
      if (!isTransientStoreError(err) || options.signal?.aborted) throw err;
      const wait = retryDelayMs(attempt, delays, options.random);
      if (attempt === 1) log.warn({ err: (err as Error).message, retryInMs: wait }, `cannot open the store yet (${(err as Error).message}); retrying with backoff until it answers`);
      await clock.sleep(wait, options.signal);
      if (options.signal?.aborted) throw err;
    }
  }
}
