// The Store contract, run against both implementations: what the sender and the scheduler rely on
// (claims, leases, recovery, compare-and-set) must hold the same on SQLite and PostgreSQL.
// PostgreSQL is required under `npm run test:pg`; otherwise it runs when the server answers.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import type { Contact } from '../../src/lists/contact.js';
import { connectPostgresStore, openPostgresStore } from '../../src/store/postgres/store.js';
import { openSqliteStore } from '../../src/store/sqlite/store.js';
import { rateKey } from '../../src/send/shared-limiter.js';
import { isOutboxRelay, outboxRelayName } from '../../src/send/outbox-relay.js';
import type { CampaignInput, OutcomeRecord, RateKey, RateSlot, SendingMark, Store } from '../../src/store/types.js';
import { TEST_DATABASE_URL, TEST_STORE, testStore } from '../helpers/app.js';
import { maxInWindow } from '../helpers/windows.js';

async function postgresAnswers(): Promise<boolean> {
  const client = new pg.Client({ connectionString: TEST_DATABASE_URL, connectionTimeoutMillis: 2000 });
  try {
    await client.connect();
    await client.query('SELECT 1');
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => {});
  }
}

const pgUp = TEST_STORE === 'postgres' || (await postgresAnswers());
const KINDS = ['sqlite', ...(pgUp ? ['postgres'] : [])] as ('sqlite' | 'postgres')[];

const T0 = new Date('2030-01-01T00:00:00Z');
const at = (ms: number) => new Date(T0.getTime() + ms);

function contact(i: number, domain = 'news.example'): Contact {
  const email = `j${i}@${domain}`;
  return { email, key: email, domain, firstName: `Jo${i}`, lastName: 'Doe', outlet: `Daily ${i % 3}`, tags: ['russia'], language: 'en', country: '', timeZone: '', extra: {}, source: { file: 'list.csv', line: i + 1 } };
}

/** A sending mark by worker `a` (the owner every test claims with) through one relay. */
const mark = (deliveryId: number, messageId: string, worker = 'a'): SendingMark => ({ deliveryId, messageId, worker, relay: 'smtp://relay.example:587' });

const CAMPAIGN: CampaignInput = { releaseFile: 'r.md', releaseTitle: 'Title', lists: ['list.csv'], where: [], test: false, status: 'sending', options: { rate: 0 } };

describe.each(KINDS)('Store contract on %s', (kind) => {
  let dir: string;
  const cleanups: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
    rmSync(dir, { recursive: true, force: true });
  });

  /** The store under test, and a second handle on the same data (another process's view). */
  function open(): { store: Store; other: () => Store } {
    dir = mkdtempSync(join(tmpdir(), 'pressline-contract-'));
    const file = join(dir, 'p.db');
    const t = testStore(file, kind);
    cleanups.push(() => t.dispose());
    return {
      store: t.store,
      other() {
        const s = kind === 'sqlite' ? openSqliteStore(file) : connectPostgresStore(TEST_DATABASE_URL, { schema: t.schema });
        cleanups.push(() => s.close());
        return s;
      },
    };
  }

  async function campaignWith(store: Store, n: number): Promise<number> {
    const id = await store.createCampaign(CAMPAIGN, T0);
    expect(await store.addDeliveries(id, Array.from({ length: n }, (_, i) => contact(i)), 'pending', T0)).toBe(n);
    return id;
  }

  it('deliveryById returns the delivery with its contact; the language filter picks contacts without one with ""', async () => {
    const { store } = open();
    const PAGE = { sort: 'id' as const, limit: 50, offset: 0 };
    const id = await store.createCampaign(CAMPAIGN, T0);
    await store.addDeliveries(id, [contact(1), { ...contact(2), language: '' }, { ...contact(3), language: '' }], 'pending', T0);
    const rows = await store.deliveries(id);
    const d = await store.deliveryById(rows[1]!.id);
    expect(d).toMatchObject({ id: rows[1]!.id, campaignId: id, key: 'j2@news.example', language: '', status: 'pending' });
    expect(d!.contact).toMatchObject({ email: 'j2@news.example', firstName: 'Jo2', language: '' });
    expect(await store.deliveryById(999_999)).toBeUndefined();
    const none = await store.queryDeliveries(id, { ...PAGE, language: '' });
    expect(none.rows.map((r) => r.email).sort()).toEqual(['j2@news.example', 'j3@news.example']);
    expect((await store.queryDeliveries(id, { ...PAGE, language: 'en' })).total).toBe(1);
    expect((await store.queryDeliveries(id, PAGE)).total).toBe(3);
  });

  it('owners claiming at the same time never get the same delivery', async () => {
    const { store, other } = open();
    const id = await campaignWith(store, 120);
    const second = other();
    const take = async (s: Store, owner: string) => {
      const got: number[] = [];
      for (;;) {
        const batch = await s.claimBatch(id, owner, 7, at(1), 60_000);
        if (batch.length === 0) return got;
        got.push(...batch.map((d) => d.id));
      }
    };
    const got = await Promise.all([take(store, 'a'), take(second, 'b'), take(store, 'c'), take(second, 'd')]);
    const all = got.flat();
    expect(new Set(all).size).toBe(all.length);
    expect(all).toHaveLength(120);
  });

  it('a live lease keeps others out; an expired one is taken over', async () => {
    const { store } = open();
    const id = await campaignWith(store, 5);
    expect((await store.claimBatch(id, 'a', 10, at(0), 1000)).map((d) => d.email)).toHaveLength(5);
    expect(await store.claimBatch(id, 'b', 10, at(500), 1000)).toEqual([]);
    const taken = await store.claimBatch(id, 'b', 3, at(1500), 1000);
    expect(taken.map((d) => d.email)).toEqual(['j0@news.example', 'j1@news.example', 'j2@news.example']);
    expect(taken[0]).toMatchObject({ status: 'pending', attempts: 0, campaignId: id, contact: contact(0) });
    // Released claims go back to the pool at once.
    await store.releaseClaims(id, 'b');
    expect(await store.claimBatch(id, 'c', 10, at(1600), 1000)).toHaveLength(5);
  });

  it('campaign leases: acquire, renew, refuse while live, take over when expired or forced', async () => {
    const { store } = open();
    const id = await campaignWith(store, 1);
    expect(await store.acquireCampaign(id, 'a', at(0), 1000)).toBe(true);
    expect(await store.acquireCampaign(id, 'a', at(500), 1000)).toBe(true);
    expect(await store.acquireCampaign(id, 'b', at(1000), 1000)).toBe(false);
    expect(await store.campaignOwner(id)).toEqual({ owner: 'a', expires: at(1500) });
    expect(await store.acquireCampaign(id, 'b', at(1600), 1000)).toBe(true);
    await store.forceReleaseCampaign(id, 'b');
    expect(await store.acquireCampaign(id, 'c', at(1700), 1000)).toBe(true);
    await store.releaseCampaign(id, 'c');
    expect(await store.campaignOwner(id)).toBeUndefined();
  });

  it('a delivery in flight when its owner died becomes unknown, and a late outcome does not revive it', async () => {
    const { store } = open();
    const id = await campaignWith(store, 2);
    const [d1, d2] = await store.claimBatch(id, 'a', 2, at(0), 1000);
    await store.writeBatch([mark(d1!.id, '<m1@x>')], [], at(10));
    // The lease is live: the owner may still be sending it.
    expect(await store.recoverInFlight(id, at(500))).toBe(0);
    expect(await store.recoverInFlight(id, at(2000))).toBe(1);
    const rows = await store.deliveries(id);
    expect(rows.map((r) => r.status)).toEqual(['unknown', 'pending']);
    expect(rows[0]).toMatchObject({ attempts: 1, messageId: '<m1@x>' });
    const events = await store.events(id, d1!.id);
    expect(events.map((e) => e.type)).toEqual(['planned', 'sending', 'unknown']);
    // The dead owner's unstarted claim lapsed: anyone may take it.
    expect((await store.claimBatch(id, 'b', 5, at(2001), 1000)).map((d) => d.id)).toEqual([d2!.id]);
    const late: OutcomeRecord = { deliveryId: d1!.id, status: 'sent', at: at(2100), attempt: 1, code: 250, enhanced: '2.0.0', response: 'ok', messageId: '<m1@x>', durationMs: 5 };
    await store.writeBatch([], [late], at(2100));
    expect((await store.getDelivery(d1!.id))?.status).toBe('unknown');
    expect(await store.requeue(id, ['unknown'], at(3000))).toBe(1);
    expect((await store.getDelivery(d1!.id))?.status).toBe('pending');
  });

  it('writeBatch refuses a delivery that is no longer pending, and writes nothing of that batch', async () => {
    const { store } = open();
    const id = await campaignWith(store, 3);
    const [d1, d2, d3] = await store.claimBatch(id, 'a', 3, at(0), 60_000);
    await store.writeBatch([mark(d1!.id, '<1@x>')], [], at(1));
    await expect(store.writeBatch([mark(d2!.id, '<2@x>'), mark(d1!.id, '<1b@x>')], [], at(2))).rejects.toThrow(/no longer pending/);
    expect((await store.getDelivery(d2!.id))?.status).toBe('pending');
    expect((await store.getDelivery(d1!.id))?.messageId).toBe('<1@x>');
    // Outcome and the next mark in one batch; the mark counts the attempt.
    const sent: OutcomeRecord = { deliveryId: d1!.id, status: 'sent', at: at(3), attempt: 1, code: 250, enhanced: '2.0.0', response: '250 ok', messageId: '<1@x>', durationMs: 12 };
    await store.writeBatch([mark(d3!.id, '<3@x>')], [sent], at(3));
    const rows = await store.deliveries(id);
    expect(rows.map((r) => [r.status, r.attempts])).toEqual([['sent', 1], ['pending', 0], ['sending', 1]]);
    expect(rows[0]).toMatchObject({ code: 250, enhanced: '2.0.0', response: '250 ok', updatedAt: at(3) });
    const deferred: OutcomeRecord = { deliveryId: d3!.id, status: 'deferred', at: at(4), attempt: 1, code: 451, enhanced: '4.7.1', response: 'later', messageId: '<3@x>', durationMs: 3, nextAttemptAt: at(10_000) };
    await store.writeBatch([], [deferred], at(4));
    expect(await store.nextRetryAt(id)).toEqual(new Date(0)); // d2 is due now
    expect((await store.counts(id))).toMatchObject({ sent: 1, pending: 1, deferred: 1, sending: 0 });
  });

  it('outboxCounts: only `sent` deliveries whose relay is the outbox folder, per campaign (issue 19)', async () => {
    const { store } = open();
    const first = await campaignWith(store, 4);
    const second = await campaignWith(store, 1);
    const [d1, d2, d3, d4] = await store.claimBatch(first, 'a', 4, at(0), 60_000);
    const [e1] = await store.claimBatch(second, 'a', 1, at(0), 60_000);
    const through = (d: { id: number }, relay: string, m: string): SendingMark => ({ deliveryId: d.id, messageId: m, worker: 'a', relay });
    const outcome = (d: { id: number }, status: 'sent' | 'failed', m: string): OutcomeRecord => ({ deliveryId: d.id, status, at: at(2), attempt: 1, code: 250, enhanced: '2.0.0', response: 'ok', messageId: m, durationMs: 1 });
    // d1, d3 and e1 into the outbox; d2 through a relay (even one named "outbox"); d4 failed in the outbox.
    await store.writeBatch(
      [through(d1!, outboxRelayName('outbox/1'), '<1@x>'), through(d2!, 'outbox smtp://relay.example:587', '<2@x>'), through(d3!, outboxRelayName('/var/out box/1'), '<3@x>'), through(d4!, outboxRelayName('outbox/1'), '<4@x>'), through(e1!, outboxRelayName('outbox/2'), '<5@x>')],
      [],
      at(1),
    );
    await store.writeBatch([], [outcome(d1!, 'sent', '<1@x>'), outcome(d2!, 'sent', '<2@x>'), outcome(d3!, 'sent', '<3@x>'), outcome(d4!, 'failed', '<4@x>'), outcome(e1!, 'sent', '<5@x>')], at(2));
    expect([...(await store.outboxCounts()).entries()].sort()).toEqual([[first, 2], [second, 1]]);
    expect([...(await store.outboxCounts(first)).entries()]).toEqual([[first, 2]]);
    // The same rule as the one people read (report rows, dashboard): the store and isOutboxRelay agree.
    expect((await store.deliveries(first)).map((r) => isOutboxRelay(r.relay) && r.status === 'sent')).toEqual([true, false, true, false]);
  });

  it('only the claim holder may mark a delivery: a lapsed claim taken over cannot be sent twice', async () => {
    const { store } = open();
    const id = await campaignWith(store, 2);
    const [d1, d2] = await store.claimBatch(id, 'a', 2, at(0), 1000);
    // a stalls past its lease; b takes both over.
    expect((await store.claimBatch(id, 'b', 2, at(1500), 1000)).map((d) => d.id)).toEqual([d1!.id, d2!.id]);
    await expect(store.writeBatch([mark(d1!.id, '<a1@x>', 'a')], [], at(1600))).rejects.toThrow(/no longer claimed by a/);
    await store.writeBatch([mark(d1!.id, '<b1@x>', 'b')], [], at(1700));
    const [row] = await store.deliveries(id, { email: 'j0@news.example' });
    expect(row).toMatchObject({ status: 'sending', attempts: 1, messageId: '<b1@x>', worker: 'b', relay: 'smtp://relay.example:587' });
  });

  it('shared sending: claims renewed, live holders listed, claimable work counted', async () => {
    const { store } = open();
    const id = await campaignWith(store, 4);
    const [d1] = await store.claimBatch(id, 'a', 2, at(0), 1000);
    await store.claimBatch(id, 'b', 1, at(0), 1000);
    await store.writeBatch([mark(d1!.id, '<1@x>')], [], at(10));
    expect(await store.claimableWork(id, at(100))).toEqual({ due: 1, lapsedInFlight: 0 });
    expect(await store.liveClaimHolders(id, at(100))).toEqual(['a', 'b']);
    expect(await store.liveClaimHolders(id, at(100), 'a')).toEqual(['b']);
    await store.renewClaims(id, 'a', at(900), 1000);
    // b's claims lapsed at 1000; a's (one in flight, one not started) live until 1900.
    expect(await store.liveClaimHolders(id, at(1500))).toEqual(['a']);
    expect(await store.claimableWork(id, at(1500))).toEqual({ due: 2, lapsedInFlight: 0 });
    expect(await store.claimableWork(id, at(2000))).toEqual({ due: 3, lapsedInFlight: 1 });
    expect(await store.recoverInFlight(id, at(2000))).toBe(1);
    expect(await store.claimableWork(id, at(2000))).toEqual({ due: 3, lapsedInFlight: 0 });
  });

  it('rate ledger: at most `count` starts per window across owners, ended slots free a window later', async () => {
    const { store, other } = open();
    const second = other();
    const ring: RateKey[] = [{ key: 'global/1000ms', count: 3, windowMs: 1000 }];
    const stale = at(-60_000);
    const takes = await Promise.all(['a', 'b', 'c', 'd', 'e'].map((o, i) => (i % 2 ? second : store).takeRateSlots(ring, o, at(0), stale)));
    const granted = takes.filter((t) => 'slots' in t);
    expect(granted).toHaveLength(3);
    const refused = takes.find((t) => 'waitMs' in t) as { waitMs: number };
    expect(refused.waitMs).toBeGreaterThan(0); // all three still running: ask again shortly
    expect(refused.waitMs).toBeLessThanOrEqual(1000);
    const slotsOf = (t: (typeof takes)[number]) => ('slots' in t ? t.slots : []);
    const owners = ['a', 'b', 'c', 'd', 'e'].filter((_, i) => 'slots' in takes[i]!);
    await store.endRateSlots(slotsOf(granted[0]!), owners[0]!, at(100));
    // Ended at 100: that slot is free again from 1100, not before.
    expect(await store.takeRateSlots(ring, 'f', at(1099), stale)).toEqual({ waitMs: 1 });
    expect('slots' in (await store.takeRateSlots(ring, 'f', at(1100), stale))).toBe(true);
    // Two rings at once: all or nothing.
    const both: RateKey[] = [...ring, { key: 'domain:news.example/1000ms', count: 1, windowMs: 1000 }];
    expect('waitMs' in (await store.takeRateSlots(both, 'g', at(1200), stale))).toBe(true);
    const domainOnly = await store.takeRateSlots([both[1]!], 'g', at(1200), stale);
    expect('slots' in domainOnly).toBe(true);
  });

  it('rate ledger: a slot left running by a dead worker is free a window after it went stale', async () => {
    const { store } = open();
    const ring: RateKey[] = [{ key: 'global/1000ms', count: 1, windowMs: 1000 }];
    expect('slots' in (await store.takeRateSlots(ring, 'dead', at(0), at(-60_000)))).toBe(true);
    // Never ended. With a 60 s lease, it counts as ended at 60 s and frees at 61 s.
    expect('waitMs' in (await store.takeRateSlots(ring, 'b', at(60_500), at(500)))).toBe(true);
    expect('slots' in (await store.takeRateSlots(ring, 'b', at(61_000), at(1000)))).toBe(true);
  });

  it('rate ledger: owners with different counts share one ring; the strictest count in force holds for all, and lapses after a window (issue 13)', async () => {
    // A rolling config change: one worker at 100/s, another at 50/s, on one global ring. Fast
    // alone first (the ring grows to 100 slots), then both (everyone keeps to 50), then slow alone,
    // then fast alone again once slow's last window is over (back to 100). A discrete-event run on
    // a fake clock: each owner keeps up to 12 messages in flight, each lasting 5 to 40 ms, and asks
    // again when the store says to, as SharedRateGate does.
    const END = 7000;
    const { store, other } = open();
    const slowStore = other();
    const owners = [
      { name: 'fast', store, key: rateKey('global', { count: 100, windowMs: 1000 }), from: 0, until: 3000, starts: [] as number[] },
      { name: 'slow', store: slowStore, key: rateKey('global', { count: 50, windowMs: 1000 }), from: 1500, until: 4500, starts: [] as number[] },
      { name: 'fast', store, key: rateKey('global', { count: 100, windowMs: 1000 }), from: 5000, until: END, starts: [] as number[] },
    ].map((o) => ({ ...o, inFlight: [] as { endAt: number; slots: RateSlot[] }[], askAt: o.from }));
    expect(owners[0]!.key.key).toBe(owners[1]!.key.key);
    let seed = 7;
    const duration = () => 5 + ((seed = (seed * 1103515245 + 12345) % 2 ** 31) % 36);
    let t = 0;
    for (let round = 0; t < END; round++) {
      for (const o of owners) {
        for (const m of o.inFlight.filter((f) => f.endAt <= t)) await o.store.endRateSlots(m.slots, o.name, at(m.endAt));
        o.inFlight = o.inFlight.filter((f) => f.endAt > t);
      }
      for (const o of round % 2 ? [...owners].reverse() : owners) {
        while (t >= o.from && t < o.until && o.askAt <= t && o.inFlight.length < 12) {
          const got = await o.store.takeRateSlots([o.key], o.name, at(t), at(t - 60_000));
          if ('waitMs' in got) {
            o.askAt = t + got.waitMs;
            break;
          }
          o.starts.push(t);
          o.inFlight.push({ endAt: t + duration(), slots: got.slots });
        }
      }
      const next = owners.flatMap((o) => [...o.inFlight.map((f) => f.endAt), ...(o.inFlight.length < 12 && t < o.until ? [Math.max(o.askAt, o.from)] : [])]);
      t = Math.max(t + 1, Math.min(...next, END));
    }
    const [fast, slow, fastAgain] = owners as [(typeof owners)[0], (typeof owners)[0], (typeof owners)[0]];
    const all = [...fast.starts, ...slow.starts, ...fastAgain.starts];
    expect(maxInWindow(all, 1000)).toBe(100); // fast alone reached its own ceiling, and never more
    expect(maxInWindow(slow.starts, 1000)).toBeLessThanOrEqual(50);
    // Once slow's first window is over, both keep to 50 together: the strictest in force.
    expect(maxInWindow(all.filter((s) => s >= 2500 && s < 3000), 1000)).toBeLessThanOrEqual(50);
    expect(maxInWindow(all.filter((s) => s >= 2000 && s < 3000), 1000)).toBeLessThanOrEqual(50);
    expect(maxInWindow(slow.starts.filter((s) => s >= 3000), 1000)).toBe(50);
    // A window after slow's last start, fast is back at 100.
    expect(maxInWindow(fastAgain.starts.filter((s) => s >= 5600), 1000)).toBe(100);
  });

  it('campaign status is compare-and-set: of two racing changes exactly one wins', async () => {
    const { store, other } = open();
    const id = await store.createCampaign({ ...CAMPAIGN, status: 'draft' }, T0);
    expect(await store.transitionCampaign(id, { from: ['draft'], to: 'sending' }, at(1))).toBe(true);
    expect(await store.transitionCampaign(id, { from: ['draft'], to: 'sending' }, at(2))).toBe(false);
    const second = other();
    const results = await Promise.all([
      store.transitionCampaign(id, { from: ['sending'], to: 'paused', reason: 'operator' }, at(3)),
      second.transitionCampaign(id, { from: ['sending'], to: 'done' }, at(3)),
    ]);
    expect(results.filter(Boolean)).toHaveLength(1);
    const c = await store.getCampaign(id);
    expect(c?.startedAt).toEqual(at(1));
    expect(c?.status).toBe(results[0] ? 'paused' : 'done');
    const campaignEvents = (await store.events(id)).filter((e) => e.type === 'campaign');
    expect(campaignEvents).toHaveLength(2);
  });

  it('a suppression added after planning wins at claim time; bounces and webhooks are stored once', async () => {
    const { store } = open();
    const id = await campaignWith(store, 3);
    expect(await store.addDeliveries(id, [contact(0), contact(1)], 'pending', T0)).toBe(0);
    expect(await store.addSuppression({ key: 'j1@news.example', email: 'j1@news.example', reason: 'unsubscribe', source: 'test', detail: undefined }, at(1))).toBe(true);
    expect(await store.addSuppression({ key: 'j1@news.example', email: 'j1@news.example', reason: 'manual', source: 'test', detail: undefined }, at(1))).toBe(false);
    const claimed = await store.claimBatch(id, 'a', 10, at(2), 1000);
    expect(claimed.map((d) => d.email)).toEqual(['j0@news.example', 'j2@news.example']);
    const rows = await store.deliveries(id);
    expect(rows[1]?.status).toBe('suppressed');
    expect((await store.events(id, rows[1]!.id)).at(-1)).toMatchObject({ type: 'suppressed', detail: 'suppressed since planning: unsubscribe (test)' });
    expect(await store.removeSuppression('j1@news.example', 'operator', at(3))).toBe(true);
    expect((await store.suppressionLog('j1@news.example')).map((l) => l.action)).toEqual(['add', 'remove']);

    const report = { reportId: 'r1', source: 'imap', kind: 'hard', recipient: 'j0@news.example', campaignId: id, deliveryId: claimed[0]!.id, status: '5.1.1', diagnostic: 'smtp; 550 5.1.1 no such user', remoteMta: undefined, originalMessageId: '<1@x>', outcome: 'applied', note: undefined, raw: 'raw', receivedAt: at(4) };
    expect(await store.recordBounce(report, { newStatus: 'bounced', eventType: 'bounced' }, at(5))).toEqual({ result: 'new', suppressed: false });
    expect(await store.recordBounce(report, { newStatus: 'bounced', eventType: 'bounced' }, at(6))).toEqual({ result: 'duplicate', suppressed: false });
    expect((await store.events(id, claimed[0]!.id)).filter((e) => e.type === 'bounced')).toEqual([expect.objectContaining({ code: 550, enhanced: '5.1.1' })]);
    expect(await store.countBounces('j0@news.example', 'hard', at(0))).toBe(1);
    expect(await store.rememberWebhook('ses', 'm1', at(1))).toBe(true);
    expect(await store.rememberWebhook('ses', 'm1', at(2))).toBe(false);
  });

  it("a mailbox report's text is kept once and shown on each of its rows; a quarantined message is recorded once by its key (issue 14)", async () => {
    const { store } = open();
    const kept = { reportId: '<wide@mx>', source: 'maildir:/m/new/1', raw: 'the report', recipients: 3000, recipientsKept: 2 };
    expect(await store.keepBounceReport(kept, at(1))).toBe(true);
    expect(await store.keepBounceReport({ ...kept, raw: 'another text' }, at(2))).toBe(false);
    for (const recipient of ['a@x.example', 'b@x.example']) {
      const row = { reportId: '<wide@mx>', source: 'maildir:/m/new/1', kind: 'hard', recipient, campaignId: undefined, deliveryId: undefined, status: '5.1.1', diagnostic: undefined, remoteMta: undefined, originalMessageId: undefined, outcome: 'unattributed', note: undefined, raw: '', receivedAt: at(3) };
      expect((await store.recordBounce(row, undefined, at(3))).result).toBe('new');
    }
    // A webhook's event keeps its own raw text.
    await store.recordBounce({ reportId: 'sg-1', source: 'sendgrid', kind: 'hard', recipient: 'c@x.example', campaignId: undefined, deliveryId: undefined, status: undefined, diagnostic: undefined, remoteMta: undefined, originalMessageId: undefined, outcome: 'unattributed', note: undefined, raw: '{"event":"bounce"}', receivedAt: at(4) }, undefined, at(4));
    expect((await store.bounceEvents({ outcome: 'unattributed' })).map((e) => [e.recipient, e.raw])).toEqual([
      ['a@x.example', 'the report'],
      ['b@x.example', 'the report'],
      ['c@x.example', '{"event":"bounce"}'],
    ]);

    const q = { key: 'sha256:ab', source: 'mbox:/m.mbox#2', location: '/m.mbox at byte offset 120', bytes: 5_000_000_000, reason: 'too large', quarantinedAt: at(5) };
    expect(await store.quarantineMessage(q)).toBe(true);
    expect(await store.quarantineMessage({ ...q, reason: 'again', quarantinedAt: at(6) })).toBe(false);
    expect(await store.quarantinedKeys()).toEqual(new Set(['sha256:ab']));
    expect(await store.listQuarantined()).toEqual([q]);
  });

  it.runIf(kind === 'postgres')('several processes opening a fresh schema at once apply each migration once', async () => {
    const schema = `t_mig_${Date.now().toString(36)}_${Math.floor(Math.random() * 1e6)}`;
    const stores = await Promise.all(Array.from({ length: 4 }, () => openPostgresStore(TEST_DATABASE_URL, { schema })));
    const versions = await Promise.all(stores.map((s) => s.ready()));
    expect(new Set(versions.map((v) => v.version)).size).toBe(1);
    expect(versions.flatMap((v) => v.applied).sort()).toEqual([...new Set(versions.flatMap((v) => v.applied))].sort());
    const client = new pg.Client({ connectionString: TEST_DATABASE_URL });
    await client.connect();
    try {
      const { rows } = await client.query(`SELECT version, count(*)::int AS n FROM "${schema}".schema_migrations GROUP BY version`);
      expect(rows.every((r) => r.n === 1)).toBe(true);
      await Promise.all(stores.map((s) => s.close()));
      await client.query(`DROP SCHEMA "${schema}" CASCADE`);
    } finally {
      await client.end();
    }
  });
});
