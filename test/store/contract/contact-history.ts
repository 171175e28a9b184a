// One journalist across campaigns (issue 17, part 3): deliveries with their campaigns, bounces
// (reported and refused at send time), complaints, unsubscribes and the suppression, by address key.
import { expect, it } from 'vitest';
import type { StoredBounceEvent, Store } from '../../../src/store/types.js';
import { at, CAMPAIGN, contact, mark, outcome, T0, type Opened } from './harness.js';

type Report = Omit<StoredBounceEvent, 'id'>;

/** contact(2) is at bücher.example: its key carries the punycode domain. */
const J = contact(2);

function report(over: Partial<Report>): Report {
  return {
    reportId: 'r', source: 'imap:Входящие/7', kind: 'hard', recipient: J.key, campaignId: undefined, deliveryId: undefined, status: undefined,
    diagnostic: undefined, remoteMta: undefined, originalMessageId: undefined, outcome: 'applied', note: undefined, raw: 'Bericht über …', receivedAt: at(0), ...over,
  };
}

/**
 * Campaign A (T0): J and contact(0), both accepted at 1.5 s. Campaign B (a test send, 10 s): J
 * refused at RCPT (550 5.1.1), then a soft bounce report. Then a one-click unsubscribe from A's
 * link (suppresses), an unattributed SendGrid unsubscribe, and a complaint about A's message.
 */
async function twoCampaigns(store: Store): Promise<{ a: number; b: number; inA: number; inB: number }> {
  const a = await store.createCampaign(CAMPAIGN, T0);
  await store.addDeliveries(a, [contact(0), J], 'pending', at(0));
  const claimedA = await store.claimBatch(a, 'a', 2, at(1), 60_000);
  const inA = claimedA.find((d) => d.key === J.key)!.id;
  await store.writeBatch(claimedA.map((d) => mark(d.id, `<a${d.id}@x>`)), [], at(1));
  await store.writeBatch([], claimedA.map((d) => outcome(d.id, 'sent', 1500, `<a${d.id}@x>`)), at(1500));

  const b = await store.createCampaign({ ...CAMPAIGN, releaseTitle: 'Deuxième communiqué — Второй', test: true }, at(10_000));
  await store.addDeliveries(b, [J], 'pending', at(10_000));
  const [inBd] = await store.claimBatch(b, 'a', 1, at(10_001), 60_000);
  const inB = inBd!.id;
  await store.writeBatch([mark(inB, '<b@x>')], [], at(10_001));
  await store.writeBatch([], [outcome(inB, 'bounced', 11_000, '<b@x>', { code: 550, enhanced: '5.1.1', response: '550 5.1.1 Адресат неизвестен' })], at(11_000));

  await store.recordBounce(report({ reportId: 'soft-1', kind: 'soft', source: 'maildir:/boîte/new/1', campaignId: b, deliveryId: inB, status: '4.2.2', diagnostic: 'smtp; 452 4.2.2 Boîte pleine', receivedAt: at(12_000) }), { eventType: 'failed' }, at(12_000));
  const unsubscribe = { key: J.key, email: J.email, reason: 'unsubscribe' as const, source: 'one-click', detail: `campaign ${a}` };
  await store.recordBounce(report({ reportId: 'unsubscribe:tok', kind: 'unsubscribe', source: 'one-click', campaignId: a, deliveryId: inA, diagnostic: 'one-click unsubscribe (RFC 8058)', receivedAt: at(30_000) }), { eventType: 'unsubscribed', suppress: unsubscribe }, at(30_000));
  await store.recordBounce(report({ reportId: 'sg-1', kind: 'unsubscribe', source: 'sendgrid', outcome: 'unattributed', receivedAt: at(31_000) }), undefined, at(31_000));
  await store.recordBounce(report({ reportId: 'arf-1', kind: 'complaint', campaignId: a, deliveryId: inA, diagnostic: 'abuse — спам', receivedAt: at(32_000) }), { eventType: 'complained' }, at(32_000));
  return { a, b, inA, inB };
}

export function contactHistoryContract(open: () => Opened): void {
  it('contactHistory: both campaigns newest first, bounces at send time and reported, complaints, unsubscribes with how, the suppression', async () => {
    const { store } = open();
    const { a, b, inA, inB } = await twoCampaigns(store);
    const h = await store.contactHistory(J.key);
    expect(h.key).toBe(J.key);
    expect(h.totalDeliveries).toBe(2);
    expect(h.deliveries).toEqual([
      {
        deliveryId: inB, campaignId: b, releaseTitle: 'Deuxième communiqué — Второй', phase: 'single', test: true, campaignStatus: 'sending', email: J.email,
        status: 'bounced', attempts: 1, plannedAt: at(10_000), sentAt: undefined, lastEventAt: at(12_000), code: 550, enhanced: '5.1.1',
        response: '550 5.1.1 Адресат неизвестен', messageId: '<b@x>', relay: 'smtp://relay.example:587', engagement: undefined,
      },
      {
        deliveryId: inA, campaignId: a, releaseTitle: CAMPAIGN.releaseTitle, phase: 'single', test: false, campaignStatus: 'sending', email: J.email,
        status: 'sent', attempts: 1, plannedAt: at(0), sentAt: at(1500), lastEventAt: at(32_000), code: 250, enhanced: '2.0.0',
        response: '250 Accepté', messageId: `<a${inA}@x>`, relay: 'smtp://relay.example:587', engagement: undefined,
      },
    ]);
    expect(h.bounces).toEqual([
      { kind: 'soft', at: at(12_000), source: 'maildir:/boîte/new/1', campaignId: b, deliveryId: inB, code: 452, status: '4.2.2', diagnostic: 'smtp; 452 4.2.2 Boîte pleine', attributed: true },
      { kind: 'hard', at: at(11_000), source: 'smtp', campaignId: b, deliveryId: inB, code: 550, status: '5.1.1', diagnostic: '550 5.1.1 Адресат неизвестен', attributed: true },
    ]);
    expect(h.complaints).toEqual([
      { kind: 'complaint', at: at(32_000), source: 'imap:Входящие/7', campaignId: a, deliveryId: inA, code: undefined, status: undefined, diagnostic: 'abuse — спам', attributed: true },
    ]);
    expect(h.unsubscribes.map((u) => [u.how, u.source, u.campaignId, u.attributed, u.at])).toEqual([
      ['webhook', 'sendgrid', undefined, false, at(31_000)],
      ['one-click', 'one-click', a, true, at(30_000)],
    ]);
    expect(h.reportsLeftOut).toBe(0);
    expect(h.suppression).toMatchObject({ key: J.key, email: J.email, reason: 'unsubscribe', source: 'one-click', detail: `campaign ${a}`, createdAt: at(30_000) });
    expect(h.suppressionLog.map((l) => [l.action, l.reason, l.source])).toEqual([['add', 'unsubscribe', 'one-click']]);

    // Another journalist of campaign A sees only their own row.
    const other = await store.contactHistory(contact(0).key);
    expect(other.deliveries.map((d) => [d.campaignId, d.status])).toEqual([[a, 'sent']]);
    expect([other.bounces, other.complaints, other.unsubscribes, other.suppression]).toEqual([[], [], [], undefined]);

    // The suppression removed by an operator: no longer in force, both steps in the trail.
    await store.removeSuppression(J.key, 'Opérateur', at(40_000));
    const after = await store.contactHistory(J.key);
    expect(after.suppression).toBeUndefined();
    expect(after.suppressionLog.map((l) => [l.action, l.source, l.at])).toEqual([['add', 'one-click', at(30_000)], ['remove', 'Opérateur', at(40_000)]]);
  });

  it('contactHistory: bounded to the newest of each list, saying how many were left out; an unknown key has no history', async () => {
    const { store } = open();
    const { b } = await twoCampaigns(store);
    const h = await store.contactHistory(J.key, 1);
    expect(h.deliveries.map((d) => d.campaignId)).toEqual([b]);
    expect(h.totalDeliveries).toBe(2);
    expect(h.bounces.map((x) => x.source)).toEqual(['maildir:/boîte/new/1']);
    expect(h.unsubscribes.map((x) => x.source)).toEqual(['sendgrid']);
    // Left out: the refusal at send time and the one-click unsubscribe.
    expect(h.reportsLeftOut).toBe(2);
    // A limit outside 1..500 is brought inside.
    expect((await store.contactHistory(J.key, 0)).deliveries).toHaveLength(2);
    expect(await store.contactHistory('personne@nulle-part.example')).toEqual({
      key: 'personne@nulle-part.example', deliveries: [], totalDeliveries: 0, bounces: [], complaints: [], unsubscribes: [], reportsLeftOut: 0, suppression: undefined, suppressionLog: [],
    });
  });
}
