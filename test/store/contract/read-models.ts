// Read models for reports and the dashboard: counts, pages of recipients, event series and breakdowns.
import { expect, it } from 'vitest';
import { isOutboxRelay, outboxRelayName } from '../../../src/send/outbox-relay.js';
import type { SendingMark, Store } from '../../../src/store/types.js';
import { at, CAMPAIGN, contact, outcome, T0, type Opened } from './harness.js';
import { campaignWith } from './claims.js';

const PAGE = { sort: 'id' as const, limit: 50, offset: 0 };

/** Six recipients (one per language) sent at 1 s: two sent, one deferred, two failed, one bounced. */
async function sentCampaign(store: Store): Promise<{ id: number; ids: number[] }> {
  const id = await campaignWith(store, 6);
  const ds = await store.claimBatch(id, 'a', 6, at(0), 60_000);
  await store.writeBatch(ds.map((d, i): SendingMark => ({ deliveryId: d.id, messageId: `<${i}@x>`, worker: 'a', relay: 'smtp://relay.example:587' })), [], at(1000));
  const [d0, d1, d2, d3, d4, d5] = ds.map((d) => d.id) as [number, number, number, number, number, number];
  await store.writeBatch([], [
    outcome(d0, 'sent', 1500, '<0@x>'),
    outcome(d1, 'deferred', 1500, '<1@x>', { code: 451, enhanced: '4.7.1', response: '451 Essayez plus tard', nextAttemptAt: at(60_000) }),
    outcome(d2, 'failed', 1500, '<2@x>', { code: 550, enhanced: '5.7.1', response: '550 5.7.1 Rejeté' }),
    outcome(d3, 'bounced', 1500, '<3@x>', { code: 550, enhanced: '5.1.1', response: '550 5.1.1 Unbekannt' }),
  ], at(1500));
  await store.writeBatch([], [outcome(d4, 'sent', 2500, '<4@x>'), outcome(d5, 'failed', 2500, '<5@x>', { code: 550, enhanced: '5.7.1', response: '550 5.7.1 Отклонено' })], at(2500));
  return { id, ids: [d0, d1, d2, d3, d4, d5] };
}

export function readModelsContract(open: () => Opened): void {
  it('countsByCampaign: every campaign, even one without deliveries; deliveryRow with its campaign', async () => {
    const { store } = open();
    const { id, ids } = await sentCampaign(store);
    const empty = await store.createCampaign(CAMPAIGN, T0);
    const all = await store.countsByCampaign();
    expect([...all.keys()]).toEqual([id, empty]);
    expect(all.get(id)).toEqual({ ...(await store.counts(id)), sent: 2, deferred: 1, failed: 2, bounced: 1 });
    expect(Object.values(all.get(empty)!).every((n) => n === 0)).toBe(true);
    expect(await store.deliveryRow(ids[5]!)).toEqual({
      id: ids[5], campaignId: id, email: contact(5).email, domain: contact(5).domain, language: 'es', outlet: 'El País', status: 'failed', attempts: 1,
      code: 550, enhanced: '5.7.1', response: '550 5.7.1 Отклонено', messageId: '<5@x>', updatedAt: at(2500), worker: 'a', relay: 'smtp://relay.example:587',
    });
    expect(await store.deliveryRow(999_999)).toBeUndefined();
  });

  it('deliveryEvents: delivery events of the types asked, for all deliveries or some; campaign-level ones left out', async () => {
    const { store } = open();
    const { id, ids } = await sentCampaign(store);
    await store.addSkipped(id, [{ file: 'liste.csv', line: 3, email: 'x@', reason: 'invalide' }], at(3000));
    const failures = await store.deliveryEvents(id, { types: ['failed', 'bounced'] });
    expect(failures.map((e) => [e.deliveryId, e.type, e.response])).toEqual([
      [ids[2], 'failed', '550 5.7.1 Rejeté'], [ids[3], 'bounced', '550 5.1.1 Unbekannt'], [ids[5], 'failed', '550 5.7.1 Отклонено'],
    ]);
    expect((await store.deliveryEvents(id, { types: ['failed', 'sending'], deliveryIds: [ids[5]!] })).map((e) => e.type)).toEqual(['sending', 'failed']);
    expect(await store.deliveryEvents(id, { types: ['skipped'] })).toEqual([]);
    expect(await store.deliveryEvents(id, { types: [] })).toEqual([]);
    expect(await store.deliveryEvents(id, { types: ['failed'], deliveryIds: [] })).toEqual([]);
  });

  it('eventSpan and outcomeSeries: first and last outcome, and counts per epoch-aligned bucket and type', async () => {
    const { store } = open();
    const { id } = await sentCampaign(store);
    expect(await store.eventSpan(id, ['sent', 'failed'])).toEqual({ first: at(1500), last: at(2500) });
    expect(await store.eventSpan(id, ['complained'])).toBeUndefined();
    expect(await store.eventSpan(id, [])).toBeUndefined();
    expect(await store.outcomeSeries(id, ['sent', 'failed', 'bounced'], 1000)).toEqual([
      { at: at(1000), type: 'bounced', n: 1 }, { at: at(1000), type: 'failed', n: 1 }, { at: at(1000), type: 'sent', n: 1 },
      { at: at(2000), type: 'failed', n: 1 }, { at: at(2000), type: 'sent', n: 1 },
    ]);
    expect(await store.outcomeSeries(id, ['sent'], 60_000)).toEqual([{ at: T0, type: 'sent', n: 2 }]);
    expect(await store.outcomeSeries(id, [], 1000)).toEqual([]);
  });

  it('reasonCounts: grouped by enhanced status or by domain, most frequent first, with a sample reply', async () => {
    const { store } = open();
    const { id } = await sentCampaign(store);
    const types = ['failed', 'bounced', 'deferred'] as const;
    expect(await store.reasonCounts(id, [...types], 'enhanced', 10)).toEqual([
      // Code-point order picks the sample on both engines ("О" comes after "R").
      { type: 'failed', key: '5.7.1', events: 2, recipients: 2, sample: '550 5.7.1 Отклонено' },
      { type: 'bounced', key: '5.1.1', events: 1, recipients: 1, sample: '550 5.1.1 Unbekannt' },
      { type: 'deferred', key: '4.7.1', events: 1, recipients: 1, sample: '451 Essayez plus tard' },
    ]);
    expect(await store.reasonCounts(id, [...types], 'domain', 1)).toEqual([
      { type: 'failed', key: contact(2).domain, events: 2, recipients: 2, sample: '550 5.7.1 Отклонено' },
    ]);
    expect(await store.reasonCounts(id, [], 'domain', 5)).toEqual([]);
  });

  it('deliveryFacets: values with counts, most frequent first, then in code-point order', async () => {
    const { store } = open();
    const { id } = await sentCampaign(store);
    await store.addDeliveries(id, [contact(6), contact(12)], 'pending', T0); // two more of PEOPLE[0] at presse.example
    const facets = await store.deliveryFacets(id, 2);
    expect(facets.languages).toEqual([{ value: 'fr', n: 3 }, { value: 'ar', n: 1 }]);
    expect(facets.outlets).toEqual([{ value: 'Le Monde — Économie', n: 3 }, { value: 'El País', n: 1 }]);
    const [second] = [contact(1).domain, contact(2).domain].sort();
    expect(facets.domains).toEqual([{ value: 'presse.example', n: 4 }, { value: second, n: 2 }]);
  });

  it('queryDeliveries: filters, sort, page and total; deliveryById with its contact; "" picks contacts without a language', async () => {
    const { store } = open();
    const { id, ids } = await sentCampaign(store);
    await store.addDeliveries(id, [{ ...contact(7), language: '' }], 'pending', T0);
    const emails = (r: { rows: { email: string }[] }) => r.rows.map((x) => x.email);
    expect(await store.queryDeliveries(id, { ...PAGE, status: ['failed', 'bounced'] })).toMatchObject({ total: 3 });
    expect(emails(await store.queryDeliveries(id, { ...PAGE, language: 'ru' }))).toEqual([contact(1).email]);
    expect(emails(await store.queryDeliveries(id, { ...PAGE, language: '' }))).toEqual([contact(7).email]);
    expect(emails(await store.queryDeliveries(id, { ...PAGE, outlet: 'Новая газета' }))).toEqual([contact(1).email, contact(7).email]);
    expect(emails(await store.queryDeliveries(id, { ...PAGE, domain: ` ${contact(2).domain.toUpperCase()} ` }))).toEqual([contact(2).email, contact(5).email]);
    const page = await store.queryDeliveries(id, { ...PAGE, sort: 'attempts', descending: true, limit: 2, offset: 1 });
    expect(page.total).toBe(7);
    expect(page.rows.map((r) => r.id)).toEqual([ids[4], ids[3]]);
    expect((await store.queryDeliveries(id, { ...PAGE, sort: 'updated', descending: true, limit: 3 })).rows.map((r) => r.id)).toEqual([ids[5], ids[4], ids[3]]);
    expect((await store.queryDeliveries(id, { ...PAGE, limit: 1000 })).rows).toHaveLength(7);
    const d = await store.deliveryById(ids[2]!);
    expect(d).toMatchObject({ id: ids[2], campaignId: id, key: contact(2).key, status: 'failed', attempts: 1, firstAttemptAt: at(1000), messageId: '<2@x>' });
    expect(d!.contact).toEqual(contact(2));
    expect(await store.deliveryById(999_999)).toBeUndefined();
  });

  it('outboxCounts: only `sent` deliveries whose relay is the outbox folder, per campaign', async () => {
    const { store } = open();
    const first = await campaignWith(store, 4);
    const second = await campaignWith(store, 1);
    const [d1, d2, d3, d4] = await store.claimBatch(first, 'a', 4, at(0), 60_000);
    const [e1] = await store.claimBatch(second, 'a', 1, at(0), 60_000);
    const through = (d: { id: number }, relay: string, m: string): SendingMark => ({ deliveryId: d.id, messageId: m, worker: 'a', relay });
    // d1, d3 and e1 into the outbox; d2 through a relay (even one named "outbox"); d4 failed in the outbox.
    await store.writeBatch(
      [through(d1!, outboxRelayName('outbox/1'), '<1@x>'), through(d2!, 'outbox smtp://relay.example:587', '<2@x>'), through(d3!, outboxRelayName('/var/boîte d’envoi/1'), '<3@x>'), through(d4!, outboxRelayName('outbox/1'), '<4@x>'), through(e1!, outboxRelayName('outbox/2'), '<5@x>')],
      [],
      at(1),
    );
    await store.writeBatch([], [outcome(d1!.id, 'sent', 2, '<1@x>'), outcome(d2!.id, 'sent', 2, '<2@x>'), outcome(d3!.id, 'sent', 2, '<3@x>'), outcome(d4!.id, 'failed', 2, '<4@x>'), outcome(e1!.id, 'sent', 2, '<5@x>')], at(2));
    expect([...(await store.outboxCounts()).entries()].sort()).toEqual([[first, 2], [second, 1]]);
    expect([...(await store.outboxCounts(first)).entries()]).toEqual([[first, 2]]);
    // The same rule as the one people read (report rows, dashboard): the store and isOutboxRelay agree.
    expect((await store.deliveries(first)).map((r) => isOutboxRelay(r.relay) && r.status === 'sent')).toEqual([true, false, true, false]);
  });
}
