// Claims, leases, in-flight recovery and the hot write: what the sender relies on.
import { expect, it } from 'vitest';
import type { OutcomeRecord, Store } from '../../../src/store/types.js';
import { at, CAMPAIGN, contact, mark, outcome, T0, type Opened } from './harness.js';

export async function campaignWith(store: Store, n: number): Promise<number> {
  const id = await store.createCampaign(CAMPAIGN, T0);
  expect(await store.addDeliveries(id, Array.from({ length: n }, (_, i) => contact(i)), 'pending', T0)).toBe(n);
  return id;
}

export function claimsContract(open: () => Opened): void {
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

  it('a live lease keeps others out; an expired one is taken over; a claimed delivery carries its contact', async () => {
    const { store } = open();
    const id = await campaignWith(store, 5);
    expect(await store.claimBatch(id, 'a', 10, at(0), 1000)).toHaveLength(5);
    expect(await store.claimBatch(id, 'b', 10, at(500), 1000)).toEqual([]);
    const taken = await store.claimBatch(id, 'b', 3, at(1500), 1000);
    expect(taken.map((d) => d.email)).toEqual([0, 1, 2].map((i) => contact(i).email));
    expect(taken[1]).toMatchObject({ status: 'pending', attempts: 0, campaignId: id, key: contact(1).key, domain: contact(1).domain, language: 'ru', contact: contact(1) });
    // Released claims go back to the pool at once.
    await store.releaseClaims(id, 'b');
    expect(await store.claimBatch(id, 'c', 10, at(1600), 1000)).toHaveLength(5);
  });

  it('a campaign still being planned is never claimed', async () => {
    const { store } = open();
    const id = await store.createCampaign({ ...CAMPAIGN, status: 'planning' }, T0);
    await store.addDeliveries(id, [contact(0)], 'pending', T0);
    expect(await store.claimBatch(id, 'a', 10, at(1), 1000)).toEqual([]);
  });

  it('campaign leases: acquire, renew, refuse while live, take over when expired or forced', async () => {
    const { store } = open();
    const id = await campaignWith(store, 1);
    expect(await store.acquireCampaign(id, 'Работник-а', at(0), 1000)).toBe(true);
    expect(await store.acquireCampaign(id, 'Работник-а', at(500), 1000)).toBe(true);
    expect(await store.acquireCampaign(id, 'b', at(1000), 1000)).toBe(false);
    expect(await store.campaignOwner(id)).toEqual({ owner: 'Работник-а', expires: at(1500) });
    expect(await store.acquireCampaign(id, 'b', at(1600), 1000)).toBe(true);
    await store.forceReleaseCampaign(id, 'b');
    expect(await store.acquireCampaign(id, 'c', at(1700), 1000)).toBe(true);
    await store.releaseCampaign(id, 'someone-else');
    expect(await store.campaignOwner(id)).toMatchObject({ owner: 'c' });
    await store.releaseCampaign(id, 'c');
    expect(await store.campaignOwner(id)).toBeUndefined();
  });

  it('forceReleaseCampaign also frees the dead owner\'s delivery claims at once', async () => {
    const { store } = open();
    const id = await campaignWith(store, 2);
    expect(await store.acquireCampaign(id, 'dead', at(0), 60_000)).toBe(true);
    expect(await store.claimBatch(id, 'dead', 2, at(0), 60_000)).toHaveLength(2);
    expect(await store.claimBatch(id, 'b', 2, at(10), 60_000)).toEqual([]);
    await store.forceReleaseCampaign(id, 'dead');
    expect(await store.acquireCampaign(id, 'b', at(20), 60_000)).toBe(true);
    expect(await store.claimBatch(id, 'b', 2, at(20), 60_000)).toHaveLength(2);
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
    await store.writeBatch([], [outcome(d1!.id, 'sent', 2100, '<m1@x>')], at(2100));
    expect((await store.getDelivery(d1!.id))?.status).toBe('unknown');
    expect(await store.requeue(id, ['unknown'], at(3000))).toBe(1);
    expect(await store.getDelivery(d1!.id)).toEqual({ id: d1!.id, campaignId: id, email: contact(0).email, key: contact(0).key, status: 'pending', messageId: '<m1@x>' });
    expect((await store.events(id, d1!.id)).at(-1)).toMatchObject({ type: 'planned', detail: 'requeued from unknown' });
    expect(await store.getDelivery(999_999)).toBeUndefined();
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
    await store.writeBatch([mark(d3!.id, '<3@x>')], [outcome(d1!.id, 'sent', 3, '<1@x>', { response: '250 Reçu — принято' })], at(3));
    const rows = await store.deliveries(id);
    expect(rows.map((r) => [r.status, r.attempts])).toEqual([['sent', 1], ['pending', 0], ['sending', 1]]);
    expect(rows[0]).toMatchObject({ code: 250, enhanced: '2.0.0', response: '250 Reçu — принято', updatedAt: at(3), outlet: 'Le Monde — Économie' });
    const deferred: OutcomeRecord = outcome(d3!.id, 'deferred', 4, '<3@x>', { code: 451, enhanced: '4.7.1', response: 'later', nextAttemptAt: at(10_000) });
    await store.writeBatch([], [deferred], at(4));
    expect(await store.nextRetryAt(id)).toEqual(new Date(0)); // d2 is due now
    expect(await store.counts(id)).toMatchObject({ sent: 1, pending: 1, deferred: 1, sending: 0, bounced: 0 });
    // Once d2 is sent too, the next try is the deferral's; with nothing open, there is none.
    await store.writeBatch([mark(d2!.id, '<2@x>')], [], at(5));
    await store.writeBatch([], [outcome(d2!.id, 'sent', 6, '<2@x>')], at(6));
    expect(await store.nextRetryAt(id)).toEqual(at(10_000));
    expect(await store.deliveries(id, { status: ['deferred'] })).toEqual([expect.objectContaining({ id: d3!.id, code: 451 })]);
    expect(await store.requeue(id, ['deferred'], at(7))).toBe(1);
    expect(await store.nextRetryAt(id)).toEqual(new Date(0));
    const empty = await store.createCampaign(CAMPAIGN, T0);
    expect(await store.nextRetryAt(empty)).toBeUndefined();
  });

  it('only the claim holder may mark a delivery: a lapsed claim taken over cannot be sent twice', async () => {
    const { store } = open();
    const id = await campaignWith(store, 2);
    const [d1, d2] = await store.claimBatch(id, 'a', 2, at(0), 1000);
    // a stalls past its lease; b takes both over.
    expect((await store.claimBatch(id, 'b', 2, at(1500), 1000)).map((d) => d.id)).toEqual([d1!.id, d2!.id]);
    await expect(store.writeBatch([mark(d1!.id, '<a1@x>', 'a')], [], at(1600))).rejects.toThrow(/no longer claimed by a/);
    await store.writeBatch([mark(d1!.id, '<b1@x>', 'b')], [], at(1700));
    const [row] = await store.deliveries(id, { email: ` ${contact(0).key.toUpperCase()} ` });
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
}
