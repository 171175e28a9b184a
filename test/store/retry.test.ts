// Issue 13 (3): which store errors are worth another try, and the wrapper that retries them.
// The store under the wrapper is a small scripted stand-in (the wrapper is what is tested);
// the PostgreSQL case at the end uses a real server through a proxy the test cuts.
import { describe, expect, it } from 'vitest';
import type { Clock } from '../../src/time/clock.js';
import { PresslineError } from '../../src/errors.js';
import { createLogger } from '../../src/log/logger.js';
import { certainlyNotApplied, isTransientStoreError, NOT_APPLIED, retryDelayMs, StoreOutcomeUnknownError, withStoreRetry } from '../../src/store/retry.js';
import type { OutcomeRecord, SendingMark, Store } from '../../src/store/types.js';

const err = (code: string | undefined, message = 'x') => Object.assign(new Error(message), code ? { code } : {});

/** A clock whose sleeps pass at once, moving its time: the waits are recorded, not slept. */
function fastClock(): Clock & { waits: number[] } {
  let t = Date.parse('2030-01-01T00:00:00Z');
  const waits: number[] = [];
  return { waits, now: () => new Date(t), sleep: async (ms) => void (waits.push(ms), (t += ms)) };
}

function capture() {
  const lines: { level: number; msg: string }[] = [];
  const log = createLogger({ level: 'debug', destination: { write: (s: string) => void lines.push(JSON.parse(s)) } as never });
  return { log, lines, warns: () => lines.filter((l) => l.level === 40).map((l) => l.msg) };
}

/** A store whose methods answer from a script: each call takes the next step (an error to throw, or a value). */
function scripted(steps: Partial<Record<keyof Store, unknown[]>>) {
  const calls: { method: string; args: unknown[] }[] = [];
  const store = new Proxy({ kind: 'postgres' } as Store, {
    get(target, prop) {
      if (prop === 'kind') return 'postgres';
      return async (...args: unknown[]) => {
        calls.push({ method: String(prop), args });
        const next = steps[prop as keyof Store]?.shift();
        if (next instanceof Error) throw next;
        return next;
      };
    },
  });
  return { store, calls: (m: string) => calls.filter((c) => c.method === m) };
}

const mark: SendingMark = { deliveryId: 1, messageId: '<m1@x>', worker: 'w', relay: 'r' };
const outcome = { deliveryId: 2, status: 'sent', at: new Date(), attempt: 1, code: 250, enhanced: undefined, response: 'ok', messageId: '<m2@x>', durationMs: 5 } as OutcomeRecord;

describe('isTransientStoreError', () => {
  it('retries the database being away, restarting, busy, or rolling back on its own', () => {
    for (const code of ['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', '57P01', '57P02', '57P03', '08000', '08003', '08006', '40001', '40P01', 'SQLITE_BUSY', 'SQLITE_BUSY_SNAPSHOT', 'SQLITE_LOCKED']) {
      expect(isTransientStoreError(err(code)), code).toBe(true);
    }
    expect(isTransientStoreError(new Error('Connection terminated unexpectedly'))).toBe(true);
    expect(isTransientStoreError(new Error('timeout exceeded when trying to connect'))).toBe(true);
    expect(isTransientStoreError(new Error('database is locked'))).toBe(true); // SQLite writer thread
    // Opening the store wraps the driver's error; the cause still tells.
    expect(isTransientStoreError(Object.assign(new PresslineError('STORE', 'cannot open the PostgreSQL store'), { cause: err('ECONNREFUSED') }))).toBe(true);
  });

  it('does not retry what another try would only repeat', () => {
    for (const code of ['23505', '42P01', '42703', '28P01', '3D000', 'SQLITE_CONSTRAINT', 'SQLITE_CORRUPT', 'ENOTFOUND', 'STORE', undefined]) {
      expect(isTransientStoreError(err(code)), String(code)).toBe(false);
    }
    expect(isTransientStoreError(new Error('delivery 5 is no longer pending or no longer claimed by w; refusing to send it'))).toBe(false);
    expect(isTransientStoreError(new PresslineError('STORE', 'cannot open the PostgreSQL store: password authentication failed'))).toBe(false);
    expect(isTransientStoreError(undefined)).toBe(false);
    // A closed pool fails every connect: tagged as never sent, but no retry cures it.
    expect(isTransientStoreError(Object.assign(new Error('Cannot use a pool after calling end on the pool'), { [NOT_APPLIED]: true }))).toBe(false);
  });

  it('tells a write that certainly did not apply from one whose commit went unseen', () => {
    for (const code of ['ECONNREFUSED', '57P03', '40001', '40P01', 'SQLITE_BUSY']) expect(certainlyNotApplied(err(code)), code).toBe(true);
    expect(certainlyNotApplied(Object.assign(err('ECONNRESET'), { [NOT_APPLIED]: true }))).toBe(true); // lost while connecting
    for (const code of ['ECONNRESET', 'EPIPE', '57P01', '08006']) expect(certainlyNotApplied(err(code)), code).toBe(false);
    expect(certainlyNotApplied(new Error('Connection terminated unexpectedly'))).toBe(false);
    expect(certainlyNotApplied(new Error('Client has encountered a connection error and is not queryable'))).toBe(true);
  });
});

describe('retryDelayMs', () => {
  it('grows exponentially with jitter and stays bounded', () => {
    const o = { baseDelayMs: 250, maxDelayMs: 30_000 };
    expect(retryDelayMs(1, o, () => 0)).toBe(125);
    expect(retryDelayMs(1, o, () => 1)).toBe(250);
    expect(retryDelayMs(4, o, () => 1)).toBe(2000);
    for (const attempt of [8, 20, 1000]) {
      expect(retryDelayMs(attempt, o, () => 0)).toBe(15_000);
      expect(retryDelayMs(attempt, o, () => 1)).toBe(30_000);
    }
  });
});

describe('withStoreRetry', () => {
  it('retries a read through an outage, says so once at warn, and when it is over', async () => {
    const { store, calls } = scripted({ listCampaigns: [err('ECONNREFUSED'), err('ECONNREFUSED'), err('57P03'), ['c1']] });
    const clock = fastClock();
    const { log, warns } = capture();
    const retrying = withStoreRetry(store, log, { clock, random: () => 1 });
    expect(await retrying.listCampaigns()).toEqual(['c1']);
    expect(calls('listCampaigns')).toHaveLength(4);
    expect(clock.waits).toEqual([250, 500, 1000]);
    expect(warns()).toHaveLength(2);
    expect(warns()[0]).toMatch(/store unreachable or busy .*ECONNREFUSED|store unreachable or busy/);
    expect(warns()[1]).toBe('store reachable again after 2 s');
  });

  it('passes a permanent error through at once', async () => {
    const { store, calls } = scripted({ getCampaign: [err('42P01', 'relation "campaigns" does not exist')] });
    const clock = fastClock();
    const { log, warns } = capture();
    await expect(withStoreRetry(store, log, { clock }).getCampaign(1)).rejects.toThrow(/does not exist/);
    expect(calls('getCampaign')).toHaveLength(1);
    expect(clock.waits).toEqual([]);
    expect(warns()).toEqual([]);
  });

  it('never repeats sending marks whose commit went unseen when their rows cannot say; the batch\'s outcomes are written again alone', async () => {
    // Another worker marked the row after our claim lapsed: whether ours applied cannot be told.
    const { store, calls } = scripted({ writeBatch: [err('ECONNRESET', 'read ECONNRESET'), undefined], deliveryRow: [{ status: 'sending', worker: 'other' }] });
    const { log, warns } = capture();
    const write = withStoreRetry(store, log, { clock: fastClock() }).writeBatch([mark], [outcome], new Date());
    await expect(write).rejects.toBeInstanceOf(StoreOutcomeUnknownError);
    const tries = calls('writeBatch');
    expect(tries).toHaveLength(2);
    expect(tries[1]!.args[0]).toEqual([]); // no marks in the second write
    expect(tries[1]!.args[1]).toEqual([outcome]);
    expect(warns().some((w) => /may or may not have been applied/.test(w))).toBe(true);
  });

  it('after an unseen commit, goes on without writing again when the rows show the marks applied', async () => {
    const { store, calls } = scripted({ writeBatch: [new Error('Connection terminated unexpectedly')], deliveryRow: [err('ECONNREFUSED'), { status: 'sending', worker: 'w' }] });
    const { log, warns } = capture();
    await withStoreRetry(store, log, { clock: fastClock() }).writeBatch([mark], [outcome], new Date());
    expect(calls('writeBatch')).toHaveLength(1);
    expect(warns().some((w) => /committed after all/.test(w))).toBe(true);
  });

  it('after an unseen commit, writes the marks again when the rows show they did not apply', async () => {
    const { store, calls } = scripted({ writeBatch: [err('EPIPE'), undefined], deliveryRow: [{ status: 'pending', worker: undefined }] });
    await withStoreRetry(store, capture().log, { clock: fastClock() }).writeBatch([mark], [], new Date());
    const tries = calls('writeBatch');
    expect(tries).toHaveLength(2);
    expect(tries[1]!.args[0]).toEqual([mark]);
  });

  it('writes the outcomes of a batch again on their own when one of its marks is refused', async () => {
    const refused = new Error('delivery 1 is no longer pending or no longer claimed by w; refusing to send it');
    const { store, calls } = scripted({ writeBatch: [refused, undefined] });
    await expect(withStoreRetry(store, capture().log, { clock: fastClock() }).writeBatch([mark], [outcome], new Date())).rejects.toBe(refused);
    expect(calls('writeBatch').map((c) => [c.args[0], c.args[1]])).toEqual([[[mark], [outcome]], [[], [outcome]]]);
  });

  it('retries sending marks while the store certainly did not take them (connection refused)', async () => {
    const { store, calls } = scripted({ writeBatch: [err('ECONNREFUSED'), err('40P01'), undefined] });
    await withStoreRetry(store, capture().log, { clock: fastClock() }).writeBatch([mark], [], new Date());
    expect(calls('writeBatch')).toHaveLength(3);
  });

  it('retries outcomes alone even after an unseen commit (applying one twice changes nothing)', async () => {
    const { store, calls } = scripted({ writeBatch: [new Error('Connection terminated unexpectedly'), undefined] });
    await withStoreRetry(store, capture().log, { clock: fastClock() }).writeBatch([], [outcome], new Date());
    expect(calls('writeBatch')).toHaveLength(2);
  });

  it('does not repeat a non-idempotent write after an unseen commit, but does after a refused connection', async () => {
    const a = scripted({ addEvent: [err('ECONNRESET')] });
    await expect(withStoreRetry(a.store, capture().log, { clock: fastClock() }).addEvent({ campaignId: 1, deliveryId: undefined, at: new Date(), type: 'campaign' })).rejects.toBeInstanceOf(StoreOutcomeUnknownError);
    expect(a.calls('addEvent')).toHaveLength(1);
    const b = scripted({ addEvent: [err('ECONNREFUSED'), undefined] });
    await withStoreRetry(b.store, capture().log, { clock: fastClock() }).addEvent({ campaignId: 1, deliveryId: undefined, at: new Date(), type: 'campaign' });
    expect(b.calls('addEvent')).toHaveLength(2);
  });

  it('takes a claim after an outage from the time it is really taken, so its lease is not already over', async () => {
    const { store, calls } = scripted({ claimBatch: [err('ECONNREFUSED'), err('ECONNREFUSED'), []] });
    const clock = fastClock();
    const now = clock.now();
    await withStoreRetry(store, capture().log, { clock, random: () => 1 }).claimBatch(1, 'w', 10, now, 3000);
    const [first, , last] = calls('claimBatch');
    expect(first!.args[3]).toEqual(now);
    expect((last!.args[3] as Date).getTime() - now.getTime()).toBe(750);
  });

  it('stops retrying when the worker shuts down', async () => {
    const { store, calls } = scripted({ counts: Array.from({ length: 100 }, () => err('ECONNREFUSED')) });
    const controller = new AbortController();
    const clock = fastClock();
    const sleep = clock.sleep;
    clock.sleep = async (ms, signal) => {
      if (clock.waits.length === 2) controller.abort('shutdown');
      return sleep(ms, signal);
    };
    await expect(withStoreRetry(store, capture().log, { clock, signal: controller.signal }).counts(1)).rejects.toThrow();
    expect(calls('counts')).toHaveLength(3);
  });

  it('keeps the store\'s other members as they are', () => {
    const { store } = scripted({});
    expect(withStoreRetry(store, capture().log).kind).toBe('postgres');
  });
});
